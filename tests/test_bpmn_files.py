"""BPMN 2.0 files in and out: round trips, the OMG schema, Zeebe's extensions, bad input."""

import warnings
from pathlib import Path

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlab.core.resources import resource
from eventlab.domains.retail import processes
from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.definition import Process, end, service, start
from tests.bpmn_models import random_processes

# random processes are big drawings: a slow or oversized draw is not a failure of the code
GENERATED = [HealthCheck.too_slow, HealthCheck.data_too_large]

HERE = Path(__file__).resolve().parent
SHIPPED = ["order.bpmn", "order-vip-fetch-first.bpmn", "order-fetch-first.bpmn",
           "order-tracking.bpmn", "order-tracking-vip-fetch-first.bpmn",
           "order-tracking-fetch-first.bpmn", "payment.bpmn"]
some = settings(max_examples=60, deadline=None, suppress_health_check=GENERATED)


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(HERE / "bpmn_xsd" / "BPMN20.xsd"))


def assert_valid(schema, xml):
    errors = [str(e) for e in schema.iter_errors(xml)]
    assert errors == []


# -- round trips and the schema -----------------------------------------------------------------

@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_reads_back_equal_after_writing_and_validates(name, schema):
    shipped = resource(name)
    assert_valid(schema, shipped.read_text(encoding="utf-8"))
    process = bpmn.read(shipped)
    xml = bpmn.write(process)
    assert bpmn.read(xml) == process
    assert_valid(schema, xml)


def test_the_retail_functions_read_the_shipped_files_and_set_their_timers():
    assert processes.order_process() == bpmn.read(resource("order.bpmn"))
    assert processes.payment_process() == bpmn.read(resource("payment.bpmn"))
    quick = processes.order_process("fetch_first", payment_hours=100.0, fetch_hours=6.0)
    timers = {e.id: (e.name, e.hours) for e in quick.elements if e.kind == "boundary"}
    assert timers == {"pay_timeout": ("4.16667 days", 100.0), "fetch_timeout": ("6 hours", 6.0),
                      "ship_timeout": ("24 hours", 24.0)}
    ends = {e.name for e in processes.order_process().elements if e.kind == "end"}
    assert ends == set(processes.OUTCOMES)


@some
@given(random_processes())
def test_any_process_reads_back_equal_after_writing(process):
    assert bpmn.read(bpmn.write(process)) == process


@settings(max_examples=15, deadline=None, suppress_health_check=GENERATED)
@given(random_processes())
def test_what_is_written_validates_against_the_bpmn_schema(process):
    schema = xmlschema.XMLSchema(str(HERE / "bpmn_xsd" / "BPMN20.xsd")) \
        if not hasattr(test_what_is_written_validates_against_the_bpmn_schema, "s") else None
    if schema is not None:
        test_what_is_written_validates_against_the_bpmn_schema.s = schema
    assert_valid(test_what_is_written_validates_against_the_bpmn_schema.s, bpmn.write(process))


@some
@given(random_processes())
def test_the_layout_keeps_shapes_apart_and_flows_orthogonal(process):
    found = bpmn.layout(process)
    assert found.width <= 960
    for route in found.routes:
        for (x1, y1), (x2, y2) in zip(route.points, route.points[1:], strict=False):
            assert x1 == x2 or y1 == y2
    top = [b for k, b in found.boxes.items() if k in process.by_id
           and process.by_id[k].kind not in ("boundary", "error_boundary")]
    for i, a in enumerate(top):
        for b in top[i + 1:]:
            inside = (a.x <= b.x and b.right <= a.right and a.y <= b.y and b.bottom <= a.bottom)
            around = (b.x <= a.x and a.right <= b.right and b.y <= a.y and a.bottom <= b.bottom)
            apart = (a.right <= b.x or b.right <= a.x or a.bottom <= b.y or b.bottom <= a.y)
            assert apart or inside or around


def test_boundary_events_sit_on_the_border_of_their_task():
    found = bpmn.layout(processes.order_process())
    for e in processes.order_process().elements:
        if e.kind == "boundary":
            event, task = found.boxes[e.id], found.boxes[e.attached_to]
            assert event.cy == task.bottom
            assert task.x < event.cx < task.right


