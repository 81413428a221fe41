"""Graph builders: every picture in the workbook is a :class:`Diagram` (a ``graphviz.Digraph``).

A Diagram remembers the nodes and edges it was given, so it can always show a plain-text
alternative. In Jupyter it renders as SVG through the Graphviz ``dot`` program; when ``dot``
is not installed it shows the text alternative and a one-line install hint instead of failing.
The SVG is also offered as an HTML ``<img>``: JupyterLab and Notebook 7 refuse to show raw SVG
from a notebook the reader has not run or trusted, but they do show sanitized HTML images, so
the stored diagrams are pictures on first opening too (and the text is the image's alt text).
Node ids are sanitized (``:`` would be read as a Graphviz port), labels keep the real names.
"""

from __future__ import annotations

import base64
import html
import re
import textwrap
from collections.abc import Iterable
from typing import Any, cast

import graphviz
import pandas as pd

from eventlab.core.errors import ConfigError, check_choice, check_text

INSTALL_HINT = ("Graphviz 'dot' not found, showing text instead. Install it: "
                "sudo apt-get install graphviz | brew install graphviz | "
                "conda install -c conda-forge graphviz")

# One look for each role, so the same kind of box means the same thing in every notebook.
ROLE_STYLE: dict[str, dict[str, str]] = {
    "service": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f0fe"},
    "broker": {"shape": "box3d", "style": "filled", "fillcolor": "#fff4d6"},
    "store": {"shape": "cylinder", "style": "filled", "fillcolor": "#eeeeee"},
    "readmodel": {"shape": "cylinder", "style": "filled", "fillcolor": "#e6f4ea"},
    "client": {"shape": "oval", "style": "filled", "fillcolor": "#ffffff"},
    "down": {"shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#fce8e6"},
}
KIND_STYLE: dict[str, dict[str, str]] = {
    "event": {"color": "#1a73e8", "fontcolor": "#1a73e8"},
    "command": {"color": "#d93025", "fontcolor": "#d93025"},
    "query": {"color": "#5f6368", "fontcolor": "#5f6368", "style": "dashed"},
    "data": {"color": "#188038", "fontcolor": "#188038"},
    "plain": {},
}
HIGHLIGHT = {"penwidth": "2.5", "color": "#f29900", "fontcolor": "#b06000"}
# The workbook's one arrow convention, which every picture's legend repeats: an arrow goes
# from whoever sends (or writes) to whoever receives (or is written), coloured by its kind.
LEGEND_TITLE = "arrows: from sender to receiver"
LEGEND_ORDER: tuple[str, ...] = ("command", "event", "query", "data")

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
NOTEBOOK_PX = 960  # the notebook width the workbook is written for
# Wider than this, 10 pt edge labels would shrink below 10 px at the notebook's width.
WIDE_PX = 1280
LABEL_WIDTH = 24  # characters per line of an arrow's label
_SVG_WIDTH = re.compile(r'<svg width="([\d.]+)pt"')


def svg_width_px(svg: str) -> float:
    """The width a browser gives `svg` at 100 % (Graphviz writes points; 1 pt = 4/3 px)."""
    found = _SVG_WIDTH.search(svg)
    return float(found.group(1)) * 4 / 3 if found else 0.0


def smallest_text_px(svg: str, width_px: float = NOTEBOOK_PX) -> float | None:
    """The height in pixels of the smallest text of `svg` shown at most `width_px` wide."""
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    if not sizes:
        return None
    shown = svg_width_px(svg)
    scale = min(1.0, width_px / shown) if shown else 1.0
    zoom = re.search(r'transform="scale\(([\d.]+)', svg)
    return min(sizes) * 4 / 3 * (float(zoom.group(1)) if zoom else 1.0) * scale


def node_id(name: str) -> str:
    """A Graphviz-safe id for `name`: letters, digits and ``_`` only, never a leading digit."""
    check_text("name", name)
    safe = _UNSAFE.sub("_", name)
    return f"n_{safe}" if safe[0].isdigit() else safe


