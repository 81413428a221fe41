"""Rebalances happen at poll boundaries, as in Kafka: what re-delivers a record and what does not.

Kafka runs ``onPartitionsRevoked`` inside ``poll()``, between batches. So a member that handles
its batches in the poll loop and commits on revoke hands over exactly where it stopped; records
are handled again only when processing is asynchronous (in flight at the revoke) or when a
member is kicked out (its batch outlasts max.poll.interval.ms, or it pauses past its session)
and its commit is refused.
"""

from collections import Counter

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.engines.kafka import Cluster, ConsumerGroup, Producer

PROPERTY = settings(max_examples=40, deadline=None)
SEARCH = settings(max_examples=200, deadline=None, database=None, phases=[Phase.generate])
PARTITIONS = 4


class Run:
    """One group under a schedule of joins, leaves and stalls; what each member handled."""

    def __init__(self, seed, schedule=(), *, commit="process_then_commit", processing="sync",
                 drain=False, processing_time=2.0, max_poll=5, assignor="range", records=60,
                 max_poll_interval=300_000.0):
        self.world = world = World(seed)
        kafka = Cluster(world, brokers=1)
        self.topic = kafka.create_topic("t", partitions=PARTITIONS, replication_factor=1)
        producer = Producer(kafka, "app")
        self.group = group = ConsumerGroup(
            kafka, "g", "t", assignor=assignor, session_timeout=150.0, rebalance_delay=20.0,
            max_poll_interval=max_poll_interval, auto_offset_reset="earliest")
        self.handled: list[tuple[int, int, str, float]] = []  # partition, offset, member, time
        member = {"commit": commit, "commit_on_revoke": True, "processing": processing,
                  "drain_on_revoke": drain, "processing_time": processing_time,
                  "max_poll_records": max_poll, "auto_commit_interval": 50.0}
        joined = Counter()

        def handler(name):
            return lambda r: self.handled.append((r.partition, r.offset, name, world.now))

        def join(name):
            group.join(name, handler(name), **member)

        def produce():
            rng = world.rng("keys")
            for n in range(records):
                producer.send("t", world.event("Changed", sender="app",
                                               key=f"k{rng.randrange(13)}", payload={"n": n}))
                yield world.env.timeout(5.0)

        def chaos():
            join("m0-0")
            for at, action, who, pause, heartbeats in sorted(schedule):
                yield world.env.timeout(max(at - world.now, 0.0))
                live = [m for m in group.members.values() if m.alive]
                if action == "join":
                    joined[who] += 1
                    join(f"m{who}-{joined[who]}")
                elif live and action == "leave":
                    group.leave(live[who % len(live)].member_id)
                elif live and action == "stall":
                    live[who % len(live)].stall(pause, heartbeats=heartbeats)
            yield world.env.timeout(800.0)
            join("drain")  # heal: someone is there to finish the work

        world.env.process(produce())
        world.env.process(chaos())
        world.env.run()
        self.trace = world.trace.to_frame()

    def times_handled(self):
        return Counter((p, o) for p, o, _, _ in self.handled)

    def duplicates(self):
        return sorted(r for r, n in self.times_handled().items() if n > 1)

    def kicked_out(self):
        notes = self.trace[(self.trace["kind"] == "note") & (self.trace["actor"] == "g")]
        return {str(d).split(":")[0] for d in notes["detail"]
                if "max.poll.interval" in str(d) or "during a pause" in str(d)}

    def assert_nothing_lost_and_commits_never_go_back(self):
        for index, high_watermark in enumerate(self.topic.high_watermarks()):
            seen = {o for p, o in self.times_handled() if p == index}
            assert seen == set(range(high_watermark))
        frame = self.trace
        commits = frame[(frame["kind"] == "state") & frame["entity"].str.startswith("committed")]
        for _, offsets in commits.groupby("entity")["value"]:
            values = offsets.astype(int).tolist()
            assert values == sorted(values)
        assert self.group.total_lag() == 0


moves = st.lists(st.tuples(st.floats(min_value=0.0, max_value=300.0),
                           st.sampled_from(["join", "leave"]), st.integers(0, 3),
                           st.just(0.0), st.just(True)), max_size=8)
stalls = st.lists(st.tuples(st.floats(min_value=0.0, max_value=300.0), st.just("stall"),
                            st.integers(0, 3), st.floats(min_value=10.0, max_value=600.0),
                            st.booleans()), min_size=1, max_size=2)
seeds = st.integers(min_value=0, max_value=2**31 - 1)


@PROPERTY
@given(seed=seeds, schedule=moves, commit=st.sampled_from(["auto", "process_then_commit"]),
       assignor=st.sampled_from(["range", "roundrobin", "cooperative-sticky"]),
       processing_time=st.sampled_from([0.0, 1.0, 4.0]), max_poll=st.integers(1, 8))
def test_property_commit_on_revoke_with_synchronous_processing_never_redelivers_a_record(
        seed, schedule, commit, assignor, processing_time, max_poll):
    run = Run(seed, schedule, commit=commit, assignor=assignor,
              processing_time=processing_time, max_poll=max_poll)
    assert run.duplicates() == []
    assert (run.trace["kind"] == "reject").sum() == 0
    run.assert_nothing_lost_and_commits_never_go_back()