def test_a_long_process_wraps_into_rows_instead_of_growing_wider():
    steps = [service(f"t{i}", f"Step {i}", job="w") for i in range(14)]
    p = Process("long", "Long", [start("s"), *steps, end("e")],
                [("s", "t0"), *((f"t{i}", f"t{i + 1}") for i in range(13)), ("t13", "e")])
    found = bpmn.layout(p)
    assert found.width <= 960
    rows = sorted({round(found.boxes[f"t{i}"].y) for i in range(14)})
    assert len(rows) >= 2


# -- what Camunda Modeler saves -----------------------------------------------------------------

def test_a_zeebe_modeler_file_is_read_with_its_extension_elements():
    with pytest.warns(bpmn.BpmnIgnored) as caught:
        p = bpmn.read(HERE / "bpmn" / "zeebe_payment.bpmn")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "zeebe:taskHeaders on bpmn:serviceTask 'Activity_charge'" in message
    assert "bpmn:textAnnotation TextAnnotation_1" in message
    charge = p.element("Activity_charge")
    assert (charge.job, charge.retries) == ("charge-card", 5)
    assert charge.inputs == (("=order.total", "amount"),)
    assert charge.outputs == (("=transactionId", "chargeId"),)
    assert p.element("Activity_wait").correlation_key == "=orderId"
    declined = p.element("Event_declined")
    assert (declined.kind, declined.error) == ("error_boundary", "CARD_DECLINED")
    reminder = p.element("Event_reminder")
    assert (reminder.interrupting, reminder.repeat, reminder.hours) == (False, 3, 24.0)
    assert p.element("Event_reminded").job == "remind-customer"
    assert p.element("Event_7days").hours == 168.0


def test_a_file_without_anything_to_ignore_reads_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bpmn.read(resource("payment.bpmn"))


# -- bad input ----------------------------------------------------------------------------------

def doc(body, extra=""):
    return (f'<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
            f'20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
            f'id="d" targetNamespace="x"><bpmn:process id="p" isExecutable="true">{body}'
            f'</bpmn:process>{extra}</bpmn:definitions>')


OK = ('<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>'
      '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/>')


@pytest.mark.parametrize(("xml", "message"), [
    ("<bpmn:definitions", "not well-formed XML"),
    ('<definitions xmlns="urn:other"/>', "namespace 'urn:other', not BPMN 2.0"),
    (doc(OK + '<foo:task xmlns:foo="urn:foo" id="x"/>'),
     "element 'task' \\(id 'x'\\) is in namespace 'urn:foo'"),
    (doc(OK + '<bpmn:sequenceFlow id="f2" sourceRef="s" targetRef="ghost"/>'),
     "bpmn:sequenceFlow 'f2' has target 'ghost', which is no element"),
    (doc('<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="gw"/><bpmn:endEvent id="e"/>'
         '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gw"/>'),
     "exclusive 'gw' is dangling: it has no outgoing flow"),
    (doc('<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="t"><bpmn:'
         'timerEventDefinition><bpmn:timeDuration>PT7D</bpmn:timeDuration></bpmn:'
         'timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>'),
     "timer of bpmn:intermediateCatchEvent 't': 'PT7D' is not an ISO 8601 duration"),
    (doc('<bpmn:endEvent id="e"/>'), "process 'p' needs exactly one start event, found 0"),
    (doc(OK + '<bpmn:scriptTask id="calc"/>'),
     "bpmn:scriptTask 'calc' cannot be executed by the engine"),
    (doc(OK + '<bpmn:inclusiveGateway id="or"/>'), "bpmn:inclusiveGateway 'or' cannot be"),
    (doc('<bpmn:startEvent id="s"><bpmn:signalEventDefinition/></bpmn:startEvent>'
         '<bpmn:endEvent id="e"/>'), "bpmn:startEvent 's' has a signalEventDefinition"),
    (doc('<bpmn:startEvent id="s"/><bpmn:serviceTask id="a"><bpmn:'
         'multiInstanceLoopCharacteristics/></bpmn:serviceTask><bpmn:endEvent id="e"/>'),
     "bpmn:serviceTask 'a' is a loop"),
    (doc('<bpmn:startEvent id="s"/><bpmn:serviceTask id="a"/><bpmn:endEvent id="e"/>'
         '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
         '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="e"/>'),
     "bpmn:serviceTask 'a': service element 'a' needs job"),
    (doc('<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="x"/><bpmn:endEvent id="e"/>'
         '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="x"/>'
         '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="e"><bpmn:conditionExpression>'
         '=amount &gt; 100</bpmn:conditionExpression></bpmn:sequenceFlow>'),
     "bpmn:sequenceFlow 'f2': condition '=amount > 100' is not one the engine evaluates"),
    (doc('<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeCycle>R/PT1H'
         '</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent><bpmn:endEvent id="e"/>'
         '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/>'),
     "'R/PT1H' repeats forever"),
    (doc('<bpmn:startEvent id="s"/><bpmn:receiveTask id="r" messageRef="m"/>'
         '<bpmn:endEvent id="e"/>'), "bpmn:receiveTask 'r' refers to message 'm'"),
])
def test_bad_documents_are_rejected_naming_the_element_and_the_problem(xml, message):
    with pytest.raises(ValueError, match=message):
        bpmn.read(xml)


