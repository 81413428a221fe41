"""The Zeebe scenarios: CP split and heal, replication, scaling; shapes, determinism, errors."""

from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlab.core import results
from eventlab.core.trace import validate
from eventlab.scenarios.zeebe import (
    backpressure,
    cp,
    jobs,
    partitions,
    read_models,
    replication,
    single_writer,
)

SCENARIOS = [backpressure, cp, jobs, partitions, read_models, replication, single_writer]

splits = st.tuples(st.sampled_from([3, 5, 7]), st.integers(1, 3),
                   st.sampled_from(["minority", "majority"]), st.integers(0, 10_000)).filter(
    lambda t: t[1] <= (t[0] - 1) // 2)
# a fault schedule: when the split starts and how long it lasts (ms)
# and the item limit: 1000 is never reached, 5 early, 18 around the heal
schedules = st.tuples(st.sampled_from([150.0, 300.0, 450.0]),
                      st.sampled_from([500.0, 700.0, 900.0]), st.sampled_from([5, 18, 1000]))


def split_config(drawn, schedule, mode="CP"):
    size, minority, side, seed = drawn
    split_at, lasting, limit = schedule
    return cp.Config(cluster_size=size, minority=minority, leader_side=side, seed=seed,
                     split_at=split_at, heal_at=split_at + lasting,
                     duration=split_at + lasting + 300.0, mode=mode, item_limit=limit)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(splits, schedules)
def test_zeebe_is_cp_the_minority_never_commits_and_nothing_acknowledged_is_lost(drawn,
                                                                                 schedule):
    m = cp.run(split_config(drawn, schedule)).metrics
    assert m[cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT] == 0
    assert m[cp.Metric.NOT_COMMITTED_IN_MINORITY_DURING_SPLIT] > 0
    if schedule[2] == 1000:  # a reached limit rejects the majority's items too
        assert m[cp.Metric.COMMITTED_IN_MAJORITY_DURING_SPLIT] > 0
    assert m[cp.Metric.MOST_LEADERS_IN_ONE_TERM] == 1
    assert m[cp.Metric.ACKNOWLEDGED_WRITES_LOST] == 0
    assert m[cp.Metric.STALE_ANSWERS_DURING_SPLIT] == 0
    assert m[cp.Metric.ITEMS_OVER_THE_LIMIT] == 0
    assert m[cp.Metric.LOGS_AGREE_AFTER_HEAL] == "yes"
    assert m[cp.Metric.SAFETY_VIOLATIONS] == 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(splits, schedules)
def test_ap_merge_keeps_every_acknowledged_write_and_the_logs_agree_after_the_heal(drawn,
                                                                                   schedule):
    m = cp.run(split_config(drawn, schedule, "AP-merge")).metrics
    if schedule[2] == 1000:
        assert m[cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT] > 0  # available on both sides
    assert m[cp.Metric.ACKNOWLEDGED_WRITES_LOST] == 0
    assert m[cp.Metric.LOGS_AGREE_AFTER_HEAL] == "yes"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(splits, schedules)
def test_ap_last_writer_wins_never_breaks_the_item_limit_and_the_logs_agree(drawn, schedule):
    m = cp.run(split_config(drawn, schedule, "AP-LWW")).metrics
    assert m[cp.Metric.ITEMS_OVER_THE_LIMIT] == 0
    assert m[cp.Metric.LOGS_AGREE_AFTER_HEAL] == "yes"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_the_same_split_costs_each_design_what_it_gives_up(seed):
    runs = {mode: cp.run(cp.Config(mode=mode, seed=seed)).metrics for mode in cp.MODES}
    cp_, lww, merge = runs["CP"], runs["AP-LWW"], runs["AP-merge"]
    # CP refuses where AP answers; AP answers stale where CP never does
    assert cp_[cp.Metric.REFUSED_OR_TIMED_OUT_DURING_SPLIT] > \
        lww[cp.Metric.REFUSED_OR_TIMED_OUT_DURING_SPLIT]
    assert lww[cp.Metric.STALE_ANSWERS_DURING_SPLIT] > 0
    # last writer wins loses acknowledged writes; the merge keeps them all, even past the
    # limit (whether the two sides together pass it depends on the day)
    assert lww[cp.Metric.ACKNOWLEDGED_WRITES_LOST] > 0
    assert merge[cp.Metric.ACKNOWLEDGED_WRITES_LOST] == 0
    assert merge[cp.Metric.ITEMS_OVER_THE_LIMIT] >= lww[cp.Metric.ITEMS_OVER_THE_LIMIT] == 0
    # until the heal the two AP designs are the same run
    for metric in (cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT,
                   cp.Metric.STALE_ANSWERS_DURING_SPLIT):
        assert lww[metric] == merge[metric]


def test_a_quorum_rule_of_half_the_brokers_lets_the_minority_commit_split_brain():
    half = cp.run(cp.Config(quorum_rule=lambda n: n // 2)).metrics
    assert half[cp.Metric.QUORUM] == 2
    assert half[cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT] > 0
    everybody = cp.run(cp.Config(quorum_rule=lambda n: n)).metrics
    assert everybody[cp.Metric.COMMITTED_IN_MAJORITY_DURING_SPLIT] == 0
    assert everybody[cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT] == 0


def test_the_cp_picture_colours_segments_and_playback_shows_split_and_heal():
    result = cp.run()
    text = result.graph().text()
    assert "segment B" in text
    assert "segment A" in text
    assert "cut off" in text
    frames = result.frames(max_frames=40)
    captions = " ".join(f.caption for f in frames)
    assert "split" in captions
    assert "heal" in captions
    over = result.over_time(100.0)
    assert ("B", "OK") not in over.columns or over.loc[300.0:500.0, ("B", "OK")].sum() == 0


def test_replication_costs_latency_not_throughput_and_a_slow_follower_barely_matters():
    table = results.sweep(replication.run, replication.Config(seed=1),
                          replication_factor=[1, 3, 5]).set_index("replication_factor")
    p50 = table["p50 latency (ms)"]
    assert p50[1] < p50[3]
    throughput = table["throughput (commands/s)"]
    assert throughput.max() < 1.15 * throughput.min()
    plain = replication.run(replication.Config(seed=1)).metrics[replication.Metric.P50_LATENCY_MS]
    slow = replication.run(replication.Config(seed=1, slow_follower=20.0))
    # the quorum waits for the median
    assert slow.metrics[replication.Metric.P50_LATENCY_MS] < 1.5 * plain


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from([3, 5]))
def test_at_saturation_replication_costs_no_throughput_the_writer_never_waits(seed, rf):
    base = replication.Config(replication_factor=1, clients=32, commands=120, seed=seed)
    plain = replication.run(base).metrics
    replicated = replication.run(replace(base, replication_factor=rf)).metrics
    capacity = 1000.0 / base.process_time  # commands per second one writer can process
    assert plain[replication.Metric.THROUGHPUT_COMMANDS_S] >= 0.97 * capacity  # saturated
    assert replicated[replication.Metric.THROUGHPUT_COMMANDS_S] >= \
        0.97 * plain[replication.Metric.THROUGHPUT_COMMANDS_S]


def test_with_too_few_commands_in_flight_the_round_trip_to_the_followers_costs_throughput():
    base = replication.Config(replication_factor=1, clients=2, commands=120, seed=5)
    plain = replication.run(base).metrics
    replicated = replication.run(replace(base, replication_factor=3)).metrics
    # two clients, each waiting for its answer: at most two commands in flight (Little's law)
    assert replicated[replication.Metric.THROUGHPUT_COMMANDS_S] < \
        0.5 * plain[replication.Metric.THROUGHPUT_COMMANDS_S]


def test_the_timeline_walks_the_seven_steps_in_order():
    result = replication.run()
    steps = result.timeline(2)
    first = steps.groupby("step", observed=True)["time"].min()
    order = ["1 command sent", "2 command appended", "3 command committed",
             "4 invariants checked, state updated", "5 response sent", "6 events appended",
             "7 events committed"]
    assert list(first[order]) == sorted(first[order])
    assert set(steps["node"]) >= {"broker-0", "broker-1", "broker-2"}
    with pytest.raises(ValueError, match="command must be between 1 and"):
        result.timeline(10_000)


def test_waiting_for_the_events_to_commit_before_answering_costs_latency():
    fast = replication.run(replication.Config(seed=2)).metrics[replication.Metric.P50_LATENCY_MS]
    slow = replication.run(replication.Config(seed=2, respond_after="events committed"))
    assert slow.metrics[replication.Metric.P50_LATENCY_MS] > fast
    steps = slow.timeline(1).groupby("step", observed=True)["time"].min()
    assert steps["5 response sent"] >= steps["7 events committed"]


def test_throughput_scales_with_brokers_and_sits_next_to_the_2019_benchmark():
    table = partitions.scaling(brokers=(1, 3, 6))
    assert list(table["partitions"]) == [8, 24, 48]
    assert table["simulated (commands/s)"].is_monotonic_increasing
    assert table["benchmark 2019 (instances/s)"].tolist() == [1300, 3600, 5200]


def test_key_skew_makes_one_partition_hot_and_costs_throughput():
    base = partitions.Config(message_share=1.0, offered_rate=3000.0, seed=3)
    even = partitions.run(base)
    skewed = partitions.run(replace(base, key_skew=1.5))
    assert skewed.metrics[partitions.Metric.BUSIEST_PARTITION_UTILISATION] > \
        even.metrics[partitions.Metric.BUSIEST_PARTITION_UTILISATION]
    assert skewed.metrics[partitions.Metric.THROUGHPUT_COMMANDS_S] \
        < even.metrics[partitions.Metric.THROUGHPUT_COMMANDS_S]
    table = skewed.utilisation()
    assert len(table) == base.partitions
    assert table["utilisation"].between(0, 1).all()
    assert "24 partitions" in skewed.graph().text()
    placed = skewed.placement()
    assert list(placed.index[:2]) == ["P1", "P2"]
    assert (placed == "leader").sum(axis=1).eq(1).all()  # one leader per partition


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 8), st.integers(1, 40), st.integers(1, 5))
def test_placement_gives_every_partition_one_leader_and_rf_replicas_on_distinct_brokers(
        brokers, count, rf):
    if rf > brokers:
        rf = brokers
    placed = partitions.run(partitions.Config(brokers=brokers, partitions=count,
                                              replication_factor=rf, duration=20.0,
                                              warmup=0.0)).placement()
    assert len(placed) == count
    assert (placed == "leader").sum(axis=1).eq(1).all()
    assert (placed != "").sum(axis=1).eq(rf).all()
    # leadership is spread round-robin: no broker leads more than its share, rounded up
    assert (placed == "leader").sum().max() <= -(-count // brokers)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_scenario_runs_by_default_with_a_valid_trace_a_summary_and_a_graph(scenario):
    result = scenario.run()
    assert isinstance(result.summary(), pd.DataFrame)
    assert len(result.summary())
    validate(result.trace)
    assert result.graph().text().startswith("Diagram")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_same_seed_same_trace_and_metrics(scenario):
    a, b = scenario.run(scenario.Config(seed=17)), scenario.run(scenario.Config(seed=17))
    pd.testing.assert_frame_equal(a.trace, b.trace)
    assert dict(a.metrics) == dict(b.metrics) or any(
        isinstance(v, float) and v != v for v in a.metrics.values())


@pytest.mark.parametrize(("make", "error", "words"), [
    (lambda: cp.Config(cluster_size=5, minority=3), ValueError, "minority must be < quorum 3"),
    (lambda: cp.Config(split_at=500.0, heal_at=400.0), ValueError, "heal_at"),
    (lambda: cp.Config(cluster_size=4), ValueError, "cluster_size"),
    (lambda: cp.Config(mode="AP"), ValueError, "mode"),
    (lambda: cp.Config(quorum_rule=3), TypeError, "quorum_rule"),
    (lambda: replication.Config(replication_factor=1, slow_follower=3.0), ValueError,
     "slow_follower"),
    (lambda: replication.Config(replication_factor=2), ValueError, "replication_factor"),
    (lambda: partitions.Config(brokers=2, replication_factor=3), ValueError,
     "replication_factor must be <= brokers"),
    (lambda: partitions.Config(partitions=0), ValueError, "partitions"),
    (lambda: single_writer.Config(mode="mutex"), ValueError, "mode"),
    (lambda: single_writer.Config(hot_spot=1.5), ValueError, "hot_spot"),
    (lambda: partitions.scaling(partitions_per_broker=0), ValueError, "partitions_per_broker"),
    (lambda: cp.run(replication.Config()), TypeError, "cp.Config"),
])
def test_bad_scenario_input_names_the_parameter_and_what_is_allowed(make, error, words):
    with pytest.raises(error, match=words):
        make()


@pytest.mark.parametrize(("scenario", "rows"), [(cp, 3), (replication, 3), (backpressure, 3),
                                                (jobs, 2), (read_models, 2), (partitions, 4),
                                                (single_writer, 2)],
                         ids=lambda v: getattr(v, "__name__", str(v)).rsplit(".", 1)[-1])
def test_compare_is_a_one_liner_with_one_row_per_variant(scenario, rows):
    table = scenario.compare()
    assert len(table) == rows
    assert table.columns[0] in {"mode", "replication_factor", "algorithm", "idempotent",
                                "stall_for", "key_skew"}


def test_cp_next_to_ap_shows_what_each_ap_design_accepted_and_gave_up():
    table = cp.compare().set_index("mode")
    assert table.loc["CP", "acknowledged writes lost"] == 0
    assert table.loc["AP-LWW", "acknowledged writes lost"] > 0
    assert table.loc["AP-merge", "acknowledged writes lost"] == 0
    assert table.loc["AP-merge", "items over the limit"] > 0
    assert table.loc["CP", "committed in minority during split"] == 0
    assert table.loc["AP-merge", "committed in minority during split"] > 0
