"""Checkers for notebook 07 (event notification vs event-carried state transfer)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventlab.checks._core import Case, Feedback, check_function, failed, not_attempted, passed
from eventlab.scenarios import crm

_A, _B, _C = "Hauptstrasse 8, Berlin", "Marktplatz 9, Leipzig", "Ringstrasse 10, Wien"

_DELTAS = [
    ("the next move (old address = your copy)", _A, {"oldAddress": _A, "newAddress": _B}),
    ("a redelivered copy of the move you applied", _B, {"oldAddress": _A, "newAddress": _B}),
    ("a move that skips one you have not seen yet", _A, {"oldAddress": _B, "newAddress": _C}),
    ("the late first move, after you parked the second", _A,
     {"oldAddress": _A, "newAddress": _B}),
    ("an old copy arriving long after two newer moves", _C,
     {"oldAddress": _A, "newAddress": _B}),
    ("a typo fix of your copy", _A,
     {"oldAddress": _A, "newAddress": "Hauptstrasse 80, Berlin"}),
]


def exercise_7_1(delta_step: Any) -> Feedback:
    """Exercise 7.1: what a consumer does with a delta event (apply, duplicate, out of order)."""
    cases = [Case(desc, (copy, data), crm.delta_decision(copy, data))
             for desc, copy, data in _DELTAS]
    return check_function("7.1", delta_step, cases)


# Reordering only (no duplicates), five seeds: which designs leave copies stale for good?
_REORDERED = crm.Config(pattern="state_transfer", reorder=0.2, lookup_rate=0.0)


def stale_designs(seeds: int = 5) -> list[str]:
    """The designs whose consumers end with stale address copies in the reordered runs."""
    table = crm.compare_designs(_REORDERED, seeds=seeds)
    return [str(d) for d, n in table[crm.Metric.STALE_ADDRESS_COPIES_AT_END].items() if n]


def exercise_7_2(predicted: Any) -> Feedback:
    """Exercise 7.2: predict which designs leave stale copies when events are reordered."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("7.2")
    if isinstance(predicted, str) or not isinstance(predicted, Iterable):
        return failed("7.2", f"write a list of designs, e.g. ['address_full'], got {predicted!r}")
    said = list(predicted)
    unknown = [d for d in said if d not in crm.DESIGNS]
    if unknown:
        options = ", ".join(repr(d) for d in crm.DESIGNS)
        return failed("7.2", f"{unknown[0]!r} is not a design; the designs are {options}")
    measured = stale_designs()
    if sorted(said) != sorted(measured):
        return failed("7.2", f"you said {sorted(said)}, the runs say {sorted(measured)}")
    return passed("7.2", 1)


_CALLBACK_RUNS = ((1, 1), (3, 7), (5, 2), (8, 42))  # (consumers, seed)


def exercise_7_3(callbacks_per_change: Any) -> Feedback:
    """Exercise 7.3: how many callbacks one change causes under notification."""
    if callbacks_per_change is None:
        return not_attempted("7.3")
    if not callable(callbacks_per_change):
        return failed("7.3", f"expected a function, got {type(callbacks_per_change).__name__}")
    for consumers, seed in _CALLBACK_RUNS:
        config = crm.Config(consumers=consumers, seed=seed, downtime=0.0, lookup_rate=0.0)
        result = crm.run(config)
        crm_rows = result.trace[(result.trace["kind"] == "state")
                                & (result.trace["actor"] == "CRM")]
        kinds = crm_rows["detail"].dropna().value_counts()
        try:
            predicted = sum(int(n) * callbacks_per_change(str(kind), consumers)
                            for kind, n in kinds.items())
        except NotImplementedError:
            return not_attempted("7.3")
        except Exception as err:  # a checker reports, it never raises
            return failed("7.3", f"with consumers={consumers} it raised "
                                 f"{type(err).__name__}: {err}")
        measured = result.metrics[crm.Metric.CALLBACKS]
        if predicted != measured:
            counts = ", ".join(f"{int(n)} {k}" for k, n in kinds.items())
            return failed("7.3", f"with consumers={consumers} (seed {seed}; changes: {counts}) "
                                 f"your function predicts {predicted!r} callbacks, the run made "
                                 f"{measured}")
    return passed("7.3", len(_CALLBACK_RUNS))
