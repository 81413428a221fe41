"""Producers and brokers: what acks, min.insync.replicas, unclean elections, retries and
idempotence do to acknowledged writes, duplicates and per-key order."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.engines.kafka import Cluster, Producer, ProducerConfig

PROPERTY = settings(max_examples=60, deadline=None)


def values(records):
    return [r.value.payload["n"] for r in records]


def setup(seed=1, *, partitions=1, brokers=3, cluster=None, topic=None, **producer):
    world = World(seed)
    kafka = Cluster(world, brokers=brokers, **(cluster or {}))
    kafka.create_topic("t", partitions=partitions, **(topic or {}))
    return world, kafka, Producer(kafka, "app", **producer)


def send(world, producer, n, key="k"):
    producer.send("t", world.event("Changed", sender="app", key=key, payload={"n": n}))


def crash_leader_right_after_the_fourth_write(world, kafka, producer):
    def run():
        for n in range(3):
            send(world, producer, n)
            yield world.env.timeout(10.0)  # followers fetch after 5 ms: these three are safe
        send(world, producer, 3)
        yield world.env.timeout(1.0)  # the leader has record 3; the followers do not yet
        kafka.crash_broker(0)

    world.env.process(run())
    world.env.run()


def test_acks_1_loses_a_write_when_the_leader_crashes_before_followers_fetch():
    world, kafka, producer = setup(cluster={"replica_fetch_delay": 5.0}, acks=1,
                                   idempotent=False)
    crash_leader_right_after_the_fourth_write(world, kafka, producer)
    assert values(producer.acknowledged) == [0, 1, 2, 3]  # the producer was told: written
    assert values(kafka.topic("t").records(0)) == [0, 1, 2]  # lost-write
    assert kafka.topic("t").partitions[0].leader == 1


def test_acks_all_with_min_insync_replicas_2_keeps_every_acknowledged_write():
    world, kafka, producer = setup(cluster={"replica_fetch_delay": 5.0},
                                   topic={"min_insync_replicas": 2}, acks="all",
                                   request_timeout=1000.0)
    crash_leader_right_after_the_fourth_write(world, kafka, producer)
    # Record 3 was not acknowledged before the crash; the retry writes it to the new leader.
    assert values(producer.acknowledged) == [0, 1, 2, 3]
    assert values(kafka.topic("t").records(0)) == [0, 1, 2, 3]
    assert world.now >= 1000.0  # ...after the request timed out


def test_acks_all_with_min_insync_1_degrades_to_acks_1_once_the_isr_has_shrunk():
    world, kafka, producer = setup(cluster={"replica_fetch_delay": 5.0,
                                            "replica_lag_max": 100.0}, acks="all")

    def run():
        kafka.crash_broker(1)
        kafka.crash_broker(2)
        yield world.env.timeout(200.0)  # both followers dropped out of the ISR
        send(world, producer, 0)
        yield world.env.timeout(1.0)
        kafka.crash_broker(0)
        kafka.restart_broker(1)  # stale, and not in the ISR: stays offline (clean only)
        kafka.restart_broker(0)  # the last in-sync replica returns and leads again

    world.env.process(run())
    world.env.run()
    assert values(producer.acknowledged) == [0]
    assert values(kafka.topic("t").records(0)) == [0]
    partition = kafka.topic("t").partitions[0]
    assert partition.leader == 0


def test_not_enough_replicas_rejects_writes_while_two_of_three_replicas_are_down():
    world, kafka, producer = setup(topic={"min_insync_replicas": 2}, retries=2,
                                   cluster={"replica_lag_max": 100.0})

    def run():
        kafka.crash_broker(1)
        kafka.crash_broker(2)
        yield world.env.timeout(200.0)
        send(world, producer, 0)

    world.env.process(run())
    world.env.run()
    assert producer.acknowledged == []
    assert [error for _, error in producer.failed] == ["NOT_ENOUGH_REPLICAS"]
    frame = world.trace.to_frame()
    rejects = frame[frame["kind"] == "reject"]
    assert len(rejects) == 3  # the first try and two retries
    assert rejects["detail"].str.startswith("NOT_ENOUGH_REPLICAS: ISR has 1 replica(s)").all()
    assert kafka.topic("t").records(0) == []  # unavailable, but nothing written or lost


def test_unclean_leader_election_loses_committed_records_and_clean_only_stays_offline():
    def scenario(unclean):
        world, kafka, producer = setup(cluster={"unclean_leader_election": unclean,
                                                "replica_lag_max": 100.0})

        def run():
            kafka.crash_broker(2)
            yield world.env.timeout(200.0)  # broker-2 is out of the ISR, and stale
            for n in range(3):
                send(world, producer, n)
            yield world.env.timeout(10.0)
            kafka.crash_broker(0)
            kafka.crash_broker(1)
            kafka.restart_broker(2)
            yield world.env.timeout(10.0)
            send(world, producer, 3)

        world.env.process(run())
        world.env.run(until=1000.0)
        return kafka.topic("t").partitions[0], producer

    partition, producer = scenario(unclean=True)
    assert partition.leader == 2
    assert values(producer.acknowledged) == [0, 1, 2, 3]
    assert values(partition.log.records) == [3]  # 0..2 were committed, and are gone
    partition, producer = scenario(unclean=False)
    assert partition.leader is None  # offline: unavailable instead of lossy
    assert values(producer.acknowledged) == [0, 1, 2]


def test_a_new_leader_does_not_count_a_dead_followers_divergent_tail_as_replicated():
    world, kafka, producer = setup(cluster={"replica_fetch_delay": 5.0, "replica_lag_max": 50.0},
                                   topic={"min_insync_replicas": 2}, idempotent=False)

    def run():
        send(world, producer, 0)
        yield world.env.timeout(10.0)
        kafka.crash_broker(1)
        send(world, producer, 1)  # broker-2 copies it, broker-1 (down) does not
        yield world.env.timeout(6.0)
        kafka.restart_broker(1)
        kafka.crash_broker(2)  # down, still in the ISR, holding record 1
        kafka.crash_broker(0)  # broker-1 leads without record 1
        yield world.env.timeout(1.0)
        send(world, producer, 2)  # only broker-1 has it: must not count as committed
        yield world.env.timeout(10.0)
        acked_early.extend(values(producer.acknowledged))

    acked_early: list[int] = []
    world.env.process(run())
    world.env.run()
    assert acked_early == [0]
    assert values(producer.acknowledged) == [0]
    # Once broker-2 leaves the ISR, {broker-1} is below min.insync.replicas=2: record 2 was
    # written but is refused (NOT_ENOUGH_REPLICAS_AFTER_APPEND, then NOT_ENOUGH_REPLICAS);
    # record 1 died with the old leader. Failed loudly, never acknowledged and lost.
    assert [(m.payload["n"], error) for m, error in producer.failed] == [
        (2, "NOT_ENOUGH_REPLICAS"), (1, "NOT_ENOUGH_REPLICAS")]
    rejects = world.trace.to_frame().query("kind == 'reject'")["detail"]
    assert rejects.str.startswith("NOT_ENOUGH_REPLICAS_AFTER_APPEND").sum() == 1
    assert values(kafka.topic("t").partitions[0].log.records) == [0, 2]


def test_a_restarted_leader_truncates_its_unreplicated_tail_and_rejoins_the_isr():
    world, kafka, producer = setup(cluster={"replica_fetch_delay": 5.0}, acks=1,
                                   idempotent=False)
    crash_leader_right_after_the_fourth_write(world, kafka, producer)
    kafka.restart_broker(0)
    world.env.run()
    partition = kafka.topic("t").partitions[0]
    assert all(values(log.records) == [0, 1, 2] for log in partition.logs.values())
    assert partition.isr == [0, 1, 2]
    frame = world.trace.to_frame()
    drops = frame[frame["kind"] == "drop"]
    assert drops[["actor", "offset"]].values.tolist() == [["broker-0", 3]]


def test_acks_0_never_hears_back_and_a_lost_request_vanishes_silently():
    world, kafka, producer = setup(acks=0, idempotent=False)
    producer.lose_requests(1)
    for n in range(3):
        send(world, producer, n)
    world.env.run()
    assert producer.acknowledged == []
    assert producer.failed == []
    assert producer.pending == 0
    assert values(kafka.topic("t").records(0)) == [1, 2]


def run_with(producer_faults, **producer):
    world, kafka, producer_ = setup(request_timeout=1000.0, retry_backoff=10.0, **producer)
    producer_faults(producer_)

    def run():
        for n in range(3):
            send(world, producer_, n)
            yield world.env.timeout(1.0)

    world.env.process(run())
    world.env.run()
    return values(kafka.topic("t").records(0)), values(producer_.acknowledged)


def test_a_lost_ack_makes_a_non_idempotent_producer_write_a_duplicate():
    log, acked = run_with(lambda p: p.lose_responses(1), idempotent=False)
    assert log == [0, 1, 2, 0]  # the retry of 0 was appended again
    assert sorted(acked) == [0, 1, 2]


def test_a_lost_request_with_several_in_flight_reorders_a_non_idempotent_producers_records():
    log, _ = run_with(lambda p: p.lose_requests(1), idempotent=False, max_in_flight=5)
    assert log == [1, 2, 0]  # nonmonotonic-send: per-key order broken


def test_with_one_request_in_flight_a_lost_request_delays_but_does_not_reorder():
    log, _ = run_with(lambda p: p.lose_requests(1), idempotent=False, max_in_flight=1)
    assert log == [0, 1, 2]


@pytest.mark.parametrize("fault", ["lose_requests", "lose_responses"])
def test_the_idempotent_producer_neither_duplicates_nor_reorders(fault):
    log, acked = run_with(lambda p: getattr(p, fault)(1), idempotent=True, max_in_flight=5)
    assert log == [0, 1, 2]
    assert sorted(acked) == [0, 1, 2]


def test_idempotence_needs_acks_all_and_at_most_five_in_flight():
    with pytest.raises(ValueError, match="idempotent=True needs acks='all'"):
        ProducerConfig(acks=1)
    with pytest.raises(ValueError, match="max_in_flight <= 5"):
        ProducerConfig(max_in_flight=6)
    with pytest.raises(ValueError, match="acks must be one of 0, 1, 'all'; got True"):
        ProducerConfig(acks=True, idempotent=False)


def test_bad_sends_name_the_problem():
    world, kafka, producer = setup()
    with pytest.raises(ValueError, match="no topic 'orders' in this cluster; topics: 't'"):
        producer.send("orders", world.event("E", sender="app"))
    with pytest.raises(ValueError, match=r"tombstone \(message=None\) needs a key"):
        producer.send("t", None)
    with pytest.raises(TypeError, match="message must be an eventlab Message or None, got str"):
        producer.send("t", "hello")
    with pytest.raises(ValueError, match="partition must be <= 0"):
        producer.send("t", world.event("E", sender="app"), partition=1)
    with pytest.raises(TypeError, match="ProducerConfig has no setting 'ack'"):
        Producer(kafka, "x", ack=1)


def lossy_run(seed):
    world, kafka, producer = setup(seed, partitions=3, request_loss=0.2, response_loss=0.2,
                                   latency=2.0, idempotent=False, request_timeout=50.0)

    def run():
        for n in range(40):
            send(world, producer, n, key=f"k{n % 5}")
            yield world.env.timeout(3.0)
        kafka.crash_broker(1)

    world.env.process(run())
    world.env.run()
    return world.trace.to_frame()


def test_the_same_seed_gives_the_same_trace_and_another_seed_another():
    first = lossy_run(5)
    assert first.equals(lossy_run(5))
    assert not first.equals(lossy_run(6))
    assert {"drop", "note", "send", "fault", "state"} <= set(first["kind"].astype(str))


faults = st.lists(
    st.tuples(st.floats(min_value=0.0, max_value=60.0),
              st.sampled_from(["lose_request", "lose_response", "crash", "restart"]),
              st.integers(min_value=0, max_value=2)),
    max_size=8)


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1), schedule=faults,
       in_flight=st.integers(min_value=1, max_value=5),
       loss=st.sampled_from([0.0, 0.1, 0.3]), latency=st.sampled_from([0.0, 1.0, 4.0]),
       min_isr=st.sampled_from([1, 2]), idempotent=st.sampled_from([True, True, False]))
def test_property_acked_writes_survive_and_idempotence_keeps_key_order_without_duplicates(
        seed, schedule, in_flight, loss, latency, min_isr, idempotent):
    world, kafka, producer = setup(
        seed, partitions=2, cluster={"replica_fetch_delay": 2.0, "replica_lag_max": 20.0},
        topic={"min_insync_replicas": min_isr}, max_in_flight=in_flight, request_loss=loss,
        response_loss=loss, latency=latency, request_timeout=30.0, retry_backoff=5.0,
        retries=50, idempotent=idempotent)

    def sends():
        for n in range(30):
            send(world, producer, n, key=f"k{n % 4}")
            yield world.env.timeout(2.0)

    def chaos():
        for at, action, broker in sorted(schedule):
            yield world.env.timeout(max(at - world.now, 0.0))
            if action == "lose_request":
                producer.lose_requests(1)
            elif action == "lose_response":
                producer.lose_responses(1)
            elif action == "crash" and kafka.alive[broker] and sum(kafka.alive) > 1:
                kafka.crash_broker(broker)
            elif action == "restart" and not kafka.alive[broker]:
                kafka.restart_broker(broker)
        yield world.env.timeout(100.0)
        for broker, up in enumerate(list(kafka.alive)):  # heal, then drain
            if not up:
                kafka.restart_broker(broker)

    world.env.process(sends())
    world.env.process(chaos())
    world.env.run()
    assert producer.pending == 0
    topic = kafka.topic("t")
    for index in range(2):
        logged = values(topic.records(index))
        if idempotent:
            assert len(logged) == len(set(logged))  # LOG-4: no duplicates
            for key in range(4):
                mine = [n for n in logged if n % 4 == key]
                assert mine == sorted(mine)  # LOG-5: per-key order
        partition = topic.partitions[index]
        assert all(log.records == partition.log.records[:len(log.records)]
                   for log in partition.logs.values())  # LOG-6: replicas agree
    acked = {r.value.payload["n"] for r in producer.acknowledged}
    if min_isr == 2:  # LOG-1: with acks=all and min.insync.replicas=2 no acknowledged write
        # is lost, idempotent or not
        assert acked <= {n for i in range(2) for n in values(topic.records(i))}
