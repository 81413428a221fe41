"""Notification vs state transfer, measured: notebook 07's contrasts hold for every seed."""

import hashlib
import os
import subprocess
import sys
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.trace import validate
from eventlab.domains.crm.config import windows
from eventlab.scenarios import crm

seeds = st.integers(min_value=0, max_value=10_000)
small = settings(max_examples=25, deadline=None)
quick = settings(max_examples=12, deadline=None)  # for the tests that run the CRM 3-5 times
SHORT = crm.Config(duration=4000.0)  # half the default run: the same story, faster tests


def interested(field, consumers):
    return sum(field in c.cares_about for c in crm.CONSUMERS[:consumers])


@quick
@given(seeds, st.integers(1, 8))
def test_notification_calls_back_once_per_event_copy_and_state_transfer_never(seed, consumers):
    base = replace(SHORT, seed=seed, consumers=consumers, downtime=0.0)
    notified = crm.run(base).metrics
    transferred = crm.run(replace(base, pattern="state_transfer")).metrics
    assert notified[crm.Metric.CALLBACKS] == notified[crm.Metric.EVENT_COPIES_DELIVERED]
    assert transferred[crm.Metric.CALLBACKS] == 0
    assert transferred[crm.Metric.CRM_QUERIES_PER_SECOND] == 0.0


@quick
@given(seeds)
def test_notification_load_on_the_crm_grows_with_consumers_while_state_transfer_stays_flat(seed):
    def load(pattern, consumers):
        config = replace(SHORT, pattern=pattern, consumers=consumers, seed=seed, lookup_rate=0.0)
        return crm.run(config).metrics[crm.Metric.CRM_QUERIES_PER_SECOND]

    assert load("notification", 1) < load("notification", 4) < load("notification", 8)
    assert load("state_transfer", 1) == load("state_transfer", 8) == 0.0


@quick
@given(seeds, st.integers(1, 8), st.sampled_from([5.0, 25.0, 60.0]))
def test_the_crm_queue_is_measured_consistently_from_the_trace(seed, consumers, query_time):
    config = replace(SHORT, seed=seed, consumers=consumers, crm_query_time=query_time)
    result = crm.run(config)
    m = result.metrics
    trace = result.trace
    api = trace[trace["channel"] == "crm-api"]
    arrived = dict(zip(api.loc[(api["kind"] == "deliver") & (api["actor"] == "CRM"),
                               "message_id"],
                       api.loc[(api["kind"] == "deliver") & (api["actor"] == "CRM"), "time"],
                       strict=True))
    replies = api[(api["kind"] == "send") & (api["actor"] == "CRM")]
    # Little's law over the run: the time-averaged number at the CRM is the time all queries
    # spent there (cut at the end of the run), divided by the run's length.
    spent = sum(min(t, config.duration) - min(arrived[c], config.duration)
                for c, t in zip(replies["causation_id"], replies["time"], strict=True))
    assert m[crm.Metric.MEAN_QUERIES_AT_CRM] == pytest.approx(spent / config.duration,
                                                             abs=1e-3)
    assert 0.0 <= m[crm.Metric.CRM_BUSY_PCT] <= 100.0
    assert m[crm.Metric.MEAN_WAIT_AT_CRM_MS] >= 0.0
    # never more answers per second than one CRM answering one query at a time can give
    answered = int(((replies["message_type"] == "CustomerData")
                    & (replies["time"] <= config.duration)).sum())
    assert m[crm.Metric.CRM_QUERIES_PER_SECOND] == round(answered / 4.0, 2)
    transfer = crm.run(replace(config, pattern="state_transfer")).metrics
    assert transfer[crm.Metric.MEAN_QUERIES_AT_CRM] == transfer[crm.Metric.CRM_BUSY_PCT] \
        == transfer[crm.Metric.MEAN_WAIT_AT_CRM_MS] == 0.0


