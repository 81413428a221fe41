"""BPMN pictures as SVG, in BPMN's own notation, from the same layout as the BPMN file.

:func:`picture` draws a :class:`~eventlab.engines.workflow.definition.Process` with the
geometry of :func:`eventlab.engines.workflow.bpmn.layout` (the file's diagram interchange),
so the picture in the notebook is the one Camunda Modeler shows for the written file:

* events are circles: thin for a start (an error start event too), thick for an end,
  double for intermediate and
  boundary events (dashed when non-interrupting), with their marker: an envelope
  (message), a clock (timer), a lightning bolt (error), two arrowheads pointing back
  (compensation), a filled disc (terminate); a marker is filled when the event throws;
* tasks are rounded boxes with their type in the top-left corner (a gear for a service
  task, a person for a user task, an envelope for send and receive), subprocesses are
  large rounded boxes around their contents, with a dotted border for an event subprocess;
* gateways are diamonds: × exclusive, + parallel, a pentagon in a double circle for
  event-based;
* boundary events sit on their task's border; sequence flows are orthogonal arrows, the
  default flow carries a slash, a compensation handler hangs on a dotted association.

Long processes wrap into rows (the layout never makes the picture wider than the notebook),
so text stays at least 11 px at 960 px. Token counts (``counts``, as
:func:`eventlab.view.process.counts_from_trace` returns) show as ✓ badges. Every picture has
a text alternative (:meth:`BpmnPicture.text`), also used as the ``<img>``'s alt text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eventlab.core.errors import check_text
from eventlab.engines.workflow.bpmn.layout import (
    Box,
    Layout,
    flow_label_width,
    label_lines,
    layout,
)
from eventlab.engines.workflow.definition import Element, Process
from eventlab.view.graphs import LEGEND_TITLE, NOTEBOOK_PX, svg_img

INK, PAPER, GREY = "#22242a", "#ffffff", "#5f6368"
TASK_FONT, LABEL_FONT, TITLE_FONT = 12, 11, 14
TITLE_H, LEGEND_H = 30.0, 34.0
_FONT = 'font-family="Helvetica, Arial, sans-serif"'
_KIND_NAMES = {"start": "start event", "end": "end event", "throw": "throw event",
               "catch": "message catch event", "timer": "timer event",
               "boundary": "boundary timer", "error_boundary": "error boundary event",
               "service": "service task", "user": "user task", "send": "send task",
               "receive": "receive task", "exclusive": "exclusive gateway",
               "parallel": "parallel gateway", "event_based": "event-based gateway",
               "subprocess": "subprocess", "error_start": "error start event"}


@dataclass(frozen=True)
class BpmnPicture:
    """An SVG picture of a process in BPMN notation, with its text alternative."""

    title: str
    layout: Layout
    counts: Mapping[str, tuple[int, int]] | None = None

    def svg(self) -> str:
        """The SVG document (pixels; width at most the notebook's 960 px)."""
        return _Drawing(self).render()

    def text(self) -> str:
        """The plain-text alternative: elements, then flows, in the model's order."""
        return _text(self)

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **_: Any) -> dict[str, Any]:
        svg = self.svg()
        return {"text/html": svg_img(svg, self.text()), "image/svg+xml": svg,
                "text/plain": self.text()}


def picture(process: Process, counts: Mapping[str, tuple[int, int]] | None = None, *,
            title: str | None = None, max_width: float = NOTEBOOK_PX) -> BpmnPicture:
    """`process` drawn in BPMN notation; `counts` maps element id -> (passed, here now)."""
    if not isinstance(process, Process):
        raise TypeError(f"process must be a Process, got {type(process).__name__}")
    shown = check_text("title", title) if title is not None else \
        f"{process.name} (process '{process.id}')"
    return BpmnPicture(shown, layout(process, max_width=max_width), counts)


# -- the text alternative -----------------------------------------------------------------------

def _kind(e: Element) -> str:
    if e.kind == "start":
        return ("message start event" if e.message else
                "timer start event" if e.hours is not None else "start event")
    if e.kind == "end":
        return ("error end event" if e.error else "compensation end event" if e.compensate
                else "terminate end event" if e.terminate else
                "message end event" if e.message or e.job else "end event")
    if e.kind == "throw":
        return "compensation throw event" if e.compensate else "message throw event"
    if e.kind == "boundary" and not e.interrupting:
        return "non-interrupting boundary timer"
    if e.triggered_by_event:
        return "event subprocess"
    return _KIND_NAMES[e.kind]