class Diagram(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no type hints
    """A ``graphviz.Digraph`` that keeps a plain-text alternative and never fails to display."""

    def __init__(self, title: str = "", *, rankdir: str = "LR", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title = title
        self._ids: dict[str, str] = {}
        self._lines_nodes: list[str] = []
        self._lines_edges: list[str] = []
        self._kinds: dict[str, None] = {}  # arrow kinds drawn, for the legend
        self.attr(rankdir=rankdir, fontname="Helvetica", fontsize="11")
        self.attr("node", fontname="Helvetica", fontsize="11")
        self.attr("edge", fontname="Helvetica", fontsize="10")
        if title:
            self.attr(label=title, labelloc="t")

    def id_for(self, name: str) -> str:
        """The node id used for `name` (unique even if two names sanitize alike)."""
        found = self._ids.get(name)
        if found is not None:
            return found
        candidate, n = node_id(name), 1
        taken = set(self._ids.values())
        while candidate in taken:
            n += 1
            candidate = f"{node_id(name)}_{n}"
        self._ids[name] = candidate
        return candidate

    def add_node(self, name: str, *, role: str = "service", label: str | None = None,
                 note: str = "", **attrs: str) -> None:
        """A node for `name` drawn in the style of `role`; `note` is a second label line."""
        check_choice("role", role, tuple(ROLE_STYLE))
        shown = label or name
        if note:
            shown = f"{shown}\n{note}"
        self.node(self.id_for(name), label=shown, **{**ROLE_STYLE[role], **attrs})
        extra = f" — {note}" if note else ""
        self._lines_nodes.append(f"  [{role}] {label or name}{extra}")

    def add_edge(self, tail: str, head: str, label: str = "", *, kind: str = "plain",
                 highlight: bool = False, knower: str | None = None, **attrs: str) -> None:
        """An arrow from `tail` (the sender) to `head` (the receiver), coloured by message
        `kind`; `knower` (the tail or the head) marks with a dot the side that knows the
        other, i.e. holds the coupling."""
        check_choice("kind", kind, tuple(KIND_STYLE))
        style = {**KIND_STYLE[kind], **(HIGHLIGHT if highlight else {}), **attrs}
        if knower is not None:
            check_choice("knower", knower, (tail, head))
            style.update({"dir": "both", "arrowtail": "dot" if knower == tail else "none",
                          "arrowhead": "dotnormal" if knower == head else "normal"})
            self._kinds["knower"] = None
        # Long labels wrap at spaces: a wide label widens the whole picture, and a picture
        # wider than the notebook shrinks all of its text.
        # DOT's own line break (a backslash and n) keeps each arrow on one line of the source.
        # A label's own lines (one message type each, say) stay lines of their own.
        shown = "\\n".join(textwrap.fill(line, LABEL_WIDTH, break_long_words=False)
                            .replace("\n", "\\n") for line in label.split("\n")
                            ) if label else None
        self.edge(self.id_for(tail), self.id_for(head), label=shown, **style)
        self._kinds[kind] = None
        mark = " (*)" if highlight else ""
        text = f": {label}" if label else ""
        knows = f" ({knower} knows the other)" if knower is not None else ""
        self._lines_edges.append(f"  {tail} -> {head}{text} [{kind}]{knows}{mark}")

    def text(self) -> str:
        """The plain-text alternative: the title, the nodes and the edges, in drawing order."""
        head = f"Diagram: {self.title}" if self.title else "Diagram"
        lines = [head, "nodes:", *self._lines_nodes, "edges:", *self._lines_edges]
        return "\n".join(lines)

    def legend_source(self) -> str:
        """The DOT source with the legend: one line per kind of arrow drawn, in its colour.

        The legend is a single small node (an HTML-like table), so it adds a few lines of
        height at the side and never widens the picture's text to unreadable sizes."""
        kinds = [k for k in LEGEND_ORDER if k in self._kinds]
        if not kinds and "knower" not in self._kinds:
            return str(self.source)
        rows = "".join(
            f'<tr><td align="left"><font color="{KIND_STYLE[k].get("color", "#202124")}">'
            f'{"- - -▶" if KIND_STYLE[k].get("style") == "dashed" else "───▶"} {k}'
            "</font></td></tr>" for k in kinds)
        if "knower" in self._kinds:
            rows += ('<tr><td align="left"><font color="#5f6368">●── the side that knows the '
                     "other</font></td></tr>")
        label = (f'<<table border="0" cellborder="0" cellspacing="1">'
                 f'<tr><td align="left"><font color="#5f6368">{LEGEND_TITLE}</font></td></tr>'
                 f"{rows}</table>>")
        legend = f'\tlegend [label={label} shape=plain fontsize=10 fontname=Helvetica]\n'
        body = str(self.source).rstrip().removesuffix("}")
        return f"{body}{legend}}}\n"

    def svg(self) -> str | None:
        """The rendered SVG with its legend, or None when Graphviz's ``dot`` is missing.

        A picture wider than a notebook can show at full size is laid out top to bottom
        instead, when that is narrower: a notebook shrinks a wide picture to its width, and
        its text with it, while a tall one only scrolls."""
        return render_svg(self.legend_source())

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **_: Any) -> dict[str, Any]:
        svg = self.svg()
        if svg is None:
            body = f"{self.text()}\n{INSTALL_HINT}"
            return {"text/plain": body, "text/html": f"<pre>{html.escape(body)}</pre>"}
        return {"text/html": svg_img(svg, self.text()), "image/svg+xml": svg,
                "text/plain": self.text()}


_RENDERED: dict[str, str] = {}  # DOT source -> SVG, the most recent RENDER_CACHE of them
RENDER_CACHE = 64


def render_svg(source: str) -> str | None:
    """`source` laid out by ``dot`` (the narrowest of up to three layouts when it is wider
    than WIDE_PX), or None without ``dot``. Pictures are kept by source: a notebook or a
    widget shows the same picture again without running ``dot`` again (the same source gives
    the same SVG); "no dot" is never kept, so installing Graphviz takes effect at once."""
    if source in _RENDERED:
        return _RENDERED[source]
    svg = _layout(source)
    if svg is not None:
        if len(_RENDERED) >= RENDER_CACHE:
            del _RENDERED[next(iter(_RENDERED))]  # the oldest (dicts keep insertion order)
        _RENDERED[source] = svg
    return svg


def _layout(source: str) -> str | None:
    try:
        svg: str = graphviz.Source(source).pipe(format="svg", encoding="utf-8")
        if svg_width_px(svg) > WIDE_PX and "rankdir=LR" in source:
            # Two narrower candidates: the columns closer together, or top to bottom.
            for layout in ("rankdir=LR ranksep=0.25", "rankdir=TB"):
                other: str = graphviz.Source(source.replace("rankdir=LR", layout, 1)).pipe(
                    format="svg", encoding="utf-8")
                if svg_width_px(other) < svg_width_px(svg):
                    svg = other
        return svg
    except graphviz.ExecutableNotFound:
        return None


def svg_img(svg: str, alt: str) -> str:
    """`svg` as an HTML image with `alt` text, which Jupyter shows even in untrusted notebooks.

    Untrusted raw ``image/svg+xml`` falls back to text in JupyterLab (SVG may carry scripts);
    HTML is sanitized instead, and an ``<img>`` with a ``data:`` URI survives the sanitizer
    while the browser never runs scripts inside an image. A PNG would do too, but costs about
    nine times the bytes of the SVG and blurs when zoomed.
    """
    check_text("svg", svg)
    payload = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{payload}" alt="{html.escape(alt)}">'


def flow(trace: pd.DataFrame, *, title: str = "who sent what to whom",
         roles: dict[str, str] | None = None) -> Diagram:
    """Message-flow graph of a trace: one arrow per (sender, receiver, message type).

    Arrows are labelled with the message type and how many copies were delivered; the
    colour says event, command or query.
    """
    if not isinstance(trace, pd.DataFrame):
        raise TypeError(f"trace must be a pandas DataFrame, got {type(trace).__name__}")
    delivered = trace[trace["kind"] == "deliver"]
    diagram = Diagram(title)
    roles = roles or {}
    for actor in _actors_in_order(trace):
        diagram.add_node(actor, role=roles.get(actor, "service"))
    counts = (delivered.groupby(["target", "actor", "message_type", "message_kind"],
                                sort=False, observed=True).size())
    for group, n in counts.items():
        sender, receiver, mtype, mkind = (str(part) for part in cast(tuple[Any, ...], group))
        diagram.add_edge(sender, receiver, f"{mtype} ×{n}", kind=mkind)
    return diagram


def diagram(nodes: Iterable[tuple[str, str]], edges: Iterable[tuple[str, str, str, str]],
            *, title: str = "") -> Diagram:
    """A diagram from plain lists: nodes as (name, role), edges as (tail, head, label, kind)."""
    result = Diagram(title)
    names = []
    for name, role in nodes:
        result.add_node(name, role=role)
        names.append(name)
    for tail, head, label, kind in edges:
        for end in (tail, head):
            if end not in names:
                raise ConfigError(f"edge end {end!r} is not a node; nodes: {', '.join(names)}")
        result.add_edge(tail, head, label, kind=kind)
    return result


def _actors_in_order(trace: pd.DataFrame) -> list[str]:
    """Actors of sends and deliveries in order of first appearance (deterministic)."""
    rows = trace[trace["kind"].isin(["send", "deliver"])]
    seen: dict[str, None] = {}
    for actor, target in zip(rows["actor"], rows["target"], strict=True):
        for name in (actor, target):
            if isinstance(name, str):
                seen.setdefault(name, None)
    return list(seen)
