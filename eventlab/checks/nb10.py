"""Checkers for notebook 10 (orchestration, change and balance)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import pandas as pd

from eventlab.checks._bpmn_models import criminal_check_checker, sla_checker
from eventlab.checks._core import (
    Case,
    Feedback,
    check_function,
    failed,
    never_raises,
    not_attempted,
    passed,
)
from eventlab.checks._predict import revealer, wrong_prediction
from eventlab.checks._shapes import as_items, show
from eventlab.scenarios import styles
from eventlab.scenarios.retail import choreography
from eventlab.scenarios.retail import orchestration as workflow
from eventlab.scenarios.retail.choreography import ARCHITECTURES, CHANGE_REQUESTS, Wiring, design
from eventlab.scenarios.retail.orchestration import Fault


def _pairs(wiring: Wiring) -> list[tuple[str, str]]:
    """The expected pairs, sorted (so that a failure message reads the same every time)."""
    table = wiring.dependencies()
    return sorted(zip(table["service"], table["depends on"], strict=True))  # sorted: same message


def _pair_list(answer: Any) -> list[tuple[str, str]] | None:
    """Any collection of (service, depends on) pairs (a set, a list, a two-column table),
    as a sorted list without repeats."""
    if isinstance(answer, pd.DataFrame) and answer.shape[1] >= 2:
        answer = list(answer.iloc[:, :2].itertuples(index=False, name=None))
    items = as_items(answer)
    if items is None:
        return None
    pairs = set()
    for item in items:
        pair = as_items(item)
        if pair is None or len(pair) != 2:
            return None
        pairs.add((str(pair[0]), str(pair[1])))
    return sorted(pairs)


def _rule(flows: list[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
    """The dependency rule on hand-made flows: a command's sender knows its receiver, an
    event's consumer knows its producer; a service that talks to itself knows nobody new."""
    return sorted({(p, c) if kind == "command" else (c, p)
                   for _, kind, p, c in flows if p != c})


# Flows the designs never have: a service that consumes its own event or commands itself,
# and a second producer of one event type
_HAND_FLOWS: tuple[tuple[str, list[tuple[str, str, str, str]]], ...] = (
    ("flows with a self-flow (Payment retries itself)",
     [("OrderPlacedEvent", "event", "Checkout", "Payment"),
      ("RetryPaymentCommand", "command", "Payment", "Payment"),
      ("PaymentReceivedEvent", "event", "Payment", "Payment"),
      ("PaymentReceivedEvent", "event", "Payment", "Inventory")]),
    ("flows with commands both ways",
     [("FetchGoodsCommand", "command", "Order", "Inventory"),
      ("ReserveSpaceCommand", "command", "Inventory", "Order"),
      ("GoodsFetchedEvent", "event", "Inventory", "Order")]),
)


@never_raises("10.1")
def exercise_10_1(who_knows_whom: Any) -> Feedback:
    """Exercise 10.1: from the message flows of a design, who depends on whom."""
    cases = []
    for case in CHANGE_REQUESTS:
        for architecture in ARCHITECTURES:
            for changed in (False, True):
                wiring = design(case, architecture, changed=changed)
                cases.append(Case(f"{wiring.name}{' after the change' if changed else ''}",
                                  (wiring.flows(),), _pairs(wiring)))
    cases += [Case(name, (list(flows),), _rule(flows)) for name, flows in _HAND_FLOWS]
    return check_function("10.1", who_knows_whom, cases, shape=_pair_list)


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


@revealer("10.2")
def _reveal_10_2() -> str:
    return f"the run undid {_show(undone_when_payment_never_arrives())}"


@never_raises("10.2")
def exercise_10_2(undone: Any) -> Feedback:
    """Exercise 10.2: predict which compensations run (fetch first, payment never arrives)."""
    if undone is None or undone is Ellipsis:
        return not_attempted("10.2")
    items = [undone] if isinstance(undone, str) else as_items(undone)
    if items is None:
        return failed("10.2", f"write a set of compensations, e.g. {{'refund payment'}}, got "
                              f"{show(undone)}")
    said = tuple(sorted({str(u).strip().lower() for u in items}))
    wrong = [u for u in said if u not in COMPENSATIONS]
    if wrong:
        return failed("10.2", f"{wrong[0]!r} is not a compensation of the order; the order "
                              f"has {', '.join(repr(c) for c in COMPENSATIONS)}")
    if said != undone_when_payment_never_arrives():
        return wrong_prediction("10.2", _show(said),
                                "compensation undoes the steps that completed; which did?")
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


@revealer("10.3")
def _reveal_10_3() -> str:
    orchestrated, chained = strike_outcomes()
    return f"the runs: {orchestrated!r} (orchestrated), {chained!r} (choreographed)"


