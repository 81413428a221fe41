"""The partition log: offsets never change; retention deletes old segments; compaction keeps the
latest value per key; tombstones delete keys; topics route, filter and clean like Kafka's."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.core.messages import Event
from eventlab.engines.kafka import (
    Cluster,
    ConsumerGroup,
    OffsetOutOfRangeError,
    PartitionLog,
    Producer,
    Record,
    TopicConfig,
    partition_for,
)

PROPERTY = settings(max_examples=100, deadline=None)


def event(n, key="k"):
    return Event(message_id=f"msg-{n:04d}", type="Changed", sender="app", key=key,
                 payload={"n": n})


def record(offset, key="k", *, value=True, time=0.0):
    message = event(offset, key) if value else None
    size = message.size if message else 0
    return Record("t", 0, offset, key, message, float(time), size, 0)


def filled(keys, *, segment=3, tombstones=(), times=None):
    log = PartitionLog(segment)
    for offset, key in enumerate(keys):
        time = times[offset] if times else float(offset)
        log.append(record(offset, key, value=offset not in tombstones, time=time))
    return log


def offsets(records):
    return [r.offset for r in records]


def test_append_gives_consecutive_offsets_and_read_stops_at_the_high_watermark():
    log = filled("abcde")
    assert (log.start_offset, log.end_offset) == (0, 5)
    assert offsets(log.read(1, 10, upto=4)) == [1, 2, 3]
    assert offsets(log.read(0, 2)) == [0, 1]
    assert log.read(5, 10) == []


def test_appending_below_the_log_end_offset_is_refused():
    log = filled("ab")
    with pytest.raises(ValueError, match="offset 1 is below the log end offset 2"):
        log.append(record(1))


def test_reading_outside_the_log_raises_offset_out_of_range_naming_the_range():
    log = filled("abcdefg", segment=3)
    log.apply_retention(now=100.0, retention_ms=50.0, retention_bytes=-1)
    assert log.start_offset == 6
    with pytest.raises(OffsetOutOfRangeError, match=r"offset 2 .* 6\.\.6"):
        log.read(2, 10)
    with pytest.raises(LookupError):
        log.read(8, 10)


def test_compaction_keeps_the_latest_value_per_key_and_never_changes_offsets():
    log = filled("abcbacbca", segment=2)  # segments [0,1] [2,3] [4,5] [6,7] [8] (active)
    before = {r.offset: r for r in log.records}
    removed = log.compact(now=0.0, delete_retention_ms=1000.0)
    assert offsets(removed) == [0, 1, 2, 3, 5]  # closed part: latest a=4, b=6, c=7
    kept = log.records
    assert offsets(kept) == [4, 6, 7, 8]
    assert all(r is before[r.offset] for r in kept)  # the very same records, same offsets
    assert (log.start_offset, log.end_offset) == (0, 9)
    assert offsets(log.read(0, 10)) == [4, 6, 7, 8]
    assert log.get(5) is None
    assert log.get(6) is before[6]


def test_compaction_never_touches_the_active_segment():
    log = filled("aaaaa", segment=10)  # everything is in the active segment
    assert log.compact(now=0.0, delete_retention_ms=0.0) == []
    assert len(log) == 5


def test_compaction_stops_at_the_high_watermark_segment():
    log = filled("aaaaaaa", segment=2)
    log.compact(now=0.0, delete_retention_ms=0.0, upto=3)  # only [0,1] is committed and closed
    assert offsets(log.records) == [1, 2, 3, 4, 5, 6]


def test_a_tombstone_deletes_its_key_and_disappears_after_delete_retention():
    log = filled("aaaxy", segment=2, tombstones={2}, times=[0, 1, 2, 3, 4])
    log.append(record(5, "z", time=5.0))
    log.compact(now=10.0, delete_retention_ms=100.0)
    # Key "a" is gone except for its tombstone, which slow consumers must still be able to see.
    assert [(r.key, r.is_tombstone) for r in log.records] == [
        ("a", True), ("x", False), ("y", False), ("z", False)]
    log.compact(now=200.0, delete_retention_ms=100.0)
    assert [r.key for r in log.records] == ["x", "y", "z"]
    assert log.records[0].offset == 3


def test_time_retention_deletes_whole_old_segments_and_moves_the_log_start_offset():
    log = filled("abcdefgh", segment=3, times=[0, 1, 2, 10, 11, 50, 60, 70])
    removed = log.apply_retention(now=62.0, retention_ms=55.0, retention_bytes=-1)
    assert offsets(removed) == [0, 1, 2]  # segment [3..5] has a record from t=50: it stays
    assert log.start_offset == 3
    removed = log.apply_retention(now=200.0, retention_ms=55.0, retention_bytes=-1)
    assert offsets(removed) == [3, 4, 5]  # the active segment [6..8] is never deleted
    assert (log.start_offset, offsets(log.records)) == (6, [6, 7])


def test_size_retention_keeps_at_least_retention_bytes():
    log = filled("abcdefgh", segment=2)
    each = log.records[0].size
    removed = log.apply_retention(now=0.0, retention_ms=-1.0, retention_bytes=3 * each)
    assert offsets(removed) == [0, 1, 2, 3]
    assert sum(r.size for r in log.records) >= 3 * each
    assert log.start_offset == 4


def test_truncate_drops_the_tail_and_catch_up_copies_it_back():
    leader = filled("abcdef")
    follower = filled("abcdef")
    assert offsets(follower.truncate(4)) == [4, 5]
    assert follower.end_offset == 4
    assert follower.catch_up(leader) == 2
    assert offsets(follower.records) == [0, 1, 2, 3, 4, 5]
    assert follower.records[4:] == leader.records[4:]
    assert all(r is s for r, s in zip(follower.records[4:], leader.records[4:], strict=True))


@PROPERTY
@given(
    keys=st.lists(st.sampled_from("abcd"), min_size=1, max_size=60),
    tombstone_every=st.integers(min_value=2, max_value=9),
    segment=st.integers(min_value=1, max_value=8),
    passes=st.lists(st.floats(min_value=0.0, max_value=100.0), min_size=1, max_size=4),
    delete_retention=st.floats(min_value=0.0, max_value=50.0),
)
def test_property_compaction_keeps_the_latest_value_per_key_and_never_changes_offsets(
        keys, tombstone_every, segment, passes, delete_retention):
    tombstones = set(range(tombstone_every - 1, len(keys), tombstone_every))
    log = filled(keys, segment=segment, tombstones=tombstones)
    original = {r.offset: r for r in log.records}
    latest = {r.key: r.offset for r in log.records}
    active = log.active_base()
    for now in sorted(passes):
        for gone in log.compact(now + len(keys), delete_retention):
            # Only superseded records, or tombstones past delete.retention.ms, may go.
            assert latest[gone.key] != gone.offset or (
                gone.is_tombstone and now + len(keys) - gone.timestamp >= delete_retention)
            assert gone.offset < active
        kept = log.records
        assert offsets(kept) == sorted(set(offsets(kept)))  # order kept, no offset twice
        assert all(original[r.offset] is r for r in kept)  # offsets and records unchanged
        assert [r.offset for r in kept if r.offset >= active] == list(range(active, len(keys)))
        assert (log.start_offset, log.end_offset) == (0, len(keys))
        survivors = {r.key: r.offset for r in kept}
        for key, offset in latest.items():
            if not original[offset].is_tombstone:
                assert survivors[key] == offset  # the latest value of every live key is kept


# --- topics of a cluster -------------------------------------------------------------------


def cluster_with(world, **topic):
    cluster = Cluster(world)
    cluster.create_topic("t", **topic)
    return cluster


def test_keyed_records_land_on_the_partition_kafkas_default_partitioner_picks():
    world = World(1)
    cluster = cluster_with(world, partitions=7)
    producer = Producer(cluster, "app")
    keys = [f"customer-{i}" for i in range(40)]
    for i, key in enumerate(keys):
        producer.send("t", event(i, key))
    world.env.run()
    topic = cluster.topic("t")
    where = {r.key: r.partition for p in range(7) for r in topic.records(p)}
    assert where == {key: partition_for(key, 7) for key in keys}


def test_keyless_records_stick_to_one_partition_for_a_batch_then_move_on():
    world = World(3)
    cluster = cluster_with(world, partitions=4)
    producer = Producer(cluster, "app", sticky_batch=5)
    for i in range(20):
        producer.send("t", Event(message_id=f"m-{i}", type="Ping", sender="app"))
    world.env.run()
    partitions = [r.partition for r in producer.acknowledged]  # in send order
    runs = [partitions[i:i + 5] for i in range(0, 20, 5)]
    assert all(len(set(run)) == 1 for run in runs)
    assert len(set(partitions)) > 1


def test_a_compacted_topic_refuses_keyless_records():
    world = World(1)
    cluster = cluster_with(world, partitions=1, cleanup_policy="compact")
    producer = Producer(cluster, "app")
    producer.send("t", Event(message_id="m-1", type="Ping", sender="app"))
    world.env.run()
    assert [error for _, error in producer.failed] == ["INVALID_RECORD"]
    frame = world.trace.to_frame()
    assert frame.loc[frame["kind"] == "reject", "detail"].str.contains("keyed").all()


def test_the_cleaner_runs_at_the_next_append_after_its_interval_and_tombstones_delete_keys():
    world = World(1)
    cluster = Cluster(world, cleaner_interval=100.0)
    cluster.create_topic("t", partitions=1, cleanup_policy="compact", segment_records=2,
                         delete_retention_ms=1000.0)
    producer = Producer(cluster, "app")

    def run():
        for i, key in enumerate("abab"):
            producer.send("t", event(i, key))
        producer.send("t", None, key="a")  # tombstone at offset 4
        producer.send("t", event(5, "c"))
        yield world.env.timeout(150.0)
        producer.send("t", event(6, "c"))  # the cleaner runs at this append
        yield world.env.timeout(2000.0)
        cluster.topic("t").clean()

    world.env.process(run())
    world.env.run()
    records = cluster.topic("t").records(0)
    assert [(r.offset, r.key) for r in records] == [(3, "b"), (5, "c"), (6, "c")]
    notes = world.trace.to_frame().query("kind == 'note'")["detail"].tolist()
    assert notes == ["cleaner removed 3 record(s) (0 tombstone(s)); log start offset 0",
                     "cleaner removed 1 record(s) (1 tombstone(s)); log start offset 0"]


def test_retention_moves_a_lagging_consumer_to_the_log_start_and_logs_the_reset():
    world = World(1)
    cluster = Cluster(world, cleaner_interval=10.0)
    cluster.create_topic("t", partitions=1, retention_ms=100.0, segment_records=5)
    producer = Producer(cluster, "app")
    group = ConsumerGroup(cluster, "g", "t", auto_offset_reset="earliest")
    got = []

    def run():
        for i in range(12):
            producer.send("t", event(i))
            yield world.env.timeout(30.0)
        group.join("late", lambda r: got.append(r.offset))

    world.env.process(run())
    world.env.run()
    assert cluster.topic("t").partitions[0].log.start_offset == 5
    assert got == [5, 6, 7, 8, 9, 10, 11]  # offsets 0..4 were deleted before anyone read them


def test_consumers_can_filter_one_topic_by_message_type_like_flowing_retail():
    world = World(1)
    cluster = cluster_with(world, partitions=2)
    producer = Producer(cluster, "checkout")
    group = ConsumerGroup(cluster, "payment", "t", auto_offset_reset="earliest")
    handled = []
    group.join("payment-1", lambda r: handled.append(r.message_type),
               types=["OrderPlacedEvent"])
    for i, kind in enumerate(["OrderPlacedEvent", "GoodsShippedEvent", "OrderPlacedEvent"]):
        producer.send("t", Event(message_id=f"m-{i}", type=kind, sender="checkout",
                                 key=f"order-{i}"))
    world.env.run()
    assert handled == ["OrderPlacedEvent", "OrderPlacedEvent"]
    assert group.total_lag() == 0  # skipped types still count as consumed


def test_topic_settings_are_validated_with_the_parameter_named():
    with pytest.raises(ValueError, match="min_insync_replicas=3 is more than replication_factor=2"):
        TopicConfig(replication_factor=2, min_insync_replicas=3)
    with pytest.raises(ValueError, match="cleanup_policy must be one of"):
        TopicConfig(cleanup_policy="shred")
    with pytest.raises(TypeError, match="partitions must be an int"):
        TopicConfig(partitions="3")
    cluster = Cluster(World(1), brokers=2)
    with pytest.raises(ValueError, match="replication_factor=3 needs as many brokers"):
        cluster.create_topic("t")
    with pytest.raises(TypeError, match="TopicConfig has no setting 'partition'"):
        cluster.create_topic("t", partition=3)
    with pytest.raises(ValueError, match="no topic 'orderz' in this cluster; topics: none yet"):
        cluster.topic("orderz")
