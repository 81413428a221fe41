"""The four patterns, measured: the contrasts the notebook states must hold for every seed."""

import os
import subprocess
import sys
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.trace import validate
from eventlab.scenarios import fowler

seeds = st.integers(min_value=0, max_value=10_000)
small = settings(max_examples=25, deadline=None)


@small
@given(seeds, st.integers(1, 8), st.integers(1, 12))
def test_notification_makes_every_consumer_call_back_once_per_change(seed, consumers, changes):
    result = fowler.run(fowler.Config(pattern="notification", consumers=consumers,
                                      changes=changes, seed=seed))
    assert result.metrics[fowler.Metric.CALLBACKS] == consumers * changes
    assert result.metrics[fowler.Metric.EVENTS_TO_OTHER_SERVICES] == consumers * changes


@small
@given(seeds, st.integers(1, 8), st.integers(1, 12))
def test_state_transfer_needs_no_callback_and_keeps_a_copy_per_consumer(seed, consumers, changes):
    result = fowler.run(fowler.Config(pattern="state_transfer", consumers=consumers,
                                      changes=changes, seed=seed))
    assert result.metrics[fowler.Metric.CALLBACKS] == 0
    assert result.metrics[fowler.Metric.COPIES_OF_ADDRESS] == consumers + 1


@small
@given(seeds, st.integers(1, 8), st.integers(1, 12))
def test_without_network_jitter_every_transferred_copy_ends_up_current(seed, consumers, changes):
    result = fowler.run(fowler.Config(pattern="state_transfer", consumers=consumers,
                                      changes=changes, seed=seed, network_latency=0.0))
    assert result.metrics[fowler.Metric.COPIES_UP_TO_DATE] == consumers + 1


@small
@given(seeds, st.integers(2, 8), st.integers(2, 12))
def test_a_stale_transferred_copy_always_comes_from_out_of_order_delivery(seed, consumers, changes):
    result = fowler.run(fowler.Config(pattern="state_transfer", consumers=consumers,
                                      changes=changes, seed=seed, change_interval=5.0))
    trace = result.trace
    sent = trace[(trace["kind"] == "send") & (trace["message_type"] == "AddressChanged")]
    order = {m: i for i, m in enumerate(sent["message_id"])}
    delivered = trace[(trace["kind"] == "deliver") & (trace["message_type"] == "AddressChanged")]
    arrivals = {actor: [order[m] for m in group["message_id"]]
                for actor, group in delivered.groupby("actor")}
    reordered = [actor for actor, seen in arrivals.items() if seen != sorted(seen)]
    stale = consumers + 1 - result.metrics[fowler.Metric.COPIES_UP_TO_DATE]
    assert stale <= len(reordered)


def test_reordering_really_happens_with_jitter_and_frequent_moves():
    stale = [fowler.run(fowler.Config(pattern="state_transfer", consumers=8, changes=12,
                                      change_interval=5.0, seed=s))
             .metrics[fowler.Metric.COPIES_UP_TO_DATE]
             for s in range(10)]
    assert min(stale) < 9


@small
@given(seeds, st.integers(1, 8), st.integers(1, 12))
def test_state_transfer_is_faster_to_update_consumers_than_notification(seed, consumers, changes):
    base = fowler.Config(consumers=consumers, changes=changes, seed=seed)
    slow = fowler.run(replace(base, pattern="notification")).metrics
    fast = fowler.run(replace(base, pattern="state_transfer")).metrics
    assert fast[fowler.Metric.MEAN_UPDATE_LATENCY_MS] < slow[fowler.Metric.MEAN_UPDATE_LATENCY_MS]


@small
@given(seeds, st.integers(1, 30))
def test_event_sourcing_rebuilds_the_same_state_from_its_log_after_a_restart(seed, changes):
    result = fowler.run(fowler.Config(pattern="event_sourcing", changes=changes, seed=seed))
    assert result.metrics[fowler.Metric.REPLAY_EQUALS_LIVE_STATE] == "yes"
    assert result.metrics[fowler.Metric.EVENTS_REPLAYED] == (changes + 1) // 2
    history = result.history()
    assert history["version"].tolist() == list(range(1, changes + 1))
    faults = result.trace[result.trace["kind"] == "fault"]
    assert len(faults) == 1


