"""Running the capstone: one day of orders under the learner's choices, and its scorecard."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core.config import resolve
from eventlab.core.errors import ConfigError
from eventlab.core.results import RunResult
from eventlab.core.world import World
from eventlab.domains.retail.order import OrderService
from eventlab.domains.retail.processes import duration
from eventlab.domains.retail.services import Retail
from eventlab.domains.retail.side_effects import SideEffects
from eventlab.engines.monitoring.cases import message_log
from eventlab.engines.workflow.reactions import Work
from eventlab.engines.workflow.wiring import Wiring
from eventlab.scenarios.recap.choices import (
    CRITICAL,
    INTERACTIONS,
    STEPS,
    Config,
    check_config,
    faults,
    order_process,
    side_drops,
    wiring,
)
from eventlab.scenarios.recap.transport import Transport
from eventlab.view.bpmn_svg import BpmnPicture, picture
from eventlab.view.graphs import Diagram
from eventlab.view.process import counts_from_trace
from eventlab.view.wiring import diagram as wiring_diagram

MESSAGE_TTL = 1.0  # hours the Order keeps a reply that came before its token waits for it


def _checkout(world: World, bus: Transport, retail: Retail, command: bool
              ) -> Generator[simpy.Event, Any, None]:
    for order in retail.orders:
        yield world.env.timeout(max(0.0, order.placed_at - world.now))
        placed = world.event("OrderPlacedEvent", sender="Checkout", key=order.order_id,
                             correlation_id=order.trace_id, payload=order.payload())
        bus.publish(placed)
        if command:  # a choreography in which the Checkout commands the payment
            bus.publish(world.command("RetrievePaymentCommand", sender="Checkout",
                                      key=order.order_id, caused_by=placed,
                                      payload=order.payload()))


@dataclass(frozen=True, repr=False)
class RecapResult(RunResult):
    """A run of the learner's choices: trace, scorecard, ground truth per order."""

    PANEL = ("graph", "scorecard")  # what its interactive panel shows

    facts: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    design: Wiring | None = field(default=None, repr=False)

    def scorecard(self) -> pd.DataFrame:
        """The run's scorecard: one column, one row per measure."""
        return pd.DataFrame({"value": pd.Series(dict(self.metrics), dtype=object)}) \
            .rename_axis("metric")

    def graph(self) -> Diagram:
        """The services as wired by the choices, with how many copies of each message
        arrived (commands red, events blue)."""
        assert self.design is not None
        return wiring_diagram(self.design, self.trace)

    def dependencies(self) -> pd.DataFrame:
        """Who depends on whom under these choices, and why."""
        assert self.design is not None
        return self.design.dependencies()

    def process(self) -> BpmnPicture:
        """The Order's process built from the choices, with token counts (orchestration)."""
        if not self.config.orchestrated:
            raise ConfigError("coordination='choreography' has no Order process: nobody owns "
                              "the flow; use graph()")
        process = order_process(self.config)
        return picture(process, counts_from_trace(self.trace, process, actor="Order"),
                       title=f"Order, as the choices build it ({self.config.coordination})")

    def outcomes(self) -> pd.DataFrame:
        """How the orders ended (ground truth) and whether somebody noticed."""
        counts = self.facts.groupby(["outcome", "noticed"], sort=False).size()
        return counts.rename("orders").reset_index()


def run(config: Config | None = None) -> RecapResult:
    """Run the day with these choices (same seed, same orders and faults, same run)."""
    config = check_config(resolve(Config, config))
    world = World(config.seed)
    bus = Transport(world, config)
    retail = Retail(world, bus, config, faults(config))
    design = wiring(config)
    side = SideEffects(world, [STEPS[n].do for n in INTERACTIONS if n not in CRITICAL])
    dropped = {do: {f"order-{n:04d}" for n in numbers}
               for do, numbers in side_drops(config).items()}

    def drop(work: Work) -> bool:
        if work.rule.do in dropped:
            return retail.order_of(work).order_id in dropped[work.rule.do]
        return retail.drop(work)

    design.install(world, bus, {**retail.actions(), **side.actions()}, drop=drop)
    order = OrderService(world, bus, retail, design.orchestrators["Order"],
                         message_ttl=MESSAGE_TTL) \
        if config.orchestrated else None
    world.env.process(_checkout(world, bus, retail,
                                not config.orchestrated and config.payment == "command"))
    world.env.run()
    trace = world.trace.to_frame()
    facts = _facts(trace, retail, side, config)
    return RecapResult(config, trace, _metrics(trace, facts, retail, bus, design, order),
                       facts=facts, design=design)


