"""BPMN-like pictures of process definitions, with token counts from a run.

Events are circles (a thick one ends the process, a red one compensates), tasks are rounded
boxes (⚙ service, ✉→ send, ✉ receive), gateways are diamonds (× exclusive, + parallel).
Boundary timers hang off their task with a dashed line, and a task's compensation is a grey
box on a dotted line. Given token counts (from :meth:`Engine.token_counts
<eventlab.engines.workflow.engine.Engine.token_counts>` or :func:`counts_from_trace`), each element
shows how many tokens passed it and how many are there now, as the monitor's ✓ overlays do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from eventlab.core.errors import check_text
from eventlab.domains.retail.messages import RETAIL
from eventlab.domains.retail.processes import duration
from eventlab.engines.workflow.definition import Element, Process
from eventlab.engines.workflow.reactions import Rule
from eventlab.view.graphs import Diagram, node_id

_FINAL = ("completed", "compensated")
_ICON = {"service": "⚙ ", "send": "✉→ ", "receive": "✉ ", "throw": "✉→ ", "timer": "◷ ",
         "boundary": "◷ ", "user": "👤 ", "catch": "✉ ", "error_boundary": "⚡ ",
         "subprocess": "▣ ", "error_start": "⚡ "}
_TASK = {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f0fe"}
_EVENT = {"shape": "circle", "style": "filled", "fillcolor": "#ffffff", "width": "0.9",
          "fontsize": "9"}
_STYLE: dict[str, dict[str, str]] = {
    "start": {**_EVENT, "penwidth": "1.2"},
    "end": {**_EVENT, "penwidth": "3.5"},
    "throw": {**_EVENT, "shape": "doublecircle"},
    "timer": {**_EVENT, "shape": "doublecircle", "fillcolor": "#fff4d6"},
    "boundary": {**_EVENT, "shape": "doublecircle", "fillcolor": "#fff4d6", "width": "0.7"},
    "exclusive": {"shape": "diamond", "style": "filled", "fillcolor": "#fef7e0",
                  "fontsize": "9"},
    "parallel": {"shape": "diamond", "style": "filled", "fillcolor": "#fef7e0",
                 "fontsize": "9"},
    "service": _TASK, "send": _TASK, "receive": _TASK, "user": _TASK,
    "catch": {**_EVENT, "shape": "doublecircle"},
    "error_boundary": {**_EVENT, "shape": "doublecircle", "fillcolor": "#fce8e6",
                       "width": "0.7"},
    "event_based": {"shape": "diamond", "style": "filled", "fillcolor": "#fef7e0",
                    "fontsize": "9"},
    "subprocess": {**_TASK, "style": "rounded,filled,bold"},
    "error_start": {**_EVENT, "penwidth": "1.2", "fillcolor": "#fce8e6"},
}


class ProcessDiagram(Diagram):
    """A Diagram whose text alternative names each element's BPMN kind."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._aliases: dict[str, str] = {}  # an element's name -> the node that shows it

    def id_for(self, name: str) -> str:
        return super().id_for(self._aliases.get(name, name))

    def add_edge(self, tail: str, head: str, label: str = "", **kwargs: Any) -> None:
        tail, head = self._aliases.get(tail, tail), self._aliases.get(head, head)
        if tail == head and not label:
            return  # a flow inside a node that shows the whole flow
        super().add_edge(tail, head, label, **kwargs)

    def add_element(self, name: str, kind: str, label: str, note: str, **attrs: str) -> None:
        """A node for one element (or compensation box), listed as ``[kind] label — note``."""
        self.add_node(name, role="service", label=label, note=note, **attrs)
        extra = f" — {note}" if note else ""
        self._lines_nodes[-1] = f"  [{kind}] {' '.join(label.split())}{extra}"


def _label(el: Element) -> str:
    if el.kind == "exclusive":
        return f"×\n{el.name}" if el.name != el.id else "×"
    if el.kind == "parallel":
        return f"+\n{el.name}" if el.name != el.id else "+"
    if el.kind == "event_based":
        return f"⬠\n{el.name}" if el.name != el.id else "⬠"
    text = f"{_ICON.get(el.kind, '')}{el.name}"
    if el.message and el.kind in ("start", "receive", "send", "throw", "end", "catch"):
        text += f"\n[{el.message}]"
    if el.kind in ("timer", "boundary") and el.hours is not None and f"{el.hours:g}" not in \
            el.name and duration(el.hours) not in el.name:
        text += f"\n{el.hours:g} h"
    return text


def _note(counts: Mapping[str, tuple[int, int]] | None, element_id: str) -> str:
    if counts is None or element_id not in counts:
        return ""
    passed, here = counts[element_id]
    if not passed and not here:
        return ""
    return f"✓{passed}" + (f" · {here} here" if here else "")


