"""Placement and routing: round-robin instances, hashed messages, one instance on one partition."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.partitioner import partition_for
from eventlab.core.world import World
from eventlab.engines.zeebe.cluster import (
    Cluster,
    instance_key,
    message_partition,
    partition_of_key,
    placement,
)
from eventlab.engines.zeebe.network import Fault
from eventlab.engines.zeebe.records import OK, UNAVAILABLE
from eventlab.scenarios.zeebe.pictures import placement_diagram


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 8191), st.integers(0, 2**51 - 1))
def test_an_instance_key_carries_its_partition(partition, counter):
    key = instance_key(partition, counter)
    assert partition_of_key(key) == partition
    assert partition_of_key(str(key)) == partition


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1).filter(str.strip), st.integers(1, 64))
def test_a_message_goes_to_the_partition_of_the_murmur2_hash_of_its_key(key, partitions):
    p = message_partition(key, partitions)
    assert p == partition_for(key, partitions) + 1
    assert 1 <= p <= partitions


def test_message_placement_is_stable_known_values():
    # murmur2, like Kafka: fixed across processes and machines (never Python's hash())
    assert [message_partition(f"order-{i}", 8) for i in range(6)] == \
        [partition_for(f"order-{i}", 8) + 1 for i in range(6)]
    assert message_partition("order-1", 8) == message_partition("order-1", 8)


@pytest.mark.parametrize(("brokers", "partitions", "rf"), [(3, 3, 3), (3, 6, 2), (5, 10, 3),
                                                           (1, 4, 1)])
def test_placement_spreads_leaders_round_robin_and_each_replica_on_another_broker(
        brokers, partitions, rf):
    layout = placement(brokers, partitions, rf)
    leaders = [members[0] for members in layout.values()]
    assert leaders == [f"broker-{(p - 1) % brokers}" for p in range(1, partitions + 1)]
    for members in layout.values():
        assert len(members) == len(set(members)) == rf
    counts = {b: leaders.count(b) for b in set(leaders)}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_new_instances_go_round_robin_and_all_of_an_instance_stays_on_its_partition():
    world = World(3)
    cluster = Cluster(world, brokers=3, partitions=3, replication_factor=3, latency=1.0)
    keys = [cluster.new_instance() for _ in range(6)]
    assert [partition_of_key(k) for k in keys] == [1, 2, 3, 1, 2, 3]
    for key in keys:
        cluster.send("CreateProcessInstance", key, client="c", gateway="broker-1")
    world.env.run(until=50.0)
    for key in keys:
        cluster.send("CompleteJob", key, client="c", gateway="broker-2")
    world.env.run(until=100.0)
    assert all(r.outcome == OK for r in cluster.requests)
    for p, part in cluster.partitions.items():
        leader = part.raft.leader()
        assert leader is not None
        keys_here = {e.record.key for e in part.raft.committed_entries(leader)
                     if getattr(e.record, "kind", "") != "noop"}
        assert keys_here
        assert all(partition_of_key(k) == p for k in keys_here)
        assert all(v["status"] == "COMPLETED" for v in part.state.values())


def test_a_gateway_that_cannot_reach_the_leader_answers_unavailable_at_once():
    world = World(1)
    cluster = Cluster(world, brokers=3, partitions=1, replication_factor=3)
    cluster.network.apply(Fault(0.0, "split", ("broker-2",)))
    request = cluster.send("CreateProcessInstance", cluster.new_instance(), client="c",
                           gateway="broker-2")
    assert request.outcome == UNAVAILABLE
    assert request.latency == 0.0


def test_the_placement_graph_draws_each_leader_replicating_to_its_followers():
    # partition 3 has no leader right now (an election): nobody replicates it
    text = placement_diagram(placement(3, 3, 2), {1: "broker-0", 2: "broker-1", 3: None}).text()
    assert "broker-0 — leads P1 · follows P3" in text
    assert "broker-2 — leads none · follows P2, P3" in text
    assert "broker-0 -> broker-1: replicates P1 [data]" in text
    assert "broker-1 -> broker-2: replicates P2 [data]" in text
    assert "P3 [data]" not in text


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: placement(3, 3, 4), ValueError, "replication_factor"),
    (lambda: placement(0, 3, 1), ValueError, "brokers"),
    (lambda: placement(3, 3.0, 1), TypeError, "partitions"),
    (lambda: partition_of_key(12), ValueError, "key"),
    (lambda: instance_key(0, 1), ValueError, "partition"),
    (lambda: message_partition("", 3), ValueError, "correlation_key"),
    (lambda: message_partition("k", 0), ValueError, "partitions"),
    (lambda: placement_diagram({}, {}), ValueError, "layout"),
])
def test_bad_placement_and_routing_input_is_rejected(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_a_request_through_an_unknown_gateway_is_rejected():
    cluster = Cluster(World(1), brokers=1, partitions=1, replication_factor=1)
    with pytest.raises(ValueError, match="not in the network"):
        cluster.send("CreateProcessInstance", cluster.new_instance(), client="c",
                     gateway="broker-9")
