"""Event notification vs event-carried state transfer: a CRM and the services that react.

Customers change their data in a CRM (moves, typo fixes of an address, status changes).
The CRM announces every change; K consumers (insurance quoting, communications,
marketing, ...) react. The CRM has downtime windows and needs time for every query.

* ``pattern="notification"``: thin events (``AddressChanged{customerId}``); every consumer
  calls the CRM back, and its users' look-ups go to the CRM as well;
* ``pattern="state_transfer"``: events carry the data in one of the slide's four ``payload``
  designs; consumers keep local copies and never call back.

Events may be delivered twice (``duplicates``) or late and overtaken (``reorder``). Times
are in milliseconds; every number is measured from the run (see
:mod:`eventlab.scenarios.crm.measure`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import pandas as pd

from eventlab.core import results
from eventlab.core.comparison import Comparison
from eventlab.core.config import resolve
from eventlab.core.errors import check_float, check_int
from eventlab.core.messages import Event
from eventlab.core.replications import replicate
from eventlab.domains.crm.config import (
    CONSUMER_NAMES,
    CONSUMERS,
    PATTERNS,
    PAYLOADS,
    REPLAYED_KINDS,
    Config,
    windows,
)
from eventlab.domains.crm.model import Model
from eventlab.domains.crm.payloads import DESIGNS, LABELS, Change, delta_decision, payload, record
from eventlab.scenarios.crm.measure import Metric, metrics, per_consumer
from eventlab.scenarios.crm.picture import diagram
from eventlab.view import charts, graphs, playback

__all__ = ["CONSUMERS", "CONSUMER_NAMES", "DESIGNS", "LABELS", "PATTERNS", "PAYLOADS", "Config",
           "CrmResult", "Metric", "compare_designs", "consumers", "decision_table",
           "delta_decision", "design_means", "designs", "payload_examples", "run"]


@dataclass(frozen=True, repr=False)
class CrmResult(results.RunResult):
    """A run of the CRM story: its trace, metrics, and what each consumer measured."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def summary(self) -> pd.DataFrame:
        """The measured numbers as a two-column table (counts stay whole numbers)."""
        rows = [(name, round(v, 3) if isinstance(v, float) else v)
                for name, v in self.metrics.items()]
        return pd.DataFrame(rows, columns=["metric", "value"], dtype=object).set_index("metric")

    def graph(self) -> graphs.Diagram:
        """The CRM and its consumers, with the messages on each arrow counted."""
        return diagram(self.config, self.trace, None)

    def frames(self, max_frames: int = 120) -> list[playback.Frame]:
        """Playback frames: sends, deliveries, copies changing, the CRM going down."""
        return playback.frames(self.trace, lambda so_far, row: diagram(self.config, so_far, row),
                               kinds=REPLAYED_KINDS, max_frames=max_frames)

    def per_consumer(self) -> pd.DataFrame:
        """One row per consumer: events, callbacks, staleness windows, stale copies."""
        return self.table

    def outages(self) -> pd.DataFrame:
        """When the CRM was down (ms)."""
        return pd.DataFrame(windows(self.config), columns=["down from", "up again at"])

    def look_ups(self) -> pd.DataFrame:
        """How the users' look-ups went, while the CRM was up and while it was down."""
        notes = self.trace[(self.trace["kind"] == "note") & (self.trace["target"] == "Users")]
        details = [str(d) for d in notes["detail"]]
        down = ["CRM down" if d.endswith("(CRM down)") else "CRM up" for d in details]
        outcome = [d.removeprefix("look-up ").split(" ")[0] for d in details]
        table = pd.crosstab(pd.Series(down, name="asked while"),
                            pd.Series(outcome, name="answer"))
        return table.reindex(index=["CRM up", "CRM down"], fill_value=0)

    def load(self, bucket: float | None = None) -> pd.DataFrame:
        """CRM queries per second, per `bucket` ms: answered, and refused while down.

        Buckets are also cut where a downtime window starts or ends, so no bucket mixes
        "up" and "down"; each rate is the count divided by its bucket's width.
        """
        duration = self.config.duration
        bucket = duration / 16 if bucket is None else check_float("bucket", bucket, low=1.0,
                                                                 high=duration)
        sends = self.trace[(self.trace["kind"] == "send") & (self.trace["actor"] == "CRM")]
        end = max(duration, float(sends["time"].max()) if len(sends) else 0.0)
        grid = {round(i * bucket, 6): None for i in range(int(end // bucket) + 1)}
        for start, stop in windows(self.config):
            grid.update({start: None, stop: None})
        edges = sorted(grid)
        edges.append(edges[-1] + bucket)
        rows = []
        for left, right in itertools.pairwise(edges):
            inside = sends[(sends["time"] >= left) & (sends["time"] < right)]
            per_second = 1000.0 / (right - left)
            rows.append((round(left / 1000.0, 3),
                         round(int((inside["message_type"] == "CustomerData").sum())
                               * per_second, 2),
                         round(int((inside["message_type"] == "ServiceUnavailable").sum())
                               * per_second, 2)))
        return pd.DataFrame(rows, columns=["time (s)", "answered", "refused (CRM down)"]
                            ).set_index("time (s)")

    def load_chart(self, bucket: float | None = None) -> charts.Chart:
        """The CRM's query load over time (see :meth:`load`)."""
        return charts.lines(self.load(bucket), title="CRM queries over time",
                            ylabel="queries per second")

    def overwrites(self) -> pd.DataFrame:
        """Every time a consumer overwrote a newer address with an older one."""
        rows = self.trace[self.trace["detail"] == "stale overwrite"]
        return pd.DataFrame({"time": rows["time"].round(1).to_numpy(),
                             "consumer": rows["actor"].to_numpy(),
                             "customer": rows["entity"].str.removesuffix(" address").to_numpy(),
                             "address written": rows["value"].to_numpy()})


def run(config: Config | None = None) -> CrmResult:
    """Simulate the CRM, its consumers and their users for `config.duration` ms."""
    config = resolve(Config, config)
    model = Model(config)
    model.world.env.run()
    trace = model.world.trace.to_frame()
    return CrmResult(config, trace, metrics(model, trace), table=per_consumer(model))


def consumers(config: Config | None = None) -> pd.DataFrame:
    """The consumers of a run: what each cares about and what it does about it."""
    config = resolve(Config, config)
    return pd.DataFrame([(c.name, ", ".join(c.cares_about), c.action)
                         for c in CONSUMERS[: config.consumers]],
                        columns=["consumer", "cares about", "when it sees a move"])


def payload_examples() -> pd.DataFrame:
    """Customer 0 moves: the event each design sends, with its payload size in bytes."""
    before = record(0)
    change = Change(0, "move", before["address"], "Ringstrasse 17, Leipzig", 1, 0.0)
    after = {**before, "address": change.new}
    rows = []
    for design in DESIGNS:
        event = Event(message_id="msg-0001", type=LABELS[design].split("{")[0], sender="CRM",
                      payload=payload(design, change, after))
        rows.append((design, event.type, event.payload_json(), event.size))
    return pd.DataFrame(rows, columns=["design", "event", "payload", "bytes"]).set_index("design")


COMPARED = (Metric.MEAN_EVENT_SIZE_BYTES, Metric.CALLBACKS,
            Metric.ANSWERED_WHILE_CRM_DOWN_PCT, Metric.EVENTS_PARSED_BUT_NOT_NEEDED,
            Metric.CONSUMERS_PARSING_UNNEEDED,
            Metric.DUPLICATE_COPIES_DELIVERED, Metric.OUT_OF_ORDER_EVENTS_DETECTED,
            Metric.SILENT_STALE_OVERWRITES, Metric.STALE_ADDRESS_COPIES_AT_END,
            Metric.REACTIONS_TO_REAL_MOVES, Metric.REACTIONS_TO_TYPO_FIXES,
            Metric.REACTIONS_TO_STALE_DATA)


def designs(config: Config | None = None, seeds: int = 20) -> Comparison:
    """Notification and the four payload designs over the same `seeds` seeds (from
    ``config.seed``), in parallel: a :class:`~eventlab.core.comparison.Comparison` whose sides
    are the designs (``wide()``, ``verdict()``, ``table()`` as for any comparison).

    The sides differ in one thing, what the event carries: notification is
    ``pattern="notification"`` (which sends thin events whatever ``payload`` says), each other
    design ``pattern="state_transfer"`` with its ``payload``."""
    config = resolve(Config, config)
    check_int("seeds", seeds, low=2, high=200)
    sides = {}
    for design in DESIGNS:
        pattern = "notification" if design == "notification" else "state_transfer"
        payload_ = config.payload if design == "notification" else design
        sides[design] = replicate(run, replace(config, pattern=pattern, payload=payload_),
                                  seeds=seeds)
    return Comparison("design", sides)


def compare_designs(config: Config | None = None, seeds: int = 20) -> pd.DataFrame:
    """Notification and the four payload designs on the same runs: one row per design, the
    mean per run of each compared measurement over `seeds` seeds (see :func:`designs`)."""
    config = resolve(Config, config)
    check_int("seeds", seeds, low=2, high=200)
    return design_means(designs(config, seeds))


def design_means(compared: Comparison) -> pd.DataFrame:
    """The means of :func:`designs`, one row per design, one column per compared metric."""
    # A share of nothing ("—": no look-up while the CRM was down) is not a number, so a
    # metric no run measured stays empty here.
    measured = [str(m) for m in COMPARED if str(m) in compared.metrics()]
    table = compared.table(measured)
    means = table.pivot(index="side", columns="metric", values="mean").round(1)
    means = means.reindex(index=list(compared.sides), columns=[str(m) for m in COMPARED])
    means.index.name, means.columns.name = "design", None
    return means


def decision_table(compared: pd.DataFrame) -> pd.DataFrame:
    """The slide's "this decision is complex", one verdict per column, from measured runs.

    `compared` is :func:`compare_designs` (means per run). Each verdict is a rule over those
    numbers (no typed-in opinions): change the runs and the table changes with them."""
    smallest = min(float(s) for s in compared[Metric.MEAN_EVENT_SIZE_BYTES])
    rows = []
    for design, m in compared.iterrows():
        size = float(m[Metric.MEAN_EVENT_SIZE_BYTES])
        down = m[Metric.ANSWERED_WHILE_CRM_DOWN_PCT]
        late = (float(m[Metric.OUT_OF_ORDER_EVENTS_DETECTED]),
                float(m[Metric.SILENT_STALE_OVERWRITES]))
        parsers = float(m[Metric.CONSUMERS_PARSING_UNNEEDED])
        typos = float(m[Metric.REACTIONS_TO_TYPO_FIXES])
        rows.append({
            "design": design, "event": LABELS[str(design)],
            "bytes per event": round(size),
            "size": "smallest" if size == smallest else f"{size / smallest:.1f}× the smallest",
            "calls the CRM back": "yes" if m[Metric.CALLBACKS] else "no",
            "works while the CRM is down": "—" if pd.isna(down) else
            ("yes" if float(down) >= 99.5 else f"no ({float(down):.0f}% answered)"),
            "consumers parse events they don't need":
                f"yes ({parsers:g} consumers)" if m[Metric.EVENTS_PARSED_BUT_NOT_NEEDED]
                else "no",
            "late or duplicate copies": (
                f"silently stale ({late[1]:g} overwrites per run)" if late[1]
                else f"detected ({late[0]:g} parked per run)" if late[0]
                else "harmless: each copy costs a callback" if m[Metric.CALLBACKS]
                else "no effect seen"),
            "stale copies at the end (per run)": float(m[Metric.STALE_ADDRESS_COPIES_AT_END]),
            "tells a move from a typo fix": "yes" if not typos else
            f"no ({typos:g} reactions to typo fixes per run)",
        })
    return pd.DataFrame(rows).set_index("design")
