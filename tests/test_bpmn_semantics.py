"""The BPMN elements behave as Zeebe documents them, over many seeds (models run from files)."""

import math
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.definition import (
    USER_JOB,
    Process,
    boundary,
    catch,
    end,
    error_boundary,
    event_based,
    exclusive,
    parallel,
    receive,
    service,
    start,
    subprocess,
    throw,
    timer,
    user,
)
from eventlab.engines.workflow.engine import BpmnError, Engine, JobFailed
from tests.workflow_jobs import from_file, rows, run, takes

HERE = Path(__file__).resolve().parent
seeds = settings(max_examples=40, deadline=None)


# -- non-interrupting boundary timers -------------------------------------------------------

@seeds
@given(st.integers(0, 10_000), st.integers(1, 5))
def test_a_non_interrupting_timer_never_cancels_its_task_and_adds_a_token_each_time(seed,
                                                                                     repeat):
    world = World(seed)
    work_hours = world.rng("work").uniform(0.5, 30.0)
    every = world.rng("timer").uniform(1.0, 10.0)
    assume(abs(work_hours / every - round(work_hours / every)) > 1e-6)  # no tie
    p = Process("p", "P", [start("s"), service("work", job="work"), end("done", "Done"),
                           boundary("nudge", attached_to="work", hours=every,
                                    interrupting=False, repeat=repeat),
                           service("remind", job="remind"), end("reminded", "Reminded")],
                [("s", "work"), ("work", "done"), ("nudge", "remind"),
                 ("remind", "reminded")])
    finished = []

    def work(job):
        yield job.engine.env.timeout(work_hours)
        finished.append(job.engine.world.now)
        return {}

    engine = Engine(world, "E")
    engine.deploy(from_file(p))
    engine.worker("work", work)
    engine.worker("remind", takes(world.rng("remind").uniform(0.1, 3.0)))
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    fired = min(repeat, math.floor(work_hours / every))
    assert finished == [pytest.approx(work_hours)]  # the task ran to its end, once
    assert len(rows(world, "timer")) == fired
    assert engine.token_counts("p")["remind"] == (fired, 0)
    assert "cancelled" not in set(world.trace.to_frame()["value"])
    assert inst.status == "completed"  # only after the last token ended
    reminded = rows(world, "state").query("value == 'reminded'")["time"]
    assert inst.ended == pytest.approx(max([work_hours, *reminded]))


def test_an_interrupting_timer_stops_its_task_but_a_non_interrupting_one_does_not():
    for interrupting, outcome in ((True, "Late"), (False, "Done")):
        p = Process("p", "P", [start("s"), service("a", job="slow"), end("ok", "Done"),
                               boundary("t", attached_to="a", hours=1,
                                        interrupting=interrupting), end("late", "Late")],
                    [("s", "a"), ("a", "ok"), ("t", "late")])
        _, _, inst = run(p, slow=takes(3))
        assert inst.outcome == outcome


# -- compensation ---------------------------------------------------------------------------

@seeds
@given(st.integers(0, 10_000), st.lists(st.booleans(), min_size=1, max_size=6),
       st.booleans())
def test_compensation_undoes_only_completed_tasks_each_once_newest_first(seed, compensable,
                                                                        by_end_event):
    world = World(seed)
    rng = world.rng("durations")
    elements, flows, previous = [start("s")], [], "s"
    for i, undo in enumerate(compensable):
        elements.append(service(f"t{i}", job=f"j{i}", compensation="undo" if undo else None))
        flows.append((previous, f"t{i}"))
        previous = f"t{i}"
    deadline = rng.uniform(1.0, 20.0)
    elements += [service("slow", job="slow", compensation="undo"), end("done", "Done"),
                 boundary("deadline", attached_to="slow", hours=deadline)]
    flows += [(previous, "slow"), ("slow", "done")]
    if by_end_event:
        elements.append(end("cancel", "Cancelled", compensate=True))
        flows.append(("deadline", "cancel"))
    else:  # Zeebe's intermediate compensation throw event, then an end
        elements += [throw("undo_all", compensate=True), end("cancel", "Cancelled")]
        flows += [("deadline", "undo_all"), ("undo_all", "cancel")]
    undone = []
    workers = {f"j{i}": takes(rng.uniform(0.1, 5.0)) for i in range(len(compensable))}
    engine = Engine(world, "E")
    engine.deploy(from_file(Process("saga", "Saga", elements, flows)))
    for job, handler in {**workers, "slow": takes(rng.uniform(0.1, 40.0)),
                         "undo": lambda job: undone.append(job.element.id) or {}}.items():
        engine.worker(job, handler)
    inst = engine.start("saga", correlation_id="c")
    world.env.run()
    done = [f"t{i}" for i, undo in enumerate(compensable) if undo]
    if inst.outcome == "Done":
        assert undone == []
        assert inst.completed == [*done, "slow"]
    else:
        assert "slow" not in inst.completed  # interrupted: never completed, never undone
        assert undone == list(reversed(done)) == inst.compensated
        assert inst.status == ("compensated" if by_end_event else "completed")


