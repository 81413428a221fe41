"""BPMN 2.0 XML -> Process: the files Camunda Modeler and Zeebe Modeler save.

Each executable element becomes an :class:`~eventlab.engines.workflow.elements.Element`
(``bpmn:serviceTask`` -> ``service``, a ``bpmn:boundaryEvent`` with a timer -> ``boundary``
...), in document order; sequence flows keep their order too (it is an exclusive gateway's
order of evaluation). Zeebe's ``taskDefinition``, ``subscription`` and ``ioMapping`` are
read; a compensation boundary event with its handler task folds back into the task's
``compensation``. An event subprocess (``subProcess triggeredByEvent="true"``) is read when
its start event is an error start event (``errorEventDefinition``, with or without
``errorRef``); message and timer event subprocesses are refused. The diagram interchange is
not read: :func:`write` lays the process out anew. The checks of
:class:`~eventlab.engines.workflow.definition.Process` run on the result, so a model that
could not run (a gateway without outgoing flows, no start event) is rejected with the
element's id.
"""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET  # types only: parsing goes through defusedxml
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as _parse

from eventlab.core.errors import ConfigError, check_int
from eventlab.engines.workflow.bpmn import durations, feel
from eventlab.engines.workflow.bpmn.names import BPMN, BPMNDI, MODELER, XSI, ZEEBE, q
from eventlab.engines.workflow.definition import Element, Flow, Process

_KNOWN_NS = (BPMN, BPMNDI, MODELER, XSI, "http://www.w3.org/XML/1998/namespace")
_TASKS = {"serviceTask": "service", "userTask": "user", "sendTask": "send",
          "receiveTask": "receive", "subProcess": "subprocess",
          "exclusiveGateway": "exclusive", "parallelGateway": "parallel",
          "eventBasedGateway": "event_based"}
_EVENTS = ("startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent",
           "boundaryEvent")
_DEFINITIONS = ("messageEventDefinition", "timerEventDefinition", "errorEventDefinition",
                "compensateEventDefinition", "terminateEventDefinition")
# Diagram decoration and documentation: not executed, listed in the warning.
_DECORATION = ("textAnnotation", "group", "category", "laneSet", "dataObject",
               "dataObjectReference", "dataStoreReference")
# What the engine cannot execute, with what to use instead.
_UNSUPPORTED = {
    "task": "give it a type (service, user, send or receive task)",
    "scriptTask": "use a service task whose worker runs the script",
    "businessRuleTask": "use a service task whose worker decides",
    "manualTask": "use a user task", "callActivity": "use an embedded subprocess",
    "inclusiveGateway": "use exclusive and parallel gateways",
    "complexGateway": "use exclusive and parallel gateways",
    "transaction": "use an embedded subprocess with compensation",
    "adHocSubProcess": "use an embedded subprocess",
}


class BpmnIgnored(UserWarning):
    """Parts of a BPMN file the engine does not use (listed once per file)."""


@dataclass
class _Found:
    elements: list[Element] = field(default_factory=list)
    flows: list[tuple[str, ET.Element]] = field(default_factory=list)  # (scope, flow)
    compensations: list[tuple[str, ET.Element]] = field(default_factory=list)  # boundary
    handlers: dict[str, ET.Element] = field(default_factory=dict)
    associations: list[ET.Element] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def read(source: str | Path | bytes, *, process_id: str | None = None) -> Process:
    """The process in a BPMN 2.0 file (a path) or document (XML text or bytes).

    A file with several processes (a collaboration of pools) needs `process_id`.
    """
    root = _root(source)
    messages, errors = _messages(root), _errors(root)
    processes = root.findall(q(BPMN, "process"))
    if not processes:
        raise ConfigError("the BPMN document has no bpmn:process")
    if process_id is None and len(processes) > 1:
        ids = ", ".join(repr(p.get("id")) for p in processes)
        raise ConfigError(f"the BPMN document has {len(processes)} processes ({ids}); "
                          "choose one with process_id=...")
    chosen = [p for p in processes if process_id is None or p.get("id") == process_id]
    if not chosen:
        ids = ", ".join(repr(p.get("id")) for p in processes)
        raise ConfigError(f"the BPMN document has no process {process_id!r}; it has {ids}")
    proc = chosen[0]
    found = _Found()
    for child in root:
        tag = _local(child)
        if tag not in ("process", "message", "error", "BPMNDiagram") and _ns(child) == BPMN:
            found.ignored.append(f"bpmn:{tag} {child.get('id', '')}".strip())
    _foreign_attributes(proc, "process", found)
    _scope(proc, None, messages, errors, found)
    result = _assemble(proc, found)
    if found.ignored:
        warnings.warn(BpmnIgnored("the engine ignores these parts of the BPMN document: "
                                  + "; ".join(found.ignored)), stacklevel=2)
    return result


