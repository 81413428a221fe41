"""Merge messaging and event store: a Customer service that uses a Kafka topic as its store.

Talk slides *Merge messaging and event store* and *Enter the world of Kafka…*: why not write
every event once, onto Kafka, and let the topic be the event store? The Customer service
handles ``RegisterCustomer{email}`` and must keep the rule "an email is used only once". It
appends ``CustomerCreated`` to the topic ``customers`` and learns what exists by consuming its
own topic into a local view of the emails in use. That view lags the log: its consumer fetches
``view_lag`` ms after the first new record (and Kafka hands out a record only once the
replicas have it). A second sign-up with the same email that arrives inside that window passes
the check. Kafka has no "append only if the stream is still at version n", so with two service
instances the check and the append of one instance race with the other's even at zero lag.

``store="event_store"`` is the contrast: each email is a stream in an event store, and the
append expects that stream not to exist yet (``expected=NO_STREAM``). The store refuses the
second append, whatever the lag. Times are milliseconds; violations are counted in the log.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from eventlab.core import results
from eventlab.core.config import resolve
from eventlab.scenarios.merged_store.config import LAGS, SERVICE, STORES, TOPIC, Config
from eventlab.scenarios.merged_store.model import Metric, Model, writes
from eventlab.scenarios.merged_store.picture import diagram, lag_chart
from eventlab.view import graphs

__all__ = ["LAGS", "SERVICE", "STORES", "TOPIC", "Config", "MergedResult", "Metric",
           "lag_chart", "lag_table", "run"]


class MergedResult(results.RunResult):
    """A run of the Customer service on Kafka, with its graph and the duplicates it let in."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    def graph(self) -> graphs.Diagram:
        """The instances, the log they write and the views they read back."""
        return diagram(self.config, self.trace, self.metrics)

    def violations(self) -> pd.DataFrame:
        """Every second ``CustomerCreated`` for an email: who wrote it, when, and the first."""
        created = writes(self.trace)
        first: dict[str, tuple[float, str]] = {}
        rows = []
        for time, email, who in created:
            if email in first:
                rows.append((email, round(first[email][0], 1), first[email][1], round(time, 1),
                             who))
            else:
                first[email] = (time, who)
        return pd.DataFrame(rows, columns=["email", "first at (ms)", "first by",
                                           "again at (ms)", "again by"])


def run(config: Config | None = None) -> MergedResult:
    """Simulate `config.commands` sign-ups against the chosen store."""
    config = resolve(Config, config)
    model = Model(config)
    model.world.env.run()
    trace = model.world.trace.to_frame()  # built once: the slow part of a short run
    return MergedResult(config, trace, model.metrics(trace))


def lag_table(config: Config | None = None, lags: tuple[float, ...] = LAGS) -> pd.DataFrame:
    """Uniqueness violations per view lag: Kafka with 1 and 2 instances, the event store."""
    config = resolve(Config, config)
    kafka = replace(config, store="kafka")
    series = {"Kafka, 1 instance": replace(kafka, instances=1, own_writes=False),
              "Kafka, 1 instance + own writes": replace(kafka, instances=1, own_writes=True),
              "Kafka, 2 instances + own writes": replace(kafka, instances=2, own_writes=True),
              "event store, 2 instances": replace(config, store="event_store", instances=2)}
    table = pd.DataFrame({name: [run(replace(base, view_lag=lag))
                                 .metrics[Metric.UNIQUENESS_VIOLATIONS] for lag in lags]
                          for name, base in series.items()},
                         index=pd.Index(lags, name="view lag (ms)"))
    return table.rename_axis(columns="store")
