"""A fair comparison: one variable changed, every side run over the same seeds.

A lesson that says "A beats B" must change one thing between A and B and show that the
difference is larger than the luck of one seed. :func:`vary` does both by construction::

    cmp = vary(outbox.run, outbox.Config(), "variant", ["commit_then_publish", "outbox"])
    cmp.table()                                  # side, metric, n, mean, low, high
    cmp.interval("outbox", "events_lost")        # Interval: mean and its 95 % interval
    cmp.verdict("events_lost", "outbox", "commit_then_publish")   # a sentence the run states

:func:`compare` takes named configs instead, and refuses them unless they differ from the
first in one and the same field (the seed aside), so a preset that changes the outbox and the
partitions at once cannot pass as a comparison.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from eventlab.core.errors import ConfigError, check_float, check_text
from eventlab.core.replications import (
    DEFAULT_SEEDS,
    Replications,
    difference,
    mean_interval,
    replicate,
)
from eventlab.core.results import RunResult

TABLE_COLUMNS: tuple[str, ...] = ("side", "metric", "n", "mean", "low", "high")


def percent(confidence: float) -> str:
    """0.95 -> "95 %" (the workbook's way of writing percentages)."""
    return f"{confidence * 100:g} %"


@dataclass(frozen=True)
class Interval:
    """A mean over seeds and its confidence interval."""

    mean: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    def describe(self, digits: int = 1, unit: str = "") -> str:
        """``"4.3 (95 % interval 3.6 to 5.0, 20 seeds)"``: the number a sentence may state."""
        space = " " if unit and not unit.startswith("%") else ""
        value = f"{self.mean:z.{digits}f}{space}{unit}"
        if self.low == self.high:
            return f"{value} (the same in all {self.n} seeds)"
        return (f"{value} ({percent(self.confidence)} interval {self.low:z.{digits}f} to "
                f"{self.high:z.{digits}f}, {self.n} seeds)")

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Comparison:
    """Replications of several sides that differ in one field; sides keep their given order."""

    field: str | None  # the one field the sides differ in (None: a single side)
    sides: Mapping[str, Replications]

    def __post_init__(self) -> None:
        if not self.sides:
            raise ConfigError("a comparison needs at least one side")

    @property
    def names(self) -> list[str]:
        return list(self.sides)

    def metrics(self) -> list[str]:
        """The metrics every side measured, in the first side's order."""
        first = next(iter(self.sides.values()))
        return [m for m in dict.fromkeys(first.runs["metric"])
                  if all(m in set(r.runs["metric"]) for r in self.sides.values())]

    def _side(self, side: str) -> Replications:
        check_text("side", side)
        if side not in self.sides:
            raise ConfigError(f"no side {side!r} in this comparison; sides: "
                              f"{', '.join(self.sides)}")
        return self.sides[side]

    def interval(self, side: str, metric: str, *, confidence: float = 0.95) -> Interval:
        """One side's mean of `metric` over its seeds, with the confidence interval."""
        check_float("confidence", confidence, low=0.5, high=0.999)
        values = self._side(side).values(metric)
        low, mean, high, _ = mean_interval(values, confidence)
        return Interval(mean, low, high, len(values), confidence)

    def table(self, metrics: Sequence[str] | None = None, *,
              confidence: float = 0.95) -> pd.DataFrame:
        """Tidy: one row per side and metric with n, mean and the interval's bounds."""
        chosen = self.metrics() if metrics is None else [check_text("metric", m)
                                                         for m in metrics]
        rows = []
        for side in self.sides:
            for metric in chosen:
                i = self.interval(side, metric, confidence=confidence)
                rows.append((side, metric, i.n, i.mean, i.low, i.high))
        return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))

    def wide(self, metrics: Sequence[str] | None = None, *, digits: int = 1) -> pd.DataFrame:
        """For reading: a row per side, a column per metric, cells ``"mean [low, high]"``."""
        table = self.table(metrics)

        def cell(row: pd.Series) -> str:
            if row["low"] == row["high"]:
                return f"{row['mean']:z.{digits}f}"
            low, high = f"{row['low']:z.{digits}f}", f"{row['high']:z.{digits}f}"
            return f"{row['mean']:z.{digits}f} [{low}, {high}]"

        table = table.assign(cell=table.apply(cell, axis=1))
        wide = table.pivot(index="side", columns="metric", values="cell")
        wide = wide.loc[list(self.sides), list(dict.fromkeys(table["metric"]))]
        wide.columns.name = None
        wide.index.name = self.field or "side"
        return wide

    def difference(self, metric: str, a: str, b: str, *,
                   confidence: float = 0.95) -> dict[str, float | str]:
        """``a - b`` for `metric`, paired by seed (see :func:`replications.difference`)."""
        return difference(self._side(a), self._side(b), metric, confidence=confidence)

    def verdict(self, metric: str, a: str, b: str, *, label: str | None = None,
                digits: int = 1, unit: str = "", confidence: float = 0.95) -> str:
        """The sentence the runs allow about `metric` for sides `a` and `b`: which is higher
        only when the paired interval excludes zero, otherwise that they cannot be told
        apart. `label` names the metric in the sentence (default: its name)."""
        what = label or metric.replace("_", " ")
        diff = self.difference(metric, a, b, confidence=confidence)
        ia, ib = self.interval(a, metric), self.interval(b, metric)
        n = ia.n
        means = (f"{ia.mean:z.{digits}f} against {ib.mean:z.{digits}f}"
                 f"{' ' + unit if unit else ''} on average over the same {n} seeds")
        low, high = float(diff["low"]), float(diff["high"])
        shown = digits  # enough digits that an interval that is not one point does not read as one
        while low != high and shown < digits + 3 and \
                f"{low:+z.{shown}f}" == f"{high:+z.{shown}f}":
            shown += 1
        band = (f"the difference {float(diff['mean']):+z.{shown}f}, "
                f"{percent(confidence)} interval {low:+z.{shown}f} to {high:+z.{shown}f}")
        if low == high:  # the same difference on every seed: there is no interval to give
            band = f"by {low:+z.{digits}f} in every seed"
        if diff["verdict"] == "a higher":
            return f"**{a}** has more {what} than **{b}**: {means} ({band})."
        if diff["verdict"] == "b higher":
            return f"**{a}** has fewer {what} than **{b}**: {means} ({band})."
        if low == high == 0.0:
            return f"**{a}** and **{b}** have the same {what} in every seed: {means}."
        return (f"The runs cannot tell **{a}** and **{b}** apart on {what}: {means} ({band}, "
                "which includes 0).")