# -- the document ---------------------------------------------------------------------------

def _root(source: str | Path | bytes) -> ET.Element:
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip(
            "\ufeff \t\r\n").startswith("<")):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no BPMN file at {str(path)!r}")
        data: str | bytes = path.read_bytes()
    elif isinstance(source, str | bytes):
        data = source
    else:
        raise TypeError(f"source must be a path, XML text or bytes, got {type(source).__name__}")
    try:
        root: ET.Element = _parse(data, forbid_dtd=True, forbid_entities=True,
                                  forbid_external=True)
    except ParseError as err:
        raise ConfigError(f"the BPMN document is not well-formed XML: {err}") from None
    except DefusedXmlException as err:
        raise ConfigError(f"the BPMN document uses a DTD or entities, which are not read "
                          f"(they can reach files and the network): {err!r}") from None
    if root.tag != q(BPMN, "definitions"):
        ns = _ns(root)
        if ns != BPMN:
            raise ConfigError(f"the document's root element {_local(root)!r} is in namespace "
                              f"{ns or 'none'!r}, not BPMN 2.0's {BPMN!r}")
        raise ConfigError(f"a BPMN document starts with bpmn:definitions, not bpmn:{_local(root)}")
    return root


def _ns(node: ET.Element) -> str:
    return node.tag[1:].split("}")[0] if node.tag.startswith("{") else ""


def _local(node: ET.Element) -> str:
    return node.tag.rsplit("}", 1)[-1]


def _messages(root: ET.Element) -> dict[str, tuple[str, str | None]]:
    out = {}
    for m in root.findall(q(BPMN, "message")):
        sub = m.find(f"{q(BPMN, 'extensionElements')}/{q(ZEEBE, 'subscription')}")
        name = m.get("name") or ""
        if not name.strip():
            raise ConfigError(f"bpmn:message {m.get('id')!r} has no name (the message type "
                              "the engine waits for or sends)")
        out[m.get("id") or ""] = (name, None if sub is None else sub.get("correlationKey"))
    return out


def _errors(root: ET.Element) -> dict[str, str]:
    out = {}
    for e in root.findall(q(BPMN, "error")):
        code = e.get("errorCode") or e.get("name") or ""
        if not code.strip():
            raise ConfigError(f"bpmn:error {e.get('id')!r} has no errorCode")
        out[e.get("id") or ""] = code
    return out


def _foreign_attributes(node: ET.Element, where: str, found: _Found) -> None:
    for name in node.attrib:
        if name.startswith("{") and name[1:].split("}")[0] not in _KNOWN_NS:
            found.ignored.append(f"attribute {name} on {where}")


# -- one scope ------------------------------------------------------------------------------

def _scope(parent: ET.Element, scope: str | None, messages: dict[str, tuple[str, str | None]],
           errors: dict[str, str], found: _Found) -> None:
    for node in parent:
        tag, ns = _local(node), _ns(node)
        where = f"bpmn:{tag} {node.get('id')!r}"
        if ns != BPMN:
            if ns == ZEEBE or tag == "extensionElements":
                continue
            raise ConfigError(f"element {tag!r} (id {node.get('id')!r}) is in namespace "
                              f"{ns or 'none'!r}, which is not BPMN 2.0's: the engine cannot "
                              "execute it")
        if tag in ("extensionElements", "incoming", "outgoing", "documentation"):
            if tag == "extensionElements":
                _extensions(node, "process" if scope is None else scope, found)
            continue
        _foreign_attributes(node, where, found)
        if tag == "sequenceFlow":
            found.flows.append((scope or "", node))
        elif tag == "association":
            found.associations.append(node)
        elif tag in _DECORATION:
            found.ignored.append(f"bpmn:{tag} {node.get('id', '')}".strip())
        elif tag == "serviceTask" and node.get("isForCompensation") == "true":
            found.handlers[node.get("id") or ""] = node
        elif tag == "boundaryEvent" and node.find(q(BPMN, "compensateEventDefinition")) \
                is not None:
            found.compensations.append((scope or "", node))
        elif tag in _TASKS or tag in _EVENTS:
            element = _element(node, tag, scope, messages, errors, found)
            found.elements.append(element)
            if tag == "subProcess":
                _scope(node, element.id, messages, errors, found)
        else:
            hint = _UNSUPPORTED.get(tag, "")
            raise ConfigError(f"{where} cannot be executed by the engine"
                              + (f": {hint}" if hint else ""))


