"""The orchestrated flowing-retail: Order runs ``order.bpmn`` on its own workflow engine.

Checkout publishes ``OrderPlacedEvent``; the Order service starts an instance (business key =
traceId) that sends ``RetrievePaymentCommand``, ``FetchGoodsCommand`` and ``ShipGoodsCommand``
and waits for each reply with the companion code's timers (20 days, 12 hours, 24 hours). A
timeout cancels the order and compensates: "refund payment" if the payment was received
(and, in the fetch-first variants, "return goods" if the goods were picked). Payment runs its
own local flow (credit, card, 7-day wait for a card update); Inventory and Shipping are
simple. A reply that arrives when no instance waits is discarded, as the companion code's
listener does; a late payment is refunded (``refund_late_payments``).

``run(Config())`` returns an :class:`OrderResult`: outcomes, lead times, the process
pictures with token counts, and the ground truth per order. Times are hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from eventlab.core.budget import Cost
from eventlab.core.bus import Bus
from eventlab.core.config import param, resolve
from eventlab.core.errors import check_choice, check_int
from eventlab.core.results import RunResult
from eventlab.core.trace import case as trace_case
from eventlab.core.world import World
from eventlab.domains.retail.designs import SIDE_EFFECTS, command_rules, orchestrated_wiring
from eventlab.domains.retail.messages import RETAIL
from eventlab.domains.retail.order import OrderService
from eventlab.domains.retail.processes import OUTCOMES, VARIANTS, order_process, payment_process
from eventlab.domains.retail.services import Retail
from eventlab.domains.retail.shop import Fault, ShopParams
from eventlab.domains.retail.side_effects import LOYALTY, NOTIFY, SideEffects
from eventlab.engines.workflow.definition import Process
from eventlab.engines.workflow.reactions import Reactor
from eventlab.view.bpmn_svg import BpmnPicture, picture
from eventlab.view.charts import Chart, Figure
from eventlab.view.graphs import Diagram
from eventlab.view.process import counts_from_trace, local_orchestration
from eventlab.view.wiring import diagram as wiring_diagram


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(ShopParams):
    """Knobs of the orchestrated order flow (times in hours)."""

    variant: str = param("baseline", choices=VARIANTS,
                         help="baseline, or fetch goods before payment (VIPs / everyone)")
    payment_timer: float = param(480.0, low=1.0, high=2000.0, step=1.0,
                                 help="hours the order waits for the payment (20 days)")
    fetch_timer: float = param(12.0, low=0.5, high=500.0, step=0.5,
                               help="hours the order waits for the goods (12 hours)")
    ship_timer: float = param(24.0, low=0.5, high=500.0, step=0.5,
                              help="hours the order waits for the shipment (24 hours)")
    refund_late_payments: bool = param(True, help="refund a payment that arrives after the "
                                                  "order was canceled")
    side_effects: bool = param(False, help="Notification and Loyalty react to "
                                           "OrderCompletedEvent on their own (choreography)")

    def estimated_cost(self) -> Cost:
        """`orders` orders through the Order's and Payment's processes; each declined charge
        and failed card call adds tokens, timers and messages, and the per-order facts compare
        each order with the whole ledger, so an order costs more the more orders there are.
        Measured on a 2-core laptop (CPU time, busy machine): about 0.65 ms per order at 100
        orders and 0.8-1.4 ms at 2,000, 0.25 ms per declined charge, 0.03 ms per failed call;
        2,000 orders with every charge declined five times took 3.2 s and 140 MB. The
        estimate is about 1.5x that."""
        per_order = (0.9e-3 + 0.6e-6 * self.orders + 0.35e-3 * self.declined_charges()
                     + 0.05e-3 * self.card_errors() + 0.2e-3 * self.side_effects)
        return Cost(seconds=0.02 + self.orders * per_order, megabytes=110 + self.orders * 0.1,
                    drivers={"orders": "lower", "p_card": "lower", "p_error": "lower"})


@dataclass(frozen=True, repr=False)  # keep RunResult's short repr
class OrderResult(RunResult):
    """A run of the orchestrated flow: trace, metrics, instances and ground truth per order."""

    PANEL = ("outcomes", "histogram")  # what its interactive panel shows

    instances: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    payments: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    facts: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    money: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def outcomes(self) -> pd.DataFrame:
        """How the orders ended: outcome, number of orders, share."""
        outcome = self.facts["outcome"]
        order = [*OUTCOMES, *sorted(set(outcome) - set(OUTCOMES))]
        counts = outcome.value_counts().reindex(order, fill_value=0)
        table = counts.rename("orders").rename_axis("outcome").reset_index()
        table["share"] = (table["orders"] / max(1, len(outcome))).round(3)
        return table[table["orders"] > 0].reset_index(drop=True)

    def lead_times(self) -> pd.DataFrame:
        """Per order: outcome and hours from order placed to order delivered (NaN if not)."""
        return self.facts[["order", "outcome", "lead time (h)"]].rename(
            columns={"lead time (h)": "hours"})

    def histogram(self, bins: int = 30) -> Chart:
        """Lead times of delivered orders (the card-update waits make the long tail)."""
        check_int("bins", bins, low=1, high=200)
        hours = self.lead_times()["hours"].dropna()
        figure = Figure(figsize=(6.4, 3.2))  # fixed margins: the panel redraws it often
        figure.subplots_adjust(left=0.1, right=0.97, bottom=0.16, top=0.9)
        axes = figure.add_subplot()
        counts, edges = np.histogram(hours, bins=bins)
        axes.stairs(counts, edges, fill=True, color="#1a73e8")
        axes.set_xlabel("hours from order placed to order delivered")
        axes.set_ylabel("orders")
        title = "lead time of delivered orders"
        axes.set_title(title)
        table = pd.DataFrame({"from (h)": edges[:-1].round(1), "to (h)": edges[1:].round(1),
                              "orders": counts.astype(int)})
        return Chart(figure, title, table[table["orders"] > 0].reset_index(drop=True))

    def graph(self) -> Diagram:
        """Who sends what to whom (commands red, events blue), with delivery counts."""
        wiring = orchestrated_wiring(self.config.variant, side_effects=self.config.side_effects)
        return wiring_diagram(wiring, self.trace)

    def local_orchestration(self) -> Diagram:
        """Each service with the flow it owns (Order and Payment run their own workflow
        engines), the messages between them, and how many tokens passed each element."""
        c = self.config
        order, payment = self.process("order"), self.process("payment")
        return local_orchestration(
            order, payment, counts={"Order": orders_at(self.trace, order, actor="Order"),
                                    "Payment": orders_at(self.trace, payment, actor="Payment")},
            served=command_rules(c.variant), reacting=SIDE_EFFECTS if c.side_effects else (),
            title=f"Local orchestration: every service owns its flow ({COUNTED})")

    def process(self, which: str = "order") -> Process:
        """The process definition that ran: the Order's (``order.bpmn`` with this run's
        timers) or Payment's (``payment.bpmn``)."""
        check_choice("which", which, ("order", "payment"))
        c = self.config
        if which == "order":
            return order_process(c.variant, payment_hours=c.payment_timer,
                                 fetch_hours=c.fetch_timer, ship_hours=c.ship_timer)
        return payment_process(card_update_hours=c.card_update_timer)

    def diagram(self, which: str = "order", *, trace_id: str | None = None) -> BpmnPicture:
        """The Order's (or Payment's) process with how many orders reached each element (a
        payment that loops back to the card counts once); with `trace_id` only that order
        (the monitor's ✓ overlay for one order)."""
        rows = self.trace if trace_id is None else trace_case(self.trace, trace_id)
        process = self.process(which)
        actor = "Order" if which == "order" else "Payment"
        title = f"{process.name}" + (f" of {trace_id}" if trace_id else "") + f" ({COUNTED})"
        return picture(process, orders_at(rows, process, actor=actor), title=title)


