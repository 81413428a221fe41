"""Error event subprocesses behave as Zeebe documents them (models run from files)."""

import re
import warnings
from pathlib import Path

import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.definition import (
    USER_JOB,
    Element,
    Process,
    end,
    error_boundary,
    error_start,
    event_subprocess,
    parallel,
    service,
    start,
    subprocess,
    timer,
)
from eventlab.engines.workflow.engine import BpmnError
from eventlab.engines.workflow.replay import path, replay
from eventlab.view import bpmn_svg
from eventlab.view.graphs import smallest_text_px, svg_width_px
from eventlab.view.process import counts_from_trace, diagram
from tests.workflow_jobs import rows, run, takes

HERE = Path(__file__).resolve().parent
MODELER_FILE = HERE / "bpmn" / "camunda_error_event_subprocess.bpmn"
seeds = settings(max_examples=25, deadline=None)


def fails(code, after=0.0):
    def handler(job):
        yield job.engine.env.timeout(after)
        raise BpmnError(code)
    return handler


def handler_of(code, name, sub="esp", parent=None):
    """An error event subprocess `sub` catching `code` that ends at end event `name`."""
    return [event_subprocess(sub, f"On {code or 'any error'}", parent=parent),
            error_start(f"{sub}_start", error=code, parent=sub),
            end(f"{sub}_end", name, parent=sub)]


def handler_flows(sub="esp"):
    return [(f"{sub}_start", f"{sub}_end")]


# -- in the process's own scope -------------------------------------------------------------

@seeds
@given(st.floats(0.5, 40.0), st.floats(0.5, 40.0))
def test_an_error_end_event_in_the_main_flow_is_caught_by_the_process_event_subprocess_and_stops_the_other_tokens(  # noqa: E501
        work_hours, other_hours):
    p = Process("p", "P", [
        start("s"), parallel("fork"), service("a", job="work"), end("boom", error="X"),
        service("other", job="slow"), end("ok", "Ok"),
        event_subprocess("esp", "Handle X"), error_start("caught", "X caught", error="X",
                                                         parent="esp"),
        service("fix", job="fix", parent="esp"), end("fixed", "Fixed", parent="esp")],
        [("s", "fork"), ("fork", "a"), ("fork", "other"), ("a", "boom"), ("other", "ok"),
         ("caught", "fix"), ("fix", "fixed")])
    slow_done = []

    def slow(job):
        yield job.engine.env.timeout(work_hours + other_hours)  # always after the error
        slow_done.append(True)
        return {}

    world, _, inst = run(p, work=takes(work_hours), slow=slow, fix=takes(1.0))
    assert (inst.status, inst.outcome) == ("completed", "Fixed")
    assert inst.ended == pytest.approx(work_hours + 1.0)
    assert slow_done == []  # the parallel branch was stopped, its worker never answered
    assert "ok" not in set(rows(world, "state")["value"])
    fault = rows(world, "fault")
    assert list(fault["value"]) == ["caught"]
    assert "error 'X' caught by 'X caught' of event subprocess 'Handle X'" in \
        fault["detail"].iloc[0]


def test_a_boundary_error_event_on_the_task_wins_over_the_event_subprocess():
    p = Process("p", "P", [
        start("s"), service("a", job="fail"), end("ok", "Ok"),
        error_boundary("on_task", attached_to="a", error="X"), end("by_boundary", "Boundary"),
        *handler_of("X", "Event subprocess")],
        [("s", "a"), ("a", "ok"), ("on_task", "by_boundary"), *handler_flows()])
    _, _, inst = run(p, fail=fails("X"))
    assert inst.outcome == "Boundary"


def test_a_specific_error_code_wins_over_a_catch_all_event_subprocess():
    p = Process("p", "P", [
        start("s"), service("a", job="fail"), end("ok", "Ok"),
        *handler_of(None, "Any", sub="any"), *handler_of("X", "Specific", sub="x")],
        [("s", "a"), ("a", "ok"), *handler_flows("any"), *handler_flows("x")])
    assert run(p, fail=fails("X"))[2].outcome == "Specific"
    assert run(p, fail=fails("OTHER"))[2].outcome == "Any"