def _extensions(node: ET.Element, where: str, found: _Found,
                known: tuple[str, ...] = ()) -> dict[str, ET.Element]:
    """Known Zeebe extension elements by name; the rest goes to the warning."""
    out: dict[str, ET.Element] = {}
    for ext in node:
        name = _local(ext)
        if _ns(ext) == ZEEBE and name in known:
            out[name] = ext
        else:
            prefix = "zeebe" if _ns(ext) == ZEEBE else _ns(ext) or "none"
            found.ignored.append(f"extension {prefix}:{name} on {where}")
    return out


def _element(node: ET.Element, tag: str, scope: str | None,
             messages: dict[str, tuple[str, str | None]], errors: dict[str, str],
             found: _Found) -> Element:
    element_id = node.get("id") or ""
    where = f"bpmn:{tag} {element_id!r}"
    if not element_id:
        raise ConfigError(f"a bpmn:{tag} has no id")
    for bad in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics"):
        if node.find(q(BPMN, bad)) is not None:
            raise ConfigError(f"{where} is a loop ({bad}), which the engine cannot execute")
    if tag == "receiveTask" and node.get("instantiate") == "true":
        raise ConfigError(f"{where} starts the process (instantiate), which the engine "
                          "cannot execute; use a message start event")
    ext_node = node.find(q(BPMN, "extensionElements"))
    ext = {} if ext_node is None else _extensions(
        ext_node, where, found, ("taskDefinition", "ioMapping"))
    fields: dict[str, Any] = {"name": node.get("name") or "", "parent": scope}
    fields |= _job(ext.get("taskDefinition"), where)
    fields |= _io(ext.get("ioMapping"), where)
    definitions = [d for d in node if _ns(d) == BPMN and _local(d).endswith("EventDefinition")]
    if tag in _TASKS:
        kind = _TASKS[tag]
        if definitions:
            raise ConfigError(f"{where} has an event definition, which only events have")
        ref = node.get("messageRef")
        if ref is not None:
            name, key = _message(messages, ref, where)
            fields["message"] = name
            if kind == "receive" and key is not None:
                fields["correlation_key"] = key
        if tag == "subProcess" and node.get("triggeredByEvent") == "true":
            fields["triggered_by_event"] = True
        return _make(element_id, kind, fields, where)
    kinds = [_local(d) for d in definitions]
    for d in kinds:
        if d not in _DEFINITIONS:
            raise ConfigError(f"{where} has a {d}, which the engine cannot execute")
    if tag == "boundaryEvent":
        fields["attached_to"] = node.get("attachedToRef")
        if node.get("cancelActivity") == "false":
            fields["interrupting"] = False
    kind = _event_kind(tag, kinds, where)
    if kind == "error_start" and node.get("isInterrupting") == "false":
        raise ConfigError(f"{where} is a non-interrupting error start event; BPMN's error "
                          "start events always interrupt")
    for definition in definitions:
        _definition(definition, _local(definition), tag, fields, messages, errors, where)
    if kind == "start" and fields.get("correlation_key") is not None:
        fields.pop("correlation_key")  # a message start event opens a new instance: no key
    return _make(element_id, kind, fields, where)


