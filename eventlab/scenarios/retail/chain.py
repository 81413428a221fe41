"""The choreographed flowing-retail chain: services that only react to each other's events.

Checkout publishes ``OrderPlacedEvent``; Payment reacts and publishes ``PaymentReceivedEvent``;
Inventory reacts with ``GoodsFetchedEvent``; Shipping emits ``GoodsShippedEvent`` and, "as
nobody else can", ``OrderCompletedEvent`` (the companion code's ``choreography-alternative``).
Nobody owns the flow: when a service silently drops an order (a crash, a poison message) or
a payment fails, the order just stops, and nobody notices. Switch on ``tracking`` to attach
process tracking (:class:`~eventlab.domains.retail.tracking.Tracker`) with SLA timers: the same
orders get stuck, but now they are detected.

In the sequential style the whole order travels with every event (bad smell 4: the payload
grows through services that don't need it); in the parallel style every service joins
``OrderPlacedEvent`` with its trigger and the events stay thin. Times are hours.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from eventlab.core.budget import Cost
from eventlab.core.bus import Bus
from eventlab.core.config import param, resolve
from eventlab.core.errors import ConfigError, check_text
from eventlab.core.messages import Message
from eventlab.core.results import RunResult
from eventlab.core.trace import case as trace_case
from eventlab.core.world import World
from eventlab.domains.retail.designs import STYLES, retail_wiring
from eventlab.domains.retail.processes import VARIANTS, tracking_process
from eventlab.domains.retail.services import Retail
from eventlab.domains.retail.shop import Fault, ShopParams
from eventlab.domains.retail.tracking import Tracker
from eventlab.engines.monitoring.cases import by_trace, message_log
from eventlab.engines.monitoring.dfg import directly_follows
from eventlab.view.graphs import Diagram
from eventlab.view.playback import Frame, frames
from eventlab.view.wiring import diagram as wiring_diagram


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(ShopParams):
    """Knobs of the choreographed chain (times in hours)."""

    style: str = param("sequential", choices=STYLES,
                       help="event chain, or every service joins OrderPlacedEvent itself")
    variant: str = param("baseline", choices=VARIANTS,
                         help="baseline, or fetch goods before payment (VIPs / everyone)")
    tracking: bool = param(False, help="attach process tracking with SLA timers")
    payment_sla: float = param(480.0, low=1.0, high=2000.0, step=1.0,
                               help="tracking: hours until a payment is overdue (20 days)")
    fetch_sla: float = param(12.0, low=0.5, high=500.0, step=0.5,
                             help="tracking: hours until fetching the goods is overdue")
    ship_sla: float = param(24.0, low=0.5, high=500.0, step=0.5,
                            help="tracking: hours until shipping is overdue")

    def estimated_cost(self) -> Cost:
        """`orders` orders through the chain; each declined charge and failed card call
        adds messages, tracking adds SLA timers, and the per-order facts compare each order
        with the whole ledger, so an order costs more the more orders there are. Measured on
        a 2-core laptop (CPU time, busy machine): about 0.45 ms per order at 100 orders and
        0.6-1.1 ms at 2,000, 0.25 ms per declined charge, 0.03 ms per failed call; 2,000
        orders with every charge declined five times took 3.3 s and 140 MB. The estimate is
        about 1.5x that."""
        per_order = (0.7e-3 + 0.45e-6 * self.orders + 0.35e-3 * self.declined_charges()
                     + 0.05e-3 * self.card_errors() + 0.3e-3 * self.tracking)
        return Cost(seconds=0.02 + self.orders * per_order, megabytes=110 + self.orders * 0.1,
                    drivers={"orders": "lower", "p_card": "lower", "p_error": "lower"})


@dataclass(frozen=True, repr=False)  # keep RunResult's short repr
class ChainResult(RunResult):
    """A run of the chain: trace, metrics, and per order what really happened."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    facts: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    payloads: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def graph(self, *, trace_id: str | None = None) -> Diagram:
        """The wiring table drawn, with how many copies of each event arrived (of one order
        with `trace_id`: where did it get stuck?)."""
        c = self.config
        rows = self.trace if trace_id is None else trace_case(self.trace, trace_id)
        wiring = retail_wiring(c.style, c.variant)
        title = wiring.name + (f": {trace_id}" if trace_id else "")
        return wiring_diagram(wiring, rows, title=title)

    def frames(self, trace_id: str = "trace-0001", *, max_frames: int = 80) -> list[Frame]:
        """Playback of one order's chain: every send, delivery, drop and SLA timer of
        `trace_id`, the arrow of the current message highlighted, the counts so far."""
        check_text("trace_id", trace_id)
        rows = trace_case(self.trace, trace_id)
        if rows.empty:
            known = self.facts["trace"].tolist()
            raise ConfigError(f"trace_id {trace_id!r} is not in this run; it has "
                              f"{known[0]} … {known[-1]}")
        rows = rows[(rows["actor"] != "Tracking") | (rows["kind"] == "timer")]
        wiring = retail_wiring(self.config.style, self.config.variant)
        title = f"{wiring.name}: {trace_id}"

        def draw(so_far: pd.DataFrame, row: Any) -> Diagram:
            sender = row.actor if row.kind == "send" else row.target
            mark = (str(sender), str(row.message_type)) \
                if row.kind in ("send", "deliver") else None
            return wiring_diagram(wiring, so_far, title=title, highlight=mark)

        return frames(rows.reset_index(drop=True), draw,
                      kinds=("send", "deliver", "fault", "timer"), max_frames=max_frames)

    def monitor(self) -> pd.DataFrame:
        """The monitor's view: one row per traceId, its messages in order."""
        return by_trace(self.trace)

    def dfg(self) -> pd.DataFrame:
        """The directly-follows graph of all messages (cases = traceIds)."""
        return directly_follows(message_log(self.trace))

    def outcomes(self) -> pd.DataFrame:
        """How the orders ended, and whether anybody noticed."""
        counts = self.facts.groupby(["outcome", "detected"], sort=False).size()
        return counts.rename("orders").reset_index()

    def stuck(self) -> pd.DataFrame:
        """Orders that never completed: why (ground truth), and when tracking noticed."""
        cols = ["order", "trace", "outcome", "went quiet at", "detected at",
                "time to detection (h)"]
        return self.facts.loc[self.facts["outcome"] != "completed", cols].reset_index(drop=True)

    def payload(self) -> pd.DataFrame:
        """Per message type: mean bytes, and the share its consumers do not need."""
        table = self.payloads.groupby(["message type", "sender"], sort=False).agg(
            messages=("bytes", "size"), mean_bytes=("bytes", "mean"),
            unneeded_share=("unneeded share", "mean"))
        return table.round(3).reset_index()


