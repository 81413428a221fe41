"""Shared event store vs Kafka as transport: whose refactoring breaks whom, over a year.

Talk slides *Shared Event Store* and *Kafka as transport*. The Customer team keeps its events
in its own store and keeps improving them: it renames a field, splits an event, changes a
unit, ``refactorings_per_month`` times on average. Other teams consume customer events.

* ``shared``: consumers read the Customer service's **internal** events directly. Every
  refactoring of an event type breaks every consumer that reads that type, until that team
  has adapted (on average ``fix_days`` days later);
* ``transport``: the Customer service translates its internal events into a few deliberately
  designed **public** events and publishes those on Kafka. A refactoring only changes the
  translation, in the same release, and breaks no one. Consumers break only when the public
  contract itself changes, ``public_changes_per_year`` times a year.

The measure is broken-consumer-days: for every consumer, the days it could not process
customer events, summed over the year. Times are days.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from eventlab.core import results
from eventlab.core.config import resolve
from eventlab.core.errors import ConfigError
from eventlab.scenarios.shared_store.config import (
    INTERNAL,
    MODES,
    PUBLIC,
    PUBLIC_OF,
    TEAMS,
    Config,
)
from eventlab.scenarios.shared_store.model import Metric, Model
from eventlab.scenarios.shared_store.picture import diagram, step_chart
from eventlab.view import graphs
from eventlab.view.charts import Chart

__all__ = ["INTERNAL", "MODES", "PUBLIC", "PUBLIC_OF", "TEAMS", "Config", "Metric",
           "SharedStoreResult", "across_seeds", "chart", "compare", "run"]


class SharedStoreResult(results.RunResult):
    """A year of refactorings: who broke when, the dependency graph and the chart."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    def graph(self) -> graphs.Diagram:
        """The dependencies: which events each consumer reads, and how often it broke."""
        return diagram(self.config, self.trace)

    def breakages(self) -> pd.DataFrame:
        """Every breakage: day, consumer, the change that broke it, days until fixed."""
        faults = self.trace[self.trace["kind"] == "fault"]
        return pd.DataFrame({"day": faults["time"].round(1).to_numpy(),
                             "consumer": faults["actor"].to_numpy(),
                             "change": faults["detail"].to_numpy(),
                             "broken for (days)": faults["value"].astype(float).round(1)
                             .to_numpy()})

    def broken_per_day(self) -> pd.Series:
        """How many consumers were broken at noon of each day."""
        rows = self.trace[(self.trace["kind"] == "state") & (self.trace["entity"] == "broken")]
        level = 0
        out = []
        changes = list(zip(rows["time"], rows["value"], strict=True))
        i = 0
        for day in range(self.config.days):
            while i < len(changes) and float(changes[i][0]) <= day + 0.5:
                level += 1 if changes[i][1] == "True" else -1
                i += 1
            out.append(level)
        return pd.Series(out, index=pd.RangeIndex(self.config.days, name="day"),
                         name=self.config.mode)


def run(config: Config | None = None) -> SharedStoreResult:
    """Simulate `config.days` days of refactorings and the consumers they break."""
    config = resolve(Config, config)
    model = Model(config)
    model.world.env.run(until=float(config.days))
    return SharedStoreResult(config, model.world.trace.to_frame(), model.metrics())


def compare(config: Config | None = None) -> pd.DataFrame:
    """The same year in both modes: one row per mode."""
    return results.sweep(run, resolve(Config, config), mode=list(MODES)).set_index("mode")


def across_seeds(config: Config | None = None, seeds: int = 20) -> pd.DataFrame:
    """Broken-consumer-days per mode over seeds 0..seeds-1: mean, min and max."""
    config = resolve(Config, config)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 200:
        raise ConfigError(f"seeds must be an int between 1 and 200, got {seeds!r}")
    rows = []
    for mode in MODES:
        days = [float(run(replace(config, mode=mode, seed=s)).metrics[Metric.BROKEN_CONSUMER_DAYS])
                for s in range(seeds)]
        rows.append({"mode": mode, "runs": seeds, "mean": round(sum(days) / seeds, 1),
                     "min": round(min(days), 1), "max": round(max(days), 1)})
    return pd.DataFrame(rows).set_index("mode")


def chart(config: Config | None = None) -> Chart:
    """Broken consumers per day over the year, both modes (the same seed)."""
    config = resolve(Config, config)
    table = pd.concat([run(replace(config, mode=mode)).broken_per_day() for mode in MODES],
                      axis=1)
    return step_chart(table, config)
