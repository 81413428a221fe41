"""The workflow engine's strengths: retries with backoff, incidents per instance that resolve,
job timeouts, a message buffer with a time to live, an outbox, an inbox, remote jobs."""

from collections.abc import Generator
from typing import Any

import pytest
import simpy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.core.catalogue import MessageCatalogue
from eventlab.core.messages import Message
from eventlab.engines.workflow import (
    BpmnError,
    Engine,
    JobFailed,
    Process,
    boundary,
    end,
    error_boundary,
    receive,
    service,
    start,
    subprocess,
)
from eventlab.engines.workflow.inbox import Inbox
from eventlab.engines.workflow.outbox import Outbox
from eventlab.engines.workflow.remote import COMMAND_ID, Remote, RemoteJobs

small = settings(max_examples=40, deadline=None)


def one_task(job: str = "a", retries: int = 3) -> Process:
    return Process("p", "P", [start("s"), service("t", job=job, retries=retries), end("e")],
                   [("s", "t"), ("t", "e")])


def fails(times: int, calls: list[float], world: World, backoff: float | None = None):
    def handler(job):
        calls.append(world.now)
        if len(calls) <= times:
            raise JobFailed("down", backoff=backoff)
        return {"ok": True}
    return handler


def test_failed_jobs_wait_longer_after_each_failure_with_a_backoff_factor():
    world, calls = World(1), []
    engine = Engine(world, "E", retry_backoff=1.0, backoff_factor=2.0)
    engine.deploy(one_task(retries=5))
    engine.worker("a", fails(3, calls, world))
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert calls == [0.0, 1.0, 3.0, 7.0]
    assert inst.status == "completed"


def test_a_worker_can_ask_for_its_own_backoff_as_zeebe_s_fail_job_does():
    world, calls = World(1), []
    engine = Engine(world, "E", retry_backoff=1.0, backoff_factor=2.0)
    engine.deploy(one_task())
    engine.worker("a", fails(2, calls, world, backoff=0.25))
    engine.start("p", correlation_id="c")
    world.env.run()
    assert calls == [0.0, 0.25, 0.5]


def test_a_backoff_must_be_a_number_of_hours():
    with pytest.raises(TypeError, match="backoff must be a number"):
        JobFailed("x", backoff=-1)
    with pytest.raises(ValueError, match="backoff_factor"):
        Engine(World(1), "E", backoff_factor=0.5)


def test_an_incident_is_listed_per_instance_and_resolving_it_lets_the_instance_continue():
    world, calls = World(1), []
    engine = Engine(world, "E", retry_backoff=1.0)
    engine.deploy(one_task(retries=2))
    engine.worker("a", fails(2, calls, world))
    inst = engine.start("p", correlation_id="order-7", key="order-7")
    world.env.run()
    table = engine.incidents()
    assert list(table["key"]) == ["order-7"]
    assert list(table["element"]) == ["t"]
    assert list(table["how"]) == ["open"]
    assert inst.status == "incident"
    world.env.run(until=10.0)
    engine.resolve(inst, retries=1)
    world.env.run()
    assert inst.status == "completed"
    assert list(engine.incidents()[["opened", "ended", "how"]].itertuples(index=False,
                                                                           name=None)) == \
        [(1.0, 10.0, "resolved")]


def test_a_job_nobody_answers_is_activated_again_after_the_job_timeout_without_a_retry():
    world = World(1)
    engine = Engine(world, "E", job_timeout=5.0)
    engine.deploy(one_task(retries=1))
    activations = []

    def worker(job) -> Generator[simpy.Event, Any, dict[str, Any]]:
        activations.append((world.now, job.attempt))
        if len(activations) == 1:
            yield world.env.event()  # a crashed worker never answers
        yield world.env.timeout(1.0)
        return {"done": True}

    engine.worker("a", worker)
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert activations == [(0.0, 1), (5.0, 1)]
    assert (inst.status, inst.ended, inst.incidents) == ("completed", 6.0, 0)


