"""A clean left-to-right layout of a process: pure geometry, the same for the BPMN file's
diagram interchange (DI) and for the SVG picture (:mod:`eventlab.view.bpmn_svg`).

How it places things:

* **columns** are the longest path from the start event (a loop's way back does not count),
  so every flow points right, except a loop's, which runs back underneath;
* **lanes** follow the flow: the first branch of a split stays in its lane, the next ones
  go below, and what a boundary event leads to sits one lane below its task;
* **boundary events** sit on the bottom border of their task, a task's compensation handler
  (a task of its own in BPMN) right under it;
* **rows**: a process wider than `max_width` wraps into rows (columns stay whole), so a long
  process is drawn at full size, one row under the other, never shrunk;
* **flows** are orthogonal polylines (horizontal and vertical segments only);
* an **embedded subprocess** is laid out the same way inside its box;
* an **event subprocess** (no flow enters or leaves it) is laid out the same way inside its
  box, and its box goes under its scope's flow, event subprocesses side by side.

Sizes follow bpmn-js (events 36, tasks 100 × 80, gateways 50), so Camunda Modeler opens the
written file with the same picture. Coordinates are pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eventlab.core.errors import check_float
from eventlab.engines.workflow.bpmn.names import compensation_ids, flow_ids
from eventlab.engines.workflow.definition import BOUNDARIES, Element, Process

EVENT, GATEWAY = 36.0, 50.0
TASK_W, TASK_H = 100.0, 80.0
GAP_X, LANE_H, ROW_GAP, MARGIN = 32.0, 120.0, 40.0, 20.0
PAD, HEADER = 20.0, 30.0  # inside a subprocess box: around, and above for its name
_EVENTS = ("start", "error_start", "end", "throw", "catch", "timer", *BOUNDARIES)
_GATEWAYS = ("exclusive", "parallel", "event_based")
Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle: top-left corner and size."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        """Horizontal centre."""
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        """Vertical centre."""
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        """Right edge."""
        return self.x + self.w

    @property
    def bottom(self) -> float:
        """Bottom edge."""
        return self.y + self.h

    def moved(self, dx: float, dy: float) -> Box:
        """The same box shifted by (dx, dy)."""
        return Box(self.x + dx, self.y + dy, self.w, self.h)


@dataclass(frozen=True, slots=True)
class Route:
    """A drawn connection: a sequence flow or a compensation association."""

    id: str
    kind: str  # "sequence" or "association"
    source: str
    target: str
    points: tuple[Point, ...]
    label: str = ""
    default: bool = False  # the default flow of an exclusive gateway (drawn with a slash)


@dataclass(frozen=True, slots=True)
class Compensation:
    """The BPMN elements behind a task's ``compensation``: their ids."""

    task: str
    event: str
    handler: str
    association: str


@dataclass(frozen=True)
class Layout:
    """Where everything goes: boxes by id (elements, compensation events and handlers),
    routes (flows in the process's order, then associations), and the overall size."""

    process: Process
    boxes: dict[str, Box]
    routes: tuple[Route, ...]
    compensations: dict[str, Compensation]
    width: float
    height: float
    flow_ids: tuple[str, ...] = field(default=())
    labels: dict[str, Box] = field(default_factory=dict)  # text outside its shape

    def flow_id(self, index: int) -> str:
        """The id of the process's `index`-th sequence flow."""
        return self.flow_ids[index]


def size(el: Element) -> tuple[float, float]:
    """Width and height of an element's shape (a subprocess's comes from its contents)."""
    if el.kind in _EVENTS:
        return EVENT, EVENT
    if el.kind in _GATEWAYS:
        return GATEWAY, GATEWAY
    return TASK_W, TASK_H


