"""Checkers for notebook 09 (event chains and monitoring)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import pandas as pd

from eventlab.checks._core import Case, Feedback, check_function, failed, not_attempted, passed
from eventlab.core.resources import resource
from eventlab.scenarios import monitoring
from eventlab.scenarios.retail import choreography
from eventlab.scenarios.retail.orchestration import Fault

RECORDED = resource("retail_monitor_log_seed7.csv")
# What the tracking process waits for after each milestone, and for how long (hours).
SLA: dict[str, tuple[str, float]] = {
    "OrderPlacedEvent": ("PaymentReceivedEvent", 480.0),
    "PaymentReceivedEvent": ("GoodsFetchedEvent", 12.0),
    "GoodsFetchedEvent": ("GoodsShippedEvent", 24.0),
}
MILESTONES = (*SLA, "GoodsShippedEvent")
COLUMNS = ["time", "correlation_id", "message_type"]


def _tiny() -> pd.DataFrame:
    """Three cases written by hand: ties in time keep the log's order, one case is alone."""
    rows = [(0.0, "a", "Placed"), (1.0, "b", "Placed"), (1.0, "a", "Paid"),
            (1.0, "a", "Fetched"), (2.5, "b", "Paid"), (4.0, "a", "Shipped"),
            (3.0, "c", "Placed"), (2.0, "b", "Fetched")]
    return pd.DataFrame(rows, columns=COLUMNS)


@cache
def _logs() -> tuple[tuple[str, pd.DataFrame], ...]:
    """The logs the checkers use: hand-made, and the messages of three runs."""
    out = [("a hand-made log of 3 cases (ties in time, an unsorted row)", _tiny())]
    for seed, style, faults in ((1, "sequential", ()), (5, "parallel", ()),
                                (9, "sequential", (Fault(2, "inventory", "drop"),
                                                   Fault(4, "payment", "drop")))):
        run = choreography.run(choreography.Config(orders=12, seed=seed, style=style,
                                                   drop_shipping=0.1), faults=faults)
        log = monitoring.message_log(run.trace)[COLUMNS]
        out.append((f"the messages of choreography.run(Config(orders=12, seed={seed}, "
                    f"style={style!r}, ...))", log))
    return tuple(out)


def _pairs(log: pd.DataFrame) -> dict[tuple[str, str], int]:
    table = monitoring.directly_follows(log)
    return {(str(a), str(b)): int(n) for a, b, n in zip(table["from"], table["to"],
                                                         table["count"], strict=True)}


def _same_counts(got: Any, expected: Mapping[tuple[str, str], int]) -> bool:
    if not isinstance(got, Mapping):
        return False
    return {tuple(k): int(v) for k, v in got.items() if int(v)} == dict(expected)


def exercise_9_1(directly_follows_counts: Any) -> Feedback:
    """Exercise 9.1: count every "a directly followed by b" per case, as process mining does."""
    cases = [Case(name, (log.copy(),), _pairs(log)) for name, log in _logs()]
    return check_function("9.1", directly_follows_counts, cases, same=_same_counts)


@cache
def recorded_never_completed() -> dict[str, str]:
    """Per trace of the recorded log without OrderCompletedEvent: its last message type."""
    log = monitoring.read_monitor_log(RECORDED)
    done = set(log.loc[log["messageType"] == "OrderCompletedEvent", "traceId"])
    open_ = log[~log["traceId"].isin(list(done))]
    last = open_.sort_values("timestamp", kind="stable").groupby("traceId")["messageType"].last()
    return {str(k): str(v) for k, v in last.items()}


def exercise_9_2(never_completed: Any) -> Feedback:
    """Exercise 9.2: mine the recorded log: the traces that never completed, and where."""
    if never_completed is None or never_completed is Ellipsis:
        return not_attempted("9.2")
    if not isinstance(never_completed, Mapping):
        return failed("9.2", "write a dict {traceId: last messageType}, got "
                             f"{type(never_completed).__name__}")
    expected = recorded_never_completed()
    got = {str(k): str(v) for k, v in never_completed.items()}
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    if missing:
        return failed("9.2", f"{len(missing)} trace(s) never completed but are missing, "
                             f"for example {missing[0]}")
    if extra:
        return failed("9.2", f"{extra[0]} is in your dict, but it did complete (or is not in "
                             "the log)")
    for trace_id in sorted(expected):
        if got[trace_id] != expected[trace_id]:
            return failed("9.2", f"{trace_id}: you said its last message was "
                                 f"{got[trace_id]!r}, the log says {expected[trace_id]!r}")
    return passed("9.2", len(expected))


def overdue_reference(log: pd.DataFrame, now: float) -> list[str]:
    """The tracking rule on a log: cases whose next milestone is later than its SLA."""
    seen = log[(log["time"] <= now) & log["message_type"].isin(list(MILESTONES))]
    last = seen.sort_values("time", kind="stable").groupby("correlation_id", sort=True).last()
    late = []
    for case, row in last.iterrows():
        step = SLA.get(str(row["message_type"]))
        if step is not None and now - float(row["time"]) > step[1]:
            late.append(str(case))
    return sorted(late)


def _same_cases(got: Any, expected: list[str]) -> bool:
    if isinstance(got, str) or not hasattr(got, "__iter__"):
        return False
    return sorted(str(g) for g in got) == expected


def exercise_9_3(overdue: Callable[..., Any] | None) -> Feedback:
    """Exercise 9.3: the tracker's SLA rule, applied to a log at a given moment."""
    cases = []
    for name, log in _logs()[1:]:
        end = float(log["time"].max())
        for now in (6.0, 30.0, end + 13.0, end + 500.0):
            cases.append(Case(f"{name} at now={now:g}", (log.copy(), now),
                              overdue_reference(log, now)))
    return check_function("9.3", overdue, cases, same=_same_cases)
