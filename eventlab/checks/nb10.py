"""Checkers for notebook 10 (orchestration, change and balance)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from eventlab.checks._core import Case, Feedback, check_function, failed, not_attempted, passed
from eventlab.scenarios.retail import choreography
from eventlab.scenarios.retail import orchestration as workflow
from eventlab.scenarios.retail.choreography import ARCHITECTURES, CHANGE_REQUESTS, Wiring, design
from eventlab.scenarios.retail.orchestration import Fault


def _pairs(wiring: Wiring) -> list[tuple[str, str]]:
    """The expected pairs, sorted (so that a failure message reads the same every time)."""
    table = wiring.dependencies()
    return sorted(zip(table["service"], table["depends on"], strict=True))


def _same_pairs(got: Any, expected: list[tuple[str, str]]) -> bool:
    if isinstance(got, str) or not isinstance(got, Iterable):
        return False
    return {tuple(pair) for pair in got} == set(expected)


def exercise_10_1(who_knows_whom: Any) -> Feedback:
    """Exercise 10.1: from the message flows of a design, who depends on whom."""
    cases = []
    for case in CHANGE_REQUESTS:
        for architecture in ARCHITECTURES:
            for changed in (False, True):
                wiring = design(case, architecture, changed=changed)
                cases.append(Case(f"{wiring.name}{' after the change' if changed else ''}",
                                  (wiring.flows(),), _pairs(wiring)))
    return check_function("10.1", who_knows_whom, cases, same=_same_pairs)


COMPENSATIONS = ("refund payment", "return goods")
_NAMES = {"pay_received": "refund payment", "fetch_received": "return goods"}


def _show(names: Sequence[str]) -> str:
    """A set of names in a stable order (a set's own repr depends on the hash seed)."""
    return "{" + ", ".join(repr(n) for n in sorted(names)) + "}" if names else "nothing"


@cache
def undone_when_payment_never_arrives() -> tuple[str, ...]:
    """What the orchestrated fetch-first order undoes when its payment never arrives."""
    run = workflow.run(workflow.Config(orders=3, seed=1, variant="fetch_first", p_card=0.0,
                                       drop_payment=0.0, drop_inventory=0.0,
                                       drop_shipping=0.0),
                       faults=[Fault(1, "payment", "drop")])
    steps = run.instances.set_index("key").loc["order-0001", "compensated steps"]
    return tuple(sorted(_NAMES[s] for s in str(steps).split(",") if s))


def exercise_10_2(undone: Any) -> Feedback:
    """Exercise 10.2: predict which compensations run (fetch first, payment never arrives)."""
    if undone is None or undone is Ellipsis:
        return not_attempted("10.2")
    if isinstance(undone, str):
        undone = (undone,)
    if not isinstance(undone, Iterable):
        return failed("10.2", f"write a set of compensations, e.g. {{'refund payment'}}, got "
                              f"{undone!r}")
    said = tuple(sorted(str(u) for u in undone))
    wrong = [u for u in said if u not in COMPENSATIONS]
    if wrong:
        return failed("10.2", f"{wrong[0]!r} is not a compensation of the order; the order "
                              f"has {', '.join(repr(c) for c in COMPENSATIONS)}")
    runs = undone_when_payment_never_arrives()
    if said != runs:
        return failed("10.2", f"you said {_show(said)}, the run undid {_show(runs)}")
    return passed("10.2", 1)


ORCHESTRATED = ("Order delivered", "Order canceled", "Goods not fetched in time",
                "Goods not shipped in time")
CHOREOGRAPHED = ("completed", "dropped by Shipping", "stuck (Payment received)")
STRIKE = 72.0


@cache
def strike_outcomes() -> tuple[str, str]:
    """Order 1 during a 72-hour shipping strike: (orchestrated, choreographed) outcome."""
    shop: dict[str, Any] = {"orders": 3, "seed": 1, "p_card": 0.0, "drop_payment": 0.0,
                            "drop_inventory": 0.0, "drop_shipping": 0.0}
    faults = [Fault(1, "shipping", "slow", STRIKE)]
    orchestrated = workflow.run(workflow.Config(**shop), faults=faults)
    chained = choreography.run(choreography.Config(**shop), faults=faults)
    return (str(orchestrated.facts.loc[0, "outcome"]), str(chained.facts.loc[0, "outcome"]))


def exercise_10_3(predicted: Any) -> Feedback:
    """Exercise 10.3: predict order 1's outcome in a 72-hour shipping strike, both ways."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("10.3")
    if isinstance(predicted, str) or not isinstance(predicted, Sequence) or \
            len(predicted) != 2:
        return failed("10.3", "write two outcomes, (orchestrated, choreographed), got "
                              f"{predicted!r}")
    if any(p is None or p is Ellipsis for p in predicted):
        return not_attempted("10.3")
    for which, said, allowed in (("orchestrated", predicted[0], ORCHESTRATED),
                                 ("choreographed", predicted[1], CHOREOGRAPHED)):
        if said not in allowed:
            return failed("10.3", f"the {which} outcome must be one of "
                                  f"{', '.join(repr(a) for a in allowed)}; got {said!r}")
    for which, said, runs in zip(("orchestrated", "choreographed"), predicted,
                                 strike_outcomes(), strict=True):
        if said != runs:
            return failed("10.3", f"{which}: you said {said!r}, the run says {runs!r}")
    return passed("10.3", 2)
