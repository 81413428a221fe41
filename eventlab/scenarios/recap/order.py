"""The capstone's Order service (its process on its own engine) and the side-effect services."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from typing import Any

import simpy

from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.domains.retail.messages import RETAIL
from eventlab.domains.retail.services import Retail
from eventlab.domains.retail.shop import total_of
from eventlab.engines.workflow.definition import Element, Process
from eventlab.engines.workflow.engine import Engine
from eventlab.engines.workflow.instance import Instance, Job
from eventlab.engines.workflow.reactions import Action, Outcome, Work
from eventlab.scenarios.recap.choices import INTERACTIONS, STEPS
from eventlab.scenarios.recap.transport import Transport

MESSAGE_TTL = 1.0  # hours the Order keeps a reply that came before its token waits for it
RETRY_EVERY = 0.05


class OrderService:
    """The Order service: its process on its own engine; replies that come before the token
    waits are kept for an hour (like a workflow engine's message buffer)."""

    def __init__(self, world: World, bus: Transport, retail: Retail, process: Process) -> None:
        self.world, self.bus, self.retail = world, bus, retail
        self.engine = Engine(world, "Order", sender=self.send, record_discards=False)
        self.engine.deploy(process)
        self.engine.worker("refund-payment", self.refund)
        self.by_case: dict[str, Instance] = {}
        self.late_payments = 0
        awaited = sorted({e.message for e in process.elements
                          if e.kind in ("start", "receive") and e.message})
        world.env.process(self.listen(bus.subscribe("Order", awaited)))

    def publish(self, inst: Instance, message_type: str, payload: dict[str, Any]) -> None:
        self.bus.publish(RETAIL.make(self.world, message_type, sender="Order", key=inst.key,
                                            correlation_id=inst.correlation_id,
                                            payload=payload))

    def send(self, inst: Instance, el: Element) -> None:
        v, oid = inst.variables, str(inst.key)
        customer = v.get("customer", {})
        payloads: dict[str, dict[str, Any]] = {
            "RetrievePaymentCommand": {"refId": oid, "amount": total_of(v.get("items", []))},
            "FetchGoodsCommand": {"refId": oid, "items": v.get("items", [])},
            "ShipGoodsCommand": {"refId": oid, "pickId": v.get("pickId"),
                                 "recipientName": customer.get("name"),
                                 "recipientAddress": customer.get("address")},
            "SendNotificationCommand": {"refId": oid, "recipientName": customer.get("name")},
            "AddLoyaltyPointsCommand": {"refId": oid, "customer": customer.get("name")},
            "OrderCompletedEvent": {"orderId": oid},
        }
        self.publish(inst, str(el.message), payloads[str(el.message)])

    def refund(self, job: Job) -> dict[str, Any]:
        self.publish(job.instance, "RefundPaymentCommand", {"refId": job.instance.key})
        return {}

    def listen(self, inbox: simpy.Store) -> Generator[simpy.Event, Any, None]:
        while True:
            message: Message = yield inbox.get()
            self.offer(message, MESSAGE_TTL)

    def offer(self, message: Message, ttl: float) -> None:
        handled = self.engine.deliver(message)
        if handled == "started":
            self.by_case[str(message.correlation_id)] = self.engine.instances[-1]
            return
        if handled == "correlated":
            return
        inst = self.by_case.get(str(message.correlation_id))
        if inst is not None and inst.finished_as is None and ttl > 0:
            self.world.env.process(self._later(message, ttl))
            return
        self.world.trace.record("drop", self.world.now, "Order", message=message,
                                detail="no instance waits for it: discarded")
        if message.type == "PaymentReceivedEvent" and inst is not None:
            self.late_payments += 1  # the order is over: give the money back
            self.bus.publish(self.world.command(
                "RefundPaymentCommand", sender="Order", key=message.key, caused_by=message,
                payload={"refId": message.key, "reason": "payment arrived too late"}))

    def _later(self, message: Message, ttl: float) -> Generator[simpy.Event, Any, None]:
        yield self.world.env.timeout(RETRY_EVERY)
        self.offer(message, ttl - RETRY_EVERY)


class SideEffects:
    """Notification and Loyalty: they count what they did per order."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.done: dict[str, Counter[str]] = {STEPS[n].do: Counter()
                                              for n in INTERACTIONS[3:]}

    def actions(self) -> dict[str, Action]:
        return {do: self._action(do) for do in self.done}

    def _action(self, do: str) -> Action:
        def act(work: Work) -> Generator[simpy.Event, Any, Outcome]:
            yield self.world.env.timeout(0.1)
            oid = work.payload.get("orderId", work.payload.get("refId", work.cause.key))
            self.done[do][str(oid)] += 1
            return Outcome(True, {})
        return act