def test_a_slow_crm_saturates_as_consumers_are_added_and_the_latency_absorbs_the_rest():
    # Notebook 07's load sweep: a CRM that is always up and answers at most 25 queries a second.
    slow = replace(crm.Config(), crm_query_time=40.0, downtime=0.0)

    def measured(consumers):
        runs = [crm.run(replace(slow, consumers=consumers, seed=s)).metrics for s in range(3)]
        return {name: sum(r[name] for r in runs) / len(runs) for name in (
            crm.Metric.CRM_QUERIES_ASKED_PER_SECOND, crm.Metric.CRM_QUERIES_PER_SECOND,
            crm.Metric.CRM_BUSY_PCT, crm.Metric.MEAN_QUERIES_AT_CRM,
            crm.Metric.MEAN_WAIT_AT_CRM_MS, crm.Metric.MEAN_END_TO_END_LATENCY_MS)}

    one, four, eight = measured(1), measured(4), measured(8)
    asked, answered = crm.Metric.CRM_QUERIES_ASKED_PER_SECOND, crm.Metric.CRM_QUERIES_PER_SECOND
    assert one[answered] == pytest.approx(one[asked], rel=0.05)  # far from saturation
    assert eight[crm.Metric.CRM_BUSY_PCT] > 85.0  # busy nearly all the time
    assert eight[answered] <= 25.0  # one query at a time, 40 ms each on average
    # the load doubles from 4 to 8 consumers; the wait and the latency grow far faster
    load = eight[asked] / four[asked]
    assert load < 2.5
    for late in (crm.Metric.MEAN_WAIT_AT_CRM_MS, crm.Metric.MEAN_END_TO_END_LATENCY_MS):
        assert eight[late] / four[late] > 2 * load
    assert one[crm.Metric.MEAN_QUERIES_AT_CRM] < four[crm.Metric.MEAN_QUERIES_AT_CRM] \
        < eight[crm.Metric.MEAN_QUERIES_AT_CRM]


@small
@given(seeds, st.integers(1, 8))
def test_every_callback_matches_a_change_its_consumer_cares_about(seed, consumers):
    config = replace(SHORT, seed=seed, consumers=consumers, downtime=0.0, lookup_rate=0.0)
    result = crm.run(config)
    kinds = result.trace[(result.trace["kind"] == "state") & (result.trace["actor"] == "CRM")]
    addresses = int(kinds["detail"].isin(["move", "correction"]).sum())
    statuses = int((kinds["detail"] == "status").sum())
    expected = (addresses * interested("address", consumers)
                + statuses * interested("status", consumers))
    assert result.metrics[crm.Metric.CALLBACKS] == expected


@quick
@given(seeds)
def test_while_the_crm_is_down_notification_consumers_fail_and_transfer_consumers_answer(seed):
    base = replace(SHORT, seed=seed, lookup_rate=3.0)
    for pattern, answered in (("notification", 0.0), ("state_transfer", 100.0)):
        result = crm.run(replace(base, pattern=pattern))
        table = result.look_ups()
        down = result.metrics[crm.Metric.LOOK_UPS_WHILE_CRM_DOWN]
        assert down > 0
        assert result.metrics[crm.Metric.ANSWERED_WHILE_CRM_DOWN_PCT] == answered
        assert table.loc["CRM down"].sum() == down
        if pattern == "state_transfer":
            assert "failed" not in table.columns


def test_state_transfer_consumers_serve_stale_data_while_the_crm_is_down():
    stale = [int(crm.run(replace(crm.Config(), pattern="state_transfer", seed=s))
                 .look_ups().loc["CRM down"].get("stale", 0)) for s in range(12)]
    assert sum(stale) > 0
    fresh_while_up = [int(crm.run(replace(crm.Config(), pattern="state_transfer", seed=s,
                                          downtime=0.0)).metrics[
        crm.Metric.LOOK_UPS_STALE]) for s in range(12)]
    assert sum(fresh_while_up) < sum(stale)


@quick
@given(seeds)
def test_state_transfer_updates_copies_faster_than_notification(seed):
    base = replace(SHORT, seed=seed)
    slow = crm.run(base).metrics[crm.Metric.MEAN_END_TO_END_LATENCY_MS]
    fast = crm.run(replace(base, pattern="state_transfer")).metrics[
        crm.Metric.MEAN_END_TO_END_LATENCY_MS]
    assert fast < slow


@small
@given(seeds, st.sampled_from(crm.PAYLOADS))
def test_without_late_copies_or_downtime_every_copy_ends_up_current(seed, payload):
    config = replace(SHORT, seed=seed, pattern="state_transfer", payload=payload, downtime=0.0,
                     network_latency=0.0)
    metrics = crm.run(config).metrics
    assert metrics[crm.Metric.STALE_ADDRESS_COPIES_AT_END] == 0
    assert metrics[crm.Metric.SILENT_STALE_OVERWRITES] == 0


@small
@given(seeds, st.sampled_from(("address_delta", "customer_moved")))
def test_delta_consumers_detect_late_copies_and_never_end_stale(seed, payload):
    config = replace(SHORT, seed=seed, pattern="state_transfer", payload=payload,
                     duplicates=0.3, reorder=0.3)
    metrics = crm.run(config).metrics
    assert metrics[crm.Metric.SILENT_STALE_OVERWRITES] == 0
    assert metrics[crm.Metric.STALE_ADDRESS_COPIES_AT_END] == 0
    assert metrics[crm.Metric.REACTIONS_TO_STALE_DATA] == 0