def layout(process: Process, *, max_width: float = 960.0) -> Layout:
    """Lay `process` out left to right, wrapping into rows to stay within `max_width` px."""
    if not isinstance(process, Process):
        raise TypeError(f"process must be a Process, got {type(process).__name__}")
    check_float("max_width", max_width, low=400.0, high=10_000.0)
    taken = {e.id for e in process.elements}
    ids = flow_ids([(f.source, f.target) for f in process.flows], taken)
    taken |= set(ids)
    compensations = {}
    for e in process.elements:
        if e.compensation is not None:
            event, handler, association = compensation_ids(e.id, taken)
            compensations[e.id] = Compensation(e.id, event, handler, association)
    scope = _Scope(process, None, compensations, dict(zip(range(len(ids)), ids, strict=True)))
    boxes, routes, width, height = scope.place(max_width - 2 * MARGIN)
    boxes = {k: b.moved(MARGIN, MARGIN) for k, b in boxes.items()}
    moved = [Route(r.id, r.kind, r.source, r.target,
                   tuple((x + MARGIN, y + MARGIN) for x, y in r.points), r.label, r.default)
             for r in routes]
    order = {flow_id: i for i, flow_id in enumerate(ids)}
    moved.sort(key=lambda r: (r.kind != "sequence", order.get(r.id, 0), r.id))
    result = Layout(process, boxes, tuple(moved), compensations, width + 2 * MARGIN,
                    height + 2 * MARGIN, tuple(ids))
    result.labels.update(_labels(result))
    return result


LABEL_W, LINE_H = 90.0, 14.0  # bpmn-js's external labels: 90 px wide, 14 px a line


def label_lines(text: str, width: int = 14) -> list[str]:
    """`text` broken at spaces into lines of about `width` characters (long words stay)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def flow_label_width(route: Route) -> int:
    """Characters per line of a flow's label: as wide as its first segment allows."""
    (x1, _), (x2, _) = route.points[0], route.points[1]
    return 16 if x1 == x2 else max(6, min(16, int(abs(x2 - x1) / 6.5)))


def _labels(found: Layout) -> dict[str, Box]:
    """Boxes for the names drawn outside shapes: under events, above gateways (their
    branches leave and join below), beside a conditional flow's first segment."""
    labels: dict[str, Box] = {}
    for e in found.process.elements:
        if e.kind in (*_EVENTS, *_GATEWAYS) and e.name != e.id:
            box = found.boxes[e.id]
            lines = len(label_lines(e.name))
            if e.kind in _GATEWAYS:
                labels[e.id] = Box(box.cx - LABEL_W / 2, box.y - 4 - lines * LINE_H, LABEL_W,
                                   lines * LINE_H)
            elif e.kind in BOUNDARIES:  # right of the flow that leaves it downwards
                labels[e.id] = Box(box.right, box.bottom - 6, LABEL_W, lines * LINE_H)
            else:
                labels[e.id] = Box(box.cx - LABEL_W / 2, box.bottom + 4, LABEL_W,
                                   lines * LINE_H)
    for route in found.routes:
        if route.label:
            (x1, y1), (x2, y2) = route.points[0], route.points[1]
            width = flow_label_width(route)
            lines = len(label_lines(route.label, width))
            if x1 == x2:  # vertical first: the label to the right of it
                labels[route.id] = Box(x1 + 4, min(y1, y2) + 2, width * 6.5, lines * LINE_H)
            else:  # above it, as wide as the segment
                labels[route.id] = Box(min(x1, x2) + 4, y1 - 4 - lines * LINE_H, width * 6.5,
                                       lines * LINE_H)
    return labels