def test_a_business_error_keeps_its_code_through_a_timed_job():
    world = World(1)
    p = Process("p", "P", [start("s"), subprocess("sub"), start("ss", parent="sub"),
                           service("t", job="a", parent="sub"), end("se", parent="sub"),
                           error_boundary("eb", attached_to="sub", error="X"), end("caught"),
                           end("ok")],
                [("s", "sub"), ("ss", "t"), ("t", "se"), ("sub", "ok"), ("eb", "caught")])
    engine = Engine(world, "E", job_timeout=5.0)
    engine.deploy(p)

    def worker(job):
        yield world.env.timeout(1.0)
        raise BpmnError("X", "no stock")

    engine.worker("a", worker)
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert (inst.outcome, inst.incidents) == ("caught", 0)


def waiting(ttl: float = 0.0) -> tuple[World, Engine, Any]:
    world = World(1)
    p = Process("p", "P", [start("s"), service("t", job="slow"), receive("r", message="Paid"),
                           end("e")], [("s", "t"), ("t", "r"), ("r", "e")])
    engine = Engine(world, "E", message_ttl=ttl)
    engine.deploy(p)

    def slow(job):
        yield world.env.timeout(2.0)
        return {}

    engine.worker("slow", slow)
    return world, engine, engine.start("p", correlation_id="c")


def paid(world: World, correlation_id: str = "c") -> Message:
    return world.event("Paid", sender="test", correlation_id=correlation_id)


def test_a_message_that_comes_before_its_receive_waits_in_the_buffer_for_its_ttl():
    world, engine, inst = waiting(ttl=5.0)
    world.env.run(until=1.0)
    assert engine.deliver(paid(world)) == "buffered"
    world.env.run()
    assert (inst.status, inst.ended) == ("completed", 2.0)


def test_without_a_ttl_an_early_message_is_discarded_and_the_token_keeps_waiting():
    world, engine, inst = waiting(ttl=0.0)
    world.env.run(until=1.0)
    assert engine.deliver(paid(world)) == "discarded"
    world.env.run()
    assert inst.status == "active"
    assert engine.deliver(paid(world)) == "correlated"  # a new copy still counts
    world.env.run()
    assert inst.status == "completed"


def test_a_buffered_message_that_outlives_its_ttl_is_dropped_and_its_id_forgotten():
    world, engine, inst = waiting()
    world.env.run(until=1.0)
    early = paid(world)
    assert engine.deliver(early, ttl=0.5) == "buffered"
    world.env.run(until=3.0)
    trace = world.trace.to_frame()
    drops = trace[trace["kind"] == "drop"]
    assert list(drops["time"]) == [1.5]
    assert "nobody took it in time" in str(drops.iloc[0]["detail"])
    assert inst.status == "active"
    assert engine.deliver(early) == "correlated"  # the same id, sent again after expiry
    world.env.run()
    assert inst.status == "completed"


def test_a_message_id_is_correlated_once_however_often_it_is_delivered():
    world, engine, _inst = waiting()
    world.env.run(until=3.0)
    message = paid(world)
    assert [engine.deliver(message) for _ in range(3)] == ["correlated", "duplicate",
                                                           "duplicate"]
    assert engine.duplicates == 2


@given(seed=st.integers(0, 10_000), arrive=st.floats(0.0, 10.0), ttl=st.floats(0.1, 5.0))
@small
def test_a_buffered_message_is_correlated_iff_the_token_arrives_within_its_ttl(seed, arrive,
                                                                              ttl):
    world, engine, inst = waiting()
    world.env.run(until=arrive) if arrive > 0 else None
    outcome = engine.deliver(paid(world), ttl=ttl)
    world.env.run()
    if arrive > 2.0:  # at 2.0 exactly the message comes before the token: buffered, then taken
        assert outcome == "correlated"
        assert inst.status == "completed"
    elif arrive + ttl > 2.0:
        assert outcome == "buffered"
        assert inst.status == "completed"
    else:
        assert inst.status == "active"


def test_a_worker_wait_takes_a_buffered_message_at_once():
    world, engine, inst = waiting()
    engine.deliver(world.event("Reply", sender="svc", correlation_id="cmd-1"), ttl=1.0)
    event = engine.wait_for(inst, ["Reply", "Failed"], "cmd-1")
    assert event.triggered
    assert event.value.type == "Reply"
    with pytest.raises(TypeError, match="types must be"):
        engine.wait_for(inst, "Reply", "cmd-1")


