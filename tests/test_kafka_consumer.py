"""Consumer groups: generations, assignors, rebalances, committed offsets, commit strategies ×
crash points, lag, and the CG invariants under random joins, leaves and crashes."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.engines.kafka import Cluster, ConsumerGroup, Producer, assign, partition_for
from eventlab.engines.kafka.bench import bare_pipe, kafka_pipe

PROPERTY = settings(max_examples=60, deadline=None)


def setup(seed=1, *, partitions=1, group=None, topic=None):
    world = World(seed)
    kafka = Cluster(world)
    kafka.create_topic("t", partitions=partitions, **(topic or {}))
    producer = Producer(kafka, "app")
    settings_ = {"auto_offset_reset": "earliest", "session_timeout": 1000.0, **(group or {})}
    return world, kafka, producer, ConsumerGroup(kafka, "g", "t", **settings_)


def send(world, producer, n, key="k"):
    producer.send("t", world.event("Changed", sender="app", key=key, payload={"n": n}))


def produce_later(world, producer, count, *, at=100.0, every=0.0, keys=1):
    def run():
        yield world.env.timeout(at)
        for n in range(count):
            send(world, producer, n, key=f"k{n % keys}")
            if every:
                yield world.env.timeout(every)

    world.env.process(run())


def rows(world, kind, **match):
    frame = world.trace.to_frame()
    frame = frame[frame["kind"] == kind]
    for column, value in match.items():
        frame = frame[frame[column] == value]
    return frame


@pytest.mark.parametrize(("commit", "point", "lost", "duplicated"), [
    ("auto", "after_poll", [], []),
    ("auto", "after_process", [], [0, 1, 2, 3, 4]),
    ("commit_then_process", "after_poll", [], []),
    ("commit_then_process", "after_commit", [0, 1, 2, 3, 4], []),
    ("process_then_commit", "after_poll", [], []),
    ("process_then_commit", "after_process", [], [0, 1, 2, 3, 4]),
    ("process_then_commit", "after_commit", [], []),
])
def test_commit_strategy_and_crash_point_decide_between_loss_and_duplicates(
        commit, point, lost, duplicated):
    world, _, producer, group = setup()
    effects = Counter()
    first = group.join("a", lambda r: effects.update([r.offset]), commit=commit,
                       max_poll_records=5)
    group.join("b", lambda r: effects.update([r.offset]), commit=commit, max_poll_records=5)
    first.crash_at(point)
    produce_later(world, producer, 10)
    world.env.run()
    assert [o for o in range(10) if effects[o] == 0] == lost
    assert [o for o in range(10) if effects[o] > 1] == duplicated
    assert group.committed == {("t", 0): 10}
    assert rows(world, "fault", actor="a")["detail"].tolist() == [
        f"crashed {point.replace('_', ' ')}"]


def test_a_crashed_member_keeps_its_partitions_until_the_session_timeout_and_lag_grows():
    world, _, producer, group = setup(partitions=2, group={"session_timeout": 5000.0})
    group.join("a", commit="process_then_commit")
    group.join("b", commit="process_then_commit")
    produce_later(world, producer, 100, every=10.0, keys=7)
    lags = {}

    def chaos():
        yield world.env.timeout(200.0)
        group.crash("a")
        lags["at the crash"] = group.lag()
        yield world.env.timeout(2000.0)
        lags["while a is silent"] = group.lag()
        yield world.env.timeout(4000.0)
        lags["after the timeout"] = group.lag()

    world.env.process(chaos())
    world.env.run()
    # a owned t-0: everything written to it since the crash piles up; b keeps t-1 at zero.
    written = sum(1 for n in range(100) if partition_for(f"k{n % 7}", 2) == 0)
    assert lags["at the crash"][("t", 0)] < 5
    assert lags["while a is silent"][("t", 0)] > written // 2
    assert lags["while a is silent"][("t", 1)] == 0
    assert sum(lags["after the timeout"].values()) < 5
    assert group.total_lag() == 0
    assert group.history[-1][1] == {"b": [("t", 0), ("t", 1)]}
    removed = rows(world, "note", actor="g")["detail"].tolist()
    assert removed == ["a: session timed out"]
    assert rows(world, "state", actor="g", entity="generation")["time"].tolist()[-1] >= 5200.0


def test_lag_is_the_high_watermark_minus_the_committed_offset():
    world, kafka, producer, group = setup(partitions=1)
    for n in range(7):
        send(world, producer, n)
    world.env.run()
    assert group.lag() == {("t", 0): 7}  # no member yet: nothing committed
    group.join("a", commit="commit_then_process", max_poll_records=3)
    world.env.run(until=world.now + 60.0)
    assert kafka.topic("t").high_watermarks() == [7]
    assert group.committed == {("t", 0): 7}
    assert group.lag() == {("t", 0): 0}


def test_a_member_slower_than_max_poll_interval_is_fenced_and_its_late_commit_rejected():
    world, _, producer, group = setup(group={"max_poll_interval": 100.0})
    effects = Counter()
    group.join("slow", lambda r: effects.update([r.offset]), commit="process_then_commit",
               processing_time=60.0, max_poll_records=3)
    group.join("spare", lambda r: effects.update([r.offset]), commit="process_then_commit")
    produce_later(world, producer, 3)
    world.env.run()
    rejected = rows(world, "reject", actor="g")
    assert rejected["detail"].str.startswith("CommitFailedException: slow (generation 1)").all()
    assert len(rejected) == 1
    assert effects == {0: 2, 1: 2, 2: 2}  # the zombie and the new owner both did the work
    assert group.committed == {("t", 0): 3}
    commits = rows(world, "state", entity="committed p0")["value"].astype(int).tolist()
    assert commits == sorted(commits)


def test_cooperative_rebalance_revokes_only_what_moves_while_eager_revokes_everything():
    def revocations(assignor):
        world, _, _, group = setup(partitions=6, group={"assignor": assignor})
        group.join("a")
        group.join("b")

        def later():
            yield world.env.timeout(1000.0)
            group.join("c")

        world.env.process(later())
        world.env.run()
        revoked = rows(world, "state", entity="assignment")
        revoked = revoked[revoked["detail"].str.startswith("revoked")]
        revoked = revoked[revoked["time"] >= 1000.0]
        return sum(len(d.split(", ")) for d in revoked["detail"].str[len("revoked "):]), group

    eager, group = revocations("range")
    assert eager == 6
    assert group.history[-1][1] == assign("range", ["a", "b", "c"], {"t": 6})
    cooperative, group = revocations("cooperative-sticky")
    assert cooperative == 2
    final = group.history[-1][1]
    assert sorted(len(parts) for parts in final.values()) == [2, 2, 2]


def test_roundrobin_assignment_is_kafkas():
    world, _, _, group = setup(partitions=5, group={"assignor": "roundrobin"})
    for member in ["c2", "c0", "c1"]:
        group.join(member)
    world.env.run()
    assert group.history[-1][1] == assign("roundrobin", ["c0", "c1", "c2"], {"t": 5})


def test_auto_offset_reset_latest_skips_what_came_before_and_logs_it_none_fails():
    world, _, producer, group = setup(group={"auto_offset_reset": "latest"})
    for n in range(3):
        send(world, producer, n)
    got = []
    group.join("a", lambda r: got.append(r.offset))
    produce_later(world, producer, 2)
    world.env.run()
    assert got == [3, 4]
    position = rows(world, "state", entity="position p0")
    assert position["detail"].tolist() == ["no committed offset: auto_offset_reset=latest"]
    world, _, producer, group = setup(group={"auto_offset_reset": "none"})
    send(world, producer, 0)
    member = group.join("a")
    world.env.run()
    assert not member.alive
    assert rows(world, "fault", actor="a")["detail"].str.contains("OffsetOutOfRange").all()


def test_a_graceful_leave_commits_and_hands_over_without_duplicates():
    world, _, producer, group = setup(partitions=2)
    effects = Counter()
    group.join("a", lambda r: effects.update([(r.partition, r.offset)]))
    group.join("b", lambda r: effects.update([(r.partition, r.offset)]))
    produce_later(world, producer, 40, every=5.0, keys=5)

    def later():
        yield world.env.timeout(150.0)
        group.leave("a")

    world.env.process(later())
    world.env.run()
    assert sum(effects.values()) == 40
    assert max(effects.values()) == 1
    assert list(group.members) == ["b"]


def test_group_and_member_settings_are_validated():
    _, kafka, _, group = setup()
    with pytest.raises(ValueError, match="assignor must be one of 'range', 'roundrobin'"):
        ConsumerGroup(kafka, "g2", "t", assignor="sticky")
    with pytest.raises(ValueError, match="commit must be one of 'auto'"):
        group.join("a", commit="sometimes")
    with pytest.raises(TypeError, match="types must be a list of message types, got str"):
        group.join("a", types="OrderPlaced")
    member = group.join("a")
    with pytest.raises(ValueError, match="member 'a' is already in group 'g'"):
        group.join("a")
    with pytest.raises(ValueError, match="point must be one of 'after_poll'"):
        member.crash_at("before_lunch")
    with pytest.raises(ValueError, match="no member 'z' in group 'g'; members: a"):
        group.crash("z")


def crash_run(seed):
    world, _, producer, group = setup(seed, partitions=3)
    for name in "abc":
        group.join(name, commit="process_then_commit", max_poll_records=4)
    produce_later(world, producer, 60, every=3.0, keys=9)

    def chaos():
        yield world.env.timeout(world.rng("chaos").uniform(100.0, 250.0))
        group.crash(world.rng("chaos").choice("abc"))

    world.env.process(chaos())
    world.env.run()
    return world.trace.to_frame()


def test_the_same_seed_gives_the_same_consumer_trace():
    first = crash_run(11)
    assert first.equals(crash_run(11))
    assert not first.equals(crash_run(12))


def test_the_benchmark_pipes_run_and_move_every_message():
    assert bare_pipe(2000) > 0.0
    assert kafka_pipe(2000) > 0.0


events = st.lists(st.tuples(st.floats(min_value=0.0, max_value=400.0),
                            st.sampled_from(["join", "leave", "crash"]),
                            st.integers(min_value=0, max_value=3)), max_size=10)


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1), schedule=events,
       assignor=st.sampled_from(["range", "roundrobin", "cooperative-sticky"]),
       commit=st.sampled_from(["auto", "process_then_commit"]),
       processing_time=st.sampled_from([0.0, 0.0, 2.0]),
       max_poll=st.integers(min_value=1, max_value=6))
def test_property_group_invariants_hold_under_joins_leaves_and_crashes(
        seed, schedule, assignor, commit, processing_time, max_poll):
    world, kafka, producer, group = setup(
        seed, partitions=4, group={"assignor": assignor, "session_timeout": 300.0,
                                   "rebalance_delay": 20.0, "auto_offset_reset": "earliest"})
    member = {"commit": commit, "processing_time": processing_time,
              "max_poll_records": max_poll, "auto_commit_interval": 50.0}
    produce_later(world, producer, 60, at=0.0, every=5.0, keys=11)
    joined = Counter()

    def chaos():
        group.join("m0-0", **member)
        for at, action, who in sorted(schedule):
            yield world.env.timeout(max(at - world.now, 0.0))
            live = [m for m in group.members.values() if m.alive]
            if action == "join":
                joined[who] += 1
                group.join(f"m{who}-{joined[who]}", **member)
            elif live:
                target = live[who % len(live)].member_id
                (group.leave if action == "leave" else group.crash)(target)
        yield world.env.timeout(500.0)
        group.join("drain", **member)  # heal: someone is there to finish the work

    world.env.process(chaos())
    world.env.run()
    frame = world.trace.to_frame()
    # CG-1: each partition has at most one owner per generation.
    for _, assignment in group.history:
        owned = [tp for parts in assignment.values() for tp in parts]
        assert len(owned) == len(set(owned))
    # CG-2: committed offsets never go back.
    commits = frame[(frame["kind"] == "state") & frame["entity"].str.startswith("committed")]
    for _, offsets in commits.groupby("entity")["value"]:
        values = offsets.astype(int).tolist()
        assert values == sorted(values)
    assert (frame["kind"] == "reject").sum() == 0  # every commit came from a rightful owner
    # CG-3: a new owner starts exactly at the committed offset (or at the logged reset), and
    # its first record from there is that offset: no poll-skip.
    committed: dict[str, int] = {}
    delivered = frame[frame["kind"] == "deliver"]
    states = frame[frame["kind"] == "state"]
    for row in states.itertuples():
        if row.entity.startswith("committed"):
            committed[row.entity.split()[1]] = int(row.value)
        elif row.entity.startswith("position"):
            p = row.entity.split()[1]
            assert int(row.value) == committed.get(p, 0), row
            again = states[(states["actor"] == row.actor) & (states["entity"] == row.entity)
                           & (states["seq"] > row.seq)]
            until = again["seq"].min() if len(again) else len(frame)
            mine = delivered[(delivered["actor"] == row.actor) & (delivered["seq"] > row.seq)
                             & (delivered["seq"] < until) & (delivered["partition"] == int(p[1:]))]
            if len(mine) and processing_time == 0.0:
                assert mine["offset"].iloc[0] == int(row.value)
    # CG-4: after healing and draining, every committed record was processed at least once.
    topic = kafka.topic("t")
    for index, high_watermark in enumerate(topic.high_watermarks()):
        seen = set(delivered.loc[delivered["partition"] == index, "offset"].astype(int))
        assert seen == set(range(high_watermark))
    assert group.total_lag() == 0
