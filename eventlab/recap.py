"""The capstone of the workbook: one shop, every choice of the talk, and the scorecard it earns.

A learner decides, and each decision changes what runs (nothing is looked up in a table):

* per interaction (``payment``, ``inventory``, ``shipping``, ``notification``, ``loyalty``):
  ``command`` or ``event``. A command is sent by whoever owns the step (the Order service
  when the flow is orchestrated, the previous service in a choreography) and the receiver
  offers it as its API; an event is a fact the service subscribes to on its own. The
  :class:`~eventlab.choreography.wiring.Wiring` built from the choices runs the services and
  counts who depends on whom;
* ``coordination``: ``orchestration`` (the Order service runs a process built from the
  choices on its own workflow engine, with the companion code's timers: 20 days for the
  payment, 12 hours for the goods, 24 hours for the shipment, and a refund as
  compensation) or ``choreography`` (no owner: services react to each other);
* ``outbox``: off means every service writes its database, then publishes, and a crash in
  between (``crash_rate``) loses the message; on means the message is stored with the
  change, a relay publishes it (every ``relay_interval``), a relay crash publishes it twice,
  and every consumer keeps an inbox of processed message ids that drops the duplicate;
* ``partitions``: the topic's partition count. The key (the order id) picks the partition;
  every consuming service reads each partition with one consumer that handles one message
  at a time (``handling`` hours each), so fewer partitions mean more waiting (consumer lag).

The run faces a fault schedule (``schedule``; ``bad_day``: dropped messages at Payment,
Inventory, Shipping and Notification, a card that is never updated, a late card update, a
40-hour shipping delay, a card service that fails five times) plus the random crashes.
:func:`run` returns a :class:`RecapResult` with the scorecard; :func:`compare` puts several
choices side by side on the same seeded orders. :func:`slide_map` loads
``data/slide_map.csv``: every slide of the talk and the notebook section that shows it.
Times are hours.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
import simpy

from eventlab.choreography.wiring import Wiring
from eventlab.config import param
from eventlab.errors import ConfigError, check_choice
from eventlab.graphs import Diagram
from eventlab.kafka.partitioner import partition_for
from eventlab.messages import Message
from eventlab.monitoring.cases import message_log
from eventlab.results import RunResult
from eventlab.workbook import NOTEBOOKS
from eventlab.workflow.bus import Bus
from eventlab.workflow.definition import (
    Element,
    FlowLike,
    Process,
    boundary,
    end,
    receive,
    send,
    start,
    throw,
)
from eventlab.workflow.engine import Engine
from eventlab.workflow.instance import Instance, Job
from eventlab.workflow.orders import duration
from eventlab.workflow.picture import ProcessDiagram, counts_from_trace, diagram
from eventlab.workflow.reactions import Action, Outcome, Rule, Work, on
from eventlab.workflow.services import Retail
from eventlab.workflow.shop import Fault, ShopParams, total_of
from eventlab.world import World

INTERACTIONS: tuple[str, ...] = ("payment", "inventory", "shipping", "notification", "loyalty")
CRITICAL: tuple[str, ...] = INTERACTIONS[:3]
KINDS: tuple[str, ...] = ("command", "event")
COORDINATIONS: tuple[str, ...] = ("orchestration", "choreography")
SCHEDULES: tuple[str, ...] = ("bad_day", "none")
HUMANS = ("Customer",)  # people click buttons; they have no database to crash between writes
MESSAGE_TTL = 1.0  # hours the Order keeps a reply that came before its token waits for it
RETRY_EVERY = 0.05


@dataclass(frozen=True, slots=True)
class Step:
    """One interaction of the order: who does it, and the messages either way triggers it."""

    service: str
    do: str
    command: str
    done: str
    after: str  # the fact the service reacts to when it is triggered by an event
    name: str  # how the Order's process names the step
    hours: float | None  # the Order's timer on the step (None: the side-effect timer)
    late: str  # the end event when the timer fires


STEPS: dict[str, Step] = {
    "payment": Step("Payment", "retrieve payment", "RetrievePaymentCommand",
                    "PaymentReceivedEvent", "OrderPlacedEvent", "payment", 480.0,
                    "Order canceled"),
    "inventory": Step("Inventory", "fetch goods", "FetchGoodsCommand", "GoodsFetchedEvent",
                      "PaymentReceivedEvent", "goods", 12.0, "Goods not fetched in time"),
    "shipping": Step("Shipping", "ship goods", "ShipGoodsCommand", "GoodsShippedEvent",
                     "GoodsFetchedEvent", "shipment", 24.0, "Goods not shipped in time"),
    "notification": Step("Notification", "notify customer", "SendNotificationCommand",
                         "CustomerNotifiedEvent", "OrderCompletedEvent", "notification", None,
                         "Notification not confirmed in time"),
    "loyalty": Step("Loyalty", "add loyalty points", "AddLoyaltyPointsCommand",
                    "LoyaltyPointsAddedEvent", "OrderCompletedEvent", "loyalty points", None,
                    "Loyalty points not confirmed in time"),
}
# Who is "the previous service" of a step in a choreography (it sends the step's command).
PREVIOUS = {"payment": "Checkout", "inventory": "payment", "shipping": "inventory",
            "notification": "shipping", "loyalty": "shipping"}

# A bad day: (order, service step, fault kind, value), as eventlab.workflow.Fault takes them,
# and the orders whose side-effect message the Notification or Loyalty service drops.
BAD_DAY: tuple[Fault, ...] = (
    Fault(3, "payment", "drop"), Fault(8, "inventory", "drop"), Fault(13, "shipping", "drop"),
    Fault(24, "payment", "decline", 0.0), Fault(34, "payment", "decline", 30.0),
    Fault(55, "shipping", "slow", 40.0), Fault(89, "payment", "error", 5.0),
)
BAD_DAY_SIDE: dict[str, tuple[int, ...]] = {"notify customer": (5, 42),
                                           "add loyalty points": (42,)}


def _kind(default: str, what: str) -> Any:
    return param(default, choices=KINDS, help=f"how {what} is triggered: a command from the "
                                              "step's owner, or an event it reacts to")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(ShopParams):
    """The learner's choices, the shop they face and the faults of the day (hours)."""

    coordination: str = param("orchestration", choices=COORDINATIONS,
                              help="the Order service owns the flow, or nobody does")
    payment: str = _kind("command", "the payment")
    inventory: str = _kind("command", "fetching the goods")
    shipping: str = _kind("command", "shipping")
    notification: str = _kind("event", "the customer notification")
    loyalty: str = _kind("event", "booking loyalty points")
    outbox: bool = param(True, help="store each message with the change and relay it "
                                    "(consumers drop duplicates), instead of a dual write")
    partitions: int = param(4, low=1, high=32, help="partitions of the topic (one consumer "
                                                    "per partition and service)")
    schedule: str = param("bad_day", choices=SCHEDULES, help="the fault schedule of the day")
    crash_rate: float = param(0.03, low=0.0, high=0.5, step=0.01,
                              help="probability that a service crashes between its commit "
                                   "and its publish (with the outbox: the relay, between "
                                   "publish and checkpoint)")
    relay_interval: float = param(0.05, low=0.01, high=5.0, step=0.01,
                                  help="hours between two polls of an outbox relay")
    handling: float = param(0.2, low=0.0, high=2.0, step=0.01,
                            help="hours a consumer needs per message (it calls a slow "
                                 "backend)")
    side_timer: float = param(24.0, low=0.5, high=500.0, step=0.5,
                              help="hours the Order waits for a side effect it commands")
    orders: int = param(100, low=1, high=2000, help="orders placed at the checkout")
    interarrival: float = param(0.25, low=0.01, high=240.0, step=0.01,
                                help="mean hours between two orders")
    drop_payment: float = param(0.0, low=0.0, high=1.0, step=0.01,
                                help="probability that payment silently drops an order "
                                     "(on top of the schedule)")
    drop_inventory: float = param(0.0, low=0.0, high=1.0, step=0.01,
                                  help="probability that inventory silently drops an order "
                                       "(on top of the schedule)")
    drop_shipping: float = param(0.0, low=0.0, high=1.0, step=0.01,
                                 help="probability that shipping silently drops an order "
                                      "(on top of the schedule)")

    def kind_of(self, interaction: str) -> str:
        """``command`` or ``event``: how `interaction` is triggered."""
        check_choice("interaction", interaction, INTERACTIONS)
        return str(getattr(self, interaction))

    @property
    def orchestrated(self) -> bool:
        """Whether the Order service runs the flow on its workflow engine."""
        return self.coordination == "orchestration"


