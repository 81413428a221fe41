"""Checkers for notebook 11 (the recap and capstone)."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from eventlab.checks._core import Feedback, failed, never_raises, not_attempted, passed
from eventlab.checks._predict import revealer, wrong_prediction
from eventlab.checks._shapes import show
from eventlab.scenarios import recap

# What a learner may choose in 11.1; everything else (the shop, the day) stays as given.
CHOICES = recap.CHOICES
SIDE_SERVICES = ("Notification", "Loyalty")
MAX_LAG = 1.0


def targets(result: recap.RecapResult) -> list[tuple[str, bool, str]]:
    """The capstone's four targets: (what, met?, what the run measured)."""
    m = result.metrics
    deps = result.dependencies()
    on_side = deps[deps["depends on"].isin(list(SIDE_SERVICES))]
    knows = ", ".join(f"{a} depends on {b}" for a, b in
                      zip(on_side["service"], on_side["depends on"], strict=True))
    return [
        ("every order that was not delivered is noticed",
         m[recap.Metric.NOT_DELIVERED_NOBODY_NOTICED] == 0,
         f"{m[recap.Metric.NOT_DELIVERED_NOBODY_NOTICED]} undelivered order(s) nobody noticed"),
        ("no message is lost", m[recap.Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH] == 0,
         f"{m[recap.Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH]} message(s) lost"),
        (f"the consumer lag stays within {MAX_LAG:g} h",
         float(m[recap.Metric.MAX_CONSUMER_LAG_H]) <= MAX_LAG,
         f"max consumer lag {m[recap.Metric.MAX_CONSUMER_LAG_H]} h"),
        ("nobody depends on Notification or Loyalty", on_side.empty, knows or "none"),
    ]


@never_raises("11.1")
def exercise_11_1(my_design: Any) -> Feedback:
    """Exercise 11.1: choose a design that meets the four targets on the bad day."""
    if my_design is None or my_design is Ellipsis:
        return not_attempted("11.1")
    if not isinstance(my_design, recap.Config):
        return failed("11.1", f"write a recap.Config(...), got {type(my_design).__name__}")
    try:
        return _check_design(my_design)
    except Exception as err:  # a checker reports, it never raises
        return failed("11.1", f"your design could not be run: {type(err).__name__}: {err}")


def _check_design(my_design: recap.Config) -> Feedback:
    day = recap.Config()
    for f in dataclasses.fields(recap.Config):
        if f.name not in CHOICES and getattr(my_design, f.name) != getattr(day, f.name):
            return failed("11.1", f"keep the shop and the day as they are: {f.name} is "
                                  f"{show(getattr(my_design, f.name), 30)}, the day has "
                                  f"{show(getattr(day, f.name), 30)} (change only the "
                                  "choices listed above the exercise)")
    for what, met, measured in targets(recap.run(my_design)):
        if not met:
            return failed("11.1", f"target not met: {what} (the run: {measured})")
    return passed("11.1", 4)


@cache
def unnoticed_losses() -> tuple[str, ...]:
    """Message types whose loss left an undelivered order that nobody noticed (orchestrated,
    no outbox, the bad day)."""
    run = recap.run(recap.Config(outbox=False))
    facts = run.facts
    unnoticed = set(facts.loc[(facts["outcome"] != "delivered") & ~facts["noticed"], "trace"])
    trace = run.trace
    lost = trace[(trace["kind"] == "fault") & trace["detail"].str.contains("is lost", na=False)]
    hits = lost[lost["correlation_id"].isin(list(unnoticed))]["message_type"]
    return tuple(sorted({str(t) for t in hits}))


@revealer("11.2")
def _reveal_11_2() -> str:
    return f"in the run, the lost messages nobody noticed were {', '.join(unnoticed_losses())}"


@never_raises("11.2")
def exercise_11_2(never_noticed: Any) -> Feedback:
    """Exercise 11.2: which lost message can no timer of the orchestrator notice?"""
    if never_noticed is None or never_noticed is Ellipsis:
        return not_attempted("11.2")
    if not isinstance(never_noticed, str):
        return failed("11.2", f"write one message type as a string, got {show(never_noticed)}")
    said = never_noticed.strip()
    if (said,) != unnoticed_losses():
        return wrong_prediction("11.2", repr(said),
                                "a timer waits inside an Order instance; when does one start?")
    return passed("11.2", 1)


BUCKETS = ("as many as with 4 partitions", "about half", "almost none")


@cache
def delivered_by_partitions() -> tuple[int, int, int]:
    """(orders, delivered with 4 partitions, delivered with 1 partition) on the bad day."""
    four, one = (recap.run(recap.Config(partitions=n)).metrics for n in (4, 1))
    return (int(four[recap.Metric.ORDERS]), int(four[recap.Metric.ORDERS_DELIVERED]),
            int(one[recap.Metric.ORDERS_DELIVERED]))


def bucket_of(orders: int, with_four: int, with_one: int) -> str:
    """Which of :data:`BUCKETS` a delivered count falls into."""
    if with_one >= 0.9 * with_four:
        return BUCKETS[0]
    if with_one <= 0.1 * orders:
        return BUCKETS[2]
    return BUCKETS[1]


@cache
def undelivered_with_one() -> str:
    """How the orders one partition did not deliver ended, most common first."""
    facts = recap.run(recap.Config(partitions=1)).facts
    ends = facts.loc[facts["outcome"] != "delivered", "outcome"].value_counts()
    return ", ".join(f"{n} {outcome!r}" for outcome, n in ends.items()) + \
        " (most were placed in the middle of the day, when the backlog before the one " \
        "consumer was longest: they waited past the Order's timers)"


@revealer("11.3")
def _reveal_11_3() -> str:
    orders, four, one = delivered_by_partitions()
    return (f"the run delivered {one} of {orders} orders with 1 partition ({four} with 4): "
            f"{bucket_of(orders, four, one)!r}; the others: {undelivered_with_one()}")


@never_raises("11.3")
def exercise_11_3(delivered_with_one_partition: Any) -> Feedback:
    """Exercise 11.3: predict how many orders one partition delivers on the bad day."""
    said = delivered_with_one_partition
    if said is None or said is Ellipsis:
        return not_attempted("11.3")
    if not isinstance(said, str) or said.strip().lower() not in BUCKETS:
        return failed("11.3", f"choose one of {', '.join(repr(b) for b in BUCKETS)}; got "
                              f"{show(said)}")
    orders, four, one = delivered_by_partitions()
    if said.strip().lower() != bucket_of(orders, four, one):
        return wrong_prediction("11.3", repr(said.strip().lower()),
                                "how much work per hour reaches the Order's one consumer?")
    return passed("11.3", 1)