# -- outbox and inbox --------------------------------------------------------------------------

class Wire:
    """A transport stand-in: records what was published; acknowledges after `delay`."""

    def __init__(self, world: World, delay: float = 1.0) -> None:
        self.world, self.delay, self.got = world, delay, []

    def connect(self):
        def publish(batch):
            self.got.extend(m.message_id for m in batch)
            yield self.world.env.timeout(self.delay)
            return len(batch)
        return publish


def messages(world: World, n: int) -> list[Message]:
    return [world.event("E", sender="s", key=f"k{i}") for i in range(n)]


@given(n=st.integers(1, 30), crash_at=st.floats(0.0, 40.0), restart_after=st.floats(0.1, 5),
       after_publish=st.booleans())
@small
def test_an_outbox_sends_every_row_at_least_once_whatever_the_crash(n, crash_at, restart_after,
                                                                     after_publish):
    world = World(1)
    wire = Wire(world)
    outbox = Outbox(world, "box", wire.connect, batch=3)
    rows = messages(world, n)

    def feed():
        for row in rows:
            outbox.append(row)
            yield world.env.timeout(0.5)

    def crash():
        yield world.env.timeout(crash_at)
        if after_publish:
            outbox.crash_after_publish()
            while outbox.up:
                yield world.env.timeout(0.1)
        else:
            outbox.crash()
        yield world.env.timeout(restart_after)
        outbox.restart()

    world.env.process(feed())
    world.env.process(crash())
    world.env.run(until=200)
    assert set(wire.got) == {m.message_id for m in rows}  # nothing lost
    assert outbox.pending == 0
    assert outbox.checkpoint == n
    assert [i for i in wire.got if wire.got.count(i) > 1] == [] or outbox.resent > 0


def test_an_outbox_crash_after_publish_sends_those_rows_again():
    world = World(1)
    wire = Wire(world)
    outbox = Outbox(world, "box", wire.connect)
    outbox.crash_after_publish()
    outbox.append(*messages(world, 2))
    world.env.run(until=5)
    assert not outbox.up
    assert outbox.checkpoint == 0
    outbox.restart()
    world.env.run(until=10)
    assert len(wire.got) == 4
    assert outbox.resent == 2
    assert outbox.checkpoint == 2


def test_an_inbox_absorbs_duplicates_and_forgets_a_failed_try():
    world = World(1)
    inbox = Inbox(world, "in")
    assert inbox.receive("a") is True
    assert inbox.receive("a") is False  # still working
    inbox.done("a")
    assert inbox.receive("a") is False
    assert inbox.receive("b") is True
    inbox.failed("b")
    assert inbox.receive("b") is True  # the failed try changed nothing: a new try
    assert (inbox.delivered, inbox.absorbed, [k for k, _ in inbox.working()]) == (5, 2, ["b"])


# -- remote jobs -------------------------------------------------------------------------------

CATALOGUE = MessageCatalogue("test", commands=["Do"], events=["Done", "Failed", "Missing"])


def remote_setup(answers: list[str], *, retries: int = 3, ttl: float = 0.0):
    """An engine whose task is done by a service over a Wire; the service answers each
    command with the next of `answers` (Done, Failed or Missing) after 1 hour."""
    world = World(1)
    p = Process("p", "P", [start("s"), subprocess("sub"), start("ss", parent="sub"),
                           service("t", job="do", retries=retries, parent="sub"),
                           end("se", parent="sub"),
                           error_boundary("eb", attached_to="sub", error="MISSING"),
                           end("missing"), end("ok")],
                [("s", "sub"), ("ss", "t"), ("t", "se"), ("sub", "ok"), ("eb", "missing")])
    engine = Engine(world, "E", retry_backoff=1.0, backoff_factor=2.0, job_timeout=50.0,
                    message_ttl=ttl)
    engine.deploy(p)
    commands: list[Message] = []
    left = list(answers)

    def answer(command: Message):
        yield world.env.timeout(1.0)
        reply = CATALOGUE.make(world, left.pop(0), sender="svc", key=command.key,
                               payload={COMMAND_ID: command.payload[COMMAND_ID]})
        engine.deliver(reply, key=str(reply.payload[COMMAND_ID]))

    def connect():
        def publish(batch):
            for command in batch:
                commands.append(command)
                world.env.process(answer(command))
            yield world.env.timeout(0.0)
            return len(batch)
        return publish

    remote = RemoteJobs(engine, Outbox(world, "log", connect), CATALOGUE, sender="E")
    remote.register("do", Remote("Do", "Done", "Failed", errors={"Missing": "MISSING"}))
    return world, engine, engine.start("p", correlation_id="c", key="k"), commands


