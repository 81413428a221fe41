"""Backpressure: in-flight never exceeds the limit, a rejection changes nothing, latency bounded."""

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlab.engines.zeebe.limits import AimdLimit, FixedLimit, NoLimit, make_limiter
from eventlab.engines.zeebe.records import EXHAUSTED
from eventlab.scenarios.zeebe import backpressure

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.sampled_from(["fixed", "aimd"]), st.integers(1, 60), st.floats(0.5, 3.0),
       st.sampled_from([0.0, 5.0]), st.sampled_from([1, 3]), st.integers(0, 10_000))
def test_in_flight_never_exceeds_the_limit_and_a_rejected_request_changes_nothing(
        algorithm, limit, load, retry, rf, seed):
    result = backpressure.run(backpressure.Config(
        algorithm=algorithm, limit=limit, load=load, retry_backoff=retry,
        replication_factor=rf, duration=150.0, seed=seed))
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


def test_without_a_limit_latency_grows_with_time_and_with_one_it_stays_bounded():
    base = backpressure.Config(load=1.5, seed=4)
    none = [backpressure.run(replace(base, algorithm="none", duration=d))
            for d in (200.0, 400.0, 800.0)]
    p99 = [r.metrics[backpressure.Metric.P99_LATENCY_MS] for r in none]
    assert p99[0] < p99[1] < p99[2]
    assert all(r.metrics[backpressure.Metric.REJECTED] == 0 for r in none)
    fixed = [backpressure.run(replace(base, algorithm="fixed", limit=20, duration=d))
             for d in (200.0, 800.0)]
    for r in fixed:
        assert r.metrics[backpressure.Metric.P99_LATENCY_MS] < 40.0  # about limit × process time
        assert r.metrics[backpressure.Metric.REJECTED] > 0
    aimd = backpressure.run(replace(base, duration=800.0))
    assert aimd.metrics[backpressure.Metric.P99_LATENCY_MS] < p99[2] / 3


def test_below_capacity_nothing_is_rejected():
    result = backpressure.run(backpressure.Config(algorithm="fixed", limit=50, load=0.5, seed=1))
    assert result.metrics[backpressure.Metric.REJECTED] == 0


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
])
def test_bad_backpressure_input_is_rejected(call, error, words):
    with pytest.raises(error, match=words):
        call()
