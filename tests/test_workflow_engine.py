"""The engine: tokens, correlation, timers, retries, incidents and compensation, in a World."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.scenarios.retail.orchestration import (
    Engine,
    JobFailed,
    Process,
    boundary,
    end,
    exclusive,
    parallel,
    receive,
    send,
    service,
    start,
    throw,
    timer,
)
from eventlab.view.process import counts_from_trace
from tests.workflow_jobs import takes

small = settings(max_examples=50, deadline=None)


def engine_with(process, **workers):
    world = World(1)
    sent = []
    engine = Engine(world, "E", sender=lambda inst, el: sent.append((inst.id, el.message)))
    engine.deploy(process)
    for job, handler in workers.items():
        engine.worker(job, handler)
    return world, engine, sent


def message(world, type_, correlation_id, **payload):
    return world.event(type_, sender="test", correlation_id=correlation_id, payload=payload)


def test_a_token_walks_from_start_to_end_through_service_tasks_taking_their_time():
    p = Process("p", "P", [start("s"), service("a", job="a"), service("b", job="b"), end("e")],
                [("s", "a"), ("a", "b"), ("b", "e")])
    world, engine, _ = engine_with(p, a=takes(2, {"x": 1}), b=takes(3))
    inst = engine.start("p", correlation_id="c1", key="k1")
    world.env.run()
    assert (inst.status, inst.outcome, inst.ended, inst.variables) == ("completed", "e", 5.0,
                                                                        {"x": 1})
    assert engine.token_counts("p") == {"s": (1, 0), "a": (1, 0), "b": (1, 0), "e": (1, 0)}


def test_every_trace_row_of_an_instance_carries_its_correlation_id_and_key():
    p = Process("p", "P", [start("s"), timer("t", hours=1), end("e")], [("s", "t"), ("t", "e")])
    world, engine, _ = engine_with(p)
    engine.start("p", correlation_id="trace-7", key="order-7")
    world.env.run()
    trace = world.trace.to_frame()
    assert set(trace["correlation_id"]) == {"trace-7"}
    assert set(trace["key"]) == {"order-7"}
    assert list(trace["kind"]) == ["state", "state", "state", "timer", "state", "state"]


def test_an_exclusive_gateway_takes_the_first_matching_condition_else_the_default():
    p = Process("p", "P", [start("s"), exclusive("x"), end("vip"), end("normal")],
                [("s", "x"), ("x", "vip", ("vip", True)), ("x", "normal")])
    world, engine, _ = engine_with(p)
    a = engine.start("p", correlation_id="a", variables={"vip": True})
    b = engine.start("p", correlation_id="b", variables={"vip": False})
    world.env.run()
    assert (a.outcome, b.outcome) == ("vip", "normal")


def test_no_matching_condition_without_default_is_an_explicit_incident_until_resolved():
    p = Process("p", "P", [start("s"), exclusive("x"), end("yes")],
                [("s", "x"), ("x", "yes", ("ok", True))])
    world, engine, _ = engine_with(p)
    inst = engine.start("p", correlation_id="a")
    world.env.run()
    assert inst.status == "incident"
    engine.resolve(inst, variables={"ok": True})
    world.env.run()
    assert (inst.status, inst.outcome, inst.incidents) == ("completed", "yes", 1)


def test_a_parallel_gateway_forks_and_the_join_waits_for_every_branch():
    p = Process("p", "P", [start("s"), parallel("fork"), service("a", job="a"),
                           service("b", job="b"), parallel("join"), end("e")],
                [("s", "fork"), ("fork", "a"), ("fork", "b"), ("a", "join"), ("b", "join"),
                 ("join", "e")])
    world, engine, _ = engine_with(p, a=takes(2), b=takes(5))
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert (inst.status, inst.ended) == ("completed", 5.0)
    assert engine.token_counts("p")["join"] == (2, 0)


def test_a_message_reaches_only_the_instance_with_its_correlation_id():
    p = Process("p", "P", [start("s"), receive("r", message="Paid"), end("e")],
                [("s", "r"), ("r", "e")])
    world, engine, _ = engine_with(p)
    one, two = engine.start("p", correlation_id="one"), engine.start("p", correlation_id="two")
    world.env.run()
    assert engine.deliver(message(world, "Paid", "two", amount=5)) == "correlated"
    world.env.run()
    assert (one.status, two.status, two.variables) == ("active", "completed", {"amount": 5})


def test_a_message_nobody_waits_for_is_discarded_and_recorded_as_a_drop():
    p = Process("p", "P", [start("s"), receive("r", message="Paid"), end("e")],
                [("s", "r"), ("r", "e")])
    world, engine, _ = engine_with(p)
    assert engine.deliver(message(world, "Paid", "nobody")) == "discarded"
    drops = world.trace.to_frame().query("kind == 'drop'")
    assert list(drops["detail"]) == ["no instance waits for it: discarded"]


def test_a_start_message_starts_an_instance_with_its_payload_as_variables():
    p = Process("p", "P", [start("s", message="Go"), end("e")], [("s", "e")])
    world, engine, _ = engine_with(p)
    assert engine.deliver(message(world, "Go", "c9", n=3)) == "started"
    world.env.run()
    assert (engine.instances[0].correlation_id, engine.instances[0].variables) == ("c9", {"n": 3})


def test_a_boundary_timer_interrupts_a_slow_task_and_leaves_by_its_own_flow():
    p = Process("p", "P", [start("s"), service("a", job="slow"), end("ok"),
                           boundary("late", attached_to="a", hours=2), end("timeout")],
                [("s", "a"), ("a", "ok"), ("late", "timeout")])
    world, engine, _ = engine_with(p, slow=takes(5, {"done": True}))
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert (inst.outcome, inst.ended, inst.variables) == ("timeout", 2.0, {})
    assert world.trace.to_frame().query("kind == 'timer'")["value"].tolist() == ["late"]


def test_a_boundary_timer_on_a_receive_stops_waiting_and_a_late_message_is_discarded():
    p = Process("p", "P", [start("s"), receive("r", message="Paid"), end("ok"),
                           boundary("late", attached_to="r", hours=1), end("gave up")],
                [("s", "r"), ("r", "ok"), ("late", "gave up")])
    world, engine, _ = engine_with(p)
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert inst.outcome == "gave up"
    assert engine.deliver(message(world, "Paid", "c")) == "discarded"


def test_a_failing_worker_is_retried_then_becomes_an_incident_that_resolve_retries():
    calls = []

    def flaky(job):
        calls.append(job.attempt)
        if len(calls) < 4:
            raise JobFailed("service down")
        return {"ok": True}

    p = Process("p", "P", [start("s"), service("a", job="flaky", retries=3), end("e")],
                [("s", "a"), ("a", "e")])
    world, engine, _ = engine_with(p, flaky=flaky)
    engine.retry_backoff = 1.0
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    trace = world.trace.to_frame()
    assert (inst.status, calls) == ("incident", [1, 2, 3])
    assert list(trace.query("kind == 'fault'")["time"]) == [0.0, 1.0, 2.0]
    assert len(trace.query("kind == 'reject'")) == 1
    engine.resolve(inst)
    world.env.run()
    assert (inst.status, calls, inst.variables) == ("completed", [1, 2, 3, 4], {"ok": True})


def test_resolving_requires_an_open_incident_of_this_engine():
    p = Process("p", "P", [start("s"), end("e")], [("s", "e")])
    _world, engine, _ = engine_with(p)
    inst = engine.start("p", correlation_id="c")
    with pytest.raises(ValueError, match="no open incident"):
        engine.resolve(inst)
    with pytest.raises(ValueError, match="does not belong"):
        engine.resolve("wf-p-0001")  # type: ignore[arg-type]


def _trip(stop: list, stop_flows: list) -> Process:
    return Process("trip", "Trip", [
        start("s"), parallel("fork"),
        service("car", job="book", compensation="undo"),
        service("hotel", job="book", compensation="undo"),
        service("flight", job="slow", compensation="undo"),
        boundary("late", attached_to="flight", hours=3), *stop,
        end("ok"), timer("wait", hours=10)],
        [("s", "fork"), ("fork", "car"), ("fork", "flight"), ("car", "hotel"),
         ("hotel", "wait"), ("wait", "ok"), ("flight", "ok"), *stop_flows])


def _undo(undone: list):
    def undo(job):
        undone.append(job.element.id)
        return {}
    return undo


def test_a_compensating_end_undoes_completed_tasks_in_reverse_order_and_ends_only_its_token():
    undone: list = []
    p = _trip([end("cancel", compensate=True)], [("late", "cancel")])
    world, engine, _ = engine_with(p, book=takes(1), slow=takes(9), undo=_undo(undone))
    inst = engine.start("trip", correlation_id="c")
    world.env.run(until=3.5)
    assert undone == inst.compensated == ["hotel", "car"]  # newest first, each once
    assert inst.status == "active"  # as in Zeebe: the branch at the 10-hour timer goes on
    world.env.run()
    assert (inst.status, inst.outcome, inst.ended) == ("completed", "ok", 12.0)
    assert inst.compensated == ["hotel", "car"]


def test_a_compensation_throw_then_a_terminate_end_undoes_and_stops_the_others():
    undone: list = []
    p = _trip([throw("undo_all", compensate=True), end("cancel", terminate=True)],
              [("late", "undo_all"), ("undo_all", "cancel")])
    world, engine, _ = engine_with(p, book=takes(1), slow=takes(9), undo=_undo(undone))
    inst = engine.start("trip", correlation_id="c")
    world.env.run()
    assert (inst.outcome, inst.ended) == ("cancel", 3.0)
    assert inst.completed == ["car", "hotel"]
    assert undone == inst.compensated == ["hotel", "car"]
    assert not inst.tokens  # the branch waiting at the 10-hour timer was stopped


def test_a_terminating_end_stops_the_other_tokens_without_compensating():
    p = Process("p", "P", [start("s"), parallel("f"), timer("t1", hours=1),
                           timer("t2", hours=5), end("fast", terminate=True), end("slow")],
                [("s", "f"), ("f", "t1"), ("f", "t2"), ("t1", "fast"), ("t2", "slow")])
    world, engine, _ = engine_with(p)
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert (inst.status, inst.outcome, inst.ended) == ("completed", "fast", 1.0)
    assert world.trace.to_frame().query("kind == 'timer'")["value"].tolist() == ["t1"]
    assert not inst.tokens


def test_send_tasks_and_throw_events_go_through_the_sender():
    p = Process("p", "P", [start("s"), send("a", message="Cmd"), throw("b", message="Evt"),
                           end("e", message="Done")], [("s", "a"), ("a", "b"), ("b", "e")])
    world, engine, sent = engine_with(p)
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert sent == [(inst.id, "Cmd"), (inst.id, "Evt"), (inst.id, "Done")]


def test_starting_needs_a_deployed_process_its_workers_and_a_sender_for_messages():
    p = Process("p", "P", [start("s"), service("a", job="work"), end("e", message="Done")],
                [("s", "a"), ("a", "e")])
    world = World(1)
    engine = Engine(world, "E")
    with pytest.raises(ValueError, match="process_id 'p' is not deployed on E"):
        engine.start("p", correlation_id="c")
    engine.deploy(p)
    with pytest.raises(ValueError, match=r"no worker for job type\(s\) \['work'\]"):
        engine.start("p", correlation_id="c")
    engine.worker("work", takes(1))
    with pytest.raises(ValueError, match="give E a sender"):
        engine.start("p", correlation_id="c")
    with pytest.raises(TypeError, match="must be an eventlab Message"):
        engine.deliver({"type": "Paid"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be callable"):
        engine.worker("x", "handler")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="world must be an eventlab World"):
        Engine("world")  # type: ignore[arg-type]


def test_token_counts_from_the_trace_match_the_engine_at_every_moment():
    p = Process("p", "P", [start("s"), service("a", job="a"), receive("r", message="M"),
                           end("e")], [("s", "a"), ("a", "r"), ("r", "e")])
    world, engine, _ = engine_with(p, a=takes(1))
    for n in range(3):
        engine.start("p", correlation_id=f"c{n}")
    world.env.run()
    engine.deliver(message(world, "M", "c1"))
    world.env.run()
    assert counts_from_trace(world.trace.to_frame(), p, actor="E") == engine.token_counts("p")
    assert engine.token_counts("p")["r"] == (3, 2)


steps = st.lists(st.tuples(st.floats(0.1, 5.0), st.booleans()), min_size=1, max_size=6)


@small
@given(steps, st.floats(1.0, 20.0), st.integers(0, 3))
def test_every_saga_ends_completed_compensated_or_incident_and_undoes_only_completed_steps(
        plan, deadline, failures):
    """SG-1 and SG-2 for random sagas: step durations, a deadline and a flaky last step."""
    elements = [start("s")]
    flows = []
    previous = "s"
    for i, (_, compensable) in enumerate(plan):
        elements.append(service(f"t{i}", job=f"j{i}", compensation="undo" if compensable
                                else None))
        flows.append((previous, f"t{i}"))
        previous = f"t{i}"
    elements += [service("flaky", job="flaky", retries=2), end("done"),
                 boundary("deadline", attached_to="flaky", hours=deadline),
                 end("cancel", compensate=True)]
    flows += [(previous, "flaky"), ("flaky", "done"), ("deadline", "cancel")]
    left = [failures]

    def flaky(job):
        if left[0] > 0:
            left[0] -= 1
            raise JobFailed("down")
        return {}

    undone = []
    workers = {f"j{i}": takes(h) for i, (h, _) in enumerate(plan)}
    world, engine, _ = engine_with(Process("saga", "Saga", elements, flows), flaky=flaky,
                                   undo=lambda job: undone.append(job.element.id) or {},
                                   **workers)
    engine.retry_backoff = 4.0
    inst = engine.start("saga", correlation_id="c")
    world.env.run()
    assert inst.status in ("completed", "compensated", "incident")
    compensable = [f"t{i}" for i, (_, c) in enumerate(plan) if c]
    assert inst.completed == compensable
    if inst.status == "compensated":
        assert undone == list(reversed(compensable)) == inst.compensated
    else:
        assert undone == []
    if failures >= 2:
        assert inst.status == "compensated"  # the deadline fires even during an incident
    if failures == 0:
        assert inst.status == "completed"


def test_a_compensation_that_fails_transiently_is_retried_and_still_undoes_once():
    effects = []

    def undo(job):
        if job.attempt == 1:
            raise JobFailed("refund service busy")
        effects.append(job.element.id)
        return {}

    p = Process("p", "P", [start("s"), service("pay", job="pay", compensation="undo"),
                           exclusive("x"), end("ok"), end("cancel", compensate=True)],
                [("s", "pay"), ("pay", "x"), ("x", "ok", ("ok", True)), ("x", "cancel")])
    world, engine, _ = engine_with(p, pay=takes(1), undo=undo)
    inst = engine.start("p", correlation_id="c")
    world.env.run()
    assert (inst.status, effects, inst.compensated) == ("compensated", ["pay"], ["pay"])
    assert len(world.trace.to_frame().query("kind == 'fault'")) == 1