COUNTED = "✓ = orders that reached the step"  # what the pictures' counts count


def orders_at(trace: pd.DataFrame, process: Process, *, actor: str
              ) -> dict[str, tuple[int, int]]:
    """Element id -> (orders whose token reached it, tokens still there at the end), for
    `actor`'s instances of `process`: :func:`~eventlab.view.process.counts_from_trace`, but an
    order whose token passes an element twice (a declined card charged again) counts once."""
    counts = counts_from_trace(trace, process, actor=actor)
    rows = trace[(trace["kind"] == "state") & (trace["actor"] == actor)]
    # a token's move is a state row whose value is an element id (":status" rows are not)
    moves = rows[rows["value"].isin(list(process.by_id))
                 & ~rows["entity"].astype(str).str.contains(":", regex=False)]
    orders = moves.drop_duplicates(["correlation_id", "value"])["value"].value_counts()
    return {e: (int(orders.get(e, 0)), here) if e in process.by_id else (passed, here)
            for e, (passed, here) in counts.items()}


def run(config: Config | None = None, *, faults: Iterable[Fault] = ()) -> OrderResult:
    """Simulate `config.orders` orders through the orchestrated flow (same seed, same run)."""
    config = resolve(Config, config)
    world = World(config.seed)
    bus = Bus(world, latency=config.latency)
    retail = Retail(world, bus, config, faults)
    Reactor(world, bus, command_rules(config.variant), retail.actions(), catalogue=RETAIL,
            drop=retail.drop)
    side = None
    if config.side_effects:  # Notification and Loyalty react to OrderCompletedEvent
        side = SideEffects(world, [r.do for r in SIDE_EFFECTS])
        Reactor(world, bus, SIDE_EFFECTS, side.actions(), catalogue=RETAIL)
    order = OrderService(world, bus, retail,
                         order_process(config.variant, payment_hours=config.payment_timer,
                                       fetch_hours=config.fetch_timer,
                                       ship_hours=config.ship_timer),
                         refund_late_payments=config.refund_late_payments)
    retail.checkout()
    world.env.run()
    trace = world.trace.to_frame()
    instances = order.engine.table()
    facts = _facts(trace, instances, retail)
    metrics = _metrics(trace, instances, facts, retail, order)
    if side is not None:
        metrics |= {Metric.CUSTOMERS_NOTIFIED: side.total(NOTIFY),
                    Metric.LOYALTY_POINTS_ADDED: side.total(LOYALTY)}
    return OrderResult(config, trace, metrics,
                       instances=instances, payments=retail.payment.table(), facts=facts,
                       money=retail.ledger.frame())


