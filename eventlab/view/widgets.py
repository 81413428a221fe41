"""Interactive panels: controls generated from a scenario's Config fields.

``explore(fowler.run, Config(), fields=("consumers", "crm_latency"), view=...)`` shows one
control per field (its range comes from the field's :func:`~eventlab.core.config.param`), re-runs
the scenario whenever a control is released, and redraws `view(result)`. ipywidgets is
imported only here and only when a panel is built, so the package runs headless.
"""

from __future__ import annotations

import dataclasses
import gc
import html
from collections.abc import Callable, Sequence
from typing import Any

from eventlab.core.config import ParamSpec, spec_of
from eventlab.core.errors import ConfigError, check_text
from eventlab.core.results import RunResult


def control_for(name: str, value: Any, spec: ParamSpec) -> Any:
    """One ipywidgets control for a config field, limited to the values the field allows."""
    import ipywidgets as w

    label = name.replace("_", " ")
    style = {"description_width": "initial"}
    layout = w.Layout(width="360px")
    common: dict[str, Any] = {"description": label, "style": style, "layout": layout,
                              "tooltip": spec.help or label}
    if spec.kind in ("int", "float"):
        if spec.low is None or spec.high is None:
            raise ConfigError(f"field {name!r} needs low and high in its param() "
                              "to be shown as a slider")
        if spec.kind == "int":
            return w.IntSlider(value=value, min=int(spec.low), max=int(spec.high),
                               step=int(spec.step or 1), continuous_update=False, **common)
        step = spec.step or (spec.high - spec.low) / 100
        return w.FloatSlider(value=value, min=spec.low, max=spec.high, step=step,
                             continuous_update=False, readout_format=".3g", **common)
    if spec.kind == "bool":
        return w.Checkbox(value=value, indent=False, **common)
    if spec.kind == "choice":
        return w.Dropdown(options=list(spec.choices), value=value, **common)
    return w.Text(value=value, continuous_update=False, **common)


_settled = [False]  # once per kernel: see settle()


def settle() -> None:
    """Take everything alive now (the imports, the notebook's variables) out of the garbage
    collector's full scans, once per kernel; every panel calls it after its first run.

    A full collection scans every container object of the kernel: with pandas, matplotlib and
    IPython loaded that takes tens of milliseconds, and it falls on whichever re-run crosses
    its threshold, so it made the slow tail of every panel (notebook 10's 95th percentile went
    from 139 to 82 ms of CPU without it). Frozen objects are still freed by reference counting
    when dropped; only reference cycles among them are no longer collected, which is why this
    runs once, right after a full collection.
    """
    if not _settled[0]:
        _settled[0] = True
        gc.collect()
        gc.freeze()


class Explorer:
    """A panel of controls over one scenario; re-runs it and redraws on every change."""

    def __init__(self, run: Callable[[Any], RunResult], config: Any, fields: Sequence[str],
                 view: Callable[[RunResult], Any]) -> None:
        import ipywidgets as w

        if not dataclasses.is_dataclass(config) or isinstance(config, type):
            raise TypeError(f"config must be a config instance, got {type(config).__name__}")
        if isinstance(fields, str) or not fields:
            raise TypeError(f"fields must be a non-empty list of field names, got {fields!r}")
        self._run, self._view, self.config = run, view, config
        specs = {name: spec_of(config, check_text("field", name)) for name in fields}
        self.controls = {name: control_for(name, getattr(config, name), spec)
                         for name, spec in specs.items()}
        self.output = w.Output()
        self.status = w.HTML()
        self.result: RunResult | None = None
        self.runs = 0
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        self.widget = w.VBox([w.HBox(list(self.controls.values()),
                                     layout=w.Layout(flex_flow="row wrap")),
                              self.status, self.output])
        self.rerun()
        settle()

    def _changed(self, _change: dict[str, Any]) -> None:
        self.rerun()

    def rerun(self) -> None:
        """Run with the controls' current values and redraw the view."""
        from IPython.display import clear_output, display

        values = {name: c.value for name, c in self.controls.items()}
        try:
            self.config = dataclasses.replace(self.config, **values)
            self.result = self._run(self.config)
        except (TypeError, ValueError) as err:  # a rejected combination: say why, keep going
            # Escaped: a reason such as "must be <= 10" or "<NA>" is text, not HTML, and
            # unescaped it vanished from the panel, leaving "Not run:" with no reason.
            reason = html.escape(str(err) or type(err).__name__)
            self.status.value = f"<b>Not run:</b> {reason}"
            return
        self.runs += 1
        self.status.value = ""
        shown = self._view(self.result)
        with self.output:
            clear_output(wait=True)  # type: ignore[no-untyped-call]
            # A view may return several things (a graph and a table): show each in turn.
            items = shown if isinstance(shown, tuple | list) else (shown,)
            display(*items)  # type: ignore[no-untyped-call]

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def explore(run: Callable[[Any], RunResult], config: Any, *, fields: Sequence[str],
            view: Callable[[RunResult], Any] | None = None) -> Explorer:
    """An interactive panel over `run`: one control per field in `fields`.

    `view` turns a result into what is shown (default: ``result.panel()``, what the scenario
    says its panel shows: a graph and a table, say).
    """
    return Explorer(run, config, fields, view or (lambda result: result.panel()))


def render(shown: Any) -> list[Any]:
    """What the notebook front end receives for a panel's items: an SVG for a diagram, a PNG
    for a chart, HTML for a table (used to time a panel's re-run without a browser)."""
    items = shown if isinstance(shown, tuple | list) else (shown,)
    out: list[Any] = []
    for item in items:
        for method in ("svg", "png", "to_html"):
            make = getattr(item, method, None)
            if callable(make):
                out.append(make())
                break
        else:
            raise TypeError(f"cannot render {type(item).__name__}: a panel shows diagrams, "
                            "charts and tables")
    return out