@small
@given(seeds, st.sampled_from(("address_full", "customer_changed")))
def test_a_full_state_copy_is_only_ever_stale_after_a_silent_overwrite(seed, payload):
    config = replace(SHORT, seed=seed, pattern="state_transfer", payload=payload,
                     duplicates=0.3, reorder=0.3)
    metrics = crm.run(config).metrics
    if metrics[crm.Metric.STALE_ADDRESS_COPIES_AT_END]:
        assert metrics[crm.Metric.SILENT_STALE_OVERWRITES] > 0
    assert metrics[crm.Metric.OUT_OF_ORDER_EVENTS_DETECTED] == 0


def test_full_state_designs_really_go_stale_under_reordering():
    table = crm.compare_designs(replace(crm.Config(), reorder=0.2, lookup_rate=0.0), seeds=4)
    stale = table[crm.Metric.STALE_ADDRESS_COPIES_AT_END]
    assert stale["address_full"] > 0
    assert stale["customer_changed"] > 0
    assert stale["address_delta"] == stale["customer_moved"] == stale["notification"] == 0


@quick
@given(seeds, st.integers(1, 8))
def test_only_customer_changed_makes_consumers_parse_events_they_do_not_need(seed, consumers):
    base = replace(SHORT, seed=seed, consumers=consumers, pattern="state_transfer")
    for payload in crm.PAYLOADS:
        result = crm.run(replace(base, payload=payload))
        if payload != "customer_changed":
            assert result.metrics[crm.Metric.EVENTS_PARSED_BUT_NOT_NEEDED] == 0
            continue
        trace = result.trace
        changes = trace[(trace["kind"] == "state") & (trace["actor"] == "CRM")]["detail"]
        per_field = {"address": int(changes.isin(["move", "correction"]).sum()),
                     "status": int((changes == "status").sum())}
        for spec in crm.CONSUMERS[:consumers]:
            others = sum(n for f, n in per_field.items() if f not in spec.cares_about)
            assert result.per_consumer().loc[spec.name, "not needed"] == others


@quick
@given(seeds)
def test_only_customer_moved_tells_a_move_from_a_typo_fix(seed):
    base = replace(SHORT, seed=seed, pattern="state_transfer", correction_share=0.5,
                   downtime=0.0, network_latency=0.0)
    moved = crm.run(replace(base, payload="customer_moved")).metrics
    full = crm.run(replace(base, payload="address_full")).metrics
    corrections = int((crm.run(base).trace["detail"] == "correction").sum())
    assert moved[crm.Metric.REACTIONS_TO_TYPO_FIXES] == 0
    # Insurance and Communications
    assert full[crm.Metric.REACTIONS_TO_TYPO_FIXES] == 2 * corrections


def test_payload_sizes_follow_the_slide_from_thin_to_everything():
    sizes = crm.payload_examples()["bytes"]
    assert sizes["notification"] < sizes["address_full"] < sizes["address_delta"] \
        < sizes["customer_changed"]
    assert sizes["address_delta"] == sizes["customer_moved"]
    measured = crm.run(replace(SHORT, pattern="state_transfer", payload="address_full")).trace
    sent = measured[(measured["kind"] == "send") & (measured["message_type"] == "AddressChanged")]
    assert set(sent["size"]) <= set(range(40, 60))


def test_the_decision_table_is_computed_from_the_measurements():
    table = crm.compare_designs(replace(SHORT, duplicates=0.2, reorder=0.2), seeds=2)
    decision = crm.decision_table(table)
    assert decision.loc["customer_moved", "tells a move from a typo fix"] == "yes"
    assert decision.loc["notification", "calls the CRM back"] == "yes"
    assert decision.loc["customer_changed", "consumers parse events they don't need"] \
        .startswith("yes")
    changed = table.copy()
    changed.loc["customer_moved", crm.Metric.REACTIONS_TO_TYPO_FIXES] = 3
    assert crm.decision_table(changed).loc["customer_moved", "tells a move from a typo fix"] \
        == "no (3 reactions to typo fixes per run)"


@quick
@given(seeds, st.sampled_from(crm.PATTERNS))
def test_the_same_seed_gives_the_same_trace(seed, pattern):
    config = replace(SHORT, pattern=pattern, seed=seed, duplicates=0.1, reorder=0.1)
    pd.testing.assert_frame_equal(crm.run(config).trace, crm.run(config).trace)


