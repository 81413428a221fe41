"""The four patterns, measured: the contrasts the notebook states must hold for every seed."""

import os
import subprocess
import sys
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.comparison import vary
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
def test_state_transfer_needs_no_callback_and_notification_copies_end_current(seed, consumers,
                                                                              changes):
    base = fowler.Config(consumers=consumers, changes=changes, seed=seed)
    transfer = fowler.run(replace(base, pattern="state_transfer")).metrics
    notified = fowler.run(replace(base, pattern="notification")).metrics
    assert transfer[fowler.Metric.CALLBACKS] == 0
    # a callback returns the CRM's address of that moment, so a notified copy ends current
    assert notified[fowler.Metric.STALE_COPIES_AT_END] == 0


@small
@given(seeds, st.integers(1, 8), st.integers(1, 12))
def test_without_network_jitter_every_transferred_copy_ends_up_current(seed, consumers, changes):
    result = fowler.run(fowler.Config(pattern="state_transfer", consumers=consumers,
                                      changes=changes, seed=seed, network_latency=0.0))
    assert result.metrics[fowler.Metric.STALE_COPIES_AT_END] == 0


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
    assert result.metrics[fowler.Metric.STALE_COPIES_AT_END] <= len(reordered)


def test_reordering_really_happens_with_jitter_and_frequent_moves():
    stale = [fowler.run(fowler.Config(pattern="state_transfer", consumers=8, changes=12,
                                      change_interval=5.0, seed=s))
             .metrics[fowler.Metric.STALE_COPIES_AT_END]
             for s in range(10)]
    assert max(stale) > 0


@small
@given(seeds, st.sampled_from(fowler.PATTERNS), st.integers(1, 8), st.integers(1, 12))
def test_a_copy_is_out_of_date_at_least_as_long_as_its_slowest_update(seed, pattern, consumers,
                                                                       changes):
    metrics = fowler.run(fowler.Config(pattern=pattern, consumers=consumers, changes=changes,
                                       seed=seed)).metrics
    longest, mean = (metrics[fowler.Metric.LONGEST_STALE_MS],
                     metrics[fowler.Metric.MEAN_UPDATE_LATENCY_MS])
    if pattern == "event_sourcing":  # nobody outside the CRM keeps a copy
        assert longest == mean == "—"
    elif pattern == "state_transfer":  # every update carries its own change
        assert longest >= mean - 1e-9
    else:
        # A callback (or a projector poll) fetches the latest state, so one answer can bring
        # a copy up to date for a later change before that change's own update arrives: the
        # staleness can end sooner than an update's latency. It is still there, though.
        assert longest > 0


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
    assert result.metrics[fowler.Metric.RECORDS_READ_AT_RESTART] == (changes + 1) // 2
    history = result.history()
    assert history["version"].tolist() == list(range(1, changes + 1))
    faults = result.trace[result.trace["kind"] == "fault"]
    assert len(faults) == 1