def _facts(trace: pd.DataFrame, instances: pd.DataFrame, retail: Retail) -> pd.DataFrame:
    """Ground truth per order plus how the Order ended it and when its timer noticed."""
    facts = retail.facts()
    by_key = instances.set_index("key")
    facts["outcome"] = facts["order"].map(by_key["outcome"]).fillna(
        facts["order"].map(by_key["status"])).fillna("never started")
    ended = facts["order"].map(by_key["ended"])
    facts["lead time (h)"] = (ended - facts["placed"]).where(
        facts["outcome"] == "Order delivered").round(3)
    timers = trace[(trace["kind"] == "timer") & (trace["actor"] == "Order")]
    facts["detected at"] = facts["trace"].map(timers.groupby("correlation_id")["time"].min())
    facts["detected"] = facts["detected at"].notna()
    sent = trace.loc[trace["kind"] == "send", ["correlation_id", "time"]]
    sent = sent.merge(facts[["trace", "detected at"]], left_on="correlation_id",
                      right_on="trace")
    quiet = sent[sent["time"] < sent["detected at"]].groupby("trace")["time"].max()
    facts["went quiet at"] = facts["trace"].map(quiet)
    facts["time to detection (h)"] = (facts["detected at"] - facts["went quiet at"]).round(3)
    return facts


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    ORDERS = "orders"
    DELIVERED = "delivered"
    CANCELED_PAYMENT = "canceled (payment)"
    GOODS_NOT_FETCHED_IN_TIME = "goods not fetched in time"
    GOODS_NOT_SHIPPED_IN_TIME = "goods not shipped in time"
    STILL_RUNNING = "still running"
    PAYMENT_INCIDENTS = "payment incidents"
    MEAN_TIME_TO_DETECTION_H = "mean time to detection (h)"
    MEAN_LEAD_TIME_H = "mean lead time (h)"
    P90_LEAD_TIME_H = "p90 lead time (h)"
    REFUNDS = "refunds"
    LATE_PAYMENTS_REFUNDED = "late payments refunded"
    RETURNED_PICKS = "returned picks"
    WASTED_PICKS = "wasted picks"
    SHIPPED_AFTER_ORDER_ENDED = "shipped after the order ended"
    NET_CHARGE_OF_UNDELIVERED_ORDERS = "net charge of undelivered orders"
    MONEY_CONSERVED = "money conserved"
    MESSAGES = "messages"
    BYTES_ON_BUS = "bytes on the bus"
    # measured only when the run has side effects (config.side_effects)
    CUSTOMERS_NOTIFIED = "customers notified"
    LOYALTY_POINTS_ADDED = "loyalty points added"