@small
@given(seeds, st.integers(1, 12), st.floats(1.0, 500.0))
def test_cqrs_read_model_lags_by_at_most_one_projector_interval(seed, changes, interval):
    result = fowler.run(fowler.Config(pattern="cqrs", changes=changes, seed=seed,
                                      projector_interval=interval))
    lag = result.metrics[fowler.Metric.MEAN_READ_MODEL_LAG_MS]
    assert 0.0 <= lag <= interval + 1e-9
    assert result.metrics[fowler.Metric.COPIES_UP_TO_DATE] == 2  # the log's fold and the read model


def test_a_slower_projector_means_more_stale_reads():
    def stale(interval):
        return sum(fowler.run(fowler.Config(pattern="cqrs", changes=10, seed=s,
                                            projector_interval=interval))
                   .metrics[fowler.Metric.STALE_READS]
                   for s in range(5))

    assert stale(5.0) < stale(400.0)


@small
@given(seeds, st.sampled_from(fowler.PATTERNS))
def test_the_same_seed_gives_the_same_trace(seed, pattern):
    config = fowler.Config(pattern=pattern, seed=seed)
    pd.testing.assert_frame_equal(fowler.run(config).trace, fowler.run(config).trace)


def test_a_different_seed_gives_a_different_trace():
    a = fowler.run(fowler.Config(seed=1)).trace
    b = fowler.run(fowler.Config(seed=2)).trace
    assert not a["time"].equals(b["time"])


def test_the_trace_is_the_same_under_any_python_hash_seed():
    code = ("from eventlab.scenarios import fowler; import hashlib; "
            "t = fowler.run(fowler.Config(pattern='cqrs', consumers=5)).trace; "
            "print(hashlib.sha256(t.to_csv(index=False).encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": str(h)},
                              check=True).stdout for h in (0, 1, 2)}
    assert len(digests) == 1


def test_every_trace_has_the_documented_schema_and_causes_precede_effects():
    for pattern in fowler.PATTERNS:
        trace = fowler.run(fowler.Config(pattern=pattern, consumers=4, changes=5)).trace
        validate(trace)
        assert trace["time"].is_monotonic_increasing
        sent = trace[trace["kind"] == "send"]
        first_seen = dict(zip(sent["message_id"], sent["seq"], strict=True))
        for cause, seq in zip(sent["causation_id"], sent["seq"], strict=True):
            if isinstance(cause, str):
                assert first_seen[cause] < seq


def test_compare_gives_one_row_per_pattern():
    table = fowler.compare(fowler.Config(changes=2))
    assert table.index.tolist() == list(fowler.PATTERNS)
    assert table.loc["notification", fowler.Metric.CALLBACKS] == 6
    assert table.loc["state_transfer", fowler.Metric.CALLBACKS] == 0


def test_the_graph_matches_the_pattern_and_counts_messages_from_the_trace():
    source = fowler.run(fowler.Config(pattern="notification", consumers=2, changes=2)) \
        .graph().source.replace("\\n", " ")
    assert 'Insurance -> CRM [label="GetCustomer → CustomerData ×2"' in source
    # replies travel back along the query's arrow and are not counted as events
    assert 'CRM -> Insurance [label="AddressChanged{id} ×2"' in source
    assert "CRM_event_log" not in source
    es = fowler.run(fowler.Config(pattern="event_sourcing")).graph().source.replace("\\n", " ")
    assert "CRM -> CRM_event_log" in es
    assert "Insurance" not in es


def test_playback_frames_follow_the_trace_and_highlight_the_current_hop():
    result = fowler.run(fowler.Config(pattern="state_transfer", consumers=1, changes=1))
    frames = result.frames()
    assert [f.time for f in frames] == sorted(f.time for f in frames)
    assert frames[0].caption.startswith("t=")
    assert any("penwidth" in f.diagram.source for f in frames)
    last = frames[-1].table
    assert set(last["actor"]) == {"CRM", "Insurance"}


@pytest.mark.parametrize(("kwargs", "error", "word"), [
    ({"pattern": "webhooks"}, ValueError, "pattern"),
    ({"consumers": 0}, ValueError, "consumers"),
    ({"consumers": 9}, ValueError, "consumers"),
    ({"changes": 2.5}, TypeError, "changes"),
    ({"network_latency": float("nan")}, ValueError, "network_latency"),
    ({"crm_query_time": 0.0}, ValueError, "crm_query_time"),
])
def test_bad_settings_are_rejected_before_anything_runs(kwargs, error, word):
    with pytest.raises(error, match=word):
        fowler.Config(**kwargs)


def test_run_rejects_something_that_is_not_its_config():
    with pytest.raises(TypeError, match=r"fowler\.Config"):
        fowler.run({"pattern": "cqrs"})
