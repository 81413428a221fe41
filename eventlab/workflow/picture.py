"""BPMN-like pictures of process definitions, with token counts from a run.

Events are circles (a thick one ends the process, a red one compensates), tasks are rounded
boxes (⚙ service, ✉→ send, ✉ receive), gateways are diamonds (× exclusive, + parallel).
Boundary timers hang off their task with a dashed line, and a task's compensation is a grey
box on a dotted line. Given token counts (from :meth:`Engine.token_counts
<eventlab.workflow.engine.Engine.token_counts>` or :func:`counts_from_trace`), each element
shows how many tokens passed it and how many are there now, as the monitor's ✓ overlays do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from eventlab.errors import check_text
from eventlab.graphs import Diagram
from eventlab.workflow.definition import Element, Process
from eventlab.workflow.orders import duration

_FINAL = ("completed", "compensated")
_ICON = {"service": "⚙ ", "send": "✉→ ", "receive": "✉ ", "throw": "✉→ ", "timer": "◷ ",
         "boundary": "◷ "}
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
    "service": _TASK, "send": _TASK, "receive": _TASK,
}


class ProcessDiagram(Diagram):
    """A Diagram whose text alternative names each element's BPMN kind."""

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
    text = f"{_ICON.get(el.kind, '')}{el.name}"
    if el.message and el.kind in ("start", "receive", "send", "throw", "end"):
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
        if el.kind == "boundary" and el.attached_to:
            picture.add_edge(el.attached_to, el.id, "", kind="query", arrowhead="none")
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