def diagram(process: Process, counts: Mapping[str, tuple[int, int]] | None = None, *,
            title: str | None = None) -> ProcessDiagram:
    """The process as a BPMN-like diagram; `counts` maps element id -> (passed, here now)."""
    if not isinstance(process, Process):
        raise TypeError(f"process must be a Process, got {type(process).__name__}")
    picture = ProcessDiagram(title or f"{process.name} (process '{process.id}')")
    for el in process.elements:
        style = dict(_STYLE[el.kind])
        if el.triggered_by_event:  # an event subprocess: dotted, as BPMN draws it
            style["style"] = "rounded,filled,dotted"
        if el.kind == "end" and el.compensate:
            style.update(color="#d93025", fillcolor="#fce8e6")
        kind = "compensating end" if el.kind == "end" and el.compensate else el.kind
        picture.add_element(el.id, kind, _label(el), _note(counts, el.id), **style)
        if el.compensation:
            undo = f"{el.id} (compensation)"
            picture.add_element(undo, "compensation", f"↺ {el.compensation}",
                                _note(counts, undo), shape="box",
                                style="rounded,filled,dashed", fillcolor="#eeeeee")
            picture.add_edge(el.id, undo, "compensation", kind="query", style="dotted",
                             arrowhead="none")
    for el in process.elements:
        if el.kind in ("boundary", "error_boundary") and el.attached_to:
            picture.add_edge(el.attached_to, el.id, "", kind="query", arrowhead="none")
        if el.parent is not None:  # what runs inside a subprocess hangs on it
            picture.add_edge(el.parent, el.id, "", kind="query", style="dotted",
                             arrowhead="none")
    for flow in process.flows:
        picture.add_edge(flow.source, flow.target, flow.label, kind="plain")
    return picture


def counts_from_trace(trace: pd.DataFrame, process: Process, *,
                      actor: str) -> dict[str, tuple[int, int]]:
    """Element id -> (tokens that passed, tokens there at the end of `trace`) for `actor`'s
    instances of `process`, counted from the trace's state rows (so it works on any prefix).
    ``"<id> (compensation)"`` counts how often the task was undone."""
    if not isinstance(trace, pd.DataFrame):
        raise TypeError(f"trace must be a pandas DataFrame, got {type(trace).__name__}")
    check_text("actor", actor)
    rows = trace[(trace["kind"] == "state") & (trace["actor"] == actor)]
    entity = rows["entity"].astype(str)
    pattern = rf"^wf-{re.escape(process.id)}-\d+"
    mine = rows[entity.str.match(pattern + "$")]
    status = rows[entity.str.match(pattern + ":status$")]
    ids = set(process.by_id)
    moves = mine[mine["value"].isin(list(ids))]
    passed = moves["value"].value_counts()
    last_status = status.drop_duplicates("entity", keep="last")
    done = {str(e).split(":")[0] for e, v in zip(last_status["entity"], last_status["value"],
                                                 strict=True) if v in _FINAL}
    last = moves.drop_duplicates("entity", keep="last")
    here = last[~last["entity"].isin(list(done))]["value"].value_counts()
    counts = {e: (int(passed.get(e, 0)), int(here.get(e, 0))) for e in process.by_id}
    for e in process.elements:
        if e.compensation:
            counts[f"{e.id} (compensation)"] = (int((mine["value"] == f"undo {e.id}").sum()), 0)
    return counts


def _node(picture: ProcessDiagram, graph: Any, name: str, kind: str, label: str, note: str,
          where: str, **attrs: str) -> None:
    """One node inside a cluster `graph` of `picture` (listed with the service it is in)."""
    shown = f"{label}\n{note}" if note else label
    graph.node(picture.id_for(name), label=shown, **attrs)
    extra = f" — {note}" if note else ""
    picture._lines_nodes.append(f"  [{kind}] {' '.join(label.split())}{extra} (in {where})")


def _process_into(picture: ProcessDiagram, graph: Any, process: Process, service: str,
                  counts: Mapping[str, tuple[int, int]] | None) -> None:
    """The flow a service owns, as one node that says what it waits for and undoes (its
    elements are in its own BPMN picture): drawn whole, two flows side by side shrink the
    picture's text below what a notebook can show. Every element's name leads to this node,
    so the messages between the services still start and end at the flow that sends them."""
    node = f"{service}:{process.id}"
    for el in process.elements:
        picture._aliases[f"{service}:{el.id}"] = node
        if el.compensation:
            picture._aliases[f"{service}:{el.id} (compensation)"] = node
    lines = [f"{process.id}.bpmn, its own engine"]
    for el in process.elements:
        if el.kind in ("receive", "catch"):
            timers = [b.name for b in process.boundaries(el.id) if b.hours is not None]
            wait = f" ≤ {', '.join(timers)}" if timers else ""
            lines.append(f"waits: {el.message}{wait}")
    undo = [el.compensation for el in process.elements if el.compensation]
    if undo:
        lines.append(f"undoes: {', '.join(undo)}")
    start = process.start_event
    done = [el for el in process.elements if el.kind == "end" and not el.compensate]
    seen = (counts or {}).get(start.id)
    if seen is not None:
        finished = sum((counts or {}).get(el.id, (0, 0))[0] for el in done)
        lines.append(f"✓{seen[0]} started, ✓{finished} done")
    _node(picture, graph, node, "process", lines[0], "\n".join(lines[1:]), service,
          **_TASK)