def test_a_document_with_a_dtd_or_entities_is_refused_unread():
    bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            '&a;</bpmn:definitions>')
    with pytest.raises(ValueError, match="DTD or entities"):
        bpmn.read(bomb)


def test_writing_refuses_ids_that_are_no_xml_names_and_reading_wants_a_real_file():
    p = Process("p", "P", [start("my start"), end("e")], [("my start", "e")])
    with pytest.raises(ValueError, match="element id 'my start' cannot be written as BPMN"):
        bpmn.write(p)
    with pytest.raises(FileNotFoundError, match="no BPMN file"):
        bpmn.read("no/such/file.bpmn")
    with pytest.raises(TypeError, match="must be a Process"):
        bpmn.write("order")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="path, XML text or bytes"):
        bpmn.read(42)  # type: ignore[arg-type]


def test_a_document_with_several_processes_needs_the_process_id():
    two = doc(OK).replace("</bpmn:definitions>", '<bpmn:process id="q">' + OK
                          + "</bpmn:process></bpmn:definitions>")
    with pytest.raises(ValueError, match="2 processes \\('p', 'q'\\); choose one"):
        bpmn.read(two)
    assert bpmn.read(two, process_id="q").id == "q"
    with pytest.raises(ValueError, match="no process 'r'"):
        bpmn.read(two, process_id="r")


def test_durations_read_iso_8601_and_refuse_calendar_units():
    assert [bpmn.hours("t", t) for t in ("P20D", "PT12H", "P1D", "PT30M", "P1W", "P1DT6H")] \
        == [480.0, 12.0, 24.0, 0.5, 168.0, 30.0]
    with pytest.raises(ValueError, match="years or months"):
        bpmn.hours("t", "P1M")
    assert bpmn.iso(480.0) == "P20D"
    assert bpmn.iso(12.0) == "PT12H"
    assert bpmn.iso(0.1) == "PT0.1H"


@given(st.floats(1e-6, 1e7, allow_nan=False))
def test_every_duration_written_reads_back_as_the_same_hours(h):
    assert bpmn.hours("t", bpmn.iso(h)) == h


@pytest.mark.parametrize("name", SHIPPED)
def test_the_shipped_files_carry_the_layout_the_package_computes(name):
    shipped = resource(name).read_text(encoding="utf-8")
    assert shipped == bpmn.write(bpmn.read(shipped)), \
        f"{name} differs from the computed layout: run python tools/relayout_bpmn.py"


def test_a_send_task_with_only_a_zeebe_job_type_is_done_by_that_jobs_worker():
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:sendTask id="ask" name="Check criminal record">
      <bpmn:extensionElements><zeebe:taskDefinition type="CheckCriminalRecord" />
      </bpmn:extensionElements>
    </bpmn:sendTask>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="ask" />
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""
    process = bpmn.read(xml)
    ask = process.element("ask")
    assert ask.kind == "send"
    assert ask.job == "CheckCriminalRecord"  # as in Zeebe: a worker of that type sends
    assert ask.message is None
    assert bpmn.read(bpmn.write(process)) == process