def test_at_one_level_a_specific_code_wins_whether_on_a_boundary_or_an_event_subprocess():
    def model(boundary_code, inner_code):
        return Process("p", "P", [
            start("s"), subprocess("sub"), start("in", parent="sub"),
            service("a", job="fail", parent="sub"), end("in_end", parent="sub"),
            *handler_of(inner_code, "Inside", parent="sub"),
            error_boundary("b", attached_to="sub", error=boundary_code),
            end("ok", "Ok"), end("outside", "Outside")],
            [("s", "sub"), ("sub", "ok"), ("in", "a"), ("a", "in_end"), *handler_flows(),
             ("b", "outside")])

    # the event subprocess is inside the scope, the boundary event on it: the same level
    assert run(model("X", None), fail=fails("X"))[2].outcome == "Outside"
    assert run(model(None, "X"), fail=fails("X"))[2].outcome == "Ok"  # Inside, then on
    assert run(model("X", "X"), fail=fails("X"))[2].outcome == "Ok"  # equal: the nearer


# -- in an embedded subprocess ----------------------------------------------------------------

def test_an_event_subprocess_inside_an_embedded_subprocess_catches_its_errors_and_the_subprocess_leaves_by_its_outgoing_flow():  # noqa: E501
    p = Process("p", "P", [
        start("s"), subprocess("sub", "Pick"), start("in", parent="sub"),
        parallel("fork", parent="sub"), service("a", job="fail", parent="sub"),
        timer("never", hours=100, parent="sub"), end("in_ok", parent="sub"),
        end("in_end", parent="sub"),
        event_subprocess("esp", "Out of stock", parent="sub"),
        error_start("oos", error="OUT_OF_STOCK", parent="esp"),
        service("reorder", job="reorder", parent="esp"), end("reordered", parent="esp"),
        service("after", job="after"), end("done", "Done"),
        *handler_of(None, "Process level", sub="outer")],
        [("s", "sub"), ("sub", "after"), ("after", "done"), ("in", "fork"), ("fork", "a"),
         ("fork", "never"), ("a", "in_end"), ("never", "in_ok"), ("oos", "reorder"),
         ("reorder", "reordered"), *handler_flows("outer")])
    world, _, inst = run(p, fail=fails("OUT_OF_STOCK", after=2.0), reorder=takes(3.0),
                         after=takes(1.0))
    assert (inst.status, inst.outcome, inst.ended) == ("completed", "Done", 6.0)
    entered = path(world.trace.to_frame(), inst.id)
    assert entered.index("reordered") < entered.index("after")
    assert "in_ok" not in entered  # the 100-hour timer was stopped


def test_an_error_thrown_inside_an_event_subprocess_goes_on_outwards_not_to_itself():
    p = Process("p", "P", [
        start("s"), subprocess("sub"), start("in", parent="sub"),
        service("a", job="fail", parent="sub"), end("in_end", parent="sub"),
        event_subprocess("esp", parent="sub"), error_start("any", parent="esp"),
        end("again", error="SECOND", parent="esp"),
        error_boundary("b", attached_to="sub", error="SECOND"), end("ok", "Ok"),
        end("outside", "Outside")],
        [("s", "sub"), ("sub", "ok"), ("in", "a"), ("a", "in_end"), ("any", "again"),
         ("b", "outside")])
    world, _, inst = run(p, fail=fails("FIRST"))
    assert inst.outcome == "Outside"
    assert list(rows(world, "fault")["value"]) == ["any", "b"]


def test_an_error_no_event_subprocess_catches_is_still_an_incident():
    p = Process("p", "P", [start("s"), service("a", job="fail"), end("ok", "Ok"),
                           *handler_of("X", "Handled")],
                [("s", "a"), ("a", "ok"), *handler_flows()])
    world, _engine, inst = run(p, fail=fails("Y"))
    assert inst.status == "incident"
    assert "error 'Y' is not caught" in inst.incident_log[0].reason
    assert list(rows(world, "reject")["value"]) == ["a"]