def run(config: Config | None = None, *, faults: Iterable[Fault] = ()) -> ChainResult:
    """Simulate `config.orders` orders through the choreographed chain."""
    config = resolve(Config, config)
    world = World(config.seed)
    bus = Bus(world, latency=config.latency)
    retail = Retail(world, bus, config, faults)
    wiring = retail_wiring(config.style, config.variant)
    wiring.install(world, bus, retail.actions(), drop=retail.drop)
    tracker = None
    if config.tracking:
        tracker = Tracker(world, bus, tracking_process(
            config.variant, payment_hours=config.payment_sla, fetch_hours=config.fetch_sla,
            ship_hours=config.ship_sla))
    retail.checkout()
    world.env.run()
    trace = world.trace.to_frame()
    facts = _facts(trace, retail, tracker)
    needs = {(t, r.service): r.needs for r in wiring.rules for t in r.on}
    return ChainResult(config, trace, _metrics(trace, facts, retail), facts=facts,
                       payloads=_payloads(bus.messages, needs))


def _facts(trace: pd.DataFrame, retail: Retail, tracker: Tracker | None) -> pd.DataFrame:
    facts = retail.facts()
    log = message_log(trace)
    done = log[log["message_type"] == "OrderCompletedEvent"].groupby("correlation_id")["time"]
    finished = done.min()
    dropped = trace[trace["kind"] == "fault"].groupby("correlation_id")["actor"].first()
    outcome = []
    dropped_by = {str(k): str(v) for k, v in dropped.items()}
    for trace_id, payment in zip(facts["trace"], facts["payment"], strict=True):
        if trace_id in finished.index:
            outcome.append("completed")
        elif trace_id in dropped_by:
            outcome.append(f"dropped by {dropped_by[trace_id]}")
        elif payment == "Payment failed":
            outcome.append("payment failed")
        else:
            outcome.append(f"stuck ({payment})")
    facts["outcome"] = outcome
    facts["lead time (h)"] = (facts["trace"].map(finished) - facts["placed"]).round(3)
    if tracker is None:
        facts["detected"], facts["detected at"] = False, float("nan")
        facts["sla breach"] = False
    else:
        seen = tracker.table().set_index("traceId")
        facts["sla breach"] = facts["trace"].map(seen["detected"]).fillna(False).astype(bool)
        facts["detected"] = facts["sla breach"] & (facts["outcome"] != "completed")
        facts["detected at"] = facts["trace"].map(seen["detected at"]).where(facts["detected"])
    # when the order went quiet: its last message (before the detection, if it was detected)
    until = facts.set_index("trace")["detected at"].fillna(float("inf"))
    before = log[log["time"] <= log["correlation_id"].map(until).fillna(float("inf"))]
    quiet = before.groupby("correlation_id")["time"].max()
    facts["went quiet at"] = facts["trace"].map(quiet).where(facts["outcome"] != "completed")
    facts["time to detection (h)"] = (facts["detected at"] - facts["went quiet at"]).round(3)
    return facts


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    ORDERS = "orders"
    COMPLETED = "completed"
    STUCK = "stuck"
    OF_WHICH_SILENTLY_DROPPED = "of which silently dropped"
    OF_WHICH_PAYMENT_FAILED = "of which payment failed"
    STUCK_AND_DETECTED = "stuck and detected"
    STUCK_AND_UNDETECTED = "stuck and undetected"
    MEAN_TIME_TO_DETECTION_H = "mean time to detection (h)"
    SLA_BREACHES_FLAGGED_BY_TRACKING = "SLA breaches flagged by tracking"
    MEAN_LEAD_TIME_H = "mean lead time (h)"
    P90_LEAD_TIME_H = "p90 lead time (h)"
    RETURNED_PICKS = "returned picks"
    WASTED_PICKS = "wasted picks"
    NET_CHARGE_OF_UNDELIVERED_ORDERS = "net charge of undelivered orders"
    MONEY_CONSERVED = "money conserved"
    MESSAGES = "messages"
    BYTES_ON_BUS = "bytes on the bus"