# -- the wiring and the Order's process, built from the choices ---------------------------


def wiring(config: Config) -> Wiring:
    """The services, what triggers each of them and what they emit, as the choices say."""
    _check(config)
    rules: list[Rule] = []
    sources = {"OrderPlacedEvent": "Checkout"}
    orchestrators: dict[str, Process] = {}
    if config.orchestrated:
        sources["RefundPaymentCommand"] = "Order"  # sent by the compensation
        orchestrators["Order"] = order_process(config)
        rules.append(on("RefundPaymentCommand", service="Payment", do="refund payment"))
    elif config.payment == "command":
        sources["RetrievePaymentCommand"] = "Checkout"
    for name in INTERACTIONS:
        step = STEPS[name]
        trigger = step.command if config.kind_of(name) == "command" else step.after
        side = name not in CRITICAL
        emits = [] if side and not (config.orchestrated and config.kind_of(name) == "command") \
            else [step.done]
        if not config.orchestrated:
            if name == "shipping":
                emits.append("OrderCompletedEvent")  # "as nobody else can" (bad smell)
            emits += [STEPS[n].command for n in INTERACTIONS
                      if PREVIOUS[n] == name and config.kind_of(n) == "command"]
        rules.append(on(trigger, service=step.service, do=step.do, emit=emits))
    label = f"{config.coordination}: " + ", ".join(
        f"{n} by {config.kind_of(n)}" for n in INTERACTIONS)
    return Wiring(label, tuple(rules), sources, orchestrators)


