"""The replicated log keeps Raft's promises under random crashes, splits, heals and delays."""

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from eventlab.core.world import World
from eventlab.engines.zeebe.network import Fault, Network
from eventlab.engines.zeebe.raft import LEADER, RaftGroup, quorum

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
END = 1500.0  # faults happen before this; afterwards everything heals and drains


def build(n, seed, *, ap_mode=False, bootstrap=True):
    world = World(seed)
    nodes = [f"n{i}" for i in range(n)]
    network = Network(world, nodes, latency=2.0, jitter=1.0)
    group = RaftGroup(world, network, nodes, election_timeout=60.0, heartbeat=20.0,
                      ap_mode=ap_mode, bootstrap=nodes[0] if bootstrap else None,
                      detail=False)
    return world, network, group


def writer(world, group, every=7.0, until=END):
    count = 0
    while world.now + every <= until:
        yield world.env.timeout(every)
        leader = group.leader()
        if leader is not None:
            count += 1
            group.append(leader, ("write", count))


def watch_minority_commits(network, group, problems):
    """Problems if a commit is not held by a quorum, or a minority's new entry commits."""
    topology = [0]  # how many splits and heals so far
    appended_in_minority: dict[int, int] = {}  # uid -> topology when a minority appended it
    checked: dict[str, int] = {}

    def on_fault(fault):
        if fault.kind in ("split", "heal"):
            topology[0] += 1
    network.listen(on_fault)

    real_append = group.append

    def append(node, record):
        index = real_append(node, record)
        if index is not None:
            seg = sum(1 for m in group.members if network.segment[m] == network.segment[node])
            if seg < group.quorum:
                appended_in_minority[group.nodes[node].log[index - 1].uid] = topology[0]
        return index
    group.append = append

    def on_commit(node, index):
        world = network.world
        if not group.decisions or group.decisions[-1][1:] != (node, index) \
                or group.decisions[-1][0] != world.now:
            return
        uid = group.nodes[node].log[index - 1].uid
        holders = sum(1 for n in group.nodes.values()
                      if len(n.log) >= index and n.log[index - 1].uid == uid)
        if holders < group.quorum:
            problems.append(f"{node} committed {index} held by only {holders}")
        start = min(checked.get(node, 0), index)
        checked[node] = index
        for i in range(start + 1, index + 1):
            u = group.nodes[node].log[i - 1].uid
            if appended_in_minority.get(u) == topology[0]:
                problems.append(f"entry {i} appended in a minority committed during the split")
    group.on_commit(on_commit)


def committed_prefixes_agree(group):
    logs = {m: [e.uid for e in n.log[: n.commit]] for m, n in group.nodes.items()}
    for a, b in pairwise(logs.values()):
        k = min(len(a), len(b))
        if a[:k] != b[:k]:
            return False
    return True


def heal_and_drain(world, network, group, *, drain=2500.0):
    network.apply(Fault(world.now, "heal"))
    network.apply(Fault(world.now, "delay", tuple(group.members), 0.0))
    network.apply(Fault(world.now, "restart", tuple(group.members)))
    world.env.run(until=world.now + drain)


faults = st.lists(
    st.tuples(st.floats(0, END, allow_nan=False),
              st.sampled_from(["crash", "restart", "split", "heal", "delay"]),
              st.sets(st.integers(0, 4), min_size=1, max_size=2),
              st.sampled_from([0.0, 5.0, 40.0])),
    max_size=10)


def schedule(n, drawn):
    out = []
    for at, kind, picks, value in sorted(drawn, key=lambda f: f[0]):
        nodes = tuple(sorted(f"n{i % n}" for i in picks))
        out.append(Fault(at, kind, () if kind == "heal" else nodes,
                         value if kind == "delay" else 0.0))
    return out


@SETTINGS
@given(st.sampled_from([3, 5]), st.integers(0, 10_000), faults, st.booleans())
def test_random_fault_schedules_keep_every_raft_safety_and_liveness_promise(n, seed, drawn,
                                                                            bootstrap):
    world, network, group = build(n, seed, bootstrap=bootstrap)
    problems: list[str] = []
    watch_minority_commits(network, group, problems)
    network.schedule(schedule(n, drawn))
    world.env.process(writer(world, group))
    for t in range(10, int(END), 10):
        world.env.run(until=float(t))
        assert committed_prefixes_agree(group), f"committed prefixes differ at t={t}"
    world.env.run(until=END + 1.0)  # every scheduled fault has happened
    heal_and_drain(world, network, group)
    assert not problems, problems
    assert not group.violations, group.violations
    assert all(len(leaders) == 1 for leaders in group.leaders.values()), group.leaders
    # liveness after the heal: one leader, every log equal, nothing committed was lost
    leaders = [m for m, node in group.nodes.items() if node.role == LEADER]
    assert len(leaders) == 1
    logs = {tuple(e.uid for e in node.log[: node.commit]) for node in group.nodes.values()}
    assert len(logs) == 1
    (log,) = logs
    for index, uid in group.committed.items():
        assert log[index - 1] == uid, f"committed entry {index} lost"
    assert group.nodes[leaders[0]].commit >= len(group.committed)


