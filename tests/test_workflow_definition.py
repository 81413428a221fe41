"""Process definitions as data: every structural mistake is rejected with a clear message."""

import pytest

from eventlab.scenarios.retail import orchestration as workflow
from eventlab.scenarios.retail.orchestration import (
    Flow,
    Process,
    boundary,
    end,
    exclusive,
    parallel,
    receive,
    send,
    service,
    start,
    timer,
)
from eventlab.view.process import diagram


def tiny(*extra, flows=()):
    return Process("p", "P", [start("s"), service("a", "A", job="work"), end("e"), *extra],
                   [("s", "a"), ("a", "e"), *flows])


def test_a_valid_process_offers_lookups_by_id_and_direction():
    p = tiny()
    assert p.start_event.id == "s"
    assert p.element("a").name == "A"
    assert [f.target for f in p.outgoing("s")] == ["a"]
    assert [f.source for f in p.incoming("e")] == ["a"]
    assert p.jobs() == {"work"}


def test_an_element_without_a_name_is_named_after_its_id():
    assert start("begin").name == "begin"


def test_a_flow_to_an_unknown_target_names_the_target_and_the_known_elements():
    with pytest.raises(ValueError, match=r"unknown target 'ghost'; elements: s, a, e"):
        Process("p", "P", [start("s"), service("a", job="w"), end("e")],
                [("s", "a"), ("a", "ghost")])


def test_a_dangling_task_without_outgoing_flow_is_rejected():
    with pytest.raises(ValueError, match=r"service 'a' is dangling"):
        Process("p", "P", [start("s"), service("a", job="w"), end("e")], [("s", "a")])


def test_an_element_no_token_can_reach_is_rejected():
    with pytest.raises(ValueError, match=r"no token can reach \['lost'\]"):
        tiny(service("lost", job="w"), flows=[("lost", "e")])


def test_a_loop_without_a_way_out_is_rejected_as_stuck_forever():
    with pytest.raises(ValueError, match=r"no path leads to an end event"):
        Process("p", "P", [start("s"), exclusive("x"), service("a", job="w"),
                           service("b", job="w"), end("e")],
                [("s", "x"), ("x", "e", ("ok", True)), ("x", "a"), ("a", "b"), ("b", "a")])