def order_process(config: Config) -> Process:
    """The Order's process for these choices: a command step sends and waits, an event step
    only waits for the fact; every critical wait has the companion code's timer, a side
    effect the Order commands has `side_timer` (a late one ends without undoing anything)."""
    elements: list[Element] = [start("placed", "Order placed", message="OrderPlacedEvent")]
    flows: list[FlowLike] = []
    source = "placed"
    for name in INTERACTIONS:
        step = STEPS[name]
        command = config.kind_of(name) == "command"
        if name == "notification":
            elements.append(throw("completed", "Order completed", message="OrderCompletedEvent"))
            flows.append((source, "completed"))
            source = "completed"
        if name not in CRITICAL and not command:
            continue
        if command:
            elements.append(send(f"{name}_send", f"Request {step.name}", message=step.command))
            flows.append((source, f"{name}_send"))
            source = f"{name}_send"
        hours = step.hours if step.hours is not None else config.side_timer
        undo = "refund-payment" if name == "payment" else None
        stop = end(f"{name}_late", step.late, compensate=True) if name in CRITICAL else \
            end(f"{name}_late", step.late, terminate=True)
        elements += [receive(f"{name}_done", f"Wait for {step.name}", message=step.done,
                             compensation=undo),
                     boundary(f"{name}_timer", duration(hours), attached_to=f"{name}_done",
                              hours=hours), stop]
        flows += [(source, f"{name}_done"), (f"{name}_timer", stop.id)]
        source = f"{name}_done"
    elements.append(end("delivered", "Order delivered"))
    flows.append((source, "delivered"))
    return Process("order", "Order", elements, flows)


def _check(config: Any) -> Config:
    if not isinstance(config, Config):
        raise TypeError(f"config must be a recap.Config, got {type(config).__name__}")
    return config


# -- the transport: partitions, consumers, outbox and inbox --------------------------------


