"""BPMN in the notebook with bpmn-js: a model as Camunda's tools draw it, a run played on it,
and a modeler whose edits come back to Python.

* :class:`BpmnViewer` shows BPMN 2.0 XML with bpmn-js's navigated viewer (pan, zoom) and paints
  per-element counts on it, as an operations tool does: tokens **active** in an element (blue),
  **instances** that completed it (green ✓; the number of token passes when it differs),
  tokens **canceled** there (grey ✗) and open **incidents** (red ⚠). ``highlight`` marks one
  instance's path.
* :class:`BpmnModeler` embeds the bpmn-js modeler: every edit is saved back to ``xml_edited``
  (debounced), so the next cell can read the learner's model and run it.
* :func:`bpmn_playback` puts a viewer behind the workbook's playback controls (play, step,
  scrub, speed) over the frames of :func:`eventlab.engines.workflow.replay.replay`, with a
  chooser for the instance whose path is highlighted.

bpmn-js is vendored in ``eventlab/resources/bpmn_js`` (see its README: version, licence,
hashes), so the widgets work offline. A notebook opened without a kernel shows the static SVG
of the same model instead; these widgets need a running kernel.
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as w
import traitlets

from eventlab.core.errors import ConfigError, check_int, check_text
from eventlab.core.resources import resource
from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.definition import Process
from eventlab.engines.workflow.replay import ReplayFrame
from eventlab.view.bpmn_svg import BpmnPicture, picture
from eventlab.view.graphs import svg_img
from eventlab.view.playback import FrameControls

VIEWER_JS = ("bpmn_js/bpmn-navigated-viewer.production.min.js",)
MODELER_JS = ("bpmn_js/bpmn-modeler.production.min.js",
              "bpmn_js/bpmn-js-properties-panel.umd.js")
ZEEBE_MODDLE = "bpmn_js/zeebe.json"
CSS_FILES = ("bpmn_js/diagram-js.css", "bpmn_js/bpmn-js.css", "bpmn_js/bpmn-embedded.css",
             "bpmn_js/properties-panel.css")

# The part of the front end that is ours (bpmn_widget.js next to this file): render the XML,
# paint counts and the highlighted path, and (in the modeler) send edits back. `BpmnJS` is the
# class the vendored bundle defines: loaded as a module, the UMD bundle assigns it to
# globalThis.
HERE = Path(__file__).resolve().parent
@functools.cache
def _bundle(names: tuple[str, ...]) -> str:
    """The vendored bundles, Zeebe's moddle schema and our front-end code after them, as one
    module (read once per kernel)."""
    parts = [resource(name).read_text(encoding="utf-8") for name in names]
    zeebe = json.loads(resource(ZEEBE_MODDLE).read_text(encoding="utf-8"))
    parts.append(f"globalThis.EventlabZeebeModdle = {json.dumps(zeebe)};")
    parts.append((HERE / "bpmn_widget.js").read_text(encoding="utf-8"))
    return "\n".join(parts)


@functools.cache
def _css() -> str:
    ours = (HERE / "bpmn_widget.css").read_text(encoding="utf-8")
    return "\n".join(resource(n).read_text(encoding="utf-8") for n in [*CSS_FILES]) + ours


def with_still(bundle: Any, still: BpmnPicture | None) -> Any:
    """A widget's display data plus the model as a picture (``text/html``): the widget where
    a kernel runs, the picture where none does (a stored notebook opened without running)."""
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    if still is not None and isinstance(data, dict):
        data["text/html"] = svg_img(still.svg(), still.text())
    return bundle


class _BpmnWidget(anywidget.AnyWidget):
    xml = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(420).tag(sync=True)
    counts = traitlets.Dict().tag(sync=True)
    highlight = traitlets.List(traitlets.Unicode()).tag(sync=True)
    editable = traitlets.Bool(False).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    # Written by the front end: what bpmn-js said about the last import, how many imports and
    # paints it has done, and how long the last paint took (the playback benchmark reads it).
    import_warnings = traitlets.List(traitlets.Unicode()).tag(sync=True)
    import_error = traitlets.Unicode("").tag(sync=True)
    imported = traitlets.Int(0).tag(sync=True)
    painted = traitlets.Int(0).tag(sync=True)
    paint_ms = traitlets.Float(0.0).tag(sync=True)

    def __init__(self, xml: str, *, height: int = 420, **kwargs: Any) -> None:
        check_text("xml", xml)
        check_int("height", height, low=120, high=2000)
        super().__init__(xml=xml, height=height, **kwargs)

    def still(self) -> BpmnPicture | None:
        """The model as a static picture in BPMN notation (None if the engine cannot read it):
        what a notebook shows in place of the widget when it is opened without a kernel."""
        try:
            return picture(bpmn.read(self.xml))
        except ValueError:
            return None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_still(super()._repr_mimebundle_(**kwargs), self.still())

    def show_frame(self, frame: ReplayFrame) -> None:
        """Paint one replay frame's counts."""
        if not isinstance(frame, ReplayFrame):
            raise TypeError(f"frame must be a ReplayFrame, got {type(frame).__name__}")
        self.counts = frame.as_dict()