def test_a_compensation_throw_inside_a_subprocess_undoes_only_the_subprocess_tasks():
    undone = []
    p = Process("p", "P", [
        start("s"), service("outer", job="w", compensation="undo"), subprocess("sub"),
        start("in", parent="sub"), service("a", job="w", compensation="undo", parent="sub"),
        service("b", job="w", compensation="undo", parent="sub"),
        throw("undo_inner", compensate=True, parent="sub"), end("in_end", parent="sub"),
        end("e", "Done")],
        [("s", "outer"), ("outer", "sub"), ("sub", "e"), ("in", "a"), ("a", "b"),
         ("b", "undo_inner"), ("undo_inner", "in_end")])
    _, _, inst = run(p, w=takes(1), undo=lambda job: undone.append(job.element.id) or {})
    assert (inst.outcome, undone) == ("Done", ["b", "a"])


# -- errors -----------------------------------------------------------------------------------

@seeds
@given(st.integers(0, 10_000))
def test_an_error_boundary_catches_a_jobs_business_error_in_the_zeebe_modeler_file(seed):
    with pytest.warns(bpmn.BpmnIgnored):
        p = bpmn.read(HERE / "bpmn" / "zeebe_payment.bpmn")
    world = World(seed)
    declines = world.rng("card").randint(0, 3)
    answers = world.rng("customer")
    seen, charged = [], []
    engine = Engine(world, "Payment", sender=lambda inst, el: None)  # its sends go nowhere
    engine.deploy(p)

    def charge(job):
        seen.append(job.variables["amount"])  # the input mapping's =order.total
        if len(seen) <= declines:
            raise BpmnError("CARD_DECLINED", "insufficient funds")
        charged.append(job.attempt)
        return {"transactionId": "tx-1", "noise": 1}

    def reply(hours):
        yield world.env.timeout(hours)
        engine.deliver(world.event("CreditCardUpdated", sender="customer",
                                   correlation_id="o-1"))

    def ask(job):
        world.env.process(reply(answers.uniform(1.0, 100.0)))
        return {}

    engine.worker("charge-card", charge)
    engine.worker("ask-customer", ask)
    engine.worker("remind-customer", lambda job: {})
    inst = engine.start("payment-zeebe", correlation_id="trace-1",
                        variables={"orderId": "o-1", "order": {"total": 42}})
    world.env.run()
    caught = rows(world, "fault")
    assert list(caught["value"]) == ["Event_declined"] * declines
    assert caught["detail"].str.contains("CARD_DECLINED").all()
    assert seen == [42] * (declines + 1)
    assert (inst.outcome, inst.incidents, charged) == ("Payment received", 0, [1])
    assert inst.variables["chargeId"] == "tx-1"  # the output mapping ...
    assert "noise" not in inst.variables  # ... keeps only what it maps


def test_an_error_end_event_inside_a_subprocess_is_caught_on_the_subprocess():
    p = Process("p", "P", [
        start("s"), subprocess("sub"), start("in", parent="sub"),
        service("a", job="w", parent="sub"), end("boom", error="OUT_OF_STOCK", parent="sub"),
        timer("never", hours=50, parent="sub"), end("in_ok", parent="sub"),
        parallel("fork", parent="sub"),
        error_boundary("caught", attached_to="sub", error="OUT_OF_STOCK"),
        end("ok", "Ok"), end("handled", "Handled")],
        [("s", "sub"), ("sub", "ok"), ("in", "fork"), ("fork", "a"), ("fork", "never"),
         ("a", "boom"), ("never", "in_ok"), ("caught", "handled")])
    world, _, inst = run(p, w=takes(2))
    assert (inst.outcome, inst.ended) == ("Handled", 2.0)  # the 50-hour timer was stopped
    assert "cancelled" in set(rows(world, "state")["value"])


def test_a_job_error_without_a_boundary_on_its_task_reaches_the_subprocess_around_it():
    def fail(job):
        raise BpmnError("NO")

    p = Process("p", "P", [
        start("s"), subprocess("sub"), start("in", parent="sub"),
        service("a", job="fail", parent="sub"), end("in_end", parent="sub"),
        error_boundary("any", attached_to="sub"), end("ok", "Ok"), end("caught", "Caught")],
        [("s", "sub"), ("sub", "ok"), ("in", "a"), ("a", "in_end"), ("any", "caught")])
    _, _, inst = run(p, fail=fail)
    assert inst.outcome == "Caught"


