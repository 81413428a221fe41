"""The flowing-retail services every retail scenario runs, whatever wires them together.

:class:`Retail` holds one run's shop (orders, fates, ledger) and offers the services' work as
actions for :class:`~eventlab.engines.workflow.reactions.Reactor` rules:

* ``retrieve payment``: Payment runs its own long-running workflow
  (:func:`~eventlab.domains.retail.processes.payment_process`) on a local engine: credit first, then
  the card; a declined card asks the Customer to update it and waits up to 7 days. The
  action answers when that local instance ends (maybe days later), "local orchestration";
  A technical failure of the card service is retried, then becomes an incident that an
  operator resolves after ``operator_hours`` (0: never);
* ``refund payment`` (idempotent: refunds what the merchant still holds for the order);
* ``fetch goods`` / ``return goods`` (Inventory) and ``ship goods`` (Shipping, "DHL").

The Checkout publishes each ``OrderPlacedEvent`` at the order's time. Times are hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Iterable
from typing import Any

import pandas as pd
import simpy

from eventlab.core.bus import Bus
from eventlab.core.errors import ConfigError
from eventlab.core.messages import Message
from eventlab.core.recording import record
from eventlab.core.world import World
from eventlab.domains.retail.messages import RETAIL
from eventlab.domains.retail.processes import payment_process
from eventlab.domains.retail.shop import (
    CARD_LIMIT,
    MERCHANT,
    Fault,
    Ledger,
    Order,
    ShopParams,
    draw_fate,
    make_orders,
    total_of,
)
from eventlab.engines.workflow.definition import Element
from eventlab.engines.workflow.engine import Engine
from eventlab.engines.workflow.instance import Instance, Job, JobFailed
from eventlab.engines.workflow.reactions import Action, Outcome, Work

# The action that a silent drop at each service hits (the order's main message there).
DROPPED_ACTION = {"retrieve payment": "payment", "fetch goods": "inventory",
                  "ship goods": "shipping"}
Steps = Generator[simpy.Event, Any, Any]


class Retail:
    """One run's shop and the Payment, Inventory, Shipping, Checkout and Customer behaviour."""

    def __init__(self, world: World, bus: Bus, params: ShopParams,
                 faults: Iterable[Fault] = ()) -> None:
        if not isinstance(params, ShopParams):
            raise TypeError(f"params must be a ShopParams config, got {type(params).__name__}")
        faults = tuple(faults)
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"faults must be Fault objects, got {fault!r}")
            if fault.order > params.orders:
                raise ConfigError(f"fault {fault} is for order {fault.order}, but only "
                                  f"{params.orders} orders are placed")
        self.world, self.bus, self.params = world, bus, params
        self.orders = make_orders(params)
        self.by_id = {o.order_id: o for o in self.orders}
        self.fates = {o.order_id: draw_fate(params, o.number, faults) for o in self.orders}
        self.ledger = Ledger(world)
        for order in self.orders:
            self.ledger.open(f"credit:{order.customer}", order.credit)
            self.ledger.open(f"card:{order.customer}", CARD_LIMIT)
        self.picks: Counter[str] = Counter()
        self.returns: Counter[str] = Counter()
        self.shipments: Counter[str] = Counter()
        self.payments: dict[str, Instance] = {}
        self._errors = {oid: fate.errors for oid, fate in self.fates.items()}
        self._charges: Counter[str] = Counter()
        self._asks: Counter[str] = Counter()
        self.payment = Engine(world, "Payment", sender=self._payment_sends,
                              on_incident=self._page_operator)
        self.payment.deploy(payment_process(card_update_hours=params.card_update_timer))
        self.payment.worker("deduct-credit", self._deduct)
        self.payment.worker("charge-card", self._charge)
        self.payment.worker("restore-credit", self._restore)
        world.env.process(self._forward(bus.subscribe("Payment", ["CreditCardUpdated"])))
        world.env.process(self._customer(bus.subscribe("Customer", ["UpdateCreditCardCommand"])))

    # -- wiring helpers -----------------------------------------------------------------------

    def actions(self) -> dict[str, Action]:
        """The services' work by name, for a rule table."""
        return {"retrieve payment": self.retrieve_payment, "refund payment": self.refund_payment,
                "fetch goods": self.fetch_goods, "return goods": self.return_goods,
                "ship goods": self.ship_goods}

    def drop(self, work: Work) -> bool:
        """Whether the service silently loses this message (the order's fate says so)."""
        step = DROPPED_ACTION.get(work.rule.do)
        return step is not None and step in self.fates[self.order_of(work).order_id].drops

    def order_of(self, work: Work) -> Order:
        """The order a message is about (``orderId`` in events, ``refId`` in commands)."""
        order_id = work.payload.get("orderId", work.payload.get("refId", work.cause.key))
        return self.by_id[str(order_id)]

    def checkout(self) -> None:
        """Start the Checkout: it publishes every order's ``OrderPlacedEvent`` on time."""
        self.world.env.process(self._checkout())

    def _checkout(self) -> Steps:
        for order in self.orders:
            yield self.world.env.timeout(max(0.0, order.placed_at - self.world.now))
            self.bus.publish(self.world.event(
                "OrderPlacedEvent", sender="Checkout", key=order.order_id,
                correlation_id=order.trace_id, payload=order.payload()))

    # -- actions --------------------------------------------------------------------------

    def retrieve_payment(self, work: Work) -> Steps:
        """Run payment's local workflow for the order; succeed when it ends as received."""
        order = self.order_of(work)
        # bad smell 3 in the choreography: without a command, payment computes the total
        amount = int(work.payload.get("amount", total_of(work.payload.get("items", []))))
        inst = self.payment.start("payment", correlation_id=work.correlation_id,
                                  key=order.order_id,
                                  variables={"orderId": order.order_id, "amount": amount})
        self.payments[order.order_id] = inst
        yield inst.done
        if inst.outcome == "Payment received":
            return Outcome(True, {"paymentId": inst.id})
        return Outcome(False, {"reason": inst.outcome or "unknown"})

    def refund_payment(self, work: Work) -> Steps:
        """Give back whatever the merchant still holds for the order (idempotent)."""
        order = self.order_of(work)
        yield self.world.env.timeout(self.fates[order.order_id].pay_hours)
        refunded = 0
        for account, cents in self.ledger.held_for(order).items():
            if cents > 0:
                self.ledger.transfer(MERCHANT, account, cents, order=order,
                                     reason="payment refunded")
                refunded += cents
        return Outcome(True, {"refunded": refunded})

    def fetch_goods(self, work: Work) -> Steps:
        """Pick the order's items."""
        order = self.order_of(work)
        yield self.world.env.timeout(self.fates[order.order_id].pick_hours)
        self.picks[order.order_id] += 1
        return Outcome(True, {"pickId": f"pick-{order.number:04d}"})

    def return_goods(self, work: Work) -> Steps:
        """Put a pick back on the shelf (idempotent: only what was picked and not returned)."""
        order = self.order_of(work)
        yield self.world.env.timeout(0.0)
        if self.picks[order.order_id] > self.returns[order.order_id]:
            self.returns[order.order_id] += 1
        return Outcome(True, {})

    def ship_goods(self, work: Work) -> Steps:
        """Hand the goods to the logistics provider."""
        order = self.order_of(work)
        yield self.world.env.timeout(self.fates[order.order_id].ship_hours)
        self.shipments[order.order_id] += 1
        return Outcome(True, {"shipmentId": f"shipment-{order.number:04d}",
                              "logisticsProvider": "DHL"})

    # -- payment's local workflow -----------------------------------------------------------

    def _deduct(self, job: Job) -> dict[str, Any]:
        order = self.by_id[job.variables["orderId"]]
        amount = int(job.variables["amount"])
        used = min(self.ledger.balances[f"credit:{order.customer}"], amount)
        self.ledger.transfer(f"credit:{order.customer}", MERCHANT, used, order=order,
                             reason="customer credit used")
        return {"credit_used": used, "paid_in_full": used >= amount}

    def _charge(self, job: Job) -> Steps:
        order = self.by_id[job.variables["orderId"]]
        fate = self.fates[order.order_id]
        yield self.world.env.timeout(fate.pay_hours)
        if self._errors[order.order_id] > 0:
            self._errors[order.order_id] -= 1
            raise JobFailed("card service not reachable")
        attempt = self._charges[order.order_id]
        self._charges[order.order_id] += 1
        if attempt < len(fate.declines):
            return {"card_ok": False}
        rest = int(job.variables["amount"]) - int(job.variables["credit_used"])
        self.ledger.transfer(f"card:{order.customer}", MERCHANT, rest, order=order,
                             reason="credit card charged")
        return {"card_ok": True}

    def _restore(self, job: Job) -> dict[str, Any]:
        order = self.by_id[job.variables["orderId"]]
        account = f"credit:{order.customer}"
        held = self.ledger.held_for(order).get(account, 0)
        cents = min(int(job.variables.get("credit_used", 0)), max(held, 0))
        if cents:
            self.ledger.transfer(MERCHANT, account, cents, order=order,
                                 reason="customer credit restored")
        return {}

    def _payment_sends(self, inst: Instance, el: Element) -> None:
        if el.kind == "end":
            return  # the end's message is the service's reply, sent by retrieve_payment's rule
        message_type = str(el.message)
        self.bus.publish(RETAIL.make(self.world, message_type, sender="Payment", key=inst.key,
                                            correlation_id=inst.correlation_id,
                                            payload={"orderId": inst.variables["orderId"]}))

    def _page_operator(self, inst: Instance, el: Element) -> None:
        if self.params.operator_hours > 0:
            self.world.env.process(self._operate(inst, el))

    def _operate(self, inst: Instance, el: Element) -> Steps:
        yield self.world.env.timeout(self.params.operator_hours)
        if inst.open_incidents:
            record(self.world, "note", "Operator", case=inst.correlation_id, key=inst.key,
                   entity=inst.id, value="resolved", detail=f"retries '{el.name}' again")
            self.payment.resolve(inst, retries=el.retries)

    def _forward(self, inbox: simpy.Store) -> Steps:
        while True:
            message: Message = yield inbox.get()
            self.payment.deliver(message)

    def _customer(self, inbox: simpy.Store) -> Steps:
        while True:
            ask: Message = yield inbox.get()
            order_id = str(ask.key)
            declines = self.fates[order_id].declines
            index = self._asks[order_id]
            self._asks[order_id] += 1
            if index < len(declines) and declines[index] != float("inf"):
                self.world.env.process(self._update_card(ask, declines[index]))

    def _update_card(self, ask: Message, hours: float) -> Steps:
        yield self.world.env.timeout(hours)
        self.bus.publish(self.world.event("CreditCardUpdated", sender="Customer", key=ask.key,
                                          caused_by=ask, payload=dict(ask.payload)))

    # -- reading --------------------------------------------------------------------------

    def facts(self) -> pd.DataFrame:
        """One row per order: what really happened to goods and money (ground truth)."""
        rows = []
        for order in self.orders:
            oid = order.order_id
            payment = self.payments.get(oid)
            picked, returned, shipped = self.picks[oid], self.returns[oid], self.shipments[oid]
            rows.append({
                "order": oid, "trace": order.trace_id, "vip": order.vip,
                "placed": order.placed_at, "total": order.total / 100,
                "payment": payment.outcome or payment.status if payment else "never started",
                "net charge": self.ledger.net_charge(order) / 100, "picked": picked,
                "returned": returned, "shipped": shipped,
                "wasted picks": max(0, picked - returned - shipped)})
        return pd.DataFrame(rows)