def _details(e: Element) -> str:
    parts = []
    if e.message:
        parts.append(f"message {e.message}")
    if e.job:
        parts.append(f"job {e.job}")
    if e.hours is not None:
        parts.append(f"{e.hours:g} h" + (f", {e.repeat} times" if e.repeat else ""))
    if e.error is not None or e.kind in ("error_boundary", "error_start"):
        parts.append(f"error {e.error or 'any'}")
    if e.attached_to:
        parts.append(f"on {e.attached_to}")
    if e.parent:
        parts.append(f"in {e.parent}")
    if e.compensation:
        parts.append(f"compensated by job {e.compensation}")
    return f" ({'; '.join(parts)})" if parts else ""


def _text(p: BpmnPicture) -> str:
    process = p.layout.process
    lines = [f"BPMN diagram: {p.title}", "elements:"]
    for e in process.elements:
        note = ""
        if p.counts is not None and e.id in p.counts:
            passed, here = p.counts[e.id]
            if passed or here:
                note = f" — ✓{passed}" + (f" · {here} here" if here else "")
        lines.append(f"  [{_kind(e)}] {' '.join(e.name.split())} [{e.id}]{_details(e)}{note}")
    lines.append("flows:")
    for f in process.flows:
        source, target = process.by_id[f.source], process.by_id[f.target]
        default = source.kind == "exclusive" and f.when is None and \
            len(process.outgoing(f.source)) > 1
        extra = f" [when {f.label}]" if f.label else " [default]" if default else ""
        lines.append(f"  {' '.join(source.name.split())} -> "
                     f"{' '.join(target.name.split())}{extra}")
    dotted = "dotted = compensation association"
    if any(e.triggered_by_event for e in process.elements):
        dotted = "dotted arrow = compensation association, dotted box = event subprocess"
    lines.append(f"legend: {LEGEND_TITLE}; solid arrow = sequence flow, slash = default flow, "
                 f"{dotted}")
    return "\n".join(lines)


# -- the drawing ------------------------------------------------------------------------------

def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _text_at(x: float, y: float, text: str, size: int, *, anchor: str = "middle",
             fill: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" {_FONT} '
            f'text-anchor="{anchor}" fill="{fill}" font-weight="{weight}">{_esc(text)}</text>')


def _envelope(cx: float, cy: float, filled: bool) -> str:
    w, h = 16.0, 11.0
    x, y = cx - w / 2, cy - h / 2
    fill, line = (INK, PAPER) if filled else (PAPER, INK)
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w}" height="{h}" fill="{fill}" '
            f'stroke="{INK}" stroke-width="1.2"/><polyline points="{x:.1f},{y:.1f} {cx:.1f},'
            f'{cy + 1:.1f} {x + w:.1f},{y:.1f}" fill="none" stroke="{line}" stroke-width="1.2"/>')


def _clock(cx: float, cy: float) -> str:
    ticks = "".join(
        f'<line x1="{cx + 8 * math.cos(a):.1f}" y1="{cy + 8 * math.sin(a):.1f}" '
        f'x2="{cx + 10 * math.cos(a):.1f}" y2="{cy + 10 * math.sin(a):.1f}" stroke="{INK}"/>'
        for a in (i * math.pi / 6 for i in range(12)))
    return (f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="11" fill="{PAPER}" stroke="{INK}" '
            f'stroke-width="1.5"/>{ticks}<polyline points="{cx:.1f},{cy - 7:.1f} {cx:.1f},'
            f'{cy:.1f} {cx + 5:.1f},{cy:.1f}" fill="none" stroke="{INK}" stroke-width="1.5"/>')


def _bolt(cx: float, cy: float, filled: bool) -> str:
    points = [(-6, 7), (-2, -8), (2, 1), (6, -7), (2, 8), (-2, -1)]
    text = " ".join(f"{cx + x:.1f},{cy + y:.1f}" for x, y in points)
    return (f'<polygon points="{text}" fill="{INK if filled else PAPER}" stroke="{INK}" '
            'stroke-width="1.2" stroke-linejoin="round"/>')


def _rewind(cx: float, cy: float, filled: bool) -> str:
    fill = INK if filled else PAPER
    return "".join(
        f'<polygon points="{cx + dx:.1f},{cy - 5:.1f} {cx + dx - 7:.1f},{cy:.1f} '
        f'{cx + dx:.1f},{cy + 5:.1f}" fill="{fill}" stroke="{INK}" stroke-width="1.2"/>'
        for dx in (0.5, 7.5))


