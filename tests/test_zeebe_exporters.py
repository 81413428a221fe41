"""Exporters and truncation: positions never go back, truncation never passes the slowest."""

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlab.core.world import World
from eventlab.engines.zeebe.cluster import Cluster
from eventlab.engines.zeebe.exporters import Exporter, ReadModel, Retention
from eventlab.engines.zeebe.network import Fault
from eventlab.engines.zeebe.records import replay
from eventlab.scenarios.zeebe import read_models

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(seed, outages, faults, batch_size, flush_interval):
    world = World(seed)
    cluster = Cluster(world, brokers=3, partitions=1, replication_factor=3, latency=1.0,
                      jitter=0.5, election_timeout=60.0, heartbeat=20.0, process_time=0.2,
                      request_timeout=200.0, detail=False)
    part = cluster.partitions[1]
    exporters = [Exporter(world, part, name, ReadModel(name), batch_size=batch_size,
                          flush_interval=flush_interval, index_delay=10.0,
                          outages=[o] if o else [])
                 for name, o in zip(("fast", "slow"), outages, strict=True)]
    retention = Retention(world, part, exporters, snapshot_interval=20.0)
    cluster.network.schedule(faults)

    def clients():
        rng = world.rng("test")
        while world.now < 600.0:
            yield world.env.timeout(3.0)
            cluster.send("CreateProcessInstance", cluster.new_instance(), client="c",
                         gateway=f"broker-{rng.randrange(3)}")

    world.env.process(clients())
    return world, cluster, exporters, retention


outage = st.one_of(st.none(), st.tuples(st.floats(0, 500), st.floats(10, 400)).map(
    lambda t: (t[0], t[0] + t[1])))
crashes = st.lists(st.tuples(st.floats(0, 600), st.sampled_from(["crash", "restart"]),
                             st.integers(0, 2)), max_size=4)


@SETTINGS
@given(st.integers(0, 10_000), outage, outage, crashes, st.integers(1, 30),
       st.sampled_from([0.0, 5.0, 40.0]))
def test_exporter_positions_never_go_back_and_truncation_never_passes_the_slowest(
        seed, fast_outage, slow_outage, drawn, batch_size, flush_interval):
    faults = [Fault(at, kind, (f"broker-{i}",)) for at, kind, i in sorted(drawn)]
    world, cluster, exporters, retention = build(seed, (fast_outage, slow_outage), faults,
                                                 batch_size, flush_interval)
    checks = []

    def watch():
        while True:
            yield world.env.timeout(5.0)
            checks.append((retention.truncated, min(e.position for e in exporters)))

    world.env.process(watch())
    world.env.run(until=700.0)
    cluster.network.apply(Fault(world.now, "restart", tuple(cluster.brokers)))
    part = cluster.partitions[1]
    while world.now < 20_000.0:  # drain: every exporter catches up with the committed log
        world.env.run(until=world.now + 200.0)
        leader = part.raft.leader()
        if leader and all(e.position == part.raft.nodes[leader].commit for e in exporters):
            break
    for exporter in exporters:
        positions = [p for _, p in exporter.history]
        assert positions == sorted(positions), f"{exporter.name} went back"
    assert all(truncated <= slowest for truncated, slowest in checks)
    assert all(row[2] <= row[3] for row in retention.history)
    # after the drain every exporter has everything, and its read model is the log's projection
    leader = part.raft.leader()
    assert leader is not None
    committed = part.raft.committed_entries(leader)
    for exporter in exporters:
        assert exporter.position == len(committed)
        assert exporter.target.state == replay(e.record for e in committed)


def test_a_stalled_exporter_blocks_truncation_and_the_disk_grows():
    calm = read_models.run(read_models.Config(seed=5))
    stalled = read_models.run(read_models.Config(seed=5, stall_at=100.0, stall_for=400.0))
    assert stalled.metrics[read_models.Metric.MAX_DISK_RECORDS] \
        > 2 * calm.metrics[read_models.Metric.MAX_DISK_RECORDS]
    disk = stalled.disk()
    during = disk[(disk["time"] > 150) & (disk["time"] < 500)]
    assert during["truncated"].nunique() == 1  # frozen at the slow exporter's position
    assert calm.metrics[read_models.Metric.TRUNCATION_PASSED_SLOWEST_EXPORTER] == "no"
    assert stalled.metrics[read_models.Metric.TRUNCATION_PASSED_SLOWEST_EXPORTER] == "no"


def test_reading_sooner_after_the_write_misses_more_often():
    base = read_models.Config(seed=2)
    rates = [read_models.run(replace(base, query_delay=d))
             .metrics[read_models.Metric.READ_YOUR_WRITES_MISS_RATE] for d in (0.0, 60.0, 200.0)]
    assert rates[0] == 1.0
    assert rates[0] >= rates[1] >= rates[2]
    assert rates[2] == 0.0


def test_staleness_is_at_least_the_indexing_delay():
    result = read_models.run(read_models.Config(index_delay=40.0, seed=3))
    assert result.staleness().min() >= 40.0
    assert result.metrics[read_models.Metric.STALENESS_P99_MS] \
        >= result.metrics[read_models.Metric.STALENESS_P50_MS]


def test_a_repeated_batch_is_applied_once():
    model = ReadModel("es")

    class Rec:
        kind, type, key, payload = "event", "ProcessInstanceCreated", "k", {}

    model.apply([(1, Rec())], 5.0, {1: 1.0})
    model.apply([(1, Rec())], 9.0, {1: 1.0})
    assert model.duplicates == 1
    assert model.staleness == [4.0]


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"flush_interval": -1.0}, ValueError, "flush_interval"),
    ({"index_delay": "fast"}, TypeError, "index_delay"),
    ({"outages": [(50.0, 10.0)]}, ValueError, "outage end"),
])
def test_bad_exporter_settings_are_rejected(kwargs, error, words):
    world = World(1)
    cluster = Cluster(world, brokers=1, partitions=1, replication_factor=1)
    with pytest.raises(error, match=words):
        Exporter(world, cluster.partitions[1], "es", ReadModel("es"), **kwargs)


def test_bad_read_model_config_is_rejected():
    with pytest.raises(ValueError, match="exporters"):
        read_models.Config(exporters=4)
    with pytest.raises(TypeError, match=r"read_models\.Config"):
        read_models.run("fast")
