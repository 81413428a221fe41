"""The single-writer stream processor: replay equals live state, one outcome per command."""

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlab.core.world import World
from eventlab.engines.zeebe.cluster import Cluster
from eventlab.engines.zeebe.network import Fault
from eventlab.engines.zeebe.processor import Partition
from eventlab.engines.zeebe.records import OK, Record, decide, evolve, replay

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
END = 800.0
EXPECTED_EVENTS = {"CreateProcessInstance": 2, "CompleteJob": 2, "UpdateVariables": 1}


def run_cluster(n, seed, faults, *, respond_after="processing"):
    world = World(seed)
    cluster = Cluster(world, brokers=n, partitions=1, replication_factor=n, latency=2.0,
                      jitter=1.0, election_timeout=60.0, heartbeat=20.0, process_time=0.5,
                      request_timeout=300.0, respond_after=respond_after)
    cluster.network.schedule(faults)
    rng = world.rng("test-clients")
    keys: list[str] = []

    def clients():
        while world.now < END:
            yield world.env.timeout(8.0)
            gateway = f"broker-{rng.randrange(n)}"
            roll = rng.random()
            if roll < 0.4 or not keys:
                keys.append(cluster.new_instance())
                cluster.send("CreateProcessInstance", keys[-1], client="c", gateway=gateway)
            elif roll < 0.7:
                cluster.send("CompleteJob", rng.choice(keys), client="c", gateway=gateway)
            else:
                cluster.send("UpdateVariables", rng.choice(keys), client="c", gateway=gateway,
                             payload={"value": rng.randrange(100)})

    world.env.process(clients())
    world.env.run(until=END + 1.0)
    cluster.network.apply(Fault(world.now, "heal"))
    cluster.network.apply(Fault(world.now, "delay", tuple(cluster.brokers), 0.0))
    cluster.network.apply(Fault(world.now, "restart", tuple(cluster.brokers)))
    world.env.run(until=END + 1200.0)
    return world, cluster


fault_lists = st.lists(
    st.tuples(st.floats(0, END, allow_nan=False),
              st.sampled_from(["crash", "restart", "split", "heal", "delay"]),
              st.sets(st.integers(0, 4), min_size=1, max_size=2)),
    max_size=8)


def to_faults(n, drawn):
    out = []
    for at, kind, picks in sorted(drawn, key=lambda f: f[0]):
        nodes = tuple(sorted(f"broker-{i % n}" for i in picks))
        out.append(Fault(at, kind, () if kind == "heal" else nodes,
                         30.0 if kind == "delay" else 0.0))
    return out


@SETTINGS
@given(st.sampled_from([3, 5]), st.integers(0, 10_000), fault_lists)
def test_under_random_faults_replay_equals_live_state_and_each_command_has_one_outcome(
        n, seed, drawn):
    _world, cluster = run_cluster(n, seed, to_faults(n, drawn))
    part = cluster.partitions[1]
    raft = part.raft
    leader = raft.leader()
    assert leader is not None
    assert not raft.violations
    records = [e.record for e in raft.committed_entries(leader)]
    # WF-2: replaying the committed log gives the live state of the current processor
    assert replay(records) == part.state
    # WF-3: every committed command got exactly one outcome, and only one
    events = Counter(r.source for r in records if r.kind == "event")
    rejections = Counter(r.source for r in records if r.kind == "rejection")
    for index, record in enumerate(records, start=1):
        if getattr(record, "kind", "") != "command":
            continue
        if rejections[index]:
            assert rejections[index] == 1
            assert not events[index]
        else:
            assert events[index] == EXPECTED_EVENTS[record.type], (index, record.type)
    # an acknowledged (OK) command is in the log and was not rejected there
    logged = {r.message.message_id: i for i, r in enumerate(records, start=1)
              if r.kind == "command"}
    for request in cluster.requests:
        if request.outcome == OK:
            assert request.message.message_id in logged
            assert not rejections[logged[request.message.message_id]]


@SETTINGS
@given(st.integers(0, 10_000), fault_lists)
def test_only_the_leader_of_the_moment_processes_commands(seed, drawn):
    world, _cluster = run_cluster(3, seed, to_faults(3, drawn))
    trace = world.trace.to_frame().fillna({"entity": "", "detail": ""})
    role: dict[str, str] = {}
    for row in trace.itertuples(index=False):
        if row.kind == "state" and row.entity == "role":
            role[row.actor] = row.value
        elif row.kind == "state" and row.detail == "processed":
            assert role.get(row.actor) == "leader", (row.time, row.actor)


def test_a_rejected_command_appends_a_rejection_and_changes_no_state():
    world, cluster = run_cluster(3, 1, [])
    part = cluster.partitions[1]
    before = dict(part.state)
    request = cluster.send("CompleteJob", str(1 << 51 | 999_999), client="c", gateway="broker-0")
    world.env.run(until=world.now + 100.0)
    assert request.outcome == "REJECTED"
    assert "no such instance" in request.detail
    assert part.state == before
    last = [e.record for e in part.raft.committed_entries("broker-0")][-1]
    assert last.kind == "rejection"


def test_the_response_comes_before_the_events_commit_unless_asked_to_wait():
    for respond_after, before in (("processing", True), ("events committed", False)):
        _world, cluster = run_cluster(3, 2, [], respond_after=respond_after)
        raft = cluster.partitions[1].raft
        commits = [(t, i) for t, node, i in raft.decisions]
        answered = [r for r in cluster.requests if r.outcome == OK]
        early = 0
        for request in answered:
            log = raft.nodes["broker-0"].log
            last_event = max(i for i, e in enumerate(log, start=1)
                             if getattr(e.record, "kind", "") == "event"
                             and e.record.source == request.index)
            committed_at = min(t for t, i in commits if i >= last_event)
            early += request.done_at < committed_at
        assert (early > len(answered) // 2) is before


def test_decide_and_evolve_follow_the_workflow():
    state: dict = {}
    create = Record("command", "CreateProcessInstance", "k")
    events, reason = decide(state, create)
    assert reason == ""
    assert [e for e, _ in events] == ["ProcessInstanceCreated", "JobCreated"]
    for event_type, payload in events:
        evolve(state, event_type, "k", payload)
    assert decide(state, create)[1] == "instance already exists"
    complete = Record("command", "CompleteJob", "k")
    for event_type, payload in decide(state, complete)[0]:
        evolve(state, event_type, "k", payload)
    assert state["k"]["status"] == "COMPLETED"
    assert decide(state, complete)[1].startswith("job is COMPLETED")
    assert decide(state, Record("command", "Explode", "k"))[1] == "unknown command 'Explode'"


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"process_time": -1.0}, ValueError, "process_time"),
    ({"respond_after": "never"}, ValueError, "respond_after"),
])
def test_bad_partition_settings_are_rejected(kwargs, error, words):
    world = World(1)
    cluster = Cluster(world, brokers=1, partitions=1, replication_factor=1)
    with pytest.raises(error, match=words):
        Partition(world, cluster.network, 2, ["broker-0"], **kwargs)