def test_a_job_workers_bpmn_error_is_caught_by_an_event_subprocess():
    p = Process("p", "P", [start("s"), service("charge", job="charge"), end("ok", "Paid"),
                           *handler_of("CARD_DECLINED", "Declined")],
                [("s", "charge"), ("charge", "ok"), *handler_flows()])
    _world, _, inst = run(p, charge=fails("CARD_DECLINED", after=1.5))
    assert (inst.status, inst.outcome, inst.ended, inst.incidents) == \
        ("completed", "Declined", 1.5, 0)


def test_the_trace_records_the_event_subprocess_so_paths_replay_and_counts_work():
    p = Process("p", "P", [start("s"), service("charge", job="charge"), end("ok", "Paid"),
                           event_subprocess("esp", "Declined"),
                           error_start("declined", error="CARD_DECLINED", parent="esp"),
                           service("tell", job="tell", parent="esp"),
                           end("told", "Customer told", parent="esp")],
                [("s", "charge"), ("charge", "ok"), ("declined", "tell"), ("tell", "told")])
    world, _, inst = run(p, charge=fails("CARD_DECLINED", after=1.0), tell=takes(2.0))
    trace = world.trace.to_frame()
    assert path(trace, inst.id) == ["s", "charge", "esp", "declined", "tell", "told"]
    last = replay(p, trace, engine="E")[-1].counts
    assert (last["tell"].completed, last["told"].completed) == (1, 1)
    assert last["esp"].completed == 1
    assert last["esp"].active == 0
    assert last["charge"].canceled == 1
    counts = counts_from_trace(trace, p, actor="E")
    assert counts["esp"] == (1, 0)
    assert counts["told"] == (1, 0)
    picture = bpmn_svg.picture(p, counts)
    assert "[event subprocess] Declined [esp] — ✓1" in picture.text()
    assert "[error_start] ⚡ declined — ✓1" in diagram(p, counts).text()


# -- files ----------------------------------------------------------------------------------------

def test_a_camunda_modeler_file_with_error_event_subprocesses_reads_and_runs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = bpmn.read(MODELER_FILE)
    handler = p.element("Activity_out_of_stock")
    assert (handler.kind, handler.triggered_by_event, handler.parent) == \
        ("subprocess", True, None)
    first = p.element("Event_out_of_stock")
    assert (first.kind, first.error, first.parent) == \
        ("error_start", "OUT_OF_STOCK", "Activity_out_of_stock")
    assert p.element("Event_any_error").error is None
    assert bpmn.read(bpmn.write(p)) == p
    workers = {"reserve-stock": fails("OUT_OF_STOCK"), "ship-goods": takes(1.0),
               "refund-payment": takes(1.0), USER_JOB: takes(4.0)}
    _, _, inst = run(p, **workers)
    assert inst.outcome == "Order refunded"
    workers |= {"reserve-stock": takes(1.0), "ship-goods": fails("LOST")}
    _, _, inst = run(p, **workers)
    assert (inst.outcome, inst.ended) == ("Customer called", 5.0)


