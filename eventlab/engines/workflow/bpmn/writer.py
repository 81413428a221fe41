"""Process -> BPMN 2.0 XML with diagram interchange, as Camunda Modeler saves it.

The file validates against the OMG BPMN 2.0 schema and carries Zeebe's extension elements
(``zeebe:taskDefinition``, ``zeebe:subscription``, ``zeebe:ioMapping``), so Camunda Modeler
(and bpmn-js) open it with the picture :func:`~eventlab.engines.workflow.bpmn.layout.layout`
computes. What the model keeps implicit is written out as BPMN spells it: a task's
``compensation`` becomes a compensation boundary event, a handler task marked
``isForCompensation`` and an association; the default flow of an exclusive gateway is its
``default`` attribute; an event subprocess is a ``subProcess triggeredByEvent="true"`` whose
error start event refers to a ``bpmn:error`` (none for a catch-all).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # writing only: nothing is parsed here
from importlib.metadata import PackageNotFoundError, version

from eventlab.engines.workflow.bpmn import durations, feel
from eventlab.engines.workflow.bpmn.layout import Box, Layout, layout
from eventlab.engines.workflow.bpmn.names import (
    BPMN,
    BPMNDI,
    DC,
    DI,
    MODELER,
    PREFIXES,
    XSI,
    ZEEBE,
    check_xml_id,
    q,
    unique,
)
from eventlab.engines.workflow.definition import Element, Process

_TAGS = {"start": "startEvent", "error_start": "startEvent", "end": "endEvent",
         "throw": "intermediateThrowEvent",
         "catch": "intermediateCatchEvent", "timer": "intermediateCatchEvent",
         "boundary": "boundaryEvent", "error_boundary": "boundaryEvent",
         "service": "serviceTask", "user": "userTask", "send": "sendTask",
         "receive": "receiveTask", "exclusive": "exclusiveGateway",
         "parallel": "parallelGateway", "event_based": "eventBasedGateway",
         "subprocess": "subProcess"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")  # ids in ASCII: every XML reader takes them

for _prefix, _uri in PREFIXES.items():  # the prefixes Camunda Modeler writes
    ET.register_namespace(_prefix, _uri)


def _version() -> str:
    try:
        return version("eventlab")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"


def write(process: Process, *, max_width: float = 960.0) -> str:
    """`process` as a BPMN 2.0 XML document (a string), with its diagram laid out left to
    right, wrapped into rows to stay within `max_width` pixels."""
    if not isinstance(process, Process):
        raise TypeError(f"process must be a Process, got {type(process).__name__}")
    check_xml_id("process id", process.id)
    for e in process.elements:
        check_xml_id("element id", e.id)
    found = layout(process, max_width=max_width)
    return _Writer(process, found).document()


class _Writer:
    def __init__(self, process: Process, found: Layout) -> None:
        self.process, self.layout = process, found
        self.taken = {e.id for e in process.elements} | set(found.flow_ids) | {process.id}
        for c in found.compensations.values():
            self.taken |= {c.event, c.handler, c.association}
        self.messages: dict[tuple[str, str | None], str] = {}
        self.errors: dict[str, str] = {}

    def document(self) -> str:
        root = ET.Element(q(BPMN, "definitions"), {
            "id": unique(f"Definitions_{self.process.id}", self.taken),
            "targetNamespace": "http://bpmn.io/schema/bpmn", "exporter": "eventlab",
            "exporterVersion": _version(), q(MODELER, "executionPlatform"): "Camunda Cloud",
            q(MODELER, "executionPlatformVersion"): "8.6.0"})
        proc = ET.SubElement(root, q(BPMN, "process"), {
            "id": self.process.id, "name": self.process.name, "isExecutable": "true"})
        self._scope(proc, None)
        for (name, key), message_id in self.messages.items():
            message = ET.SubElement(root, q(BPMN, "message"), {"id": message_id, "name": name})
            if key is not None:
                ext = ET.SubElement(message, q(BPMN, "extensionElements"))
                ET.SubElement(ext, q(ZEEBE, "subscription"), {"correlationKey": key})
        for code, error_id in self.errors.items():
            ET.SubElement(root, q(BPMN, "error"), {"id": error_id, "name": code,
                                                   "errorCode": code})
        self._diagram(root)
        ET.indent(root, space="  ")
        text = ET.tostring(root, encoding="unicode", xml_declaration=False)
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'

    # -- the semantic part ------------------------------------------------------------------

    def _scope(self, parent: ET.Element, scope: str | None) -> None:
        """Elements of one scope, then its flows, then its associations (the schema's order)."""
        for e in self.process.children(scope):
            self._element(parent, e)
            comp = self.layout.compensations.get(e.id)
            if comp is not None:
                self._compensation(parent, e, comp.event, comp.handler)
        for i, f in enumerate(self.process.flows):
            if self.process.by_id[f.source].parent != scope:
                continue
            attrs = {"id": self.layout.flow_id(i), "sourceRef": f.source, "targetRef": f.target}
            if f.when is not None:  # the name is what modelers show beside the flow
                attrs["name"] = f.label
            flow = ET.SubElement(parent, q(BPMN, "sequenceFlow"), attrs)
            if f.when is not None:
                where = f"flow {f.source} -> {f.target}"
                text = feel.condition(f.when, where)
                ET.SubElement(flow, q(BPMN, "conditionExpression"),
                              {q(XSI, "type"): "bpmn:tFormalExpression"}).text = text
        for task, comp in self.layout.compensations.items():
            if self.process.by_id[task].parent == scope:
                ET.SubElement(parent, q(BPMN, "association"), {
                    "id": comp.association, "associationDirection": "One",
                    "sourceRef": comp.event, "targetRef": comp.handler})

    def _element(self, parent: ET.Element, e: Element) -> None:
        attrs = {"id": e.id} | ({"name": e.name} if e.name != e.id else {})
        if e.kind in ("boundary", "error_boundary"):
            attrs["attachedToRef"] = e.attached_to or ""
            if not e.interrupting:
                attrs["cancelActivity"] = "false"
        if e.kind in ("send", "receive") and e.message is not None:
            attrs["messageRef"] = self._message(e)
        if e.triggered_by_event:
            attrs["triggeredByEvent"] = "true"
        if e.kind == "exclusive":
            default = [i for i, f in enumerate(self.process.flows)
                       if f.source == e.id and f.when is None]
            if default and len(self.process.outgoing(e.id)) > 1:
                attrs["default"] = self.layout.flow_id(default[0])
        node = ET.SubElement(parent, q(BPMN, _TAGS[e.kind]), attrs)
        self._extensions(node, e)
        if e.kind == "subprocess":
            self._scope(node, e.id)
            return
        self._definitions(node, e)

    def _extensions(self, node: ET.Element, e: Element) -> None:
        if e.job is None and not e.inputs and not e.outputs:
            return
        ext = ET.SubElement(node, q(BPMN, "extensionElements"))
        if e.job is not None:
            ET.SubElement(ext, q(ZEEBE, "taskDefinition"),
                          {"type": e.job, "retries": str(e.retries)})
        if e.inputs or e.outputs:
            io = ET.SubElement(ext, q(ZEEBE, "ioMapping"))
            for side, pairs in (("input", e.inputs), ("output", e.outputs)):
                for source, target in pairs:
                    ET.SubElement(io, q(ZEEBE, side), {"source": source, "target": target})

    def _definitions(self, node: ET.Element, e: Element) -> None:
        """The event definitions, in the order a reader meets them."""
        if e.kind in ("start", "end", "throw", "catch") and e.message is not None:
            ET.SubElement(node, q(BPMN, "messageEventDefinition"),
                          {"messageRef": self._message(e)})
        elif e.kind in ("end", "throw") and e.job is not None:
            ET.SubElement(node, q(BPMN, "messageEventDefinition"))
        if e.hours is not None:
            timer = ET.SubElement(node, q(BPMN, "timerEventDefinition"))
            which = "timeCycle" if e.repeat is not None else "timeDuration"
            text = durations.iso(e.hours)
            ET.SubElement(timer, q(BPMN, which), {q(XSI, "type"): "bpmn:tFormalExpression"}
                          ).text = f"R{e.repeat}/{text}" if e.repeat is not None else text
        if e.kind in ("error_boundary", "error_start") or (e.kind == "end"
                                                           and e.error is not None):
            attrs = {} if e.error is None else {"errorRef": self._error(e.error)}
            ET.SubElement(node, q(BPMN, "errorEventDefinition"), attrs)
        if e.compensate:
            ET.SubElement(node, q(BPMN, "compensateEventDefinition"))
        if e.terminate:
            ET.SubElement(node, q(BPMN, "terminateEventDefinition"))

    def _compensation(self, parent: ET.Element, task: Element, event: str,
                      handler: str) -> None:
        boundary = ET.SubElement(parent, q(BPMN, "boundaryEvent"),
                                 {"id": event, "attachedToRef": task.id})
        ET.SubElement(boundary, q(BPMN, "compensateEventDefinition"))
        job = task.compensation or ""
        undo = ET.SubElement(parent, q(BPMN, "serviceTask"), {
            "id": handler, "name": job.replace("-", " ").capitalize(),
            "isForCompensation": "true"})
        ext = ET.SubElement(undo, q(BPMN, "extensionElements"))
        ET.SubElement(ext, q(ZEEBE, "taskDefinition"), {"type": job, "retries": str(task.retries)})

    def _message(self, e: Element) -> str:
        key = (e.message or "", e.correlation_key)
        if key not in self.messages:
            base = "Message_" + _UNSAFE.sub("_", e.message or "")
            self.messages[key] = unique(base, self.taken)
        return self.messages[key]

    def _error(self, code: str) -> str:
        if code not in self.errors:
            self.errors[code] = unique("Error_" + _UNSAFE.sub("_", code), self.taken)
        return self.errors[code]

    # -- the picture ------------------------------------------------------------------------

    def _diagram(self, root: ET.Element) -> None:
        diagram = ET.SubElement(root, q(BPMNDI, "BPMNDiagram"),
                                {"id": unique(f"BPMNDiagram_{self.process.id}", self.taken)})
        plane = ET.SubElement(diagram, q(BPMNDI, "BPMNPlane"), {
            "id": unique(f"BPMNPlane_{self.process.id}", self.taken),
            "bpmnElement": self.process.id})
        kinds = {e.id: e.kind for e in self.process.elements}
        for shape_id, box in self.layout.boxes.items():
            attrs = {"id": f"{shape_id}_di", "bpmnElement": shape_id}
            if kinds.get(shape_id) == "subprocess":
                attrs["isExpanded"] = "true"
            if kinds.get(shape_id) == "exclusive":  # bpmn-js draws the × only when asked
                attrs["isMarkerVisible"] = "true"
            shape = ET.SubElement(plane, q(BPMNDI, "BPMNShape"), attrs)
            _bounds(shape, box)
            if shape_id in self.layout.labels:
                _bounds(ET.SubElement(shape, q(BPMNDI, "BPMNLabel")),
                        self.layout.labels[shape_id])
        for route in self.layout.routes:
            edge = ET.SubElement(plane, q(BPMNDI, "BPMNEdge"),
                                 {"id": f"{route.id}_di", "bpmnElement": route.id})
            for x, y in route.points:
                ET.SubElement(edge, q(DI, "waypoint"), {"x": _num(x), "y": _num(y)})
            if route.id in self.layout.labels:
                _bounds(ET.SubElement(edge, q(BPMNDI, "BPMNLabel")),
                        self.layout.labels[route.id])


def _bounds(parent: ET.Element, box: Box) -> None:
    ET.SubElement(parent, q(DC, "Bounds"), {"x": _num(box.x), "y": _num(box.y),
                                            "width": _num(box.w), "height": _num(box.h)})


def _num(value: float) -> str:
    return f"{round(value, 1):g}"
