"""Playback: replay a recorded trace step by step, with the graph and state table at time t.

Frames are computed from the trace before anything is shown (no sleeping in the kernel):
:func:`frames` turns each trace row into a :class:`Frame` (its time, a caption, a diagram
and the state table). :func:`playback` puts them behind play / pause / step / scrub / speed
controls; the browser's Play widget drives the steps, the kernel only redraws.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from eventlab.core.errors import ConfigError, check_int
from eventlab.core.trace import state_at
from eventlab.view.graphs import Diagram

# Milliseconds between frames at 1× speed.
BASE_INTERVAL_MS = 700
SPEEDS: dict[str, float] = {"0.5×": 0.5, "1×": 1.0, "2×": 2.0, "4×": 4.0}


@dataclass(frozen=True)
class Frame:
    """One moment of a replay."""

    time: float
    caption: str
    diagram: Diagram = field(repr=False)
    table: pd.DataFrame = field(repr=False)


def describe_row(row: Any) -> str:
    """One sentence for one trace row, as the playback caption shows it."""
    kind, actor, target = row.kind, row.actor, row.target
    mtype = row.message_type if isinstance(row.message_type, str) else ""
    t = f"t={row.time:g}"
    if kind == "send":
        to = f" to {target}" if isinstance(target, str) else ""
        return f"{t}: {actor} sends {mtype}{to}"
    if kind == "deliver":
        return f"{t}: {actor} receives {mtype} from {target}"
    if kind == "drop":
        return f"{t}: {mtype} for {actor} is lost"
    if kind == "state":
        return f"{t}: {actor} now has {row.entity} = {row.value}"
    detail = f" ({row.detail})" if isinstance(row.detail, str) else ""
    return f"{t}: {kind} at {actor}{detail}"


def frames(trace: pd.DataFrame, draw: Callable[[pd.DataFrame, Any], Diagram], *,
           kinds: Sequence[str] = ("send", "deliver", "drop", "state", "fault", "timer",
                                   "reject"),
           max_frames: int = 200) -> list[Frame]:
    """One frame per trace row of the given kinds (evenly thinned to at most `max_frames`).

    `draw(trace_so_far, row)` returns the diagram for that moment; the table is
    :func:`~eventlab.core.trace.state_at` the row's time.
    """
    check_int("max_frames", max_frames, low=1, high=2000)
    rows = trace[trace["kind"].isin(list(kinds))]
    if rows.empty:
        raise ConfigError("the trace has no rows to replay; run a scenario with some activity")
    if len(rows) > max_frames:
        picks = [round(i * (len(rows) - 1) / (max_frames - 1)) for i in range(max_frames)]
        rows = rows.iloc[sorted(dict.fromkeys(picks))] if max_frames > 1 else rows.iloc[[-1]]
    out = []
    for row in rows.itertuples(index=False):
        so_far = trace[trace["seq"] <= row.seq]
        time = float(row.time)  # type: ignore[arg-type]  # the schema makes it float64
        out.append(Frame(time, describe_row(row), draw(so_far, row), state_at(so_far, time)))
    return out


class FrameControls:
    """Play / pause / step / scrub / speed over a list of frames; a subclass paints one frame
    (:meth:`show`). :class:`Playback` and the BPMN widget's playback share these controls."""

    frames: list[Any]

    def _controls(self) -> Any:
        """Build and wire the controls over :attr:`frames`; returns their row of widgets."""
        import ipywidgets as w

        last = len(self.frames) - 1
        self.play = w.Play(value=0, min=0, max=last, step=1, interval=BASE_INTERVAL_MS,
                           description="play")
        self.slider = w.IntSlider(value=0, min=0, max=last, description="step",
                                  layout=w.Layout(width="420px"))
        w.jslink((self.play, "value"), (self.slider, "value"))
        self.back = w.Button(description="◀ step", layout=w.Layout(width="80px"))
        self.forward = w.Button(description="step ▶", layout=w.Layout(width="80px"))
        self.speed = w.Dropdown(options=list(SPEEDS), value="1×", description="speed",
                                layout=w.Layout(width="160px"))
        self.back.on_click(lambda _b: self.step(-1))
        self.forward.on_click(lambda _b: self.step(+1))
        self.speed.observe(self._speed_changed, names="value")
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        return w.HBox([self.play, self.back, self.forward, self.slider, self.speed])

    @property
    def index(self) -> int:
        """The frame shown now."""
        return int(self.slider.value)

    def step(self, delta: int) -> None:
        """Move `delta` frames (clamped to the first and last frame)."""
        self.slider.value = min(max(self.index + delta, 0), len(self.frames) - 1)

    def show(self, index: int) -> None:
        """Paint frame `index` (each kind of playback paints its own)."""
        raise NotImplementedError

    def _speed_changed(self, change: dict[str, Any]) -> None:
        self.play.interval = int(BASE_INTERVAL_MS / SPEEDS[change["new"]])


class Playback(FrameControls):
    """Play / pause / step / scrub / speed over precomputed frames."""

    def __init__(self, frames: Sequence[Frame]) -> None:
        import ipywidgets as w

        if not frames:
            raise ConfigError("frames must not be empty")
        self.frames = list(frames)
        self._svg: dict[int, str] = {}
        controls = self._controls()
        self.caption = w.HTML()
        self.graph = w.HTML()
        self.table = w.HTML()
        self.widget = w.VBox([controls, self.caption, w.HBox([self.graph, self.table])])
        self.show(0)

    def show(self, index: int) -> None:
        """Draw frame `index`: caption, graph (SVG, or text without Graphviz) and table."""
        frame = self.frames[index]
        self.caption.value = (f"<b>frame {index + 1}/{len(self.frames)}</b> — "
                              f"{html.escape(frame.caption)}")
        self.graph.value = self._graph_html(index)
        self.table.value = frame.table.to_html(index=False, na_rep="")

    def _graph_html(self, index: int) -> str:
        cached = self._svg.get(index)
        if cached is None:
            diagram = self.frames[index].diagram
            svg = diagram.svg()
            cached = svg if svg is not None else f"<pre>{html.escape(diagram.text())}</pre>"
            self._svg[index] = cached
        return cached


    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def playback(frames: Sequence[Frame]) -> Playback:
    """A replay panel over `frames` (see :func:`frames`)."""
    return Playback(frames)
