"""Notebook 09's checkers accept the reference, reject typical mistakes, and never raise."""

import itertools

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import checks
from eventlab.checks import nb09
from eventlab.scenarios import monitoring
from eventlab.scenarios.retail import choreography

SLA = {"OrderPlacedEvent": 480, "PaymentReceivedEvent": 12, "GoodsFetchedEvent": 24,
       "GoodsShippedEvent": None}


def directly_follows_counts(log):
    counts = {}
    for _, case in log.sort_values("time", kind="stable").groupby("correlation_id", sort=False):
        steps = list(case["message_type"])
        for a, b in itertools.pairwise(steps):
            counts[(a, b)] = counts.get((a, b), 0) + 1
    return counts


def in_log_order(log):  # a typical mistake: trusts the rows to be sorted
    counts = {}
    for _, case in log.groupby("correlation_id", sort=False):
        steps = list(case["message_type"])
        for a, b in itertools.pairwise(steps):
            counts[(a, b)] = counts.get((a, b), 0) + 1
    return counts


def overdue(log, now):
    seen = log[(log["time"] <= now) & log["message_type"].isin(list(SLA))]
    latest = seen.sort_values("time", kind="stable").groupby("correlation_id").last()
    return [c for c, m, t in zip(latest.index, latest["message_type"], latest["time"],
                                 strict=True) if SLA[m] is not None and now - t > SLA[m]]


def overdue_ignoring_now(log, now):  # a typical mistake: looks at the whole log
    return overdue(log, float("inf")) if now < float("inf") else []


def stub(*_):
    raise NotImplementedError


def test_exercise_9_1_accepts_a_stable_sort_per_case_and_rejects_log_order():
    assert repr(checks.exercise_9_1(directly_follows_counts)) == "✓ Exercise 9.1 passed (5 cases)"
    verdict = repr(checks.exercise_9_1(in_log_order))
    assert verdict.startswith("✗ Exercise 9.1: for hand-made log 1 (ties in time")


def test_exercise_9_2_compares_every_open_trace_and_its_last_message():
    answer = nb09.recorded_never_completed()
    assert len(answer) == 10
    assert answer["trace-0017"] == "CreditCardUpdated"  # updated after payment gave up
    assert repr(checks.exercise_9_2(dict(answer))) == "✓ Exercise 9.2 passed (10 cases)"
    missing = dict(answer)
    missing.pop("trace-0020")
    assert repr(checks.exercise_9_2(missing)) == (
        "✗ Exercise 9.2: 1 trace(s) never completed but are missing, for example trace-0020")
    wrong = {**answer, "trace-0017": "UpdateCreditCardCommand"}
    assert ("for trace-0017 expected the last message 'CreditCardUpdated', got "
            "'UpdateCreditCardCommand'") in repr(checks.exercise_9_2(wrong))
    assert "it did complete" in repr(checks.exercise_9_2({**answer, "trace-0001": "x"}))
    assert repr(checks.exercise_9_2([1, 2])).startswith("✗ Exercise 9.2: write a dict")


def test_exercise_9_3_applies_the_sla_rule_at_the_given_moment():
    assert repr(checks.exercise_9_3(overdue)) == "✓ Exercise 9.3 passed (16 cases)"
    assert repr(checks.exercise_9_3(overdue_ignoring_now)).startswith("✗ Exercise 9.3: for ")
    assert repr(checks.exercise_9_3(lambda log, now: "trace-0001")).startswith("✗")


def test_a_stub_or_nothing_is_not_attempted_yet():
    assert repr(checks.exercise_9_1(stub)) == "Exercise 9.1: not attempted yet"
    assert repr(checks.exercise_9_2(None)) == "Exercise 9.2: not attempted yet"
    assert repr(checks.exercise_9_3(stub)) == "Exercise 9.3: not attempted yet"


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 5000), st.sampled_from(["sequential", "parallel"]))
def test_the_sla_rule_on_the_log_finds_exactly_the_stuck_orders_the_tracker_detects(seed, style):
    run = choreography.run(choreography.Config(orders=10, seed=seed, style=style, tracking=True,
                                               drop_payment=0.1, drop_inventory=0.1,
                                               drop_shipping=0.1, p_card=0.3))
    log = monitoring.message_log(run.trace)
    late = set(nb09.overdue_reference(log, float(log["time"].max()) + 1000.0))
    stuck = run.facts[run.facts["outcome"] != "completed"]
    assert late == set(stuck["trace"])
    assert stuck["detected"].all()


def test_the_reference_ignores_rows_after_now_and_non_milestones():
    log = pd.DataFrame({"time": [0.0, 1.0, 30.0], "correlation_id": ["a", "a", "a"],
                        "message_type": ["OrderPlacedEvent", "PaymentReceivedEvent",
                                         "CustomerCreditUsedEvent"]})
    assert nb09.overdue_reference(log, 12.5) == []
    assert nb09.overdue_reference(log, 13.5) == ["a"]
    assert nb09.overdue_reference(log.iloc[:1], 481.0) == ["a"]
