"""The Order service of flowing-retail: ``order.bpmn`` on its own workflow engine.

Every notebook that orchestrates the shop runs this one service (notebook 10's order flow, the
capstone's orchestrated designs). It subscribes to the messages its process waits for, sends
what the process's send tasks and end events say with the companion code's payloads, and
adapts the two compensations (refund the payment, return the goods).

``message_ttl`` keeps a reply that arrives before the token waits for it (a workflow engine's
message buffer, as Zeebe's message time to live); 0 discards it at once, and the engine's own
trace row says so. A payment that arrives after its order has ended is refunded when
``refund_late_payments`` is on.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from eventlab.core.errors import check_bool, check_float
from eventlab.core.messages import Message
from eventlab.core.transport import Transport
from eventlab.core.world import World
from eventlab.domains.retail.messages import RETAIL
from eventlab.domains.retail.services import Retail
from eventlab.engines.workflow.definition import Element, Process
from eventlab.engines.workflow.engine import Engine
from eventlab.engines.workflow.instance import Instance, Job

RETRY_EVERY = 0.05  # hours between two offers of a buffered message


class OrderService:
    """The Order service: its process on its own engine, with the companion's adapters."""

    def __init__(self, world: World, bus: Transport, retail: Retail, process: Process, *,
                 message_ttl: float = 0.0, refund_late_payments: bool = True) -> None:
        self.world, self.bus, self.retail = world, bus, retail
        self.message_ttl = check_float("message_ttl", message_ttl, low=0.0)
        self.refund_late_payments = check_bool("refund_late_payments", refund_late_payments)
        self.late_payments = 0
        # With a buffer the service decides when a message is really discarded, so it
        # writes that row itself; without one the engine's discard row is the truth.
        self.engine = Engine(world, "Order", sender=self.send,
                             record_discards=self.message_ttl == 0.0)
        self.engine.deploy(process)
        self.engine.worker("refund-payment", self.refund)
        self.engine.worker("return-goods", self.give_back)
        self.by_case: dict[str, Instance] = {}
        awaited = sorted({e.message for e in process.elements
                          if e.kind in ("start", "receive") and e.message})
        world.env.process(self.listen(bus.subscribe("Order", awaited)))

    # -- what the process sends -------------------------------------------------------------

    def publish(self, inst: Instance, message_type: str, payload: dict[str, Any]) -> None:
        self.bus.publish(RETAIL.make(self.world, message_type, sender="Order", key=inst.key,
                                     correlation_id=inst.correlation_id, payload=payload))

    def send(self, inst: Instance, el: Element) -> None:
        """The payload the companion code puts into each message the Order sends."""
        v, oid = inst.variables, str(inst.key)
        customer = v.get("customer", {})
        payloads: dict[str, dict[str, Any]] = {
            "RetrievePaymentCommand": {"refId": oid, "reason": "order",
                                       "amount": self.retail.by_id[oid].total},
            "FetchGoodsCommand": {"refId": oid, "reason": "CustomerOrder",
                                  "items": v.get("items", [])},
            "ShipGoodsCommand": {"refId": oid, "pickId": v.get("pickId"),
                                 "logisticsProvider": "DHL",
                                 "recipientName": customer.get("name"),
                                 "recipientAddress": customer.get("address")},
            "SendNotificationCommand": {"refId": oid, "recipientName": customer.get("name")},
            "AddLoyaltyPointsCommand": {"refId": oid, "customer": customer.get("name")},
            "OrderCompletedEvent": {"orderId": oid},
        }
        self.publish(inst, str(el.message), payloads[str(el.message)])

    def refund(self, job: Job) -> dict[str, Any]:
        """Compensation of the payment: ask Payment to refund it."""
        self.publish(job.instance, "RefundPaymentCommand",
                     {"refId": job.instance.key, "amount": job.variables.get("amount")})
        return {}

    def give_back(self, job: Job) -> dict[str, Any]:
        """Compensation of the fetched goods: ask Inventory to put them back."""
        self.publish(job.instance, "ReturnGoodsCommand",
                     {"refId": job.instance.key, "pickId": job.variables.get("pickId")})
        return {}

    # -- what it receives -------------------------------------------------------------------

    def listen(self, inbox: simpy.Store) -> Generator[simpy.Event, Any, None]:
        while True:
            message: Message = yield inbox.get()
            self.offer(message, self.message_ttl)

    def offer(self, message: Message, ttl: float) -> None:
        """Hand `message` to the engine; keep it for `ttl` more hours if nobody waits yet."""
        handled = self.engine.deliver(message)
        if handled == "started":
            self.by_case[str(message.correlation_id)] = self.engine.instances[-1]
            return
        if handled == "correlated":
            return
        inst = self.by_case.get(str(message.correlation_id))
        if self.message_ttl > 0.0:
            if inst is not None and inst.finished_as is None and ttl > 0:
                self.world.env.process(self._later(message, ttl))
                return
            self.world.trace.record("drop", self.world.now, "Order", message=message,
                                    detail="no instance waits for it: discarded")
            if inst is None:
                return  # a reply for an order this service never started
        if message.type == "PaymentReceivedEvent" and self.refund_late_payments:
            self.late_payments += 1  # the order is over: give the money back
            self.bus.publish(self.world.command(
                "RefundPaymentCommand", sender="Order", key=message.key, caused_by=message,
                payload={"refId": message.key, "reason": "payment arrived too late"}))

    def _later(self, message: Message, ttl: float) -> Generator[simpy.Event, Any, None]:
        yield self.world.env.timeout(RETRY_EVERY)
        self.offer(message, ttl - RETRY_EVERY)