def test_the_trace_is_the_same_under_any_python_hash_seed():
    code = ("from eventlab.scenarios import crm; import hashlib; "
            "t = crm.run(crm.Config(pattern='state_transfer', payload='customer_changed', "
            "consumers=8, duplicates=0.2, reorder=0.2)).trace; "
            "print(hashlib.sha256(t.to_csv(index=False).encode()).hexdigest())")
    here = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "1"}, check=True).stdout
    trace = crm.run(crm.Config(pattern="state_transfer", payload="customer_changed",
                               consumers=8, duplicates=0.2, reorder=0.2)).trace
    assert here.strip() == hashlib.sha256(trace.to_csv(index=False).encode()).hexdigest()


def test_the_trace_has_the_documented_schema_and_in_order_times():
    for pattern in crm.PATTERNS:
        trace = crm.run(replace(SHORT, pattern=pattern, duplicates=0.2, reorder=0.2)).trace
        validate(trace)
        assert trace["time"].is_monotonic_increasing


def test_the_graph_counts_messages_and_failed_calls_from_the_trace():
    result = crm.run(crm.Config())
    source = result.graph().source.replace("\\n", " ")
    callbacks = result.per_consumer().loc["Insurance", "callbacks"]
    look_ups = result.per_consumer().loc["Insurance", "look-ups"]
    failed = result.per_consumer().loc["Insurance", "failed calls"]
    assert f"GetCustomer ×{callbacks + look_ups} ({failed} failed)" in source
    transfer = crm.run(replace(crm.Config(), pattern="state_transfer")).graph().source
    transfer = transfer.replace("\\n", " ")
    assert "GetCustomer" not in transfer


def test_playback_shows_the_crm_down_during_its_windows():
    result = crm.run(replace(crm.Config(), duration=2000.0))
    frames = result.frames(max_frames=80)
    assert [f.time for f in frames] == sorted(f.time for f in frames)
    (start, end), _ = windows(result.config)
    for frame in frames:
        if start + 1 < frame.time < end - 1:
            assert "DOWN now" in frame.diagram.source


def test_inside_a_downtime_window_the_crm_only_finishes_queries_sent_before_it():
    for seed in range(6):
        result = crm.run(replace(crm.Config(), seed=seed, consumers=8))
        trace = result.trace
        sent_at = dict(zip(trace.loc[trace["kind"] == "send", "message_id"],
                           trace.loc[trace["kind"] == "send", "time"], strict=True))
        answers = trace[(trace["kind"] == "send") & (trace["message_type"] == "CustomerData")]
        refusals = trace[(trace["kind"] == "send")
                         & (trace["message_type"] == "ServiceUnavailable")]
        spans = windows(result.config)
        for time, cause in zip(answers["time"], answers["causation_id"], strict=True):
            for start, end in spans:
                if start <= time < end:
                    assert sent_at[cause] < start
        for cause in refusals["causation_id"]:
            assert any(start <= sent_at[cause] < end for start, end in spans)


@pytest.mark.parametrize(("kwargs", "error", "word"), [
    ({"pattern": "webhooks"}, ValueError, "pattern"),
    ({"payload": "CustomerUpdated"}, ValueError, "payload"),
    ({"consumers": 0}, ValueError, "consumers"),
    ({"consumers": 9}, ValueError, "consumers"),
    ({"customers": 2.5}, TypeError, "customers"),
    ({"downtime": 0.95}, ValueError, "downtime"),
    ({"duplicates": float("nan")}, ValueError, "duplicates"),
    ({"reorder": -0.1}, ValueError, "reorder"),
    ({"downtime": 0.001, "outages": 10, "duration": 1000.0}, ValueError, "outages"),
])
def test_bad_settings_are_rejected_before_anything_runs(kwargs, error, word):
    with pytest.raises(error, match=word):
        crm.Config(**kwargs)


def test_run_and_compare_reject_what_is_not_theirs():
    with pytest.raises(TypeError, match=r"crm\.Config"):
        crm.run({"pattern": "notification"})
    with pytest.raises(ValueError, match="seeds"):
        crm.compare_designs(crm.Config(), seeds=0)
    with pytest.raises(TypeError, match=r"crm\.Config"):
        crm.compare_designs({"reorder": 0.1})
    with pytest.raises(ValueError, match="bucket"):
        crm.run(SHORT).load(bucket=0.5)


def test_the_story_of_notebook_07_a_jittered_overtake_repaired_by_a_later_change():
    # Section 2 of the notebook: the default config under state transfer, no reordering.
    m = crm.run(replace(crm.Config(), pattern="state_transfer")).metrics
    assert crm.Config().reorder == 0.0
    assert m[crm.Metric.SILENT_STALE_OVERWRITES] >= 1
    assert m[crm.Metric.STALE_ADDRESS_COPIES_AT_END] == 0
    assert m[crm.Metric.LOOK_UPS_STALE] >= 1