def test_a_remote_job_retries_a_failed_command_with_the_same_command_id_then_completes():
    world, _engine, inst, commands = remote_setup(["Failed", "Failed", "Done"])
    world.env.run()
    assert inst.outcome == "ok"
    assert len({c.payload[COMMAND_ID] for c in commands}) == 1
    assert len(commands) == 3
    assert [round(c.time, 6) for c in commands] == [0.0, 2.0, 5.0]  # 1 h answers, 1 h, 2 h


def test_a_remote_job_whose_retries_run_out_is_an_incident_that_resolve_continues():
    world, engine, inst, commands = remote_setup(["Failed", "Failed", "Done"], retries=2)
    world.env.run()
    assert inst.status == "incident"
    engine.resolve(inst, retries=1)
    world.env.run()
    assert inst.outcome == "ok"
    assert len(commands) == 3


def test_a_remote_reply_can_throw_a_business_error_that_a_boundary_catches():
    world, _engine, inst, _ = remote_setup(["Missing"])
    world.env.run()
    assert (inst.outcome, inst.incidents) == ("missing", 0)


def test_a_remote_job_needs_declared_message_names():
    world, engine, _inst, _ = remote_setup(["Done"])
    remote = RemoteJobs(engine, Outbox(world, "log2", Wire(world).connect), CATALOGUE,
                        sender="E")
    with pytest.raises(ValueError, match="not in the test message catalogue"):
        remote.register("x", Remote("Unknown", "Done"))


# -- timers and compensation (with remote-style jobs of random lengths) ---------------------

@given(seed=st.integers(0, 10_000), lengths=st.lists(st.floats(0.1, 5.0), min_size=3,
                                                      max_size=3),
       sla=st.floats(0.5, 10.0), deadline=st.floats(0.5, 20.0))
@small
def test_a_non_interrupting_timer_never_cancels_and_compensation_runs_newest_first(
        seed, lengths, sla, deadline):
    ends = [sum(lengths[:i + 1]) for i in range(3)]
    assume(all(abs(t - (sla + deadline)) > 1e-6 for t in ends))  # no tie with the deadline
    world = World(seed)
    steps = ["a", "b", "c"]
    elements = [start("s"), subprocess("sub"), start("ss", parent="sub")]
    elements += [service(x, job=x, compensation=f"undo-{x}", parent="sub") for x in steps]
    elements += [end("se", parent="sub"),
                 boundary("sla", attached_to="sub", hours=sla, interrupting=False),
                 end("escalated"),
                 boundary("deadline", attached_to="sub", hours=sla + deadline),
                 end("cancelled", compensate=True), end("done")]
    flows = [("s", "sub"), ("ss", "a"), ("a", "b"), ("b", "c"), ("c", "se"), ("sub", "done"),
             ("sla", "escalated"), ("deadline", "cancelled")]
    engine = Engine(world, "E")
    engine.deploy(Process("p", "P", elements, flows))
    done: list[str] = []
    undone: list[str] = []
    for x, length in zip(steps, lengths, strict=True):
        def work(job, x=x, length=length):
            yield world.env.timeout(length)
            done.append(x)
            return {}

        def undo(job, x=x):
            undone.append(x)
            return {}
        engine.worker(x, work)
        engine.worker(f"undo-{x}", undo)
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    total = sum(lengths)
    if total <= sla + deadline:  # the SLA never stops the work
        assert inst.outcome == "done"
        assert done == steps
        assert undone == []
    else:
        assert inst.outcome == "cancelled"
        completed = [x for x, t in zip(steps, ends, strict=True) if t < sla + deadline]
        assert undone == completed[::-1]  # completed ones only, each once, newest first
        assert inst.compensated == undone