@PROPERTY
@given(seed=seeds, schedule=moves, stalled=stalls, max_poll=st.integers(1, 8))
def test_property_only_a_kicked_out_member_makes_a_synchronous_group_handle_a_record_twice(
        seed, schedule, stalled, max_poll):
    run = Run(seed, [*schedule, *stalled], max_poll=max_poll, max_poll_interval=200.0)
    kicked = run.kicked_out()
    by = {}
    for p, o, member, _ in run.handled:
        by.setdefault((p, o), []).append(member)
    for record in run.duplicates():
        assert kicked & set(by[record]), (record, by[record], kicked)
    refused = run.trace[run.trace["kind"] == "reject"]
    assert set(refused["target"]) <= kicked  # CommitFailedException: kicked-out members only
    run.assert_nothing_lost_and_commits_never_go_back()


def test_a_kicked_out_member_can_make_the_group_handle_a_record_twice():
    def twice(case):
        seed, stalled = case
        return bool(Run(seed, stalled, max_poll_interval=200.0).duplicates())

    seed, stalled = find(st.tuples(seeds, stalls), twice, settings=SEARCH)
    run = Run(seed, stalled, max_poll_interval=200.0)
    assert run.kicked_out()
    assert (run.trace["kind"] == "reject").any()


@PROPERTY
@given(seed=seeds, schedule=moves, max_poll=st.integers(1, 8),
       processing_time=st.sampled_from([1.0, 4.0]))
def test_property_asynchronous_processing_redelivers_only_after_a_revoke_and_loses_nothing(
        seed, schedule, max_poll, processing_time):
    run = Run(seed, schedule, processing="async", max_poll=max_poll,
              processing_time=processing_time)
    revokes = run.trace[(run.trace["entity"] == "assignment")
                        & run.trace["detail"].str.startswith("revoked").fillna(False)]
    for p, o in run.duplicates():
        later = [t for q, r, _, t in run.handled if (q, r) == (p, o)][1:]
        mine = revokes[revokes["detail"].str.contains(f"t-{p}\\b", regex=True)]
        assert (mine["time"] <= max(later)).any(), (p, o)
    run.assert_nothing_lost_and_commits_never_go_back()


def test_asynchronous_processing_can_make_the_group_handle_a_record_twice():
    def twice(case):
        seed, schedule = case
        return bool(Run(seed, schedule, processing="async", processing_time=4.0).duplicates())

    found = find(st.tuples(seeds, moves), twice, settings=SEARCH)
    assert Run(found[0], found[1], processing="async", processing_time=4.0).duplicates()


@PROPERTY
@given(seed=seeds, schedule=moves, max_poll=st.integers(1, 8),
       processing_time=st.sampled_from([1.0, 4.0]))
def test_property_asynchronous_processing_that_drains_on_revoke_never_redelivers(
        seed, schedule, max_poll, processing_time):
    run = Run(seed, schedule, processing="async", drain=True, max_poll=max_poll,
              processing_time=processing_time)
    assert run.duplicates() == []
    run.assert_nothing_lost_and_commits_never_go_back()


def rows(run, kind, **match):
    frame = run.trace[run.trace["kind"] == kind]
    for column, value in match.items():
        frame = frame[frame[column] == value]
    return frame


def test_a_member_revokes_at_its_next_poll_after_the_batch_in_hand_and_commits_all_of_it():
    # m0-0 polls 5 records at 20 ms each; m1 joins while it is 1 record into its batch.
    run = Run(1, [(21.0, "join", 1, 0.0, True)], processing_time=20.0, records=10)
    revoked = rows(run, "state", actor="m0-0", entity="assignment")
    revoked = revoked[revoked["detail"].str.startswith("revoked")]
    first = float(revoked["time"].iloc[0])
    mine = [t for _, _, m, t in run.handled if m == "m0-0" and t < first]
    assert first >= max(mine) + 20.0  # only after the last record of the batch was done
    commits = rows(run, "state", entity="committed p0")
    assert run.duplicates() == []
    assert (commits["time"] <= first).any()


def test_a_rebalance_waits_for_a_crashed_member_until_its_session_times_out():
    world = World(3)
    kafka = Cluster(world, brokers=1)
    kafka.create_topic("t", partitions=2, replication_factor=1)
    group = ConsumerGroup(kafka, "g", "t", session_timeout=500.0, rebalance_delay=10.0)
    group.join("a")

    def later():
        yield world.env.timeout(100.0)
        group.crash("a")
        yield world.env.timeout(100.0)
        group.join("b")  # the join waits for a, which never rejoins

    world.env.process(later())
    world.env.run()
    generations = world.trace.to_frame().query("entity == 'generation'")
    assert generations["time"].tolist() == [10.0, 610.0]
    assert group.history[-1][1] == {"b": [("t", 0), ("t", 1)]}


def test_a_member_paused_past_its_session_is_removed_and_its_later_commit_refused():
    run = Run(5, [(40.0, "stall", 0, 400.0, False)], processing_time=2.0, records=40)
    assert run.kicked_out() == {"m0-0"}
    refused = rows(run, "reject", actor="g")
    assert refused["detail"].str.startswith("CommitFailedException: m0-0").all()
    assert len(refused) >= 1
    assert float(refused["time"].min()) >= 40.0 + 150.0


def test_stalls_and_drains_are_validated():
    world = World(1)
    kafka = Cluster(world, brokers=1)
    kafka.create_topic("t", replication_factor=1)
    group = ConsumerGroup(kafka, "g", "t")
    with pytest.raises(ValueError, match="drain_on_revoke=True needs processing='async'"):
        group.join("a", drain_on_revoke=True)
    with pytest.raises(ValueError, match="processing must be one of 'sync', 'async'"):
        group.join("a", processing="threads")
    member = group.join("a")
    with pytest.raises(ValueError, match="duration"):
        member.stall(-1.0)
    member.crash()
    with pytest.raises(ValueError, match="member 'a' is down: it cannot stall"):
        member.stall(10.0)