def test_the_written_event_subprocess_validates_and_is_expanded_in_the_diagram():
    p = Process("p", "P", [start("s"), service("a", job="w"), end("ok"),
                           *handler_of("X", "Handled"), *handler_of(None, "Any", sub="all")],
                [("s", "a"), ("a", "ok"), *handler_flows(), *handler_flows("all")])
    xml = bpmn.write(p)
    schema = xmlschema.XMLSchema(str(HERE / "bpmn_xsd" / "BPMN20.xsd"))
    assert [str(e) for e in schema.iter_errors(xml)] == []
    assert '<bpmn:subProcess id="esp" name="On X" triggeredByEvent="true">' in xml
    assert re.search(r'<bpmn:startEvent id="esp_start">\s*<bpmn:errorEventDefinition '
                     r'errorRef="Error_X" />', xml)
    assert re.search(r'<bpmn:startEvent id="all_start">\s*<bpmn:errorEventDefinition />', xml)
    assert '<bpmndi:BPMNShape id="esp_di" bpmnElement="esp" isExpanded="true">' in xml
    found = bpmn.layout(p)
    main_bottom = max(found.boxes[k].bottom for k in ("s", "a", "ok"))
    for sub in ("esp", "all"):
        box = found.boxes[sub]
        assert box.y > main_bottom  # under the process's flow
        for inner in (f"{sub}_start", f"{sub}_end"):
            b = found.boxes[inner]
            assert box.x < b.x
            assert b.right < box.right
            assert box.y < b.y
            assert b.bottom < box.bottom


def test_the_picture_draws_a_dotted_event_subprocess_with_a_thin_error_start_event():
    p = Process("p", "P", [start("s"), service("a", "Charge", job="w"), end("ok", "Paid"),
                           *handler_of("CARD_DECLINED", "Declined")],
                [("s", "a"), ("a", "ok"), *handler_flows()])
    picture = bpmn_svg.picture(p)
    svg = picture.svg()
    box, first = picture.layout.boxes["esp"], picture.layout.boxes["esp_start"]
    assert re.search(rf'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
                     rf'height="{box.h:.1f}" rx="10" [^>]*stroke-dasharray', svg)
    assert f'cx="{first.cx:.1f}" cy="{first.cy:.1f}" r="18" fill="#ffffff" stroke="#22242a" ' \
        'stroke-width="1.5"/>' in svg
    assert f'cx="{first.cx:.1f}" cy="{first.cy:.1f}" r="15"' not in svg  # one thin ring
    assert svg.count('stroke-linejoin="round"') == 1  # the error start event's bolt
    assert svg_width_px(svg) <= 960
    assert smallest_text_px(svg) >= 10
    text = picture.text()
    assert "[event subprocess] On CARD_DECLINED [esp]" in text
    assert "[error start event] esp_start [esp_start] (error CARD_DECLINED; in esp)" in text


# -- bad input ----------------------------------------------------------------------------------

def _bad(elements, flows):
    return lambda: Process("p", "P", [start("s"), end("e"), *elements], [("s", "e"), *flows])


