"""Checkers for notebook 09 (event chains and monitoring)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import pandas as pd

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
from eventlab.checks._shapes import as_int, as_items, as_mapping, as_number, show
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


def _loops() -> pd.DataFrame:
    """Cases that repeat: a pair twice in one case (a retried payment) and a self-flow."""
    rows = [(0.0, "d", "Placed"), (1.0, "d", "Paid"), (2.0, "d", "Placed"),
            (3.0, "d", "Paid"), (0.5, "e", "Placed"), (1.5, "e", "Reminded"),
            (2.5, "e", "Reminded"), (3.5, "e", "Paid"), (0.0, "f", "Placed"),
            (1.0, "f", "Paid")]
    return pd.DataFrame(rows, columns=COLUMNS)


@cache
def _logs() -> tuple[tuple[str, pd.DataFrame], ...]:
    """The logs the checkers use: hand-made, and the messages of three runs."""
    out = [("hand-made log 1 (ties in time, an unsorted row)", _tiny()),
           ("hand-made log 2 (a retried payment, a self-flow)", _loops())]
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


def _counts(answer: Any) -> dict[tuple[str, str], int] | None:
    """{(a, b): n} from a dict, a Series with a (from, to) index or a (from, to, count) table;
    pairs counted 0 are left out, as a table of counts would."""
    if isinstance(answer, pd.DataFrame) and {"from", "to", "count"} <= set(answer.columns):
        answer = answer.set_index(["from", "to"])["count"]  # a table like directly_follows'
    table = as_mapping(answer)
    if table is None:
        return None
    out: dict[tuple[str, str], int] = {}
    for key, value in table.items():
        pair = as_items(key)
        number = as_int(value)
        if pair is None or len(pair) != 2 or number is None:
            return None
        if number:
            out[(str(pair[0]), str(pair[1]))] = number
    return dict(sorted(out.items()))


@never_raises("9.1")
def exercise_9_1(directly_follows_counts: Any) -> Feedback:
    """Exercise 9.1: count every "a directly followed by b" per case, as process mining does."""
    cases = [Case(name, (log.copy(),), dict(sorted(_pairs(log).items())))
             for name, log in _logs()]
    return check_function("9.1", directly_follows_counts, cases, shape=_counts)


@cache
def recorded_never_completed() -> dict[str, str]:
    """Per trace of the recorded log without OrderCompletedEvent: its last message type."""
    log = monitoring.read_monitor_log(RECORDED)
    done = set(log.loc[log["messageType"] == "OrderCompletedEvent", "traceId"])
    open_ = log[~log["traceId"].isin(list(done))]
    last = open_.sort_values("timestamp", kind="stable").groupby("traceId")["messageType"].last()
    return {str(k): str(v) for k, v in last.items()}


@never_raises("9.2")
def exercise_9_2(never_completed: Any) -> Feedback:
    """Exercise 9.2: mine the recorded log: the traces that never completed, and where."""
    if never_completed is None or never_completed is Ellipsis:
        return not_attempted("9.2")
    table = as_mapping(never_completed)
    if table is None:
        return failed("9.2", "write a dict {traceId: last messageType} (a Series works too), "
                             f"got {type(never_completed).__name__}")
    expected = recorded_never_completed()
    got = {str(k): str(v) for k, v in table.items()}
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    if missing:
        return failed("9.2", f"{len(missing)} trace(s) never completed but are missing, "
                             f"for example {missing[0]}")
    if extra:
        return failed("9.2", f"{extra[0]} is in your answer, but it did complete (or is not "
                             "in the log)")
    for trace_id in sorted(expected):
        if got[trace_id] != expected[trace_id]:
            return failed("9.2", f"for {trace_id} expected the last message "
                                 f"{expected[trace_id]!r}, got {got[trace_id]!r}")
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


def _cases(answer: Any) -> list[str] | None:
    # a list, a set, a Series or an Index of case ids, read as a sorted list
    items = as_items(answer)
    return None if items is None else sorted(str(i) for i in items)


def _milestones() -> pd.DataFrame:
    """Cases whose rows go on after the moments below, and one exactly at its SLA."""
    rows = [(0.0, "x", "OrderPlacedEvent"), (5.0, "x", "PaymentReceivedEvent"),
            (100.0, "x", "GoodsFetchedEvent"), (0.0, "y", "OrderPlacedEvent"),
            (38.0, "y", "PaymentReceivedEvent"), (50.0, "y", "GoodsFetchedEvent"),
            (60.0, "y", "GoodsShippedEvent"), (2.0, "z", "OrderPlacedEvent"),
            (3.0, "z", "PaymentReceivedEvent"), (4.0, "z", "PaymentFailedEvent")]
    return pd.DataFrame(rows, columns=COLUMNS)


@never_raises("9.3")
def exercise_9_3(overdue: Callable[..., Any] | None) -> Feedback:
    """Exercise 9.3: the tracker's SLA rule, applied to a log at a given moment."""
    hand = _milestones()
    # 50: x is between two milestones (paid at 5, fetched only at 100): 45 h > 12 h, late
    # 15 and 16: z was paid at 3; its SLA of 12 h ends at 15 (not late), passes at 16
    cases = [Case(f"hand-made log 3 at now={now:g}", (hand.copy(), now),
                  overdue_reference(hand, now)) for now in (50.0, 15.0, 16.0, 200.0)]
    for name, log in _logs()[2:]:
        end = float(log["time"].max())
        for now in (6.0, 30.0, end + 13.0, end + 500.0):
            cases.append(Case(f"{name} at now={now:g}", (log.copy(), now),
                              overdue_reference(log, now)))
    return check_function("9.3", overdue, cases, shape=_cases)