@small
@given(seeds, st.sampled_from(fowler.PATTERNS), st.integers(1, 30))
def test_every_pattern_meets_the_same_restart_and_recovers_the_address_it_had(seed, pattern,
                                                                              changes):
    result = fowler.run(fowler.Config(pattern=pattern, changes=changes, seed=seed))
    trace = result.trace
    fault = trace[trace["kind"] == "fault"]
    assert len(fault) == 1
    crm = trace[(trace["kind"] == "state") & (trace["actor"] == "CRM")
                & (trace["entity"] == "address")]
    before = crm[crm["time"] <= fault["time"].iloc[0]]["value"].iloc[-1]
    recovered = crm[crm["detail"].notna()]["value"].iloc[-1]
    assert recovered == before
    read = result.metrics[fowler.Metric.RECORDS_READ_AT_RESTART]
    # a row is read back once; a log is replayed event by event
    assert read == ((changes + 1) // 2 if pattern in fowler.EVENT_SOURCED else 1)


@small
@given(seeds, st.sampled_from(fowler.PATTERNS), st.integers(1, 30))
def test_only_an_event_sourced_crm_keeps_every_address_it_ever_had(seed, pattern, changes):
    result = fowler.run(fowler.Config(pattern=pattern, changes=changes, seed=seed))
    kept = result.metrics[fowler.Metric.VERSIONS_KEPT]
    # the CQRS change table is emptied by the projector, so only the row is left
    assert kept == (changes if pattern in fowler.EVENT_SOURCED else 1)


@small
@given(seeds, st.sampled_from(fowler.CQRS), st.integers(1, 12), st.floats(1.0, 500.0))
def test_cqrs_read_model_lags_by_at_most_one_projector_interval(seed, pattern, changes, interval):
    result = fowler.run(fowler.Config(pattern=pattern, changes=changes, seed=seed,
                                      projector_interval=interval))
    lag = result.metrics[fowler.Metric.MEAN_READ_MODEL_LAG_MS]
    assert 0.0 <= lag <= interval + 1e-9
    assert result.metrics[fowler.Metric.STALE_COPIES_AT_END] == 0  # the last poll caught up


@small
@given(seeds, st.sampled_from(fowler.CQRS), st.integers(1, 8), st.integers(1, 12))
def test_cqrs_readers_ask_only_the_query_side_and_it_reads_only_the_read_model(seed, pattern,
                                                                             consumers, changes):
    result = fowler.run(fowler.Config(pattern=pattern, consumers=consumers, changes=changes,
                                      seed=seed))
    trace = result.trace
    readers = set(fowler.CONSUMER_NAMES[:consumers])
    to_crm = trace[(trace["kind"] == "deliver") & (trace["actor"] == "CRM")]
    assert not set(to_crm["target"]) & readers  # no reader touches the write side
    reads = trace[trace["kind"] == "note"]
    assert set(reads["actor"]) <= {"CRM query API"}
    assert len(reads) == result.metrics[fowler.Metric.READS_OF_READ_MODEL]
    stale = int(reads["detail"].str.startswith("stale").sum())
    assert stale == result.metrics[fowler.Metric.STALE_READS] <= len(reads)
    # every answer carries what the read model held at that moment
    model = trace[(trace["kind"] == "state") & (trace["actor"] == "Read model")]
    for time, value in zip(reads["time"], reads["value"], strict=True):
        held = model[model["time"] <= time]["value"]
        assert value == (held.iloc[-1] if len(held) else "(nothing yet)")


@small
@given(seeds, st.integers(1, 12), st.floats(1.0, 300.0))
def test_cqrs_with_a_table_and_with_an_event_log_differ_only_in_what_the_write_side_keeps(
        seed, changes, interval):
    base = fowler.Config(changes=changes, seed=seed, projector_interval=interval)
    table = fowler.run(replace(base, pattern="cqrs")).metrics
    log = fowler.run(replace(base, pattern="cqrs_event_sourced")).metrics
    assert table[fowler.Metric.CALLBACKS] == log[fowler.Metric.CALLBACKS] == 0
    assert table[fowler.Metric.EVENTS_TO_OTHER_SERVICES] == 0
    assert log[fowler.Metric.EVENTS_TO_OTHER_SERVICES] == 0
    assert table[fowler.Metric.VERSIONS_KEPT] == 1
    assert log[fowler.Metric.VERSIONS_KEPT] == changes


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
    cqrs = fowler.run(fowler.Config(pattern="cqrs", consumers=1)).graph().source
    assert "CRM -> CRM_database" in cqrs
    assert "CRM_database -> Projector" in cqrs
    assert "Insurance -> CRM_query_API" in cqrs
    assert "Insurance -> CRM " not in cqrs
    logged = fowler.run(fowler.Config(pattern="cqrs_event_sourced")).graph().source
    assert "CRM_event_log -> Projector" in logged
    assert "CRM_database" not in logged


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


# -- the sentences notebook 01 states over 20 seeds (the notebook's own comparisons) -----------

def test_over_20_seeds_state_transfer_beats_notification_on_latency_staleness_and_bytes():
    pair = vary(fowler.run, fowler.Config(), "pattern", ["notification", "state_transfer"],
                n_jobs=1)
    for metric in (fowler.Metric.MEAN_UPDATE_LATENCY_MS, fowler.Metric.LONGEST_STALE_MS,
                   fowler.Metric.BYTES_ON_WIRE, fowler.Metric.CALLBACKS):
        assert pair.difference(metric, "state_transfer", "notification")["verdict"] == \
            "b higher"


def test_over_20_seeds_event_sourcing_changes_what_cqrs_keeps_but_not_what_readers_see():
    split = vary(fowler.run, fowler.Config(), "pattern", ["cqrs", "cqrs_event_sourced"],
                 n_jobs=1)
    table, log = split.sides["cqrs"], split.sides["cqrs_event_sourced"]
    assert table.values(fowler.Metric.STALE_READS).equals(log.values(fowler.Metric.STALE_READS))
    lag = split.difference(fowler.Metric.MEAN_READ_MODEL_LAG_MS, "cqrs_event_sourced", "cqrs")
    assert lag["verdict"] == "no clear difference"
    kept = split.difference(fowler.Metric.VERSIONS_KEPT, "cqrs_event_sourced", "cqrs")
    assert kept["verdict"] == "a higher"


def test_over_20_seeds_more_consumers_slow_notification_down_but_not_state_transfer():
    base = fowler.Config()
    growth = vary(fowler.run, base, "consumers", [1, 8], n_jobs=1)
    flat = vary(fowler.run, replace(base, pattern="state_transfer"), "consumers", [1, 8],
                n_jobs=1)
    latency = fowler.Metric.MEAN_UPDATE_LATENCY_MS
    assert growth.difference(latency, "8", "1")["verdict"] == "a higher"
    assert flat.difference(latency, "8", "1")["verdict"] == "no clear difference"