def _pentagon(cx: float, cy: float, r: float) -> str:
    points = " ".join(f"{cx + r * math.sin(2 * math.pi * i / 5):.1f},"
                      f"{cy - r * math.cos(2 * math.pi * i / 5):.1f}" for i in range(5))
    return f'<polygon points="{points}" fill="none" stroke="{INK}" stroke-width="1.2"/>'


def _gear(x: float, y: float) -> str:
    cx, cy = x + 12, y + 12
    teeth = "".join(
        f'<line x1="{cx + 5 * math.cos(a):.1f}" y1="{cy + 5 * math.sin(a):.1f}" '
        f'x2="{cx + 8 * math.cos(a):.1f}" y2="{cy + 8 * math.sin(a):.1f}" stroke="{INK}" '
        f'stroke-width="2.2"/>' for a in (i * math.pi / 4 for i in range(8)))
    return (f'{teeth}<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{PAPER}" stroke="{INK}" '
            f'stroke-width="1.5"/><circle cx="{cx:.1f}" cy="{cy:.1f}" r="2" fill="{INK}"/>')


def _person(x: float, y: float) -> str:
    cx = x + 13
    return (f'<circle cx="{cx:.1f}" cy="{y + 8:.1f}" r="4" fill="{PAPER}" stroke="{INK}" '
            f'stroke-width="1.3"/><path d="M {cx - 7:.1f} {y + 20:.1f} Q {cx - 7:.1f} '
            f'{y + 12:.1f} {cx:.1f} {y + 12:.1f} Q {cx + 7:.1f} {y + 12:.1f} {cx + 7:.1f} '
            f'{y + 20:.1f} Z" fill="{PAPER}" stroke="{INK}" stroke-width="1.3"/>')