def _metrics(trace: pd.DataFrame, facts: pd.DataFrame, retail: Retail) -> dict[str, Any]:
    stuck = facts[facts["outcome"] != "completed"]
    lead = facts["lead time (h)"].dropna()
    delay = stuck["time to detection (h)"].dropna()
    sent = trace[trace["kind"] == "send"]
    return {
        Metric.ORDERS: len(facts),
        Metric.COMPLETED: int((facts["outcome"] == "completed").sum()),
        Metric.STUCK: len(stuck),
        Metric.OF_WHICH_SILENTLY_DROPPED: int(stuck["outcome"].str.startswith("dropped").sum()),
        Metric.OF_WHICH_PAYMENT_FAILED: int((stuck["outcome"] == "payment failed").sum()),
        Metric.STUCK_AND_DETECTED: int(stuck["detected"].sum()),
        Metric.STUCK_AND_UNDETECTED: int((~stuck["detected"]).sum()),
        Metric.MEAN_TIME_TO_DETECTION_H: round(float(delay.mean()), 3) if len(delay) else "—",
        Metric.SLA_BREACHES_FLAGGED_BY_TRACKING: int(facts["sla breach"].sum()),
        Metric.MEAN_LEAD_TIME_H: round(float(lead.mean()), 3) if len(lead) else "—",
        Metric.P90_LEAD_TIME_H: round(float(lead.quantile(0.9)), 3) if len(lead) else "—",
        Metric.RETURNED_PICKS: int(facts["returned"].sum()),
        Metric.WASTED_PICKS: int(facts["wasted picks"].sum()),
        Metric.NET_CHARGE_OF_UNDELIVERED_ORDERS: round(float(stuck["net charge"].sum()), 2),
        Metric.MONEY_CONSERVED: "yes" if retail.ledger.conserved else "no",
        Metric.MESSAGES: len(sent),
        Metric.BYTES_ON_BUS: int(sent["size"].sum()),
    }


def _payloads(sent: list[Message], needs: dict[tuple[str, str], tuple[str, ...]]
              ) -> pd.DataFrame:
    rows = []
    for message in sent:
        readers = [n for (t, _), n in needs.items() if t == message.type]
        size = message.size
        if readers and size:
            used = [len(json.dumps({k: message.payload[k] for k in sorted(n)
                                    if k in message.payload}, separators=(",", ":"),
                                   ensure_ascii=False, default=str).encode())
                    for n in readers]
            unneeded = 1 - sum(used) / len(used) / size
        else:
            unneeded = float("nan")
        rows.append({"message type": message.type, "sender": message.sender, "bytes": size,
                     "unneeded share": unneeded if unneeded != unneeded else max(0.0, unneeded)})
    return pd.DataFrame(rows, columns=["message type", "sender", "bytes", "unneeded share"])
