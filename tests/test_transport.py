"""Notebook 06's Kafka demos: ordering per key, consumer groups, commits, acks, cleanup, routing."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.engines.kafka import partition_for
from eventlab.scenarios.kafka_transport import (
    cleanup,
    commits,
    durability,
    groups,
    ordering,
    rebalances,
    routing,
)

PROPERTY = settings(max_examples=25, deadline=None)


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       partitions=st.integers(min_value=1, max_value=6),
       members=st.integers(min_value=1, max_value=4), orders=st.integers(min_value=1, max_value=8))
def test_with_the_order_id_as_key_every_order_stays_in_one_partition_and_in_order(
        seed, partitions, members, orders):
    result = ordering.run(ordering.Config(partitions=partitions, members=members, orders=orders,
                                          seed=seed))
    assert result.metrics[ordering.Metric.ORDERS_WITH_STEPS_OUT_OF_ORDER] == 0
    assert result.metrics[ordering.Metric.RECORDS_HANDLED] == 4 * orders
    for order, row in result.placement().iterrows():
        assert row["partitions used"] == str(partition_for(str(order), partitions))
        assert row["events in order"]


def test_across_partitions_there_is_no_global_order_and_without_a_key_none_per_order():
    keyed = [ordering.run(ordering.Config(seed=s)).metrics for s in range(5)]
    keyless = [ordering.run(ordering.Config(key="none", seed=s)).metrics for s in range(5)]
    assert all(m[ordering.Metric.HANDLED_AFTER_LATER_WRITTEN_RECORD] > 0 for m in keyed)
    assert sum(m[ordering.Metric.ORDERS_WITH_STEPS_OUT_OF_ORDER] for m in keyless) > 0
    single = ordering.run(ordering.Config(partitions=1, key="none")).metrics
    # one partition: one order
    assert single[ordering.Metric.HANDLED_AFTER_LATER_WRITTEN_RECORD] == 0


def test_scaling_the_group_makes_one_generation_per_change_and_each_partition_one_owner():
    result = groups.run(groups.Config())
    table = result.assignments()
    assert list(table.index) == [1, 2, 3]
    members = [c for c in table.columns if c.startswith("member-")]
    for _, row in table.iterrows():
        owned = [p for m in members for p in row[m].split(", ") if p]
        assert sorted(owned, key=int) == [str(p) for p in range(groups.PARTITIONS)]  # CG-1
    assert result.lag().iloc[-1] == 0
    assert result.metrics[groups.Metric.RECORDS_WRITTEN] == 750
    assert result.metrics[groups.Metric.HANDLED_MORE_THAN_ONCE] == 0


def test_a_leave_takes_effect_at_the_members_next_poll_and_a_crash_after_the_session_timeout():
    config = groups.Config()
    batch = 20 * config.processing_time  # the longest batch a member is in when asked to go
    left = groups.run(config).assignments()
    crashed = groups.run(replace(config, scale_down="crash", session_timeout=300.0))
    # One rebalance round (50 ms) after every member finished the batch in hand.
    assert 2050.0 <= left.loc[3, "time (ms)"] <= 2000.0 + batch + 50.0
    table = crashed.assignments()
    assert 2350.0 <= table.loc[3, "time (ms)"] <= 2300.0 + batch + 50.0
    assert table.loc[3, "why"] == "member-3 session timed out"
    assert groups.run(groups.Config(phase=200.0)).frames()


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       assignor=st.sampled_from(["range", "roundrobin", "cooperative-sticky"]),
       peak=st.integers(min_value=1, max_value=5))
def test_scaling_up_and_down_with_clean_leaves_handles_every_record_exactly_once(
        seed, assignor, peak):
    config = groups.Config(seed=seed, assignor=assignor, peak_members=peak, end_members=1,
                           phase=300.0)
    m = groups.run(config).metrics
    assert m[groups.Metric.HANDLED_MORE_THAN_ONCE] == 0
    assert m[groups.Metric.RECORDS_HANDLED] == m[groups.Metric.RECORDS_WRITTEN]


def test_committing_first_loses_the_batch_and_processing_first_handles_it_twice():
    table = commits.matrix()
    assert table.loc["after_commit", "commit_then_process"] == "5 lost"
    assert table.loc["after_process", "process_then_commit"] == "5 duplicates"
    assert table.loc["after_process", "auto"] == "5 duplicates"
    assert table.loc["after_commit", "auto"] == "n/a"
    assert table["process_then_commit + inbox"].str.startswith("ok").all()
    assert table.loc["after_poll"].tolist() == ["ok"] * 4


@PROPERTY
@given(records=st.integers(min_value=1, max_value=30),
       batch=st.integers(min_value=1, max_value=10))
def test_at_least_once_with_an_inbox_never_loses_and_never_duplicates(records, batch):
    for point in ("after_poll", "after_commit", "after_process"):
        m = commits.run(commits.Config(strategy="process_then_commit + inbox", crash_point=point,
                                       records=records, max_poll_records=batch)).metrics
        assert (m[commits.Metric.LOST], m[commits.Metric.DUPLICATE_EFFECTS],
                m[commits.Metric.EFFECTS]) == (0, 0, records)


@PROPERTY
@given(crash_at=st.floats(min_value=0.5, max_value=35.0), seed=st.integers(0, 1000))
def test_acks_all_with_min_insync_2_never_loses_an_acknowledged_write(crash_at, seed):
    config = durability.Config(acks="all", min_insync_replicas=2, crash_at=crash_at, seed=seed)
    for fault in durability.FAULTS:
        m = durability.run(replace(config, fault=fault)).metrics
        assert m[durability.Metric.ACKNOWLEDGED_THEN_LOST] == 0
        assert m[durability.Metric.DUPLICATES_IN_LOG] == 0


def test_acks_1_loses_acknowledged_writes_when_the_leader_crashes_and_min_isr_2_refuses():
    lost = [durability.run(durability.Config(crash_at=t))
            .metrics[durability.Metric.ACKNOWLEDGED_THEN_LOST] for t in (4.5, 9.5, 14.5)]
    assert all(n > 0 for n in lost)
    refused = durability.run(durability.Config(acks="all", min_insync_replicas=2,
                                               fault="followers_down")).metrics
    assert refused[durability.Metric.FAILED_SENDS] > 0
    # retried first
    assert refused[durability.Metric.NOT_ENOUGH_REPLICAS_ANSWERS] \
        > refused[durability.Metric.FAILED_SENDS]
    assert refused[durability.Metric.ACKNOWLEDGED_ON_ONE_COPY_ONLY] == 0
    table = durability.matrix()
    assert table.loc["acks=1", "leader_crash"] == "5 acked & lost"
    assert table.loc["acks=all, min ISR 2", "leader_crash"] == "ok"


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       deletes=st.sampled_from([0.0, 0.1, 0.5]), segment=st.integers(min_value=1, max_value=30))
def test_compaction_always_keeps_the_latest_value_per_key(seed, deletes, segment):
    config = cleanup.Config(policy="compact", seed=seed, delete_share=deletes,
                            segment_records=segment, days=20)
    m = cleanup.run(config).metrics
    # LOG-8
    assert m[cleanup.Metric.CUSTOMERS_REBUILT_RIGHT] == m[cleanup.Metric.CUSTOMERS_SERVICE_HAS]
    assert m[cleanup.Metric.DELETED_CUSTOMERS_STILL_SEEN] == 0


def test_retention_forgets_customers_who_did_not_change_lately():
    missing = [cleanup.run(cleanup.Config(seed=s))
               .metrics[cleanup.Metric.CUSTOMERS_MISSING_FOR_NEW_READER] for s in range(5)]
    assert sum(missing) > 0
    table = cleanup.compare()
    left = table.loc[cleanup.Metric.RECORDS_LEFT]
    assert left["compact"] < left["delete"]
    assert list(cleanup.size_chart(cleanup.Config(days=5)).table.columns) == list(
        cleanup.CLEANUP_POLICIES)


def test_rebuild_applies_tombstones():
    records = list(cleanup.run(cleanup.Config(delete_share=0.5, policy="compact")).records)
    state = cleanup.rebuild(records)
    tombstoned = [r.key for r in records if r.value is None]
    assert tombstoned
    for key in tombstoned:
        last = [r for r in records if r.key == key][-1]
        assert (key in state) == (last.value is not None)


def test_one_topic_routed_by_message_type_completes_every_order():
    result = routing.run(routing.Config(orders=7))
    assert result.metrics[routing.Metric.ORDERS_COMPLETED] == 7
    table = result.per_service()
    assert table.loc["Payment", "handled"] == 7
    assert table.loc["Order", "handled"] == 28
    assert table.loc["Monitor", "skipped by messageType"] == 0
    assert (table["records read"] == result.metrics[routing.Metric.RECORDS_ON_TOPIC]).all()
    assert "everything ×56" in result.graph().text()


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="key must be one of 'order_id', 'none'"):
        ordering.Config(key="customer")
    with pytest.raises(ValueError, match="end_members=4 must be <= peak_members=3"):
        groups.Config(end_members=4)
    with pytest.raises(ValueError, match="peak_members=1 must be >= start_members=2"):
        groups.Config(start_members=2, peak_members=1, end_members=1)
    with pytest.raises(ValueError, match="crash_point must be one of 'after_poll'"):
        commits.Config(crash_point="before_poll")
    with pytest.raises(ValueError, match="min_insync_replicas=2 only matters with acks='all'"):
        durability.Config(acks=1, min_insync_replicas=2)
    with pytest.raises(ValueError, match="policy must be one of 'delete', 'compact'"):
        cleanup.Config(policy="forever")
    with pytest.raises(TypeError, match=r"config must be kafka_transport\.routing\.Config"):
        routing.run("orders")


# The grid that crashed with RecursionError (26 of 60 combinations before the fix): when the
# followers are down and the ISR shrinks to the leader, each answer releases the next queued
# record at once, and that used to nest one call per record.
DURABILITY_GRID = [
    (acks, min_isr, fault, writes, fetch_delay, crash_at)
    for _, acks, min_isr in durability.SETTINGS
    for fault in durability.FAULTS
    for writes in (500, 2000) for fetch_delay in (20.0, 100.0)
    for crash_at in (0.0, 500.0, 10_000.0)
]


@pytest.mark.parametrize(("acks", "min_isr", "fault", "writes", "fetch_delay", "crash_at"),
                         DURABILITY_GRID)
def test_every_durability_combination_runs_to_the_end_and_settles_every_write(
        acks, min_isr, fault, writes, fetch_delay, crash_at):
    m = durability.run(durability.Config(
        acks=acks, min_insync_replicas=min_isr, fault=fault, writes=writes,
        replica_fetch_delay=fetch_delay, crash_at=crash_at)).metrics
    assert m["acknowledged"] + m["failed sends"] == writes  # nothing left hanging after drain
    assert m["duplicates in the log"] == 0  # idempotent with acks=all; no retries with acks=1
    if acks == "all":
        assert m["acknowledged, then lost"] == 0
    if min_isr == 2:
        assert m["acknowledged on one copy only"] == 0


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       processing=st.sampled_from(["sync", "async_drained"]))
def test_handling_in_the_poll_loop_or_draining_on_revoke_never_handles_a_record_twice(
        seed, processing):
    m = rebalances.run(rebalances.Config(seed=seed, processing=processing)).metrics
    assert m[rebalances.Metric.HANDLED_TWICE] == 0
    assert m[rebalances.Metric.RECORDS_NEVER_HANDLED] == 0
    assert m[rebalances.Metric.REBALANCES] >= 3  # member-3 joins and leaves


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       fault=st.sampled_from(["slow_handler", "gc_pause"]))
def test_a_stall_longer_than_the_coordinator_waits_kicks_member_1_out_and_refuses_its_commit(
        seed, fault):
    result = rebalances.run(rebalances.Config(seed=seed, fault=fault))
    m = result.metrics
    assert m[rebalances.Metric.MEMBERS_KICKED_OUT] >= 1
    assert m[rebalances.Metric.COMMITS_REFUSED] >= 1
    assert m[rebalances.Metric.RECORDS_NEVER_HANDLED] == 0
    story = result.story()
    why = "exceeded max.poll.interval.ms" if fault == "slow_handler" else "during a pause"
    assert story["what"].str.contains(why).any()
    assert story["what"].str.contains("CommitFailedException").any()
    # every record handled twice was handled by member-1 (the zombie) at least once
    assert result.duplicates()["handled by"].str.contains(rebalances.FAULTY).all()


def test_over_twenty_seeds_async_processing_and_kicked_out_members_handle_records_twice():
    def twice(**settings):
        return [rebalances.run(rebalances.Config(seed=s, **settings))
                .metrics[rebalances.Metric.HANDLED_TWICE] for s in range(20)]

    assert twice() == [0] * 20
    assert sum(twice(processing="async")) > 0
    assert sum(twice(fault="slow_handler")) > 0
    assert all(n > 0 for n in twice(fault="gc_pause"))


def test_the_stories_notebook_06_tells_of_a_crash_and_of_a_zombie():
    crashed = groups.run(groups.Config(scale_down="crash")).metrics
    assert crashed[groups.Metric.HANDLED_MORE_THAN_ONCE] > 0  # mid-batch, nothing committed
    zombie = rebalances.run(rebalances.Config(fault="slow_handler", seed=3))
    what = " | ".join(zombie.story()["what"])
    for step in ("handler stalls", "exceeded max.poll.interval.ms", "CommitFailedException",
                 "lost orders-", "member-1 rejoined"):
        assert step in what, step
    firsts = {handlers.split(", ")[0] for handlers in zombie.duplicates()["handled by"]}
    assert firsts == {"member-1", "member-2"}  # the zombie and the new owner, both first