@pytest.mark.parametrize(("make", "message"), [
    (_bad([*handler_of("X", "H")], [*handler_flows(), ("s", "esp")]),
     "event subprocess 'esp' cannot have sequence flows"),
    (_bad([*handler_of("X", "H"), end("e2")], [*handler_flows(), ("esp", "e2")]),
     "event subprocess 'esp' cannot have sequence flows"),
    (_bad([*handler_of("X", "H"), error_start("second", parent="esp")],
          [*handler_flows(), ("second", "esp_end")]),
     "event subprocess 'esp' needs exactly one start event, found 2"),
    (_bad([event_subprocess("esp"), start("plain", parent="esp"), end("x", parent="esp")],
          [("plain", "x")]),
     "event subprocess 'esp': its start event 'plain' must be an error start event"),
    (_bad([event_subprocess("esp"), start("msg", message="M", parent="esp"),
           end("x", parent="esp")], [("msg", "x")]),
     "its start event 'msg' must be an error start event"),
    (_bad([subprocess("sub"), error_start("oops", parent="sub"), end("x", parent="sub")],
          [("oops", "x")]),
     "error start event 'oops' can only start an event subprocess"),
    (_bad([*handler_of("X", "H"), *handler_of("X", "H2", sub="esp2")],
          [*handler_flows(), *handler_flows("esp2")]),
     "event subprocesses 'esp' and 'esp2' both catch error 'X'"),
    (_bad([*handler_of("X", "H"), error_boundary("b", attached_to="esp"), end("x")],
          [*handler_flows(), ("b", "x")]),
     "is attached to event subprocess 'esp'"),
])
def test_bad_event_subprocesses_are_rejected_naming_the_element(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_an_error_start_event_in_the_process_itself_is_rejected_naming_it():
    with pytest.raises(ValueError, match="error start event 'oops' can only start an event "):
        Process("p", "P", [start("s"), end("e"), Element("oops", "error_start"), end("x")],
                [("s", "e"), ("oops", "x")])


def doc(body, extra=""):
    return (f'<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
            f'20100524/MODEL" id="d" targetNamespace="x"><bpmn:process id="p" '
            f'isExecutable="true"><bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>'
            f'<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/>{body}</bpmn:process>'
            f'{extra}</bpmn:definitions>')


ERROR = '<bpmn:error id="Err" errorCode="X"/>'


@pytest.mark.parametrize(("xml", "message"), [
    (doc('<bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent id="es" '
         'isInterrupting="false"><bpmn:errorEventDefinition errorRef="Err"/></bpmn:startEvent>'
         '<bpmn:endEvent id="ee"/><bpmn:sequenceFlow id="f2" sourceRef="es" targetRef="ee"/>'
         '</bpmn:subProcess>', ERROR),
     "bpmn:startEvent 'es' is a non-interrupting error start event"),
    (doc('<bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent id="es">'
         '<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>'
         '</bpmn:timerEventDefinition></bpmn:startEvent><bpmn:endEvent id="ee"/>'
         '<bpmn:sequenceFlow id="f2" sourceRef="es" targetRef="ee"/></bpmn:subProcess>'),
     "event subprocess 'esp': its start event 'es' must be an error start event"),
    (doc('<bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent id="es">'
         '<bpmn:errorEventDefinition errorRef="Err"/></bpmn:startEvent><bpmn:endEvent '
         'id="ee"/><bpmn:sequenceFlow id="f2" sourceRef="es" targetRef="ee"/>'
         '</bpmn:subProcess><bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="f3" '
         'sourceRef="s2" targetRef="esp"/>', ERROR),
     "event subprocess 'esp' cannot have sequence flows \\(flow s2 -> esp enters it\\)"),
    (doc('<bpmn:startEvent id="es2"><bpmn:errorEventDefinition errorRef="Err"/>'
         '</bpmn:startEvent><bpmn:sequenceFlow id="f2" sourceRef="es2" targetRef="e"/>', ERROR),
     "error start event 'es2' can only start an event subprocess"),
    (doc('<bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent id="es">'
         '<bpmn:errorEventDefinition errorRef="Ghost"/></bpmn:startEvent><bpmn:endEvent '
         'id="ee"/><bpmn:sequenceFlow id="f2" sourceRef="es" targetRef="ee"/>'
         '</bpmn:subProcess>'),
     "bpmn:startEvent 'es' refers to error 'Ghost'"),
])
def test_bad_event_subprocess_documents_are_rejected_naming_the_element(xml, message):
    with pytest.raises(ValueError, match=message):
        bpmn.read(xml)


def test_a_compensation_end_event_in_an_event_subprocess_undoes_its_scopes_completed_tasks():
    p = Process("p", "P", [
        start("s"), service("charge", job="charge", compensation="refund"),
        service("reserve", job="reserve", compensation="release"),
        service("ship", job="ship"), end("ok", "Shipped"),
        event_subprocess("esp", "Undo"), error_start("failed", parent="esp"),
        end("undone", "Undone", compensate=True, parent="esp")],
        [("s", "charge"), ("charge", "reserve"), ("reserve", "ship"), ("ship", "ok"),
         ("failed", "undone")])
    undone = []

    def undo(name):
        def handler(job):
            undone.append(name)
            return {}
        return handler

    _, _, inst = run(p, charge=takes(1.0), reserve=takes(1.0), ship=fails("LOST"),
                     refund=undo("refund"), release=undo("release"))
    assert (inst.status, inst.outcome) == ("compensated", "Undone")
    assert undone == ["release", "refund"]  # newest first
    assert inst.compensated == ["reserve", "charge"]