@pytest.mark.parametrize(("elements", "flows", "message"), [
    ([start("s"), start("t"), end("e")], [("s", "e"), ("t", "e")], "exactly one start"),
    ([start("s"), service("a", job="w")], [("s", "a"), ("a", "s")], "at least one end"),
    ([start("s"), end("e"), end("e")], [("s", "e")], "duplicate element id"),
    ([start("s"), service("a", job="w"), end("e"), end("f")],
     [("s", "a"), ("a", "e"), ("a", "f")], "only gateways may split"),
    ([start("s"), end("e")], [("s", "e", ("x", 1))], "only flows leaving an exclusive"),
    ([start("s"), exclusive("x"), end("e"), end("f")], [("s", "x"), ("x", "e"), ("x", "f")],
     "more than one default flow"),
    ([start("s"), end("e"), boundary("b", attached_to="s", hours=1)],
     [("s", "e"), ("b", "e")], "must be attached to a task"),
    ([start("s"), end("e")], [("s", "e"), ("e", "s")], "cannot have"),
])
def test_structural_mistakes_are_rejected_with_a_message_naming_them(elements, flows, message):
    with pytest.raises(ValueError, match=message):
        Process("p", "P", elements, flows)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: workflow.Element("x", "service"), "needs job"),
    (lambda: workflow.Element("x", "teleport"), "kind of element 'x' must be one of"),
    (lambda: timer("t", hours=0), "must be > 0.0"),
    (lambda: timer("t", hours=-2.0), "must be > 0.0"),
    (lambda: service("a", job="w", retries=0), "retries of element 'a' must be >= 1"),
    (lambda: workflow.Element("x", "start", compensate=True),
     "compensate=True is for end events"),
    (lambda: workflow.Element("x", "start", compensation="undo"), "only tasks"),
    (lambda: workflow.Element("b", "boundary", hours=1.0), "attached_to is required"),
])
def test_bad_elements_are_rejected_naming_the_field(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_wrong_types_raise_type_errors():
    with pytest.raises(TypeError, match="Element objects"):
        Process("p", "P", [start("s"), "end"], [])
    with pytest.raises(TypeError, match="a flow must be"):
        Process("p", "P", [start("s"), end("e")], [("s",)])
    with pytest.raises(TypeError, match=r"\(variable, value\)"):
        Flow("a", "b", when="vip")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a string"):
        start(42)  # type: ignore[arg-type]


def test_conditions_match_variables_by_equality_and_render_as_labels():
    flow = Flow("x", "y", ("vip", True))
    assert flow.matches({"vip": True})
    assert not flow.matches({"vip": False})
    assert not flow.matches({})
    assert flow.label == "vip = True"
    assert Flow("x", "y").matches({})
    assert Flow("x", "y").label == ""


def test_the_companion_processes_are_valid_in_every_variant():
    for variant in workflow.VARIANTS:
        assert workflow.order_process(variant).start_event.message == "OrderPlacedEvent"
        assert workflow.tracking_process(variant).jobs() == set()
    assert workflow.payment_process().jobs() == {"deduct-credit", "charge-card",
                                                 "restore-credit"}
    assert len(workflow.onboarding_process(criminal_check=True).elements) == \
        len(workflow.onboarding_process().elements) + 2


def test_the_order_process_has_the_companion_timers_and_compensation():
    order = workflow.order_process()
    timers = {e.name: e.hours for e in order.elements if e.kind == "boundary"}
    assert timers == {"20 days": 480.0, "12 hours": 12.0, "24 hours": 24.0}
    assert [e.compensation for e in order.elements if e.compensation] == ["refund-payment"]
    assert {e.name for e in order.elements if e.kind == "end"} == {
        "Order canceled", "Goods not fetched in time", "Goods not shipped in time",
        "Order delivered"}


def test_bad_variant_or_timer_values_name_the_parameter():
    with pytest.raises(ValueError, match="variant must be one of 'baseline'"):
        workflow.order_process("express")
    with pytest.raises(ValueError, match=r"fetch_hours must be > 0\.0"):
        workflow.order_process(fetch_hours=0.0)
    with pytest.raises(TypeError, match="criminal_check must be True or False"):
        workflow.onboarding_process(criminal_check="yes")  # type: ignore[arg-type]


def test_the_picture_draws_bpmn_shapes_and_names_each_kind_in_its_text():
    p = Process("p", "P", [start("s", "Begin"), parallel("f"), send("a", "Ask", message="Q"),
                           receive("r", "Answer", message="A", compensation="undo"),
                           boundary("late", "2 hours", attached_to="r", hours=2),
                           parallel("j"), end("e", "Done"), end("x", "Cancel", compensate=True),
                           timer("t", "wait", hours=1)],
                [("s", "f"), ("f", "a"), ("f", "t"), ("a", "r"), ("r", "j"), ("t", "j"),
                 ("j", "e"), ("late", "x")])
    picture = diagram(p, {"s": (3, 0), "r": (3, 1)})
    text = picture.text()
    assert "[start] Begin — ✓3" in text
    assert "[receive] ✉ Answer [A] — ✓3 · 1 here" in text
    assert "[compensating end] Cancel" in text
    assert "[compensation] ↺ undo" in text
    assert "[timer] ◷ wait 1 h" in text
    assert "shape=diamond" in picture.source
    assert "shape=doublecircle" in picture.source
    with pytest.raises(TypeError, match="process must be a Process"):
        diagram("order")  # type: ignore[arg-type]