def _event_kind(tag: str, kinds: list[str], where: str) -> str:
    has = set(kinds)
    if len(kinds) != len(has):
        raise ConfigError(f"{where} repeats an event definition")
    allowed: dict[str, tuple[set[str], str]] = {
        "startEvent": ({"messageEventDefinition", "timerEventDefinition",
                        "errorEventDefinition"}, "start"),
        "endEvent": ({"messageEventDefinition", "errorEventDefinition",
                      "compensateEventDefinition", "terminateEventDefinition"}, "end"),
        "intermediateThrowEvent": ({"messageEventDefinition", "compensateEventDefinition"},
                                   "throw"),
        "intermediateCatchEvent": ({"messageEventDefinition", "timerEventDefinition"}, ""),
        "boundaryEvent": ({"timerEventDefinition", "errorEventDefinition"}, ""),
    }
    permitted, kind = allowed[tag]
    odd = [k for k in kinds if k not in permitted]
    if odd:
        raise ConfigError(f"{where}: a bpmn:{tag} with {odd[0]} cannot be executed by the "
                          "engine")
    several = has - {"terminateEventDefinition"} if tag == "endEvent" else has
    if len(several) > 1 and has != {"compensateEventDefinition", "terminateEventDefinition"}:
        raise ConfigError(f"{where} has several event definitions ({', '.join(kinds)}); the "
                          "engine executes one")
    if tag == "intermediateThrowEvent" and not has:
        raise ConfigError(f"{where} throws nothing (a none intermediate event); the engine "
                          "executes message and compensation throw events")
    if tag == "intermediateCatchEvent":
        if not has:
            raise ConfigError(f"{where} catches nothing; give it a message or a timer")
        return "timer" if "timerEventDefinition" in has else "catch"
    if tag == "boundaryEvent":
        if not has:
            raise ConfigError(f"{where} has no event definition; give it a timer or an error")
        return "boundary" if "timerEventDefinition" in has else "error_boundary"
    if tag == "startEvent" and "errorEventDefinition" in has:
        return "error_start"  # the process checks that it starts an event subprocess
    return kind


def _definition(d: ET.Element, name: str, tag: str, fields: dict[str, Any],
                messages: dict[str, tuple[str, str | None]], errors: dict[str, str],
                where: str) -> None:
    if name == "messageEventDefinition":
        ref = d.get("messageRef")
        if ref is None:
            if fields.get("job") is None:
                raise ConfigError(f"{where} has a message event definition without messageRef "
                                  "(and no zeebe:taskDefinition for a worker that sends it)")
            return
        message, key = _message(messages, ref, where)
        fields["message"] = message
        if key is not None and tag == "intermediateCatchEvent":
            fields["correlation_key"] = key
    elif name == "timerEventDefinition":
        _timer(d, tag, fields, where)
    elif name == "errorEventDefinition":
        ref = d.get("errorRef")
        if ref is not None and ref not in errors:
            raise ConfigError(f"{where} refers to error {ref!r}, which the document does not "
                              "define (bpmn:error)")
        if ref is None and tag == "endEvent":
            raise ConfigError(f"{where} throws an error without errorRef; give it an error "
                              "code")
        fields["error"] = None if ref is None else errors[ref]
    elif name == "compensateEventDefinition":
        if d.get("activityRef"):
            raise ConfigError(f"{where} compensates one activity (activityRef); the engine "
                              "compensates every completed task of the scope")
        fields["compensate"] = True
    elif name == "terminateEventDefinition":
        fields["terminate"] = True


def _timer(d: ET.Element, tag: str, fields: dict[str, Any], where: str) -> None:
    parts = {_local(p): (p.text or "").strip() for p in d if _ns(p) == BPMN}
    what = f"timer of {where}"
    if "timeDate" in parts:
        raise ConfigError(f"{what}: timeDate {parts['timeDate']!r} needs a calendar, which "
                          "the simulation has not; use timeDuration (P1D) or timeCycle (R3/PT1H)")
    if "timeCycle" in parts:
        if tag == "intermediateCatchEvent" or (tag == "boundaryEvent"
                                               and fields.get("interrupting", True)):
            raise ConfigError(f"{what}: a timeCycle repeats, which only a timer start event "
                              "or a non-interrupting boundary timer does; use timeDuration")
        repeat, hours = durations.cycle(what, parts["timeCycle"])
        fields["hours"], fields["repeat"] = hours, repeat
    elif "timeDuration" in parts:
        fields["hours"] = durations.hours(what, parts["timeDuration"])
    else:
        raise ConfigError(f"{what} has no timeDuration or timeCycle")


def _message(messages: dict[str, tuple[str, str | None]], ref: str,
             where: str) -> tuple[str, str | None]:
    if ref not in messages:
        raise ConfigError(f"{where} refers to message {ref!r}, which the document does not "
                          "define (bpmn:message)")
    return messages[ref]


