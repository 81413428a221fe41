"""Backpressure: in-flight never exceeds the limit, a rejection changes nothing, latency bounded."""

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlab.engines.zeebe.limits import AimdLimit, FixedLimit, NoLimit, RuleLimit, make_limiter
from eventlab.engines.zeebe.records import EXHAUSTED
from eventlab.engines.zeebe.retries import MAX_ATTEMPTS, exponential_backoff, next_delay
from eventlab.scenarios.zeebe import backpressure

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.sampled_from(["fixed", "aimd"]), st.integers(1, 60), st.floats(0.5, 3.0),
       st.sampled_from([1, 4]), st.sampled_from([1, 3]), st.integers(0, 10_000))
def test_in_flight_never_exceeds_the_limit_and_a_rejected_request_changes_nothing(
        algorithm, limit, load, attempts, rf, seed):
    result = backpressure.run(backpressure.Config(
        algorithm=algorithm, limit=limit, load=load, max_attempts=attempts,
        replication_factor=rf, warmup=50.0, duration=150.0, seed=seed))
    limits = result.limits()
    assert (limits["in flight"] <= limits["limit"]).all()
    if algorithm == "fixed":
        assert limits["in flight"].max() <= limit
    requests = result.requests()
    rejected = set(requests.loc[requests["outcome"] == EXHAUSTED, "message_id"])
    trace = result.trace
    appended = set(trace.loc[trace["detail"].fillna("").str.startswith("response")
                             | (trace["detail"] == "processed"), "message_id"])
    assert not rejected & appended, "a rejected request was appended or processed"
    # CompleteJob is never turned away
    jobs = requests[requests["type"] == "CompleteJob"]
    assert (jobs["outcome"] != EXHAUSTED).all()
    # every request counted has ended, after at most max_attempts attempts
    calls = result.calls()
    counted = calls[calls["first_sent"] < 150.0]
    assert (counted["outcome"] != "open").all()
    assert counted["attempts"].between(1, attempts).all()
    assert set(counted["outcome"]) <= {"OK", "gave up", "REJECTED"}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_under_overload_without_a_limit_the_partition_works_for_clients_that_gave_up(seed):
    base = backpressure.Config(load=1.5, seed=seed)
    none = backpressure.run(replace(base, algorithm="none")).metrics
    aimd = backpressure.run(base).metrics
    assert none[backpressure.Metric.REJECTED_ATTEMPTS] == 0
    assert none[backpressure.Metric.WASTED_PROCESSING] > 0.2
    assert aimd[backpressure.Metric.WASTED_PROCESSING] < 0.15
    assert aimd[backpressure.Metric.WASTED_PROCESSING] < none[backpressure.Metric.WASTED_PROCESSING]
    assert aimd[backpressure.Metric.GOODPUT_REQUESTS_S] > \
        none[backpressure.Metric.GOODPUT_REQUESTS_S]
    assert aimd[backpressure.Metric.SUCCEEDED] > none[backpressure.Metric.SUCCEEDED]


def test_without_a_limit_latency_grows_with_the_backlog_until_clients_time_out():
    base = backpressure.Config(algorithm="none", load=1.5, warmup=0.0, seed=4)
    table = backpressure.run(replace(base, duration=400.0)).over_time(100.0)
    p99 = table["p99 latency (ms)"].dropna()
    assert p99.iloc[0] < p99.max()
    assert p99.max() <= base.client_timeout * base.max_attempts + 200.0


def test_below_capacity_nothing_is_rejected_and_every_request_succeeds():
    result = backpressure.run(backpressure.Config(load=0.5, seed=1))
    assert result.metrics[backpressure.Metric.REJECTED_ATTEMPTS] == 0
    assert result.metrics[backpressure.Metric.SUCCEEDED] == 1.0


def test_a_limit_rule_adapts_the_limit_and_a_rule_that_returns_zero_is_refused():
    grows = backpressure.run(backpressure.Config(load=0.5,
                                                 limit_rule=lambda lim, rtt, d: lim + 1))
    assert grows.limits()["limit"].iloc[-1] > 10
    with pytest.raises(ValueError, match="a limit rule must return a number of requests, 1 or"):
        backpressure.run(backpressure.Config(limit_rule=lambda lim, rtt, d: 0))
    with pytest.raises(TypeError, match="limit_rule"):
        backpressure.Config(limit_rule=3)


def test_aimd_backs_off_on_slow_responses_and_grows_when_busy_and_fast():
    limiter = AimdLimit(10, timeout=100.0)
    for _ in range(10):
        assert limiter.try_acquire(0.0)
    assert not limiter.try_acquire(0.0)
    limiter.release(1.0, 5.0)
    assert limiter.limit == 11
    limiter.release(1.0, 500.0)
    assert limiter.limit == 9
    limiter.release(1.0, 5.0, dropped=True)
    assert limiter.limit == 8


def test_fixed_and_no_limit():
    fixed = FixedLimit(2)
    assert [fixed.try_acquire(0.0) for _ in range(3)] == [True, True, False]
    assert fixed.rejected == 1
    fixed.release(1.0, 1.0)
    assert fixed.try_acquire(1.0)
    assert all(NoLimit().try_acquire(0.0) for _ in range(1000))


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: make_limiter("vegas", 10), ValueError, "algorithm"),
    (lambda: FixedLimit(0), ValueError, "limit"),
    (lambda: AimdLimit(10, backoff_ratio=2.0), ValueError, "backoff_ratio"),
    (lambda: AimdLimit(10, minimum=20), ValueError, "minimum"),
    (lambda: backpressure.Config(load=0.0), ValueError, "load"),
    (lambda: backpressure.Config(algorithm="vegas"), ValueError, "algorithm"),
    (lambda: backpressure.run(object()), TypeError, "backpressure.Config"),
    (lambda: backpressure.Config(warmup=600.0, duration=500.0), ValueError, "warmup"),
    (lambda: RuleLimit(10, "fast"), TypeError, "rule"),
])
def test_bad_backpressure_input_is_rejected(call, error, words):
    with pytest.raises(error, match=words):
        call()


@SETTINGS
@given(st.floats(0.0, 100.0), st.integers(1, 20), st.integers(1, 25), st.floats(0.0, 0.999))
def test_exponential_backoff_waits_at_most_first_times_two_to_the_failures_and_then_gives_up(
        first, attempts, attempt, draw):
    delay = next_delay(exponential_backoff(first, attempts), attempt, draw)
    if attempt >= attempts or attempt >= MAX_ATTEMPTS:
        assert delay is None
    else:
        assert delay is not None
        assert 0.0 <= delay <= first * 2 ** (attempt - 1)


@pytest.mark.parametrize(("policy", "words"), [
    (lambda attempt, draw: -1.0, "a retry policy must return a delay in ms"),
    (lambda attempt, draw: float("nan"), "after attempt 1 it returned nan"),
    (lambda attempt, draw: "soon", "it returned 'soon'"),
])
def test_a_retry_policy_that_answers_no_delay_is_refused_naming_what_it_returned(policy, words):
    with pytest.raises(ValueError, match=words):
        next_delay(policy, 1, 0.5)