class Transport(Bus):
    """The topic with partitions, one consumer per (service, partition), and either a dual
    write (a crash loses the message) or an outbox with a relay and inboxes."""

    def __init__(self, world: World, config: Config) -> None:
        super().__init__(world, latency=config.latency)
        self.config = config
        self._crash = world.rng("recap/crash")
        self._outboxes: dict[str, list[Message]] = {}
        self._wake: dict[str, simpy.Event] = {}
        self._lanes: dict[tuple[str, int], simpy.Store] = {}
        self._seen: dict[str, set[str]] = {}
        self.counts: Counter[str] = Counter()
        self.waits: list[float] = []

    def publish(self, message: Message) -> None:
        """A service's write: dual write (maybe lost) or into its outbox."""
        sender = message.sender
        if self.config.outbox and sender not in HUMANS:
            pending = self._outboxes.get(sender)
            if pending is None:
                pending = self._outboxes[sender] = []
                self.world.env.process(self._relay(sender, pending))
            pending.append(message)
            wake = self._wake.get(sender)
            if wake is not None and not wake.triggered:
                wake.succeed()
            return
        if sender not in HUMANS and self._crash.random() < self.config.crash_rate:
            self.counts["lost"] += 1
            self.world.trace.record("fault", self.world.now, sender, message=message,
                                    detail="crashed after the commit, before the publish: "
                                           f"{message.type} is lost")
            return
        super().publish(message)

    def _relay(self, sender: str, pending: list[Message]
               ) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        while True:
            if not pending:
                self._wake[sender] = env.event()
                yield self._wake[sender]
            yield env.timeout(self.config.relay_interval)  # the relay's next poll
            while pending:
                message = pending[0]
                super().publish(message)
                if self._crash.random() < self.config.crash_rate:
                    self.counts["republished"] += 1
                    self.world.trace.record("fault", self.world.now, f"{sender} relay",
                                            message=message, detail="relay crashed after the "
                                            "publish, before saving its checkpoint")
                    break  # the row stays in the outbox: the next poll publishes it again
                pending.pop(0)

    def _arrive(self, message: Message, actor: str, inbox: simpy.Store) -> None:
        if self.config.outbox:
            seen = self._seen.setdefault(actor, set())
            if message.message_id in seen:
                self.counts["ignored"] += 1
                self.world.trace.record("drop", self.world.now, actor, message=message,
                                        detail="duplicate: the inbox has processed it already")
                return
            seen.add(message.message_id)
        partition = partition_for(message.key or message.correlation_id or message.message_id,
                                  self.config.partitions)
        lane = self._lanes.get((actor, partition))
        if lane is None:
            lane = self._lanes[(actor, partition)] = simpy.Store(self.world.env)
            self.world.env.process(self._consume(actor, partition, lane))
        lane.put((message, inbox, self.world.now))

    def _consume(self, actor: str, partition: int, lane: simpy.Store
                 ) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        while True:
            message, inbox, arrived = yield lane.get()
            self.waits.append(self.world.now - arrived)
            if self.config.handling:
                yield env.timeout(self.config.handling)
            self.world.trace.record("deliver", self.world.now, actor, target=message.sender,
                                    message=message, channel=self.name, partition=partition)
            inbox.put(message)


# -- the Order service and the side effects ------------------------------------------------


class _Order:
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
        make = self.world.command if message_type.endswith("Command") else self.world.event
        self.bus.publish(make(message_type, sender="Order", key=inst.key,
                              correlation_id=inst.correlation_id, payload=payload))

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


class _SideEffects:
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


def faults(config: Config) -> tuple[Fault, ...]:
    """The day's scheduled faults at Payment, Inventory and Shipping (for the orders placed)."""
    if config.schedule == "none":
        return ()
    return tuple(f for f in BAD_DAY if f.order <= config.orders)


def side_drops(config: Config) -> dict[str, tuple[int, ...]]:
    """The orders whose message Notification or Loyalty silently drops today."""
    if config.schedule == "none":
        return dict.fromkeys(BAD_DAY_SIDE, ())
    return {do: tuple(n for n in orders if n <= config.orders)
            for do, orders in BAD_DAY_SIDE.items()}


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


# -- running and reading -------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class RecapResult(RunResult):
    """A run of the learner's choices: trace, scorecard, ground truth per order."""

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
        return self.design.diagram(self.trace)

    def dependencies(self) -> pd.DataFrame:
        """Who depends on whom under these choices, and why."""
        assert self.design is not None
        return self.design.dependencies()

    def process(self) -> ProcessDiagram:
        """The Order's process built from the choices, with token counts (orchestration)."""
        if not self.config.orchestrated:
            raise ConfigError("coordination='choreography' has no Order process: nobody owns "
                              "the flow; use graph()")
        process = order_process(self.config)
        return diagram(process, counts_from_trace(self.trace, process, actor="Order"),
                       title=f"Order, as the choices build it ({self.config.coordination})")

    def outcomes(self) -> pd.DataFrame:
        """How the orders ended (ground truth) and whether somebody noticed."""
        counts = self.facts.groupby(["outcome", "noticed"], sort=False).size()
        return counts.rename("orders").reset_index()