def _facts(trace: pd.DataFrame, retail: Retail, side: SideEffects,
           config: Config) -> pd.DataFrame:
    facts = retail.facts()
    log = message_log(trace)
    announced = log[log["message_type"].isin(["GoodsShippedEvent", "OrderCompletedEvent"])]
    finished = announced.groupby("correlation_id")["time"].min()
    timers = trace[(trace["kind"].isin(["timer", "reject"])) & (trace["actor"] == "Order")]
    detected = timers.groupby("correlation_id")["time"].min()
    # ground truth, whatever the messages said: shipped and paid
    delivered = (facts["shipped"] > 0) & (facts["net charge"] >= facts["total"] - 0.005)
    facts["outcome"] = ["delivered" if d else _why(row) for d, row in
                        zip(delivered, facts.to_dict("records"), strict=True)]
    facts["lead time (h)"] = (facts["trace"].map(finished) - facts["placed"]).where(
        delivered).round(3)
    facts["detected at"] = facts["trace"].map(detected)
    facts["noticed"] = facts["detected at"].notna()
    for name in INTERACTIONS[3:]:
        do = STEPS[name].do
        facts[do] = facts["order"].map(side.done[do]).fillna(0).astype(int)
    facts["side effect missing"] = delivered & ((facts["notify customer"] == 0)
                                                | (facts["add loyalty points"] == 0))
    until = facts.set_index("trace")["detected at"].fillna(float("inf"))
    before = log[log["time"] <= log["correlation_id"].map(until).fillna(float("inf"))]
    quiet = before.groupby("correlation_id")["time"].max()
    facts["went quiet at"] = facts["trace"].map(quiet).where(facts["noticed"])
    facts["time to detection (h)"] = (facts["detected at"] - facts["went quiet at"]).round(3)
    return facts


def _why(row: Mapping[Any, Any]) -> str:
    if row["shipped"]:
        return "shipped, money refunded"
    if row["payment"] == "Payment failed":
        return "payment failed"
    if row["payment"] == "never started":
        return "no payment"
    if not row["picked"]:
        return "not picked"
    return "not shipped"


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    ORDERS = "orders"
    ORDERS_DELIVERED = "orders delivered"
    NOT_DELIVERED_NOTICED = "not delivered, noticed"
    NOT_DELIVERED_NOBODY_NOTICED = "not delivered, nobody noticed"
    MEAN_TIME_TO_DETECTION_H = "mean time to detection (h)"
    SIDE_EFFECT_MISSING_NOTICED_BY_ORDER = "side effect missing, noticed by Order"
    SIDE_EFFECT_MISSING_NOBODY_NOTICED = "side effect missing, nobody noticed"
    MESSAGES_LOST_CRASH_BEFORE_PUBLISH = "messages lost (crash before publish)"
    DUPLICATES_PUBLISHED_RELAY_CRASH = "duplicates published (relay crash)"
    DUPLICATES_DROPPED_BY_INBOXES = "duplicates dropped by inboxes"
    MEAN_LEAD_TIME_H = "mean lead time (h)"
    P90_LEAD_TIME_H = "p90 lead time (h)"
    MAX_CONSUMER_LAG_H = "max consumer lag (h)"
    WASTED_PICKS = "wasted picks"
    MONEY_KEPT_FOR_UNDELIVERED_ORDERS = "money kept for undelivered orders"
    LATE_PAYMENTS_REFUNDED = "late payments refunded"
    MONEY_CONSERVED = "money conserved"
    DEPENDENCIES = "dependencies (A knows B)"
    MESSAGES = "messages"