class _Drawing:
    def __init__(self, p: BpmnPicture) -> None:
        self.p, self.found = p, p.layout
        self.process = p.layout.process
        self.parts: list[str] = []

    def render(self) -> str:
        found = self.found
        width = max(found.width, 400.0)
        height = TITLE_H + found.height + LEGEND_H
        self.parts.append(_text_at(12, 20, self.p.title, TITLE_FONT, anchor="start",
                                   weight="bold"))
        self.parts.append(f'<g transform="translate(0 {TITLE_H})">')
        for e in self.process.elements:
            if e.kind == "subprocess":
                self._subprocess(e, found.boxes[e.id])
        for route in found.routes:
            self._route(route.points, route.kind, route.default)
        for e in self.process.elements:
            box = found.boxes[e.id]
            if e.kind in ("service", "user", "send", "receive"):
                self._task(e, box)
            elif e.kind in ("exclusive", "parallel", "event_based"):
                self._gateway(e, box)
            elif e.kind != "subprocess":
                self._event(e, box)
            self._label(e)
            self._count(e, box)
        for task, comp in found.compensations.items():
            self._handler(self.process.by_id[task], found.boxes[comp.handler])
            self._marker_event(found.boxes[comp.event], "compensate", throw=False,
                               boundary=True, interrupting=True)
        for route in found.routes:
            if route.label and route.id in found.labels:
                box = found.labels[route.id]
                for i, line in enumerate(label_lines(route.label, flow_label_width(route))):
                    self.parts.append(_text_at(box.x, box.y + 11 + i * 14, line, LABEL_FONT,
                                               anchor="start", fill=GREY))
        self.parts.append("</g>")
        self._legend(width, TITLE_H + found.height)
        body = "".join(self.parts)
        # Drawn in pixels inside a 0.75 scale: the document's unit is the point, as
        # Graphviz writes it, so eventlab.view.graphs.smallest_text_px measures it alike.
        return (f'<svg width="{width * 0.75:.2f}pt" height="{height * 0.75:.2f}pt" '
                f'viewBox="0 0 {width * 0.75:.2f} {height * 0.75:.2f}" '
                f'xmlns="http://www.w3.org/2000/svg"><g transform="scale(0.75)">'
                f'<rect width="{width:.1f}" height="{height:.1f}" fill="{PAPER}"/>'
                f"{body}</g></svg>")

    # -- shapes --

    def _task(self, e: Element, box: Box) -> None:
        self.parts.append(f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
                          f'height="{box.h:.1f}" rx="10" fill="{PAPER}" stroke="{INK}" '
                          'stroke-width="2"/>')
        if e.kind == "service":
            self.parts.append(_gear(box.x + 2, box.y + 2))
        elif e.kind == "user":
            self.parts.append(_person(box.x + 2, box.y + 2))
        else:
            self.parts.append(_envelope(box.x + 14, box.y + 12, filled=e.kind == "send"))
        low = 18.0 if self.process.boundaries(e.id) or e.compensation else 4.0
        self._centered(e.name, box, top=8.0, bottom=low)

    def _handler(self, task: Element, box: Box) -> None:
        self.parts.append(f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
                          f'height="{box.h:.1f}" rx="10" fill="{PAPER}" stroke="{INK}" '
                          'stroke-width="2"/>')
        self.parts.append(_gear(box.x + 2, box.y + 2))
        self.parts.append(_rewind(box.cx + 3, box.bottom - 10, filled=False))
        self._centered((task.compensation or "").replace("-", " ").capitalize(), box,
                       top=8.0, bottom=18.0)

    def _centered(self, text: str, box: Box, top: float = 0.0, bottom: float = 0.0) -> None:
        lines = label_lines(text, 14)[:4]
        middle = box.y + top + (box.h - top - bottom) / 2
        first = middle - (len(lines) - 1) * 7 + 4
        for i, line in enumerate(lines):
            self.parts.append(_text_at(box.cx, first + i * 14, line, TASK_FONT))

    def _subprocess(self, e: Element, box: Box) -> None:
        # An event subprocess has a dotted border in BPMN (bpmn-js draws it so too).
        border = 'stroke-width="1.5" stroke-dasharray="1.5 3" stroke-linecap="round"' \
            if e.triggered_by_event else 'stroke-width="2"'
        self.parts.append(f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
                          f'height="{box.h:.1f}" rx="10" fill="#fafafa" stroke="{INK}" '
                          f'{border}/>')
        self.parts.append(_text_at(box.x + 10, box.y + 18, e.name, TASK_FONT, anchor="start"))

    def _gateway(self, e: Element, box: Box) -> None:
        cx, cy, r = box.cx, box.cy, box.w / 2
        self.parts.append(f'<polygon points="{cx:.1f},{cy - r:.1f} {cx + r:.1f},{cy:.1f} '
                          f'{cx:.1f},{cy + r:.1f} {cx - r:.1f},{cy:.1f}" fill="{PAPER}" '
                          f'stroke="{INK}" stroke-width="2"/>')
        if e.kind == "exclusive":
            self.parts.append(f'<path d="M {cx - 8:.1f} {cy - 8:.1f} L {cx + 8:.1f} '
                              f'{cy + 8:.1f} M {cx + 8:.1f} {cy - 8:.1f} L {cx - 8:.1f} '
                              f'{cy + 8:.1f}" stroke="{INK}" stroke-width="4"/>')
        elif e.kind == "parallel":
            self.parts.append(f'<path d="M {cx:.1f} {cy - 11:.1f} L {cx:.1f} {cy + 11:.1f} '
                              f'M {cx - 11:.1f} {cy:.1f} L {cx + 11:.1f} {cy:.1f}" '
                              f'stroke="{INK}" stroke-width="4"/>')
        else:
            self.parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="12" fill="none" '
                              f'stroke="{INK}"/><circle cx="{cx:.1f}" cy="{cy:.1f}" r="9.5" '
                              f'fill="none" stroke="{INK}"/>{_pentagon(cx, cy, 6.5)}')

    def _event(self, e: Element, box: Box) -> None:
        marker = ("message" if e.message or (e.job and e.kind in ("end", "throw")) else
                  "timer" if e.hours is not None else
                  "error" if e.kind in ("error_boundary", "error_start")
                  or e.error is not None else
                  "compensate" if e.compensate else
                  "terminate" if e.terminate else "")
        if e.kind == "end" and e.compensate and e.terminate:
            marker = "compensate"
        self._marker_event(box, marker, throw=e.kind in ("end", "throw"),
                           boundary=e.kind in ("boundary", "error_boundary"),
                           interrupting=e.interrupting,
                           kind="start" if e.kind == "error_start" else e.kind)

    def _marker_event(self, box: Box, marker: str, *, throw: bool, boundary: bool,
                      interrupting: bool, kind: str = "boundary") -> None:
        cx, cy = box.cx, box.cy
        dash = "" if interrupting else ' stroke-dasharray="4 3"'
        width = {"start": 1.5, "end": 4.0}.get(kind, 1.5)
        self.parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="18" fill="{PAPER}" '
                          f'stroke="{INK}" stroke-width="{width}"{dash}/>')
        if kind not in ("start", "end"):
            self.parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="15" fill="none" '
                              f'stroke="{INK}" stroke-width="1.2"{dash}/>')
        if marker == "message":
            self.parts.append(_envelope(cx, cy, filled=throw))
        elif marker == "timer":
            self.parts.append(_clock(cx, cy))
        elif marker == "error":
            self.parts.append(_bolt(cx, cy, filled=throw))
        elif marker == "compensate":
            self.parts.append(_rewind(cx + 2, cy, filled=throw))
        elif marker == "terminate":
            self.parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="11" fill="{INK}"/>')
        del boundary

    def _label(self, e: Element) -> None:
        box = self.found.labels.get(e.id)
        if box is None:
            return
        for i, line in enumerate(label_lines(e.name)):
            self.parts.append(_text_at(box.cx, box.y + 11 + i * 14, line, LABEL_FONT))

    def _count(self, e: Element, box: Box) -> None:
        if self.p.counts is None or e.id not in self.p.counts:
            return
        passed, here = self.p.counts[e.id]
        if not passed and not here:
            return
        text = f"✓{passed}" + (f" · {here} here" if here else "")
        x, y = box.right - 4, box.y - 4
        self.parts.append(f'<rect x="{x - 7 * len(text) - 4:.1f}" y="{y - 13:.1f}" '
                          f'width="{7 * len(text) + 8:.1f}" height="17" rx="4" '
                          'fill="#e6f4ea" stroke="#188038"/>')
        self.parts.append(_text_at(x, y, text, LABEL_FONT, anchor="end", fill="#0d652d"))

    # -- connections --

    def _route(self, points: tuple[tuple[float, float], ...], kind: str,
               default: bool) -> None:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        style = ' stroke-dasharray="2 3"' if kind == "association" else ""
        self.parts.append(f'<polyline points="{path}" fill="none" stroke="{INK}" '
                          f'stroke-width="1.5"{style}/>')
        (x1, y1), (x2, y2) = points[-2], points[-1]
        angle = math.atan2(y2 - y1, x2 - x1)
        tip = [(x2, y2), (x2 - 10 * math.cos(angle - 0.4), y2 - 10 * math.sin(angle - 0.4)),
               (x2 - 10 * math.cos(angle + 0.4), y2 - 10 * math.sin(angle + 0.4))]
        spots = " ".join(f"{x:.1f},{y:.1f}" for x, y in tip)
        if kind == "association":
            self.parts.append(f'<polyline points="{spots.split(" ", 1)[1].split(" ")[0]} '
                              f'{x2:.1f},{y2:.1f} {spots.split(" ")[2]}" fill="none" '
                              f'stroke="{INK}" stroke-width="1.5"/>')
        else:
            self.parts.append(f'<polygon points="{spots}" fill="{INK}"/>')
        if default:  # a slash across the flow near where it leaves the gateway
            (sx, sy), (nx, ny) = points[0], points[1]
            angle = math.atan2(ny - sy, nx - sx)
            mx, my = sx + 10 * math.cos(angle), sy + 10 * math.sin(angle)
            dx, dy = 6 * math.cos(angle + 0.9), 6 * math.sin(angle + 0.9)
            self.parts.append(f'<line x1="{mx - dx:.1f}" y1="{my - dy:.1f}" '
                              f'x2="{mx + dx:.1f}" y2="{my + dy:.1f}" stroke="{INK}" '
                              'stroke-width="1.5"/>')

    def _legend(self, width: float, top: float) -> None:
        y = top + 20
        self.parts.append(_text_at(12, y, LEGEND_TITLE, LABEL_FONT, anchor="start",
                                   fill=GREY))
        x = 12.0 + 7 * len(LEGEND_TITLE)
        for text, dash, slash in (("sequence flow", "", False),
                                  ("default flow", "", True),
                                  ("compensation association", ' stroke-dasharray="2 3"',
                                   False)):
            if x + 40 + 7 * len(text) > width:
                break
            self.parts.append(f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 30:.1f}" '
                              f'y2="{y - 4:.1f}" stroke="{INK}" stroke-width="1.5"{dash}/>'
                              f'<polygon points="{x + 36:.1f},{y - 4:.1f} {x + 28:.1f},'
                              f'{y - 8:.1f} {x + 28:.1f},{y:.1f}" fill="{INK}"/>')
            if slash:
                self.parts.append(f'<line x1="{x + 5:.1f}" y1="{y:.1f}" x2="{x + 11:.1f}" '
                                  f'y2="{y - 8:.1f}" stroke="{INK}" stroke-width="1.5"/>')
            self.parts.append(_text_at(x + 42, y, text, LABEL_FONT, anchor="start",
                                       fill=GREY))
            x += 60 + 6.5 * len(text)