_UNDO = {"refund-payment": "RefundPaymentCommand", "return-goods": "ReturnGoodsCommand"}
_CLUSTER = {"style": "rounded,filled", "color": "#9aa0a6", "fillcolor": "#fafafa",
            "fontname": "Helvetica", "fontsize": "12"}


def local_orchestration(order: Process, payment: Process, *,
                        counts: Mapping[str, Mapping[str, tuple[int, int]]] | None = None,
                        served: Sequence[Rule] = (), reacting: Sequence[Rule] = (),
                        title: str = "Local orchestration: every service owns its flow"
                        ) -> ProcessDiagram:
    """flowing-retail's ``workflow-in-service`` picture, drawn from the definitions.

    Order runs `order` and Payment runs `payment`, each on its own engine inside its own
    service (a grey box); `served` are the rules of the services the Order commands, and
    `reacting` the services that react to the Order's events on their own. Commands are
    red, events blue; `counts` maps "Order"/"Payment" to token counts per element.
    """
    for name, process in (("order", order), ("payment", payment)):
        if not isinstance(process, Process):
            raise TypeError(f"{name} must be a Process, got {type(process).__name__}")
    counts = counts or {}
    picture = ProcessDiagram(title)
    picture.attr(compound="true", nodesep="0.15", ranksep="0.2")
    owners = {"Order": order, "Payment": payment}
    boxes: dict[str, list[str]] = {}  # message a rule reacts to -> nodes that react
    emitted: dict[str, str] = {}  # message a rule emits -> node
    services = dict.fromkeys([*owners, *(r.service for r in (*served, *reacting))])
    for service in services:
        with picture.subgraph(name=f"cluster_{node_id(service)}") as box:
            engine = " (its own workflow engine)" if service in owners else ""
            box.attr(label=f"{service} service{engine}", **_CLUSTER)
            if service in owners:
                _process_into(picture, box, owners[service], service, counts.get(service))
            for rule in (*served, *reacting):
                if rule.service != service:
                    continue
                if service == "Payment" and rule.on == ("RetrievePaymentCommand",):
                    boxes.setdefault(rule.on[0], []).append(f"Payment:{payment.start_event.id}")
                    for message in rule.emits:
                        end_ = next((e for e in payment.elements if e.kind == "end"
                                     and not e.compensate), None)
                        if end_ is not None:
                            emitted[message] = f"Payment:{end_.id}"
                    continue
                name = f"{service}:{rule.do}"
                _node(picture, box, name, "service", f"⚙ {rule.do}", "", service, **_TASK)
                for message in rule.on:
                    boxes.setdefault(message, []).append(name)
                for message in rule.emits:
                    emitted[message] = name
    picture.add_node("Checkout", role="client")
    picture.add_node("Customer", role="client")
    picture.add_edge("Checkout", f"Order:{order.start_event.id}", "OrderPlacedEvent",
                     kind="event")
    for service, process in owners.items():
        for el in process.elements:
            if not el.message:
                continue
            source = f"{service}:{el.id}"
            if el.kind in ("send", "throw", "end") and el.message in boxes:
                kind = RETAIL.kind(el.message)
                for target in boxes[el.message]:
                    picture.add_edge(source, target, el.message, kind=kind)
            elif el.kind == "receive" and el.message in emitted and service == "Order":
                picture.add_edge(emitted[el.message], source, el.message, kind="event")
            # The customer stands on the left with the checkout (constraint off: the
            # conversation with Payment would otherwise add a rank and widen the picture).
            elif el.kind == "send" and service == "Payment":
                picture.add_edge(source, "Customer", el.message, kind="command",
                                 constraint="false")
            elif el.kind == "receive" and service == "Payment":
                picture.add_edge("Customer", source, el.message, kind="event",
                                 constraint="false")
        for el in process.elements:
            if el.compensation and service == "Order":
                undo = _UNDO.get(el.compensation, "")
                for target in boxes.get(undo, []):
                    picture.add_edge(f"Order:{el.id} (compensation)", target, undo,
                                     kind="command", style="dashed")
    return picture