@never_raises("10.3")
def exercise_10_3(predicted: Any) -> Feedback:
    """Exercise 10.3: predict order 1's outcome in a 72-hour shipping strike, both ways."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("10.3")
    pair = as_items(predicted)
    if isinstance(predicted, dict | set) or pair is None or len(pair) != 2:
        return failed("10.3", "write two outcomes, (orchestrated, choreographed), got "
                              f"{show(predicted)}")
    if any(p is None or p is Ellipsis for p in pair):
        return not_attempted("10.3")
    for which, said, allowed in (("orchestrated", pair[0], ORCHESTRATED),
                                 ("choreographed", pair[1], CHOREOGRAPHED)):
        if said not in allowed:
            return failed("10.3", f"the {which} outcome must be one of "
                                  f"{', '.join(repr(a) for a in allowed)}; got {show(said)}")
    if tuple(pair) != strike_outcomes():
        return wrong_prediction("10.3", f"({pair[0]!r}, {pair[1]!r})",
                                "which of the two waits with a timer, and for how long?")
    return passed("10.3", 2)


# Exercises 10.4 and 10.5 model in BPMN: the checker runs the learner's model.
exercise_10_4 = sla_checker("10.4")
exercise_10_5 = criminal_check_checker("10.5")


STUCK = "order-0005"  # the bad day's poisoned order (styles.BAD_DAY.poison_order == 5)
WHEN = ("earlier", "at the same time", "later")


@cache
def escalations() -> tuple[float, float]:
    """When order-0005 was escalated (hours) on the default bad day: (orchestrated,
    choreographed)."""
    def first(style: str) -> float:
        story = styles.run(styles.Config(style=style)).history(STUCK)
        return float(story[story["what"] == "sends OrderDelayedEvent"]["at (h)"].iloc[0])
    return first("orchestration"), first("choreography")


def choreographed_escalation() -> str:
    """The choreography's escalation of order-0005 compared with the orchestration's."""
    orchestrated, choreographed = escalations()
    if abs(choreographed - orchestrated) < 1 / 60:
        return WHEN[1]
    return WHEN[0] if choreographed < orchestrated else WHEN[2]


@revealer("10.6")
def _reveal_10_6() -> str:
    orchestrated, choreographed = escalations()
    return (f"the runs escalate order-0005 at {orchestrated:.2f} h (orchestrated) and "
            f"{choreographed:.2f} h (choreographed): {choreographed_escalation()}")


@never_raises("10.6")
def exercise_10_6(answer: Any) -> Feedback:
    """Exercise 10.6: predict when the choreography escalates the stuck order, then operate
    its bad day until the order is shipped. `answer` is ``(escalated, day)``."""
    if answer is None or answer is Ellipsis:
        return not_attempted("10.6")
    pair = as_items(answer)
    if isinstance(answer, dict | set | str) or pair is None or len(pair) != 2:
        return failed("10.6", f"give (escalated, chor), got {show(answer)}")
    escalated, day = pair
    if escalated is None or escalated is Ellipsis:
        return not_attempted("10.6")
    if escalated not in WHEN:
        return failed("10.6", f"escalated must be one of {', '.join(repr(w) for w in WHEN)}; "
                              f"got {show(escalated)}")
    if escalated != choreographed_escalation():
        return wrong_prediction("10.6", repr(escalated),
                                "who decides that an order is late in a choreography, and "
                                "when does it look? (styles.Config's tracker_minutes)")
    if day is None or day is Ellipsis:
        return failed("10.6", "the prediction is right; now operate the day: chor = "
                              "styles.live(styles.Config())...")
    return _operated("10.6", day)


def _operated(exercise: str, day: Any) -> Feedback:
    """Whether `day` is a choreography day operated until the stuck order shipped."""
    if not isinstance(day, styles.LiveDay):
        return failed(exercise, "give the day you operated: styles.live(...), got "
                                f"{show(day)}")
    if day.config.style != "choreography":
        return failed(exercise, f"this day runs style={day.config.style!r}; the exercise "
                                "operates the choreography")
    told = day.incidents()
    mine = told[told["order"] == STUCK]
    if mine.empty:
        if day.fixed_at is not None:
            return failed(exercise, f"the fix came out at {day.fixed_at:.2f} h, before "
                                    f"anybody was told about {STUCK}: its message never fails, "
                                    "so there is nothing to operate; start a new day and let "
                                    "it run until Operations is told")
        return failed(exercise, f"nobody was told about {STUCK} yet at {day.hours:.2f} h: run "
                                "the day further (day.run_until(...))")
    orders = day.orders()
    outcome = orders.loc[orders["order"] == STUCK, "outcome"]
    if not outcome.empty and outcome.iloc[0] == "completed":
        return passed(exercise, 2)
    if mine["acted at (h)"].isna().iloc[-1] and len(mine) > 1:
        return failed(exercise, f"{STUCK}'s message was parked again at "
                                f"{mine['told at (h)'].iloc[-1]:.2f} h: "
                                + ("act on it again (day.resolve(...))" if day.fixed_at
                                   is not None else "bring the fix out (day.fix()), then "
                                   "act on it again"))
    if mine["acted at (h)"].isna().all():
        return failed(exercise, f"Operations was told about {STUCK} ({mine['how'].iloc[0]}) "
                                "and nobody acted yet: the fix must be out (day.fix()) before "
                                f"you act on it (day.resolve({STUCK!r}))")
    if day.fixed_at is None:
        return failed(exercise, f"{STUCK}'s message was replayed, but the fix is not out "
                                "(day.fix()): until it is, the message fails again and is "
                                "parked again")
    return failed(exercise, f"{STUCK} is not shipped yet at {day.hours:.2f} h: run the day "
                            "further (day.run_until(...))")