class RaftMachine(RuleBasedStateMachine):
    """Crash, restart, split, heal, delay and write in any order; Raft's invariants hold."""

    def __init__(self):
        super().__init__()
        self.world, self.network, self.group = build(5, 7, bootstrap=False)
        self.problems: list[str] = []
        watch_minority_commits(self.network, self.group, self.problems)
        self.writes = 0

    def _now(self, kind, nodes=(), value=0.0):
        self.network.apply(Fault(self.world.now, kind, nodes, value))

    @rule(i=st.integers(0, 4))
    def crash(self, i):
        self._now("crash", (f"n{i}",))

    @rule(i=st.integers(0, 4))
    def restart(self, i):
        self._now("restart", (f"n{i}",))

    @rule(picks=st.sets(st.integers(0, 4), min_size=1, max_size=2))
    def split(self, picks):
        self._now("split", tuple(f"n{i}" for i in sorted(picks)))

    @rule()
    def heal(self):
        self._now("heal")

    @rule(i=st.integers(0, 4), value=st.sampled_from([0.0, 10.0, 50.0]))
    def delay(self, i, value):
        self._now("delay", (f"n{i}",), value)

    @rule()
    def write(self):
        leader = self.group.leader()
        if leader is not None:
            self.writes += 1
            self.group.append(leader, ("write", self.writes))

    @rule(dt=st.sampled_from([1.0, 15.0, 80.0, 250.0]))
    def advance(self, dt):
        self.world.env.run(until=self.world.now + dt)

    @invariant()
    def at_most_one_leader_per_term(self):
        assert all(len(v) == 1 for v in self.group.leaders.values()), self.group.leaders

    @invariant()
    def committed_prefixes_are_identical(self):
        assert committed_prefixes_agree(self.group)

    @invariant()
    def no_minority_commit_and_no_lost_commit(self):
        assert not self.problems, self.problems
        assert not self.group.violations, self.group.violations

    def teardown(self):
        heal_and_drain(self.world, self.network, self.group)
        assert len({n.commit for n in self.group.nodes.values()}) == 1
        assert committed_prefixes_agree(self.group)


def test_the_raft_state_machine_holds_its_invariants_under_any_fault_order():
    run_state_machine_as_test(RaftMachine, settings=settings(
        max_examples=40, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))


@pytest.mark.parametrize(("n", "expected"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (7, 4)])
def test_a_quorum_is_a_strict_majority(n, expected):
    assert quorum(n) == expected


def test_a_majority_keeps_committing_while_a_minority_with_the_old_leader_commits_nothing():
    world, network, group = build(5, 3)
    world.env.process(writer(world, group))
    network.schedule([Fault(100.0, "split", ("n0", "n1")), Fault(900.0, "heal")])
    world.env.run(until=100.0)
    before = {m: n.commit for m, n in group.nodes.items()}
    world.env.run(until=899.0)
    assert group.nodes["n0"].commit == before["n0"]
    assert group.nodes["n1"].commit <= before["n0"]
    majority_leader = group.leader()
    assert majority_leader in ("n2", "n3", "n4")
    assert group.nodes[majority_leader].commit > before["n0"] + 20
    world.env.run(until=1500.0)
    assert not group.lost
    assert committed_prefixes_agree(group)


def test_ap_mode_commits_on_both_sides_and_loses_acknowledged_writes_at_the_heal():
    world, network, group = build(5, 3, ap_mode=True)
    world.env.process(writer(world, group))
    network.schedule([Fault(100.0, "split", ("n0", "n1")), Fault(900.0, "heal")])
    world.env.run(until=100.0)
    before = group.nodes["n0"].commit
    world.env.run(until=899.0)
    assert group.nodes["n0"].commit > before  # the minority committed on its own
    world.env.run(until=1500.0)
    assert group.lost, "the heal should overwrite the minority's acknowledged entries"


def test_a_single_member_group_commits_on_its_own():
    world, _network, group = build(1, 1)
    group.append("n0", "x")
    world.env.run(until=1.0)
    assert group.nodes["n0"].commit == 2  # the leader's no-op and "x"


def test_same_seed_same_elections():
    def elections(seed):
        world, network, group = build(5, seed, bootstrap=False)
        network.schedule([Fault(300.0, "crash", ("n1",)), Fault(500.0, "split", ("n2",))])
        world.env.process(writer(world, group))
        world.env.run(until=1200.0)
        return group.leaders, world.trace.to_frame()

    (a, ta), (b, tb) = elections(11), elections(11)
    assert a == b
    assert ta.equals(tb)


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"members": []}, ValueError, "members"),
    ({"members": ["n0", "n0"]}, ValueError, "distinct"),
    ({"members": ["nx"]}, ValueError, "not in the network"),
    ({"heartbeat": 500.0}, ValueError, "heartbeat"),
    ({"election_timeout": -1.0}, ValueError, "election_timeout"),
    ({"ap_mode": 1}, TypeError, "ap_mode"),
    ({"bootstrap": "n9"}, ValueError, "bootstrap"),
])
def test_bad_raft_settings_are_rejected_with_a_clear_message(kwargs, error, words):
    world = World(1)
    network = Network(world, ["n0", "n1", "n2"])
    args = {"members": ["n0", "n1", "n2"], **kwargs}
    with pytest.raises(error, match=words):
        RaftGroup(world, network, args.pop("members"), **args)


@pytest.mark.parametrize(("args", "error", "words"), [
    ((-1.0, "crash", ("n0",)), ValueError, "at"),
    ((1.0, "explode", ("n0",)), ValueError, "kind"),
    ((1.0, "crash", ()), ValueError, "needs at least one node"),
    ((1.0, "crash", ["n0"]), TypeError, "tuple"),
    ((1.0, "delay", ("n0",), -5.0), ValueError, "value"),
])
def test_bad_faults_are_rejected_with_a_clear_message(args, error, words):
    with pytest.raises(error, match=words):
        Fault(*args)


def test_quorum_rejects_an_empty_group():
    with pytest.raises(ValueError, match="n must be >= 1"):
        quorum(0)


def test_a_fault_on_an_unknown_node_is_rejected():
    world = World(1)
    network = Network(world, ["n0"])
    with pytest.raises(ValueError, match="not in the network"):
        network.schedule([Fault(1.0, "crash", ("n7",))])
