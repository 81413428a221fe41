"""A service that stores a change and tells others about it, with crashes at every point.

The Customer service handles ``RegisterCustomer`` commands. It keeps its state in its own
event store (persistent change) and must also tell other services, here *Mailing*, which sends
a welcome mail per ``CustomerCreated`` it reads from the Kafka topic ``customer-events``
(talk slide *Event Store and Messaging*):

* ``commit_then_publish``: append to the store, then publish. A crash in between loses the
  event: the customer exists, nobody else hears of it;
* ``publish_then_commit``: publish, then append. A crash in between leaves a **phantom**
  event about a customer that was never stored;
* ``outbox``: one write only. The stored event is its own outbox row; a relay tails the store
  from its saved checkpoint, publishes, then saves the checkpoint. Nothing is lost, but a
  relay crash between publish and checkpoint publishes the event again (a duplicate);
* ``outbox_inbox``: the same, and Mailing keeps an inbox of processed event ids. An inbox
  makes a *database* effect happen once (the effect and the inbox row commit together), but
  a mail is sent through a mail provider, outside that transaction: Mailing sends, then writes
  the id, and a crash in between (``consumer_after_mail``) mails the customer twice;
* ``outbox_mail_key``: the same outbox, and Mailing passes the event id as an idempotency
  key to the mail provider, which refuses a key it has seen. The receiver that does the
  effect deduplicates, so every customer gets one mail whatever crashes.

Mailing reads at-least-once (process, then commit), so its own crashes add duplicates too.
Times are milliseconds. Every number comes from the store, the topic and the trace of the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from eventlab.core import results
from eventlab.core.config import resolve
from eventlab.core.errors import ConfigError
from eventlab.scenarios.outbox.config import CRASH_POINTS, EVERYWHERE, VARIANTS, Config
from eventlab.scenarios.outbox.model import Metric, Model
from eventlab.scenarios.outbox.picture import TITLES, diagram, injected
from eventlab.view import graphs, playback
from eventlab.view.charts import Chart
from eventlab.view.sequence import sequence

__all__ = ["CRASH_POINTS", "EVERYWHERE", "VARIANTS", "Config", "Metric", "OutboxResult",
           "across_seeds", "compare", "matrix", "run", "story"]

REPLAYED = ("send", "deliver", "state", "fault")
ANOMALIES = (Metric.LOST_EVENTS, Metric.PHANTOM_EVENTS, Metric.DUPLICATE_PUBLISHES,
             Metric.DUPLICATE_MAILS)
SHORT = {Metric.LOST_EVENTS: "lost", Metric.PHANTOM_EVENTS: "phantom",
         Metric.DUPLICATE_PUBLISHES: "dup. publishes", Metric.DUPLICATE_MAILS: "dup. mails"}


class OutboxResult(results.RunResult):
    """A run of the dual-write story, with its graph and playback frames."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    def graph(self) -> graphs.Diagram:
        """The components and what went between them, counted from the trace."""
        return diagram(self.config, self.trace, None)

    def frames(self, max_frames: int = 120) -> list[playback.Frame]:
        """Playback frames: commands, appends, publishes, deliveries, mails and crashes."""
        return playback.frames(self.trace, lambda so_far, row: diagram(self.config, so_far, row),
                               kinds=REPLAYED, max_frames=max_frames)

    def crashes(self) -> pd.DataFrame:
        """Every crash of the run: when, who, and at which point."""
        rows = injected(self.trace)
        return pd.DataFrame({"time (ms)": rows["time"].round(1).to_numpy(),
                             "who": rows["actor"].to_numpy(),
                             "what": rows["detail"].to_numpy()})


def run(config: Config | None = None) -> OutboxResult:
    """Simulate `config.commands` registrations under `config.variant`, with crashes."""
    config = resolve(Config, config)
    model = Model(config)
    model.world.env.run()
    return OutboxResult(config, model.world.trace.to_frame(), model.metrics())


def compare(config: Config | None = None) -> pd.DataFrame:
    """The same commands and crashes under all four variants: one row per variant."""
    table = results.sweep(run, resolve(Config, config), variant=list(VARIANTS))
    return table.set_index("variant")


def matrix(config: Config | None = None) -> pd.DataFrame:
    """Crash point × variant: what a crash at that one point did, as one short verdict."""
    config = resolve(Config, config)
    table = results.sweep(run, config, crash_at=list(CRASH_POINTS), variant=list(VARIANTS))
    table["verdict"] = [_verdict(row) for row in table.to_dict("records")]
    out = table.pivot(index="crash_at", columns="variant", values="verdict")
    return out.loc[list(CRASH_POINTS), list(VARIANTS)].rename_axis(columns=None)


def _verdict(row: Mapping[Any, Any]) -> str:
    crashes = sum(int(str(row[f"{c} crashes"])) for c in ("service", "relay", "consumer"))
    if not crashes:
        return "no such point"
    found = [f"{row[name]} {SHORT[name]}" for name in ANOMALIES if row[name]]
    return ", ".join(found) if found else f"ok ({crashes} crash{'es' if crashes > 1 else ''})"


def across_seeds(config: Config | None = None, seeds: int = 20) -> pd.DataFrame:
    """Each variant (a column) over seeds 0..seeds-1: the anomalies summed, and in how many
    runs they happened."""
    config = resolve(Config, config)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 200:
        raise ConfigError(f"seeds must be an int between 1 and 200, got {seeds!r}")
    rows = []
    for variant in VARIANTS:
        metrics = [run(replace(config, variant=variant, seed=s)).metrics for s in range(seeds)]
        row: dict[str, object] = {"variant": variant, "runs": seeds}
        for name in ANOMALIES:
            row[name] = sum(int(m[name]) for m in metrics)
            row[f"runs with {name}"] = sum(int(m[name]) > 0 for m in metrics)
        row["runs where mails = distinct events"] = sum(
            m[Metric.WELCOME_MAILS] == m[Metric.DISTINCT_EVENTS_MAILED] for m in metrics)
        rows.append(row)
    return pd.DataFrame(rows).set_index("variant").T.rename_axis(columns=None)


def story(config: Config) -> Chart:
    """The swimlanes of the first command a crash hit in a run of `config` (arm one crash
    point, at a high rate, to pick the story to tell): who sent what to whom, where the crash
    struck, and what happened after it."""
    config = resolve(Config, config)
    result = run(config)
    trace = result.trace
    crashes = injected(trace)
    if crashes.empty:
        raise ConfigError(f"no crash hit this run (crash_at={config.crash_at!r}, "
                          f"crash_rate={config.crash_rate}): raise crash_rate or the commands")
    # Every injected crash names the message whose handling it interrupted.
    case = str(crashes["correlation_id"].dropna().iloc[0])
    title = f"{TITLES[config.variant]}, crash point: {config.crash_at.replace('_', ' ')}"
    # Kafka adds its own plain "crashed" row for a member; the injected one says more.
    plain = (trace["kind"] == "fault") & (trace["detail"] == "crashed")
    return sequence(trace[~plain], case=case, title=title, unit="ms")