class _Scope:
    """The layout of one scope (the process, or the inside of a subprocess)."""

    def __init__(self, process: Process, scope: str | None,
                 compensations: dict[str, Compensation], flow_id: dict[int, str]) -> None:
        self.process, self.scope = process, scope
        self.compensations, self.flow_id = compensations, flow_id
        inside = process.children(scope)
        self.events = [e for e in inside if e.triggered_by_event]  # under the flow, apart
        self.nodes = [e for e in inside if e.kind not in BOUNDARIES and not e.triggered_by_event]
        self.boundaries = [e for e in inside if e.kind in BOUNDARIES]
        self.host = {b.id: b.attached_to or "" for b in self.boundaries}
        self.flows = [(i, f) for i, f in enumerate(process.flows)
                      if process.by_id[f.source].parent == scope]

    # -- columns and lanes ----------------------------------------------------------------

    def _anchor(self, element_id: str) -> str:
        """Where an element sits in the grid (a boundary event: on its task)."""
        return self.host.get(element_id, element_id)

    def _edges(self) -> list[tuple[str, str, bool]]:
        """(from, to, via a boundary) in flow order, boundaries mapped to their tasks."""
        return [(self._anchor(f.source), f.target, f.source in self.host)
                for _, f in self.flows]

    def _order(self) -> tuple[list[str], set[tuple[str, str]]]:
        """Depth-first order from the start event, and the back edges (loops)."""
        start = self.process.scope_start(self.scope).id
        nxt: dict[str, list[str]] = {n.id: [] for n in self.nodes}
        for source, target, _ in self._edges():
            nxt[source].append(target)
        order, back, state = [], set(), {}
        stack = [(start, iter(nxt[start]))]
        state[start] = 1
        order.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                order.append(child)
                stack.append((child, iter(nxt[child])))
        order += [n.id for n in self.nodes if n.id not in state]
        return order, back

    def _columns(self, order: list[str], back: set[tuple[str, str]]) -> dict[str, int]:
        column = dict.fromkeys(order, 0)
        forward = [(s, t) for s, t, _ in self._edges() if (s, t) not in back]
        for _ in range(len(order)):  # longest path: relax until nothing moves (a DAG)
            moved = False
            for source, target in forward:
                if column[target] < column[source] + 1:
                    column[target] = column[source] + 1
                    moved = True
            if not moved:
                break
        return column

    def place(self, max_width: float) -> tuple[dict[str, Box], list[Route], float, float]:
        """Boxes and routes relative to the scope's top-left corner, and its size."""
        inner: dict[str, tuple[dict[str, Box], list[Route], float, float]] = {}
        sizes: dict[str, tuple[float, float]] = {}
        for n in self.nodes:
            if n.kind == "subprocess":
                found = _Scope(self.process, n.id, self.compensations, self.flow_id).place(
                    max_width - 2 * PAD)
                inner[n.id] = found
                sizes[n.id] = (max(found[2] + 2 * PAD, TASK_W),
                               max(found[3] + PAD + HEADER, TASK_H))
            else:
                sizes[n.id] = size(n)
        order, back = self._order()
        column = self._columns(order, back)
        lane = self._lanes(order, column, sizes, back)
        boxes, bands = self._grid(order, column, lane, sizes, max_width)
        for n_id, (kids, _, _, _) in inner.items():
            origin = boxes[n_id]
            for k, b in kids.items():
                boxes[k] = b.moved(origin.x + PAD, origin.y + HEADER)
        self._attach(boxes)
        routes = self._route(boxes, column, back, bands)
        for n_id, (_, kids_routes, _, _) in inner.items():
            origin = boxes[n_id]
            routes += [Route(r.id, r.kind, r.source, r.target,
                             tuple((x + origin.x + PAD, y + origin.y + HEADER)
                                   for x, y in r.points), r.label, r.default)
                       for r in kids_routes]
        self._place_events(boxes, routes, max_width)
        width = max((b.right for b in boxes.values()), default=0.0)
        height = max((b.bottom for b in boxes.values()), default=0.0) + 24  # labels below
        return boxes, routes, width, height

    def _place_events(self, boxes: dict[str, Box], routes: list[Route],
                      max_width: float) -> None:
        """The scope's event subprocesses in a row under its flow (wrapping at
        `max_width`), each laid out inside its box as an embedded subprocess is."""
        if not self.events:
            return
        lowest = max([b.bottom for b in boxes.values()]
                     + [y for r in routes for _, y in r.points])
        top, x, row_bottom = lowest + ROW_GAP, 0.0, lowest + ROW_GAP
        for sub in self.events:
            kids, kid_routes, w, h = _Scope(self.process, sub.id, self.compensations,
                                            self.flow_id).place(max_width - 2 * PAD)
            bw, bh = max(w + 2 * PAD, TASK_W), max(h + PAD + HEADER, TASK_H)
            if x > 0 and x + bw > max_width:  # no room left in this row: start the next
                x, top = 0.0, row_bottom + ROW_GAP
            boxes[sub.id] = Box(x, top, bw, bh)
            dx, dy = x + PAD, top + HEADER
            boxes.update({k: b.moved(dx, dy) for k, b in kids.items()})
            routes += [Route(r.id, r.kind, r.source, r.target,
                             tuple((px + dx, py + dy) for px, py in r.points), r.label,
                             r.default) for r in kid_routes]
            x += bw + GAP_X
            row_bottom = max(row_bottom, top + bh)

    def _lanes(self, order: list[str], column: dict[str, int],
               sizes: dict[str, tuple[float, float]], back: set[tuple[str, str]]) -> dict[str, int]:
        """Lane per node: the first branch keeps its lane, the others and the boundary
        events' paths go below; a tall subprocess takes several lanes."""
        taken: set[tuple[int, int]] = set()
        lane: dict[str, int] = {}
        span = {n: max(1, int(-(-(h + 40) // LANE_H))) for n, (_, h) in sizes.items()}

        def put(node: str, wanted: int) -> None:
            at = wanted
            while any((column[node], at + k) in taken for k in range(span[node])):
                at += 1
            lane[node] = at
            taken.update((column[node], at + k) for k in range(span[node]))
            if node in self.compensations:  # the handler goes right under its task
                below = at + span[node]
                while (column[node], below) in taken:
                    below += 1
                taken.add((column[node], below))
                lane[self.compensations[node].handler] = below

        edges = self._edges()

        def visit(node: str) -> None:  # depth first: a branch is drawn whole before the next
            branch = 0
            for source, target, via_boundary in edges:
                if source != node or target in lane or (source, target) in back:
                    continue
                if via_boundary:
                    put(target, lane[node] + span[node])
                elif branch == 0:
                    put(target, lane[node])
                    branch += 1
                else:  # a further branch runs below everything already drawn to its right
                    right = [at for col, at in taken if col >= column[target]]
                    put(target, max([lane[node] + 1, *(at + 1 for at in right)]))
                visit(target)

        for node in order:
            if node not in lane:
                put(node, 0)
                visit(node)
        return lane

    def _grid(self, order: list[str], column: dict[str, int], lane: dict[str, int],
              sizes: dict[str, tuple[float, float]],
              max_width: float) -> tuple[dict[str, Box], dict[int, tuple[float, float]]]:
        """Boxes from columns and lanes, wrapped into rows; returns the boxes and, per
        column, the top and bottom of its row."""
        handler_of = {c.handler: task for task, c in self.compensations.items() if task in lane}
        where = {n: column[n] for n in order} | {h: column[t] for h, t in handler_of.items()}
        size_of = dict(sizes) | dict.fromkeys(handler_of, (TASK_W, TASK_H))
        columns = max(column.values()) + 1
        widths = [max((size_of[n][0] for n, c in where.items() if c == i), default=0.0)
                  for i in range(columns)]
        rows: list[list[int]] = [[]]
        used = 0.0
        for i, w in enumerate(widths):
            if rows[-1] and used + GAP_X + w > max_width:
                rows.append([])
                used = 0.0
            used += (GAP_X if rows[-1] else 0.0) + w
            rows[-1].append(i)
        boxes: dict[str, Box] = {}
        bands: dict[int, tuple[float, float]] = {}
        top = 0.0
        for row in rows:
            members = [n for n, c in where.items() if c in row]
            first = min(lane[n] for n in members)
            last = max(lane[n] + max(1, int(-(-(size_of[n][1] + 40) // LANE_H)))
                       for n in members)
            x = 0.0
            for i in row:
                for n in members:
                    if where[n] != i:
                        continue
                    w, h = size_of[n]
                    span = max(1, int(-(-(h + 40) // LANE_H)))
                    y = top + (lane[n] - first) * LANE_H + (span * LANE_H - h) / 2
                    boxes[n] = Box(x + (widths[i] - w) / 2, y, w, h)
                x += widths[i] + GAP_X
            bottom = top + (last - first) * LANE_H
            for i in row:
                bands[i] = (top, bottom)
            top = bottom + ROW_GAP
        return boxes, bands

    def _attach(self, boxes: dict[str, Box]) -> None:
        """Boundary events on the bottom border of their task, spread evenly."""
        hosts: dict[str, list[str]] = {}
        for task, c in self.compensations.items():
            if task in boxes and self.process.by_id[task].parent == self.scope:
                hosts.setdefault(task, []).append(c.event)
        for b in self.boundaries:
            hosts.setdefault(b.attached_to or "", []).append(b.id)
        for task, events in hosts.items():
            box = boxes[task]
            for i, event in enumerate(events):
                cx = box.x + box.w * (i + 1) / (len(events) + 1)
                boxes[event] = Box(cx - EVENT / 2, box.bottom - EVENT / 2, EVENT, EVENT)
            comp = self.compensations.get(task)
            if comp is not None:  # the handler right under its compensation event
                under, marker = boxes[comp.handler], boxes[comp.event]
                boxes[comp.handler] = Box(marker.cx - TASK_W / 2, under.y, TASK_W, TASK_H)

    # -- routes ---------------------------------------------------------------------------

    def _route(self, boxes: dict[str, Box], column: dict[str, int],
               back: set[tuple[str, str]], bands: dict[int, tuple[float, float]]) -> list[Route]:
        routes: list[Route] = []
        loops = 0
        for i, f in self.flows:
            s, t = boxes[f.source], boxes[f.target]
            source_el = self.process.by_id[f.source]
            anchor = self._anchor(f.source)
            row_s, row_t = bands[column[anchor]], bands[column[f.target]]
            if (anchor, f.target) in back:
                loops += 1
                below = row_s[1] + 8 * loops
                points: list[Point] = [(s.cx, s.bottom), (s.cx, below), (t.cx, below),
                                       (t.cx, t.bottom)]
            elif row_t[0] > row_s[0]:  # on to the next row
                between = row_s[1] + ROW_GAP / 2
                start = [(s.cx, s.bottom)] if f.source in self.host else \
                    [(s.right, s.cy), (s.right + GAP_X / 2, s.cy)]
                points = [*start, (start[-1][0], between), (t.x - GAP_X / 2, between),
                          (t.x - GAP_X / 2, t.cy), (t.x, t.cy)]
            elif f.source in self.host:
                points = self._from_boundary(boxes, f.source, t)
            else:
                points = _orthogonal(s, t, source_el.kind in _GATEWAYS,
                                     self.process.by_id[f.target].kind in _GATEWAYS)
            default = (source_el.kind == "exclusive" and f.when is None
                       and len(self.process.outgoing(f.source)) > 1)
            routes.append(Route(self.flow_id[i], "sequence", f.source, f.target,
                                _simplify(points), f.label, default))
        for task, c in self.compensations.items():
            if self.process.by_id[task].parent != self.scope:
                continue
            e, h = boxes[c.event], boxes[c.handler]
            routes.append(Route(c.association, "association", c.event, c.handler,
                                ((e.cx, e.bottom), (e.cx, h.y))))
        return routes

    def _from_boundary(self, boxes: dict[str, Box], boundary: str, t: Box) -> list[Point]:
        b = boxes[boundary]
        task = self.host[boundary]
        host = boxes[task]
        comp = self.compensations.get(task)
        if comp is not None and t.x > host.right:  # go round the handler under the task
            gap = host.bottom + (boxes[comp.handler].y - host.bottom) / 2 + EVENT / 4
            return [(b.cx, b.bottom), (b.cx, gap), (host.right + GAP_X / 2, gap),
                    (host.right + GAP_X / 2, t.cy), (t.x, t.cy)]
        if t.cy > b.bottom:
            return [(b.cx, b.bottom), (b.cx, t.cy), (t.x, t.cy)]
        return [(b.cx, b.bottom), (b.cx, b.bottom + 12), (t.x - GAP_X / 2, b.bottom + 12),
                (t.x - GAP_X / 2, t.cy), (t.x, t.cy)]


def _orthogonal(s: Box, t: Box, from_gateway: bool, to_gateway: bool) -> list[Point]:
    if abs(s.cy - t.cy) < 0.5:
        return [(s.right, s.cy), (t.x, t.cy)]
    if from_gateway:  # leave the diamond by its top or bottom corner, then go right
        return [(s.cx, s.bottom if t.cy > s.cy else s.y), (s.cx, t.cy), (t.x, t.cy)]
    del to_gateway  # a join is entered by its left corner too: the gap between columns
    # is free of shapes, the column under a join may not be
    middle = (s.right + t.x) / 2
    return [(s.right, s.cy), (middle, s.cy), (middle, t.cy), (t.x, t.cy)]


def _simplify(points: Sequence[Point]) -> tuple[Point, ...]:
    """Drop repeated points and points in the middle of a straight segment."""
    out: list[Point] = []
    for p in points:
        p = (round(p[0], 1), round(p[1], 1))
        if out and p == out[-1]:
            continue
        if len(out) >= 2 and ((out[-2][0] == out[-1][0] == p[0])
                              or (out[-2][1] == out[-1][1] == p[1])):
            out[-1] = p
            continue
        out.append(p)
    return tuple(out)