def _job(task: ET.Element | None, where: str) -> dict[str, Any]:
    if task is None:
        return {}
    job = task.get("type") or ""
    if not job.strip() or job.startswith("="):
        raise ConfigError(f"{where}: zeebe:taskDefinition type must be a job type name, got "
                          f"{job!r}")
    out: dict[str, Any] = {"job": job}
    retries = task.get("retries")
    if retries is not None:
        if not retries.strip().isdigit():
            raise ConfigError(f"{where}: zeebe:taskDefinition retries must be a whole number, "
                              f"got {retries!r}")
        out["retries"] = check_int(f"retries of {where}", int(retries), low=1, high=100)
    return out


def _io(mapping: ET.Element | None, where: str) -> dict[str, Any]:
    if mapping is None:
        return {}
    out: dict[str, list[tuple[str, str]]] = {"inputs": [], "outputs": []}
    for item in mapping:
        side = _local(item)
        if _ns(item) != ZEEBE or side not in ("input", "output"):
            raise ConfigError(f"{where}: zeebe:ioMapping holds zeebe:input and zeebe:output "
                              f"only, got {item.tag}")
        out[f"{side}s"].append((item.get("source") or "", item.get("target") or ""))
    return {k: tuple(v) for k, v in out.items() if v}


def _make(element_id: str, kind: str, fields: dict[str, Any], where: str) -> Element:
    try:
        return Element(element_id, kind, **fields)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{where}: {err}") from None


# -- the whole ------------------------------------------------------------------------------

def _assemble(proc: ET.Element, found: _Found) -> Process:
    elements = list(found.elements)
    by_id = {e.id: i for i, e in enumerate(elements)}
    _fold_compensations(found, elements, by_id)
    flows = []
    known = set(by_id)
    defaults = {e.get("id"): e.get("default") for e in proc.iter(q(BPMN, "exclusiveGateway"))}
    for _, flow in found.flows:
        flow_id = flow.get("id") or ""
        source, target = flow.get("sourceRef") or "", flow.get("targetRef") or ""
        for side, ref in (("source", source), ("target", target)):
            if ref not in known:
                raise ConfigError(f"bpmn:sequenceFlow {flow_id!r} has {side} {ref!r}, which "
                                  "is no element of the process"
                                  + (" (a compensation handler has no flows)"
                                     if ref in found.handlers else ""))
        expression = flow.find(q(BPMN, "conditionExpression"))
        when = None
        if expression is not None and defaults.get(source) != flow_id:
            when = feel.parse_condition(expression.text or "",
                                        f"bpmn:sequenceFlow {flow_id!r}")
        flows.append(Flow(source, target, when))
    name = proc.get("name") or proc.get("id") or ""
    return Process(proc.get("id") or "", name, elements, flows)


def _fold_compensations(found: _Found, elements: list[Element], by_id: dict[str, int]) -> None:
    """A compensation boundary event + association + handler -> the task's compensation."""
    targets = {a.get("sourceRef"): a.get("targetRef") for a in found.associations}
    used: set[str] = set()
    for _, event in found.compensations:
        event_id = event.get("id") or ""
        task = event.get("attachedToRef") or ""
        handler_id = targets.get(event_id)
        where = f"compensation boundary event {event_id!r}"
        if task not in by_id:
            raise ConfigError(f"{where} is attached to {task!r}, which is no task of the "
                              "process")
        handler = found.handlers.get(handler_id or "")
        if handler is None:
            raise ConfigError(f"{where} has no compensation handler: associate it with a "
                              "service task marked isForCompensation")
        definition = handler.find(f"{q(BPMN, 'extensionElements')}/{q(ZEEBE, 'taskDefinition')}")
        job = _job(definition, f"compensation handler {handler_id!r}").get("job")
        if job is None:
            raise ConfigError(f"compensation handler {handler_id!r} needs a "
                              "zeebe:taskDefinition type (the worker that undoes the task)")
        i = by_id[task]
        fields = {s: getattr(elements[i], s) for s in elements[i].__slots__}
        fields["compensation"] = job
        element_id, kind = fields.pop("id"), fields.pop("kind")
        elements[i] = _make(element_id, kind, fields, f"bpmn task {task!r}")
        used.add(handler_id or "")
    compensating = {event.get("id") for _, event in found.compensations}
    for a in found.associations:
        if a.get("sourceRef") not in compensating:
            found.ignored.append(f"bpmn:association {a.get('id', '')}".strip())
    for handler_id in found.handlers:
        if handler_id not in used:
            found.ignored.append(f"compensation handler {handler_id} (no compensation boundary "
                                 "event leads to it)")
