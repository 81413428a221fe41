"""Answer tables for exercises 9.1 to 9.3: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from checktable import assert_accepted, assert_rejected, ids, never_returns

from eventlab import checks
from eventlab.checks.nb09 import RECORDED, SLA
from eventlab.scenarios import monitoring


# ---- 9.1: directly-follows counts ------------------------------------------------------------
def _solution_9_1(log):
    counts = {}
    ordered = log.sort_values("time", kind="stable")
    for _, case in ordered.groupby("correlation_id", sort=False):
        for a, b in itertools.pairwise(case["message_type"]):
            counts[(a, b)] = counts.get((a, b), 0) + 1
    return counts


def _once_per_case(log):  # the classic mix-up: how many cases have the pair, not how often
    counts = Counter()
    ordered = log.sort_values("time", kind="stable")
    for _, case in ordered.groupby("correlation_id", sort=False):
        counts.update(set(itertools.pairwise(case["message_type"])))
    return dict(counts)


def _across_cases(log):  # pairs of the whole log, not per case
    ordered = log.sort_values("time", kind="stable")
    return dict(Counter(itertools.pairwise(ordered["message_type"])))


def _unsorted(log):  # the log's row order, not time
    counts = Counter()
    for _, case in log.groupby("correlation_id", sort=False):
        counts.update(itertools.pairwise(case["message_type"]))
    return dict(counts)


def _unstable_sort(log):  # ties in time lose the log's order
    counts = Counter()
    ordered = log.sort_values(["time", "message_type"])
    for _, case in ordered.groupby("correlation_id", sort=False):
        counts.update(itertools.pairwise(case["message_type"]))
    return dict(counts)


def _no_self_flows(log):
    return {pair: n for pair, n in _solution_9_1(log).items() if pair[0] != pair[1]}


def _pairs_as_set(log):
    return set(_solution_9_1(log))


WRONG_9_1 = [
    ("counts each pair once per case", _once_per_case),
    ("pairs across cases", _across_cases),
    ("the log's row order instead of time", _unsorted),
    ("ties in time sorted by name", _unstable_sort),
    ("drops self-flows", _no_self_flows),
    ("a set of pairs without counts", _pairs_as_set),
    ("never returns", never_returns),
]


def _series(log):
    ordered = log.sort_values("time", kind="stable")
    nxt = ordered.groupby("correlation_id")["message_type"].shift(-1)
    pairs = pd.DataFrame({"from": ordered["message_type"], "to": nxt}).dropna()
    return pairs.value_counts()  # a Series with a (from, to) MultiIndex


def _table(log):
    counts = _solution_9_1(log)
    return pd.DataFrame([(a, b, n) for (a, b), n in counts.items()],
                        columns=["from", "to", "count"])


RIGHT_9_1 = [("a dict of counts", _solution_9_1), ("pandas value_counts (a Series)", _series),
             ("a from/to/count table", _table)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_9_1, ids=ids(WRONG_9_1))
def test_exercise_9_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_9_1, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_9_1, ids=ids(RIGHT_9_1))
def test_exercise_9_1_accepts(approach, answer):
    assert_accepted(checks.exercise_9_1, answer)


def test_exercise_9_1_names_the_pair_that_differs_in_one_short_line():
    feedback = assert_rejected(checks.exercise_9_1, _once_per_case)
    assert "retried payment" in repr(feedback)
    assert "('Placed', 'Paid'): 3" in repr(feedback)
    assert "('Placed', 'Paid'): 2" in repr(feedback)


# ---- 9.2: the traces that never completed ----------------------------------------------------
LOG = monitoring.read_monitor_log(RECORDED)
DONE = set(LOG.loc[LOG["messageType"] == "OrderCompletedEvent", "traceId"])
OPEN = LOG[~LOG["traceId"].isin(DONE)].sort_values("timestamp", kind="stable")
LAST = OPEN.groupby("traceId")["messageType"].last()

WRONG_9_2 = [
    ("the first message, not the last", OPEN.groupby("traceId")["messageType"].first()
     .to_dict()),
    ("every trace, completed or not", LOG.sort_values("timestamp", kind="stable")
     .groupby("traceId")["messageType"].last().to_dict()),
    ("the traces that did complete", LOG[LOG["traceId"].isin(DONE)]
     .groupby("traceId")["messageType"].last().to_dict()),
    ("a list of trace ids", list(LAST.index)),
    ("one trace missing", dict(list(LAST.to_dict().items())[1:])),
    ("the count of messages per trace", OPEN.groupby("traceId").size().to_dict()),
]
RIGHT_9_2 = [("a dict", LAST.to_dict()), ("a pandas Series", LAST),
             ("a two-column table", LAST.reset_index())]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_9_2, ids=ids(WRONG_9_2))
def test_exercise_9_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_9_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_9_2, ids=ids(RIGHT_9_2))
def test_exercise_9_2_accepts(approach, answer):
    assert_accepted(checks.exercise_9_2, answer)


# ---- 9.3: the tracker's SLA rule -------------------------------------------------------------
def _tracker(seen_rows, late):
    def overdue(log, now):
        seen = seen_rows(log, now)
        seen = seen[seen["message_type"].isin([*SLA, "GoodsShippedEvent"])]
        latest = seen.sort_values("time", kind="stable").groupby("correlation_id").last()
        out = []
        for case, row in latest.iterrows():
            step = SLA.get(row["message_type"])
            if step is not None and late(now - row["time"], step[1]):
                out.append(case)
        return out
    return overdue


def _until_now(log, now):
    return log[log["time"] <= now]


def _every_row(log, now):
    return log


def _first_milestone(log, now):
    seen = log[(log["time"] <= now) & log["message_type"].isin([*SLA, "GoodsShippedEvent"])]
    first = seen.sort_values("time", kind="stable").groupby("correlation_id").first()
    return [c for c, row in first.iterrows()
            if row["message_type"] in SLA and now - row["time"] > SLA[row["message_type"]][1]]


def _any_message(log, now):  # the latest message of any type, milestone or not
    seen = log[log["time"] <= now].sort_values("time", kind="stable")
    latest = seen.groupby("correlation_id").last()
    return [c for c, row in latest.iterrows()
            if row["message_type"] in SLA and now - row["time"] > SLA[row["message_type"]][1]]


WRONG_9_3 = [
    ("reads rows after now", _tracker(_every_row, lambda waited, sla: waited > sla)),
    ("late at exactly the SLA (>=)", _tracker(_until_now, lambda waited, sla: waited >= sla)),
    ("the first milestone, not the latest", _first_milestone),
    ("the latest message of any type", _any_message),
    ("one SLA for every step", _tracker(_until_now, lambda waited, sla: waited > 12)),
    ("every open case is late", lambda log, now: sorted(set(log["correlation_id"]))),
    ("never returns", never_returns),
]


def _solution_9_3(log, now):
    limits = {"OrderPlacedEvent": 480, "PaymentReceivedEvent": 12, "GoodsFetchedEvent": 24,
              "GoodsShippedEvent": None}
    seen = log[(log["time"] <= now) & log["message_type"].isin(list(limits))]
    latest = seen.sort_values("time", kind="stable").groupby("correlation_id").last()
    late = latest[[limits[m] is not None and now - t > limits[m]
                   for m, t in zip(latest["message_type"], latest["time"], strict=True)]]
    return late.index  # an Index: any collection of case ids will do


RIGHT_9_3 = [("pandas, returning an Index", _solution_9_3),
             ("a loop, returning a set", lambda log, now: set(_tracker(
                 _until_now, lambda waited, sla: waited > sla)(log, now)))]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_9_3, ids=ids(WRONG_9_3))
def test_exercise_9_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_9_3, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_9_3, ids=ids(RIGHT_9_3))
def test_exercise_9_3_accepts(approach, answer):
    assert_accepted(checks.exercise_9_3, answer)


# ---- 9.4: which option notices an order stuck at Payment first? -----------------------------
WRONG_9_4 = [
    ("tracking is always first", ("tracking", 12)),
    ("the payment timer decides", ("tracking", 480)),
    ("tracing sees every order", ("tracing", 0)),
    ("a daily mining job sees it at once", ("mining", 48)),
    ("the right option, its check forgotten", ("monitor", 24)),
    ("the right option, a day too late", ("monitor", 72)),
    ("the option alone, no hours", "monitor"),
    ("hours as words", ("monitor", "two days")),
]
RIGHT_9_4 = [("a tuple", ("monitor", 48)), ("a list with the hours of one check later",
                                             ["monitor", 49.0]),
             ("capitalised, numpy hours", ("Monitor", np.float64(48.5)))]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_9_4, ids=ids(WRONG_9_4))
def test_exercise_9_4_rejects(misconception, answer):
    assert_rejected(checks.exercise_9_4, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_9_4, ids=ids(RIGHT_9_4))
def test_exercise_9_4_accepts(approach, answer):
    assert_accepted(checks.exercise_9_4, answer)


def test_exercise_9_4_answers_a_first_wrong_option_with_a_hint_not_the_run():
    feedback = assert_rejected(checks.exercise_9_4, ("tracking", 480))
    assert "Hint" in repr(feedback)
    assert "48." not in repr(feedback)