# ---- 9.4: which option notices an order stuck at Payment first? -------------------------------
HOURS_TOLERANCE = 2.0  # hours: a check runs every hour, so "about 48" is right


@cache
def measured_first_alarm() -> tuple[tuple[str, ...], float]:
    """The options whose alarm about the order stuck at Payment came first, and after how
    many hours (the default run of the side-by-side, the order stuck at Payment)."""
    result = monitoring.run_options(monitoring.OptionsConfig(stuck_at="payment"))
    found = result.first_alarms()
    stuck = found[found["fault"] == "stuck order"].dropna(subset=["hours to detect"])
    best = float(stuck["hours to detect"].min())
    first = tuple(str(o) for o in stuck.loc[stuck["hours to detect"] <= best + 1e-9, "option"])
    return first, best


@revealer("9.4")
def _reveal_9_4() -> str:
    first, hours = measured_first_alarm()
    return f"the run: {' and '.join(first)} first, {hours:.1f} h after the order got stuck"


@never_raises("9.4")
def exercise_9_4(predicted: Any) -> Feedback:
    """Exercise 9.4: the option that notices an order stuck at Payment first, and when."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("9.4")
    pair = as_items(predicted)
    if isinstance(predicted, dict | set | str) or pair is None or len(pair) != 2:
        return failed("9.4", "write a pair (option, hours), e.g. ('mining', 30), got "
                             f"{show(predicted)}")
    if any(p is None or p is Ellipsis for p in pair):
        return not_attempted("9.4")
    option = pair[0].strip().lower() if isinstance(pair[0], str) else None
    if option not in monitoring.OPTIONS:
        return failed("9.4", f"the option must be one of {', '.join(monitoring.OPTIONS)}; got "
                             f"{show(pair[0])}")
    hours = as_number(pair[1])
    if hours is None:
        return failed("9.4", f"the hours must be a number, got {show(pair[1])}")
    first, measured = measured_first_alarm()
    if option not in first:
        return wrong_prediction("9.4", repr(option),
                                "for an order nobody pays, which fires first: a payment "
                                "timer, a quiet rule, a daily job or a span alert?")
    if abs(hours - measured) > HOURS_TOLERANCE:
        return wrong_prediction("9.4", f"{option!r} after {hours:g} h",
                                f"the option is right; after how many hours of quiet does "
                                f"{option} speak up, and how often does it look?")
    return passed("9.4", 2)