class BpmnViewer(_BpmnWidget):
    """A BPMN model drawn by bpmn-js, with counts and a highlighted path painted on it."""

    _esm = traitlets.Unicode(_bundle(VIEWER_JS)).tag(sync=True)
    _css = traitlets.Unicode(_css()).tag(sync=True)


class BpmnModeler(_BpmnWidget):
    """The bpmn-js modeler with Camunda's properties panel (Zeebe properties: job types,
    timers, correlation keys): the learner edits the model; ``xml_edited`` follows every
    edit, and :meth:`process` reads it for the engine."""

    _esm = traitlets.Unicode(_bundle(MODELER_JS)).tag(sync=True)
    _css = traitlets.Unicode(_css()).tag(sync=True)
    xml_edited = traitlets.Unicode("").tag(sync=True)

    def __init__(self, xml: str, *, height: int = 480, **kwargs: Any) -> None:
        super().__init__(xml, height=height, editable=True, **kwargs)
        self.last_good: Process | None = None
        with contextlib.suppress(ValueError):  # a model the engine cannot run may be edited
            self.last_good = bpmn.read(xml)

    @property
    def edited(self) -> str:
        """The model as the learner left it (the XML it started with until the first edit)."""
        return self.xml_edited or self.xml

    def process(self) -> Process:
        """The learner's model as the engine runs it. A model the engine cannot run raises
        the reader's ValueError (naming the element and the problem), shows it under the
        modeler, and leaves :attr:`last_good` (the last model that could run) as it was."""
        try:
            process = bpmn.read(self.edited)
        except ValueError as err:
            self.message = f"not loaded: {err} (the previous model stays loaded)"
            raise
        self.message = ""
        self.last_good = process
        return process


class BpmnPlayback(FrameControls):
    """A viewer behind play / step / scrub / speed controls over replay frames."""

    def __init__(self, xml: str, frames: Sequence[ReplayFrame], *,
                 paths: dict[str, list[str]] | None = None, height: int = 420) -> None:
        if not frames:
            raise ConfigError("frames must not be empty; replay a run with some activity")
        self.frames = list(frames)
        self.paths = dict(paths or {})
        self.viewer = BpmnViewer(xml, height=height)
        controls = self._controls()
        self.instance = w.Dropdown(options=["(none)", *self.paths], value="(none)",
                                   description="path of", layout=w.Layout(width="300px"))
        self.caption = w.HTML()
        self.instance.observe(lambda change: self.choose(change["new"]), names="value")
        self.widget = w.VBox([controls, w.HBox([self.caption, self.instance]), self.viewer])
        self.show(0)

    def show(self, index: int) -> None:
        """Paint frame `index`."""
        frame = self.frames[index]
        self.caption.value = (f"<b>frame {index + 1}/{len(self.frames)}</b> — "
                              f"{html.escape(frame.caption)}")
        self.viewer.show_frame(frame)

    def choose(self, instance: str) -> None:
        """Highlight `instance`'s path ("(none)" clears it)."""
        if instance != "(none)" and instance not in self.paths:
            raise ConfigError(f"instance {instance!r} has no recorded path; choose one of "
                              f"{', '.join(list(self.paths)[:5])}...")
        self.viewer.highlight = [] if instance == "(none)" else list(self.paths[instance])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_still(self.widget._repr_mimebundle_(**kwargs), self.viewer.still())


def page(widget: BpmnViewer | BpmnModeler) -> str:
    """A standalone HTML page that runs `widget`'s front end with a stand-in for the kernel
    (``window.model``): the same code a notebook runs, for a browser without Jupyter (the
    widget's browser tests and the playback benchmark)."""
    if not isinstance(widget, _BpmnWidget):
        raise TypeError(f"widget must be a BpmnViewer or BpmnModeler, got {widget!r}")
    state = {name: getattr(widget, name) for name in widget.trait_names(sync=True)
             if not name.startswith("_") and name not in ("layout", "tabbable", "tooltip")}
    safe = json.dumps(state).replace("</", "<\\/")
    esm = widget._esm.replace("</script", "<\\/script")
    return (f"<!doctype html><html><head><meta charset='utf-8'><style>{widget._css}</style>"
            f"</head><body><div id='root' style='width:960px'></div>"
            f"<script type='application/json' id='state'>{safe}</script>"
            f"<script type='text/plain' id='esm'>{esm}</script>"
            f"<script type='module'>{(HERE / 'bpmn_page.js').read_text(encoding='utf-8')}"
            "</script></body></html>")


def bpmn_playback(xml: str, frames: Sequence[ReplayFrame], *,
                  paths: dict[str, list[str]] | None = None, height: int = 420) -> BpmnPlayback:
    """Play `frames` (from :func:`~eventlab.engines.workflow.replay.replay`) on the model
    `xml`; `paths` (instance -> elements entered) fills the "path of" chooser."""
    return BpmnPlayback(xml, frames, paths=paths, height=height)