def test_an_error_nothing_catches_is_an_incident_and_a_technical_failure_is_retried():
    calls = []

    def flaky(job):
        calls.append(job.attempt)
        if len(calls) == 1:
            raise JobFailed("timeout")
        if len(calls) == 2:
            raise BpmnError("UNKNOWN_CUSTOMER")
        return {}

    p = Process("p", "P", [start("s"), service("a", job="flaky"), end("e", "Done")],
                [("s", "a"), ("a", "e")])
    world = World(1)
    engine = Engine(world, "E", retry_backoff=1.0)
    engine.deploy(from_file(p))
    engine.worker("flaky", flaky)
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert inst.status == "incident"
    assert "error 'UNKNOWN_CUSTOMER' is not caught" in rows(world, "reject")["detail"].iloc[0]
    engine.resolve(inst)
    world.env.run()
    assert (inst.status, calls) == ("completed", [1, 2, 1])


def test_a_bpmn_error_needs_a_code():
    with pytest.raises(TypeError, match="needs an error code"):
        BpmnError("")


# -- gateways, catch events, subprocesses, timer starts --------------------------------------

@seeds
@given(st.integers(0, 10_000))
def test_an_event_based_gateway_takes_whichever_event_comes_first(seed):
    world = World(seed)
    answer_at = world.rng("answer").uniform(0.0, 20.0)
    assume(abs(answer_at - 10.0) > 1e-6)
    p = Process("p", "P", [start("s"), event_based("wait"),
                           catch("answer", message="Answer", correlation_key="=caseId"),
                           timer("late", hours=10), end("yes", "Answered"),
                           end("no", "Timed out")],
                [("s", "wait"), ("wait", "answer"), ("wait", "late"), ("answer", "yes"),
                 ("late", "no")])
    engine = Engine(world, "E")
    engine.deploy(from_file(p))
    inst = engine.start("p", correlation_id="trace", variables={"caseId": 7})

    def customer():
        yield world.env.timeout(answer_at)
        return engine.deliver(world.event("Answer", sender="c", correlation_id="7",
                                          payload={"text": "ok"}))

    reply = world.env.process(customer())
    world.env.run()
    if answer_at < 10.0:
        assert (inst.outcome, reply.value, inst.variables["text"]) == ("Answered", "correlated",
                                                                      "ok")
        assert rows(world, "timer").empty
    else:
        assert (inst.outcome, reply.value) == ("Timed out", "discarded")


def test_a_terminate_end_inside_a_subprocess_ends_only_the_subprocess():
    p = Process("p", "P", [
        start("s"), subprocess("sub"), start("in", parent="sub"),
        parallel("fork", parent="sub"), timer("quick", hours=1, parent="sub"),
        timer("slow", hours=9, parent="sub"), end("stop", terminate=True, parent="sub"),
        end("in_end", parent="sub"), user("check", "Check result"), end("e", "Done")],
        [("s", "sub"), ("sub", "check"), ("check", "e"), ("in", "fork"), ("fork", "quick"),
         ("fork", "slow"), ("quick", "stop"), ("slow", "in_end")])
    _, engine, inst = run(p, **{USER_JOB: takes(2)})
    assert (inst.outcome, inst.ended) == ("Done", 3.0)
    assert engine.token_counts("p")["in_end"] == (0, 0)


def test_a_timer_start_event_starts_an_instance_each_cycle():
    p = Process("tick", "Tick", [start("s", hours=2, repeat=3), end("e")], [("s", "e")])
    world = World(1)
    engine = Engine(world, "E")
    engine.deploy(from_file(p))
    world.env.run()
    assert [(i.correlation_id, i.started) for i in engine.instances] == [
        ("tick-timer-0001", 2.0), ("tick-timer-0002", 4.0), ("tick-timer-0003", 6.0)]


def test_a_correlation_key_without_a_value_is_an_incident_until_resolved():
    p = Process("p", "P", [start("s"), receive("r", message="M", correlation_key="=orderId"),
                           end("e", "Done")], [("s", "r"), ("r", "e")])
    world = World(1)
    engine = Engine(world, "E")
    engine.deploy(from_file(p))
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert inst.status == "incident"
    engine.resolve(inst, variables={"orderId": "o-9"})
    world.env.run()
    assert engine.deliver(world.event("M", sender="x", correlation_id="o-9")) == "correlated"
    world.env.run()
    assert inst.outcome == "Done"


def test_an_exclusive_gateway_read_from_a_file_keeps_its_conditions_and_default():
    p = Process("p", "P", [start("s"), exclusive("x"), end("a", "A"), end("b", "B"),
                           end("c", "C")],
                [("s", "x"), ("x", "a", ("tier", "gold")), ("x", "b", ("tier", 2)),
                 ("x", "c")])
    outcomes = [run(p, {"tier": tier})[2].outcome for tier in ("gold", 2, None)]
    assert outcomes == ["A", "B", "C"]