def _metrics(trace: pd.DataFrame, facts: pd.DataFrame, retail: Retail, bus: Transport,
             design: Wiring, order: OrderService | None) -> dict[str, Any]:
    missing = facts[facts["outcome"] != "delivered"]
    lead = facts["lead time (h)"].dropna()
    delay = facts.loc[facts["outcome"] != "delivered", "time to detection (h)"].dropna()
    sides = facts[facts["side effect missing"]]
    sent = trace[trace["kind"] == "send"]
    waits = pd.Series(bus.waits, dtype="float64")
    return {
        Metric.ORDERS: len(facts),
        Metric.ORDERS_DELIVERED: int((facts["outcome"] == "delivered").sum()),
        Metric.NOT_DELIVERED_NOTICED: int(missing["noticed"].sum()),
        Metric.NOT_DELIVERED_NOBODY_NOTICED: int((~missing["noticed"]).sum()),
        Metric.MEAN_TIME_TO_DETECTION_H: round(float(delay.mean()), 1) if len(delay) else "—",
        Metric.SIDE_EFFECT_MISSING_NOTICED_BY_ORDER: int(sides["noticed"].sum()),
        Metric.SIDE_EFFECT_MISSING_NOBODY_NOTICED: int((~sides["noticed"]).sum()),
        Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH: bus.counts["lost"],
        Metric.DUPLICATES_PUBLISHED_RELAY_CRASH: bus.counts["republished"],
        Metric.DUPLICATES_DROPPED_BY_INBOXES: bus.counts["ignored"],
        Metric.MEAN_LEAD_TIME_H: round(float(lead.mean()), 2) if len(lead) else "—",
        Metric.P90_LEAD_TIME_H: round(float(lead.quantile(0.9)), 2) if len(lead) else "—",
        Metric.MAX_CONSUMER_LAG_H: round(float(waits.max()), 2) if len(waits) else 0.0,
        Metric.WASTED_PICKS: int(facts["wasted picks"].sum()),
        Metric.MONEY_KEPT_FOR_UNDELIVERED_ORDERS: round(float(missing["net charge"].sum()), 2),
        Metric.LATE_PAYMENTS_REFUNDED: order.late_payments if order else 0,
        Metric.MONEY_CONSERVED: "yes" if retail.ledger.conserved else "no",
        Metric.DEPENDENCIES: len(design.dependencies()),
        Metric.MESSAGES: len(sent),
    }


SCORECARD_ROWS: tuple[str, ...] = (
    Metric.ORDERS_DELIVERED, Metric.NOT_DELIVERED_NOTICED, Metric.NOT_DELIVERED_NOBODY_NOTICED,
    Metric.MEAN_TIME_TO_DETECTION_H, Metric.SIDE_EFFECT_MISSING_NOTICED_BY_ORDER,
    Metric.SIDE_EFFECT_MISSING_NOBODY_NOTICED, Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH,
    Metric.DUPLICATES_DROPPED_BY_INBOXES, Metric.MEAN_LEAD_TIME_H, Metric.P90_LEAD_TIME_H,
    Metric.MAX_CONSUMER_LAG_H, Metric.WASTED_PICKS, Metric.MONEY_KEPT_FOR_UNDELIVERED_ORDERS,
    Metric.DEPENDENCIES, Metric.MESSAGES)


def choices(config: Config) -> pd.DataFrame:
    """What each choice set up: per interaction its trigger, who sends it, who waits."""
    design = wiring(check_config(config))
    rows = []
    for name in INTERACTIONS:
        step = STEPS[name]
        rule = next(r for r in design.rules if r.do == step.do)
        trigger = rule.on[0]
        sender = ", ".join(design.producers(trigger))
        waits = "Order (timer " + duration(step.hours or config.side_timer) + ")" \
            if config.orchestrated and (name in CRITICAL or config.kind_of(name) == "command") \
            else "nobody"
        rows.append({"interaction": name, "service": step.service, "as": config.kind_of(name),
                     "triggered by": trigger, "sent by": sender, "who waits for it": waits})
    return pd.DataFrame(rows).set_index("interaction")