def _metrics(trace: pd.DataFrame, instances: pd.DataFrame, facts: pd.DataFrame,
             retail: Retail, order: OrderService) -> dict[str, Any]:
    outcome = facts["outcome"]
    lead = facts["lead time (h)"].dropna()
    delay = facts["time to detection (h)"].dropna()
    sent = trace[trace["kind"] == "send"]
    undelivered = facts[outcome != "Order delivered"]
    payments = retail.payment.table()
    return {
        Metric.ORDERS: len(facts),
        Metric.DELIVERED: int((outcome == "Order delivered").sum()),
        Metric.CANCELED_PAYMENT: int((outcome == "Order canceled").sum()),
        Metric.GOODS_NOT_FETCHED_IN_TIME: int((outcome == "Goods not fetched in time").sum()),
        Metric.GOODS_NOT_SHIPPED_IN_TIME: int((outcome == "Goods not shipped in time").sum()),
        Metric.STILL_RUNNING: int((instances["status"] == "active").sum()),
        Metric.PAYMENT_INCIDENTS: int((payments["status"] == "incident").sum()),
        Metric.MEAN_TIME_TO_DETECTION_H: round(float(delay.mean()), 3) if len(delay) else "—",
        Metric.MEAN_LEAD_TIME_H: round(float(lead.mean()), 3) if len(lead) else "—",
        Metric.P90_LEAD_TIME_H: round(float(lead.quantile(0.9)), 3) if len(lead) else "—",
        Metric.REFUNDS: int((sent["message_type"] == "RefundPaymentCommand").sum()),
        Metric.LATE_PAYMENTS_REFUNDED: order.late_payments,
        Metric.RETURNED_PICKS: int(facts["returned"].sum()),
        Metric.WASTED_PICKS: int(facts["wasted picks"].sum()),
        Metric.SHIPPED_AFTER_ORDER_ENDED: int((undelivered["shipped"] > 0).sum()),
        Metric.NET_CHARGE_OF_UNDELIVERED_ORDERS: round(float(undelivered["net charge"].sum()), 2),
        Metric.MONEY_CONSERVED: "yes" if retail.ledger.conserved else "no",
        Metric.MESSAGES: len(sent),
        Metric.BYTES_ON_BUS: int(sent["size"].sum()),
    }
