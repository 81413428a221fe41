"""What a run returns, and how to compare many runs.

Every scenario's ``run(config)`` returns a :class:`RunResult`: the config, the trace and a few
measured numbers (``metrics``). ``summary()`` shows those numbers as a small table; graphs and
playback frames come from methods that scenarios add. :func:`sweep` runs variations of one
config (made with ``dataclasses.replace``) and returns one summary row per variant.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from eventlab.core.errors import ConfigError
from eventlab.core.naming import learner_name


@dataclass(frozen=True)
class RunResult:
    """One run: its `config`, its `trace` and the `metrics` measured from the trace."""

    config: Any
    trace: pd.DataFrame = field(repr=False)
    metrics: Mapping[str, float | int | str] = field(default_factory=dict)

    # The methods whose results an interactive panel shows, in order; a scenario's result
    # names its own (a graph and a table, say) and the view layer draws whatever they return.
    PANEL: ClassVar[tuple[str, ...]] = ("summary",)

    def summary(self) -> pd.DataFrame:
        """The measured numbers as a two-column table (floats rounded for reading)."""
        rows = [(name, _tidy(value)) for name, value in self.metrics.items()]
        return pd.DataFrame(rows, columns=["metric", "value"]).set_index("metric")

    def panel(self) -> tuple[Any, ...]:
        """What this run's interactive panel shows: the results of the ``PANEL`` methods."""
        return tuple(getattr(self, name)() for name in self.PANEL)

    def __repr__(self) -> str:
        # eventlab.scenarios.fowler.config -> "fowler": the scenario a learner imported
        name = learner_name(type(self.config).__module__)
        end = float(self.trace["time"].max()) if len(self.trace) else 0.0
        return f"{type(self).__name__}({name}: {len(self.trace)} trace rows, t=0–{end:g})"


def _tidy(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    return value


def sweep(run: Callable[[Any], RunResult], base: Any, *,
          progress: bool | None = None, **grid: Sequence[Any]) -> pd.DataFrame:
    """Run `base` once per combination of `grid` values; one row per variant.

    ``sweep(fowler.run, Config(), consumers=[1, 2, 4])`` returns the varied fields followed by
    every metric. Combinations are taken in the order given (the last field varies fastest).
    """
    if not dataclasses.is_dataclass(base) or isinstance(base, type):
        raise TypeError(f"base must be a config instance, got {type(base).__name__}")
    names = [f.name for f in dataclasses.fields(base)]
    for key, values in grid.items():
        if key not in names:
            raise ConfigError(f"{key!r} is not a field of {type(base).__name__}; "
                              f"fields: {', '.join(names)}")
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise TypeError(f"{key} must be a list of values to try, got {values!r}")
    keys = list(grid)
    combos = list(itertools.product(*(list(grid[k]) for k in keys)))
    rows = []
    for combo in _progress(combos, progress, "sweep"):
        variant = dataclasses.replace(base, **dict(zip(keys, combo, strict=True)))
        result = run(variant)
        rows.append({**dict(zip(keys, combo, strict=True)),
                     **{k: _tidy(v) for k, v in result.metrics.items()}})
    return pd.DataFrame(rows)


def _progress(items: list[Any], progress: bool | None, label: str) -> Iterable[Any]:
    """Wrap `items` in a progress bar when asked (and when tqdm is installed)."""
    from eventlab.core.settings import progress_enabled

    if not progress_enabled(progress):
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:  # progress bars are a nicety, never a requirement
        return items
    bar: Iterable[Any] = tqdm(items, desc=label, leave=False)
    return bar