def compare(run: Callable[[Any], RunResult], configs: Mapping[str, Any], *,
            seeds: int = DEFAULT_SEEDS, n_jobs: int = -1,
            backend: str | None = None) -> Comparison:
    """Run every named config over the same seeds; the configs must differ from the first in
    one and the same field (the seed aside), else :class:`ConfigError` names the fields."""
    if not isinstance(configs, Mapping) or not configs:
        raise TypeError("configs must be a non-empty mapping of side name -> Config, "
                        f"got {configs!r}")
    names = list(configs)
    for name in names:
        check_text("side name", name)
    items = list(configs.values())
    first = items[0]
    if not dataclasses.is_dataclass(first) or isinstance(first, type):
        raise TypeError(f"configs must be scenario Config instances, got {type(first).__name__}")
    changed: list[str] = []
    for name, config in zip(names[1:], items[1:], strict=True):
        if type(config) is not type(first):
            raise TypeError(f"side {name!r} is a {type(config).__name__}, the first side a "
                            f"{type(first).__name__}: compare one scenario with itself")
        seed, first_seed = getattr(config, "seed", None), getattr(first, "seed", None)
        if seed != first_seed:
            raise ConfigError(f"side {name!r} has seed {seed}, the first side "
                              f"{first_seed}: every side must meet the same seeds")
        fields = [f.name for f in dataclasses.fields(config)
                  if f.name != "seed" and getattr(config, f.name) != getattr(first, f.name)]
        if not fields:
            raise ConfigError(f"side {name!r} is the same config as {names[0]!r}")
        if len(fields) > 1:
            raise ConfigError(f"side {name!r} changes {', '.join(fields)} at once; a fair "
                              "comparison changes one field (compare them one at a time)")
        changed.extend(f for f in fields if f not in changed)
    if len(changed) > 1:
        raise ConfigError(f"the sides change different fields ({', '.join(changed)}); a fair "
                          "comparison varies one field across all sides")
    sides = {name: replicate(run, config, seeds=seeds, n_jobs=n_jobs, backend=backend)
             for name, config in configs.items()}
    return Comparison(changed[0] if changed else None, sides)


def vary(run: Callable[[Any], RunResult], config: Any, field: str, values: Sequence[Any], *,
         seeds: int = DEFAULT_SEEDS, n_jobs: int = -1,
         backend: str | None = None) -> Comparison:
    """`config` with `field` set to each of `values` (the sides are named by the values)."""
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"config must be a scenario Config instance, got {type(config).__name__}")
    check_text("field", field)
    known = [f.name for f in dataclasses.fields(config) if f.name != "seed"]
    if field not in known:
        raise ConfigError(f"field must be one of {', '.join(known)}; got {field!r}")
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) < 2:
        raise TypeError(f"values must be a list of at least two values of {field}, "
                        f"got {values!r}")
    configs = {str(v): dataclasses.replace(config, **{field: v}) for v in values}
    if len(configs) != len(values):
        raise ConfigError(f"values of {field} must be different, got {list(values)!r}")
    return compare(run, configs, seeds=seeds, n_jobs=n_jobs, backend=backend)
