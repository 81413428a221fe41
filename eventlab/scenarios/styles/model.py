"""One day of the shop in one style: the services, the coordinator, the operator, the faults.

Both styles get the same world (seed), the same Kafka topics and consumer groups, the same
orders and fates, the same fault schedule and the same operator; only what coordinates the
services differs:

* **choreography**: Payment, Inventory and Shipping react to each other's events; a poisoned
  message is retried in place, then parked on the dead-letter topic, where Operations sees it
  and replays it once the fix is out; the process tracker (``tracking``) escalates late orders
  and cancels overdue ones through events;
* **orchestration**: the Order service's workflow engine commands the same services; a
  poisoned command is answered as failed, the engine retries with backoff, raises an
  incident, and the operator resolves it once the fix is out.

The clock runs in milliseconds (Kafka's unit); the config speaks in minutes and hours.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from eventlab.core.messages import Message
from eventlab.core.recording import record
from eventlab.core.world import World
from eventlab.domains.retail.fulfilment import FULFILMENT, SERVICES, Effects, Fate, draw_fate
from eventlab.domains.retail.order_engine import OrderEngine, fulfilment_process
from eventlab.domains.retail.process_tracker import ProcessTracker
from eventlab.domains.retail.reliable import (
    ReliableService,
    Retry,
    choreography_reactions,
    command_reactions,
)
from eventlab.domains.retail.shop import Order, ShopParams, make_orders
from eventlab.engines.workflow.definition import Element
from eventlab.engines.workflow.instance import Instance
from eventlab.engines.workflow.outbox import Outbox
from eventlab.scenarios.styles.config import HOUR, MINUTE, Config, Faults
from eventlab.scenarios.styles.kafka import DEAD_LETTERS, Endpoint, Kafka

STEP_OF = {name: step for step, name in SERVICES.items()}  # "Payment" -> "payment"
COORDINATOR = {"choreography": "Tracking", "orchestration": "Order"}


@dataclass
class Detection:
    """Somebody responsible was told about an order: when, how, and when they acted."""

    order: str
    at: float
    how: str  # "incident" or "parked"
    acted: float | None = None


@dataclass
class Day:
    """What one run built and what happened (the measurements read it)."""

    config: Config
    faults: Faults
    world: World
    kafka: Kafka
    orders: list[Order]
    fates: dict[str, Fate]
    effects: Effects
    services: dict[str, ReliableService]
    endpoints: dict[str, Endpoint]
    order: OrderEngine | None = None
    tracker: ProcessTracker | None = None
    detections: list[Detection] = field(default_factory=list)
    until: float = 0.0


class Model:
    """Builds one day (:meth:`build`), runs it (:meth:`run`)."""

    def __init__(self, config: Config, faults: Faults, *, operator: bool = True) -> None:
        # operator=False: nobody acts on an incident or a parked message on their own (a
        # learner does, through styles.live); the fix comes when fix() says so
        self.config, self.faults, self.operator = config, faults, operator
        self.incidents: dict[str, tuple[Instance, Detection]] = {}
        self.parked: dict[str, tuple[Message, Detection]] = {}
        world = World(config.seed)
        kafka = Kafka(world)
        params = ShopParams(orders=config.orders, interarrival=config.interarrival_minutes / 60,
                            seed=config.seed)
        orders = make_orders(params)
        fates = {o.order_id: draw_fate(config.seed, o.number, pay=config.pay_minutes * MINUTE,
                                       fetch=config.fetch_minutes * MINUTE,
                                       ship=config.ship_minutes * MINUTE,
                                       out_of_stock=config.out_of_stock) for o in orders}
        self.day = Day(config, faults, world, kafka, orders, fates, Effects(world), {}, {})
        self.poisoned = None if faults.poison_order is None or faults.poison_order > len(orders) \
            else orders[faults.poison_order - 1].order_id
        self.fix_at = None if faults.fix_at is None else faults.fix_at * HOUR
        self.ops: Outbox | None = None
        last = max((o.placed_at for o in orders), default=0.0) * HOUR
        self.day.until = last + (config.deadline_hours + 2.0) * HOUR

    # -- building -------------------------------------------------------------------------

    def build(self) -> Day:
        day, config = self.day, self.config
        world, kafka = day.world, day.kafka
        events = config.style == "choreography"
        reactions = choreography_reactions() if events else command_reactions()
        retry = Retry(config.tries, config.backoff_minutes * MINUTE, 2.0)
        for name, rows in reactions.items():
            service = ReliableService(
                world, name, STEP_OF[name], rows, style="events" if events else "commands",
                effects=day.effects, fates=day.fates, connect=kafka.connect(name),
                retry=retry, undo_time=config.pay_minutes * MINUTE, broken=self._broken(name),
                dead_letters=kafka.connect(f"{name} dead letters", DEAD_LETTERS)
                if events else None)
            day.services[name] = service
            day.endpoints[name] = Endpoint(kafka, name, service.consumes, service.receive)
        if events:
            self.ops = Outbox(world, "Operations outbox", kafka.connect("Operations"))
            day.endpoints["Operations"] = Endpoint(kafka, "Operations", None, self._parked,
                                                   topic=DEAD_LETTERS)
            if config.tracking:
                tracker = ProcessTracker(world, kafka.connect("Tracking"),
                                         sla=config.sla_hours * HOUR,
                                         deadline=config.deadline_hours * HOUR,
                                         period=config.tracker_minutes * MINUTE)
                day.tracker = tracker
                day.endpoints["Tracking"] = Endpoint(kafka, "Tracking", _events(),
                                                     tracker.receive)
        else:
            process = fulfilment_process(sla=config.sla_hours * HOUR,
                                         deadline=config.deadline_hours * HOUR,
                                         retries=config.tries)
            order = OrderEngine(world, kafka.connect("Order"), process,
                                retry_backoff=config.backoff_minutes * MINUTE,
                                backoff_factor=2.0,
                                job_timeout=config.job_timeout_hours * HOUR,
                                message_ttl=config.message_ttl_hours * HOUR,
                                on_incident=self._incident)
            day.order = order
            day.endpoints["Order"] = Endpoint(kafka, "Order", order.consumes, order.receive)
        world.env.process(self._checkout())
        self._schedule()
        return day

    def run(self) -> Day:
        day = self.build()
        day.world.env.run(until=day.until)
        return day

    # -- the checkout and the operator ----------------------------------------------------------

    def _checkout(self) -> Generator[simpy.Event, Any, None]:
        world, transport = self.day.world, self.day.kafka.transport
        for order in self.day.orders:
            yield world.env.timeout(max(0.0, order.placed_at * HOUR - world.now))
            transport.publish(world.event("OrderPlacedEvent", sender="Checkout",
                                          key=order.order_id, correlation_id=order.trace_id,
                                          payload=order.payload()))

    def _broken(self, service: str) -> Any:
        def broken(order: str, message: Message) -> bool:
            if service != self.faults.poison_service or order != self.poisoned:
                return False
            return self.fix_at is None or self.day.world.now < self.fix_at
        return broken

    def _incident(self, inst: Instance, el: Element) -> None:
        """The operator is paged; once the fix is out (and they had time), they resolve."""
        detection = Detection(str(inst.key), self.day.world.now, "incident")
        self.day.detections.append(detection)
        self.incidents[str(inst.key)] = (inst, detection)
        if self.operator and self.fix_at is not None:
            self.day.world.env.process(self._resolve(inst, detection))

    def _resolve(self, inst: Instance, detection: Detection) -> Generator[simpy.Event, Any, None]:
        world = self.day.world
        yield world.env.timeout(self._when_to_act() - world.now)
        self.resolve_now(inst, detection)

    def resolve_now(self, inst: Instance, detection: Detection) -> bool:
        """Resolve the instance's incident now (False: nothing open, the deadline cancelled
        it meanwhile)."""
        world, order = self.day.world, self.day.order
        if order is None or not inst.open_incidents:
            return False
        detection.acted = world.now
        record(world, "note", "Operator", case=inst.correlation_id, key=inst.key,
               entity=inst.id, value="resolved", detail="incident resolved")
        order.resolve(inst, retries=self.config.tries)
        return True

    def _parked(self, message: Message) -> None:
        """Operations reads the dead-letter topic: told now, replays after the fix."""
        detection = Detection(str(message.key), self.day.world.now, "parked")
        self.day.detections.append(detection)
        self.parked[str(message.key)] = (message, detection)
        if self.operator and self.fix_at is not None:
            self.day.world.env.process(self._replay(message, detection))

    def _replay(self, message: Message, detection: Detection
                ) -> Generator[simpy.Event, Any, None]:
        world = self.day.world
        yield world.env.timeout(self._when_to_act() - world.now)
        self.replay_now(message, detection)

    def replay_now(self, message: Message, detection: Detection) -> None:
        """Operations replays the parked message from the dead-letter topic now."""
        world = self.day.world
        detection.acted = world.now
        record(world, "note", "Operator", case=message.correlation_id, key=message.key,
               detail=f"{message.type} replayed from the dead-letter topic")
        assert self.ops is not None
        self.ops.append(message)

    def fix_now(self) -> None:
        """The fix for the poisoned message is out from now on."""
        self.fix_at = self.day.world.now

    def _when_to_act(self) -> float:
        now, fix = self.day.world.now, self.fix_at or 0.0
        return max(now, fix) + self.config.operator_minutes * MINUTE

    # -- faults -----------------------------------------------------------------------------

    def _schedule(self) -> None:
        f, env = self.faults, self.day.world.env
        if f.broker_at is not None:
            env.process(self._broker(f.broker_at * HOUR, f.broker_hours * HOUR))
        if f.consumer_at is not None:
            self.day.endpoints[f.consumer_service].crash_mid_batch(f.consumer_at * HOUR)
        if f.down_at is not None:
            env.process(self._down(f.down_service, f.down_at * HOUR, f.down_hours * HOUR))
        if f.coordinator_at is not None:
            env.process(self._coordinator(f.coordinator_at * HOUR,
                                          f.coordinator_minutes * MINUTE))

    def _broker(self, at: float, down: float) -> Generator[simpy.Event, Any, None]:
        cluster = self.day.kafka.cluster
        yield self.day.world.env.timeout(at)
        cluster.crash_broker(self.faults.broker)
        yield self.day.world.env.timeout(down)
        cluster.restart_broker(self.faults.broker)

    def _down(self, name: str, at: float, down: float) -> Generator[simpy.Event, Any, None]:
        env = self.day.world.env
        yield env.timeout(at)
        self.day.endpoints[name].crash_all()
        self.day.services[name].crash()
        yield env.timeout(down)
        self.day.services[name].restart()
        self.day.endpoints[name].restart()

    def _coordinator(self, at: float, down: float) -> Generator[simpy.Event, Any, None]:
        """The coordinator's relay crashes right after its next send at or after `at`
        (before it saves its checkpoint); with it the whole process goes down."""
        env, day = self.day.world.env, self.day
        yield env.timeout(at)
        coordinator = day.order if day.order is not None else day.tracker
        if coordinator is None:
            return  # an untracked choreography has no coordinator to crash
        outbox = coordinator.outbox
        outbox.crash_after_publish()
        yield outbox.next_crash()  # that send may never come: then neither does the crash
        day.endpoints[COORDINATOR[self.config.style]].crash_all()
        if coordinator.up:
            coordinator.crash()
        yield env.timeout(down)
        coordinator.restart()
        day.endpoints[COORDINATOR[self.config.style]].restart()


def _events() -> list[str]:
    return [n for n in FULFILMENT.names if FULFILMENT.kind(n) == "event"]