def run(config: Config | None = None) -> RecapResult:
    """Run the day with these choices (same seed, same orders and faults, same run)."""
    config = _check(config or Config())
    world = World(config.seed)
    bus = Transport(world, config)
    retail = Retail(world, bus, config, faults(config))
    design = wiring(config)
    side = _SideEffects(world)
    dropped = {do: {f"order-{n:04d}" for n in numbers}
               for do, numbers in side_drops(config).items()}

    def drop(work: Work) -> bool:
        if work.rule.do in dropped:
            return retail.order_of(work).order_id in dropped[work.rule.do]
        return retail.drop(work)

    design.install(world, bus, {**retail.actions(), **side.actions()}, drop=drop)
    order = _Order(world, bus, retail, design.orchestrators["Order"]) \
        if config.orchestrated else None
    world.env.process(_checkout(world, bus, retail,
                                not config.orchestrated and config.payment == "command"))
    world.env.run()
    trace = world.trace.to_frame()
    facts = _facts(trace, retail, side, config)
    return RecapResult(config, trace, _metrics(trace, facts, retail, bus, design, order),
                       facts=facts, design=design)


def _facts(trace: pd.DataFrame, retail: Retail, side: _SideEffects,
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


def _metrics(trace: pd.DataFrame, facts: pd.DataFrame, retail: Retail, bus: Transport,
             design: Wiring, order: _Order | None) -> dict[str, Any]:
    missing = facts[facts["outcome"] != "delivered"]
    lead = facts["lead time (h)"].dropna()
    delay = facts.loc[facts["outcome"] != "delivered", "time to detection (h)"].dropna()
    sides = facts[facts["side effect missing"]]
    sent = trace[trace["kind"] == "send"]
    waits = pd.Series(bus.waits, dtype="float64")
    return {
        "orders": len(facts),
        "orders delivered": int((facts["outcome"] == "delivered").sum()),
        "not delivered, noticed": int(missing["noticed"].sum()),
        "not delivered, nobody noticed": int((~missing["noticed"]).sum()),
        "mean time to detection (h)": round(float(delay.mean()), 1) if len(delay) else "—",
        "side effect missing, noticed by Order": int(sides["noticed"].sum()),
        "side effect missing, nobody noticed": int((~sides["noticed"]).sum()),
        "messages lost (crash before publish)": bus.counts["lost"],
        "duplicates published (relay crash)": bus.counts["republished"],
        "duplicates dropped by inboxes": bus.counts["ignored"],
        "mean lead time (h)": round(float(lead.mean()), 2) if len(lead) else "—",
        "p90 lead time (h)": round(float(lead.quantile(0.9)), 2) if len(lead) else "—",
        "max consumer lag (h)": round(float(waits.max()), 2) if len(waits) else 0.0,
        "wasted picks": int(facts["wasted picks"].sum()),
        "money kept for undelivered orders": round(float(missing["net charge"].sum()), 2),
        "late payments refunded": order.late_payments if order else 0,
        "money conserved": "yes" if retail.ledger.conserved else "no",
        "dependencies (A knows B)": len(design.dependencies()),
        "messages": len(sent),
    }


SCORECARD_ROWS: tuple[str, ...] = (
    "orders delivered", "not delivered, noticed", "not delivered, nobody noticed",
    "mean time to detection (h)", "side effect missing, noticed by Order",
    "side effect missing, nobody noticed", "messages lost (crash before publish)",
    "duplicates dropped by inboxes", "mean lead time (h)", "p90 lead time (h)",
    "max consumer lag (h)", "wasted picks", "money kept for undelivered orders",
    "dependencies (A knows B)", "messages")


def compare(configs: Mapping[str, Config]) -> pd.DataFrame:
    """Several sets of choices side by side (columns), the main measures as rows. Give them
    the same seed and shop so they face the same orders and the same faults."""
    if not isinstance(configs, Mapping) or not configs:
        raise TypeError(f"configs must be a dict of name -> recap.Config, got {configs!r}")
    columns = {}
    for name, config in configs.items():
        result = run(_check(config))
        columns[str(name)] = pd.Series({k: result.metrics[k] for k in SCORECARD_ROWS},
                                       dtype=object)
    return pd.DataFrame(columns).rename_axis("metric")


def choices(config: Config) -> pd.DataFrame:
    """What each choice set up: per interaction its trigger, who sends it, who waits."""
    design = wiring(_check(config))
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


def view(result: RecapResult) -> tuple[Diagram, pd.DataFrame]:
    """What the interactive panel shows: the wiring with counts, and the scorecard."""
    return result.graph(), result.scorecard()


def rerun() -> None:
    """What notebook 11's panel does on each change (for the benchmark table): 40 orders."""
    graph, table = view(run(Config(orders=40)))
    graph.svg()
    table.to_html()


PRESETS: dict[str, dict[str, Any]] = {
    "event chain": {"coordination": "choreography", "payment": "event", "inventory": "event",
                    "shipping": "event", "notification": "event", "loyalty": "event",
                    "outbox": False, "partitions": 1},
    "commands everywhere": {"coordination": "orchestration", "notification": "command",
                            "loyalty": "command"},
    "balanced": {},
}


def presets(base: Config | None = None) -> dict[str, Config]:
    """Three designs on the same shop: the companion code's event chain (no outbox, one
    partition), an orchestration that commands every step, and the talk's balance."""
    from dataclasses import replace

    base = _check(base or Config())
    return {name: replace(base, **changes) for name, changes in PRESETS.items()}


# -- the slide map -------------------------------------------------------------------------

SLIDE_MAP = Path(__file__).resolve().parents[1] / "data" / "slide_map.csv"
SLIDE_COLUMNS: tuple[str, ...] = ("slide", "heading", "title", "part", "notebook", "section",
                                  "shows", "text")
PARTS: tuple[str, ...] = ("Opening", "1 · Events on the inside", "2 · Events inside out",
                          "3 · Events on the outside", "Recaps", "Closing")


def slide_map(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Read and check ``data/slide_map.csv``: every slide of the talk, in order, with the
    notebook and section that show it. A problem raises one line naming the row."""
    file = Path(SLIDE_MAP if path is None else path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(c.strip() for c in rows[0]) != SLIDE_COLUMNS:
        raise ConfigError(f"{file.name}: the header must be {','.join(SLIDE_COLUMNS)}")
    names = [n for n, _, _ in NOTEBOOKS]
    records = []
    for number, row in enumerate(rows[1:], start=1):
        where = f"{file.name}: row {number}"
        if len(row) != len(SLIDE_COLUMNS):
            raise ConfigError(f"{where}: {len(row)} fields, expected {len(SLIDE_COLUMNS)}")
        record_ = dict(zip(SLIDE_COLUMNS, (c.strip() for c in row), strict=True))
        if record_["slide"] != str(number):
            raise ConfigError(f"{where}: slide must be {number} (slides are numbered in "
                              f"order), got {record_['slide']!r}")
        for column in ("heading", "title", "part", "notebook", "shows"):
            if not record_[column]:
                raise ConfigError(f"{where}: {column} is empty")
        if record_["part"] not in PARTS:
            raise ConfigError(f"{where}: part {record_['part']!r} is not one of "
                              f"{', '.join(PARTS)}")
        if record_["notebook"] not in names:
            raise ConfigError(f"{where}: notebook {record_['notebook']!r} is not in the "
                              "workbook (eventlab.workbook.NOTEBOOKS)")
        records.append(record_)
    table = pd.DataFrame(records, columns=list(SLIDE_COLUMNS))
    table["slide"] = table["slide"].astype(int)
    return table.set_index("slide")


def slide_lines(text: str) -> list[str]:
    """The lines of a slide-text dump, whitespace collapsed, blank lines dropped (how
    ``heading`` and ``text`` in the slide map quote them)."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


__all__ = ["BAD_DAY", "COORDINATIONS", "CRITICAL", "INTERACTIONS", "KINDS", "PRESETS",
           "SCHEDULES", "STEPS", "Config", "RecapResult", "Step", "Transport", "choices",
           "compare", "faults", "order_process", "presets", "rerun", "run", "side_drops",
           "slide_lines", "slide_map", "view", "wiring"]
