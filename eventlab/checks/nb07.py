"""Checkers for notebook 07 (event notification vs event-carried state transfer)."""

from __future__ import annotations

from functools import cache
from typing import Any

from eventlab.checks._core import (
    Caller,
    Case,
    Feedback,
    check_function,
    failed,
    judge,
    never_raises,
    not_attempted,
    passed,
)
from eventlab.checks._predict import revealer, wrong_prediction
from eventlab.checks._shapes import as_int, as_items, show
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
    # addresses that contain one another: a substring match takes them for equal
    ("a move to a longer address that starts with your copy", _A,
     {"oldAddress": _A, "newAddress": _A + "-Mitte"}),
    ("a move whose old address is part of your copy", _A + "-Mitte",
     {"oldAddress": _A, "newAddress": _B}),
    ("a move whose new address is part of your copy", _A + "-Mitte",
     {"oldAddress": _C, "newAddress": _A}),
]


def _decision(answer: Any) -> str | None:
    # "Apply" or " apply " mean "apply"
    return answer.strip().lower() if isinstance(answer, str) else None


@never_raises("7.1")
def exercise_7_1(delta_step: Any) -> Feedback:
    """Exercise 7.1: what a consumer does with a delta event (apply, duplicate, out of order)."""
    cases = [Case(desc, (copy, data), crm.delta_decision(copy, data))
             for desc, copy, data in _DELTAS]
    return check_function("7.1", delta_step, cases, shape=_decision)


# Reordering only (no duplicates), five seeds: which designs leave copies stale for good?
_REORDERED = crm.Config(pattern="state_transfer", reorder=0.2, lookup_rate=0.0)


@cache
def _stale_designs(seeds: int) -> tuple[str, ...]:
    table = crm.compare_designs(_REORDERED, seeds=seeds)
    return tuple(str(d) for d, n in table[crm.Metric.STALE_ADDRESS_COPIES_AT_END].items() if n)


def stale_designs(seeds: int = 5) -> list[str]:
    """The designs whose consumers end with stale address copies in the reordered runs."""
    return list(_stale_designs(seeds))


@revealer("7.2")
def _reveal_7_2() -> str:
    return f"the runs left stale copies with {', '.join(sorted(stale_designs()))}"


@never_raises("7.2")
def exercise_7_2(predicted: Any) -> Feedback:
    """Exercise 7.2: predict which designs leave stale copies when events are reordered."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("7.2")
    said = [predicted] if isinstance(predicted, str) else as_items(predicted)
    if said is None:
        return failed("7.2", f"write a list of designs, e.g. ['address_full'], got "
                             f"{show(predicted)}")
    unknown = [d for d in said if d not in crm.DESIGNS]
    if unknown:
        options = ", ".join(crm.DESIGNS)
        return failed("7.2", f"{show(unknown[0])} is not a design; the designs are {options}")
    if sorted(set(said)) != sorted(stale_designs()):
        return wrong_prediction("7.2", ", ".join(sorted(set(said))) or "none",
                                "which payload lets a consumer tell an old event from a new one?")
    return passed("7.2", 1)


_CALLBACK_RUNS = ((1, 1), (3, 7), (5, 2), (8, 42))  # (consumers, seed)


@never_raises("7.3")
def exercise_7_3(callbacks_per_change: Any) -> Feedback:
    """Exercise 7.3: how many callbacks one change causes under notification."""
    def body(call: Caller) -> Feedback:
        for consumers, seed in _CALLBACK_RUNS:
            config = crm.Config(consumers=consumers, seed=seed, downtime=0.0, lookup_rate=0.0)
            result = crm.run(config)
            crm_rows = result.trace[(result.trace["kind"] == "state")
                                    & (result.trace["actor"] == "CRM")]
            kinds = crm_rows["detail"].dropna().value_counts()
            predicted = 0
            for kind, n in kinds.items():
                what = f"kind={str(kind)!r}, consumers={consumers}"
                got = call(what, str(kind), consumers)
                number = as_int(got)
                if number is None:  # the function's answer, not the checker's sum, is wrong
                    return failed("7.3", f"for {what} it returned {show(got)}: return a whole "
                                         "number of callbacks")
                predicted += int(n) * number
            measured = int(result.metrics[crm.Metric.CALLBACKS])
            if predicted != measured:
                counts = ", ".join(f"{int(n)} {k}" for k, n in kinds.items())
                return failed("7.3", f"with consumers={consumers} (seed {seed}; changes: "
                                     f"{counts}) expected {measured} callbacks, got "
                                     f"{predicted}")
        return passed("7.3", len(_CALLBACK_RUNS))

    return judge("7.3", callbacks_per_change, body)
