"""The capstone's choices: what a learner decides, and the wiring and process they build.

Per interaction a command or an event, orchestration or choreography, the services' outbox
or dual write (an orchestrating Order is a workflow engine and always sends from its own log),
partitions and the fault schedule of the day. :func:`wiring` turns the choices into the
services and their triggers, :func:`order_process` into the Order's process (orchestration).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from eventlab.core.budget import Cost
from eventlab.core.config import param, resolve
from eventlab.core.errors import check_choice, describe
from eventlab.domains.retail.messages import RETAIL
from eventlab.domains.retail.processes import duration
from eventlab.domains.retail.shop import Fault, ShopParams
from eventlab.engines.workflow.definition import (
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
from eventlab.engines.workflow.reactions import Rule, on
from eventlab.engines.workflow.wiring import Wiring

INTERACTIONS: tuple[str, ...] = ("payment", "inventory", "shipping", "notification", "loyalty")
CRITICAL: tuple[str, ...] = INTERACTIONS[:3]
KINDS: tuple[str, ...] = ("command", "event")
COORDINATIONS: tuple[str, ...] = ("orchestration", "choreography")
SCHEDULES: tuple[str, ...] = ("bad_day", "none")


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

# A bad day: (order, service step, fault kind, value), as
# eventlab.scenarios.retail.orchestration.Fault takes them,
# and the orders whose side-effect message the Notification or Loyalty service drops.
BAD_DAY: tuple[Fault, ...] = (
    Fault(3, "payment", "drop"), Fault(8, "inventory", "drop"), Fault(13, "shipping", "drop"),
    Fault(24, "payment", "decline", 0.0), Fault(34, "payment", "decline", 30.0),
    Fault(45, "shipping", "slow", 40.0), Fault(49, "payment", "error", 5.0),
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
    outbox: bool = param(True, help="the services' outbox (the Checkout's too): store each "
                                    "message with the change and relay it (consumers drop "
                                    "duplicates), instead of a dual write; an orchestrating "
                                    "Order's engine always sends from its own log")
    partitions: int = param(4, low=1, high=32, help="partitions of the topic (one consumer "
                                                    "per partition and service)")
    schedule: str = param("bad_day", choices=SCHEDULES, help="the fault schedule of the day")
    crash_rate: float = param(0.03, low=0.0, high=0.5, step=0.01,
                              help="probability that a service crashes between its commit "
                                   "and its publish (with a relay: the relay, between "
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

    def estimated_cost(self) -> Cost:
        """`orders` orders through the chosen design; each declined charge and failed card
        call adds messages, with the outbox (or an orchestrating Order's engine) a relay
        that crashes after publishing publishes again (crash_rate / (1 - crash_rate) times
        per message, counted for every message as an upper bound), and the per-order facts
        compare each order with the whole ledger, so an order costs more the more orders
        there are. Measured on a 2-core laptop (CPU time, busy machine): about 0.9 ms per
        order at 100 orders and 1-1.7 ms at 2,000, 0.3 ms per declined charge; 2,000 orders
        with every charge declined five times took 5.9 s and 150 MB, with crash_rate 0.5 on
        the outbox as well 5.1 s and 210 MB. The estimate is about 1.5x that."""
        relayed = self.outbox or self.orchestrated
        republished = self.crash_rate / (1 - self.crash_rate) if relayed else 0.0
        per_order = (1.2e-3 + 0.6e-6 * self.orders + 0.35e-3 * self.declined_charges()
                     + 0.05e-3 * self.card_errors() + 1.0e-3 * republished)
        return Cost(seconds=0.02 + self.orders * per_order, megabytes=110 + self.orders * 0.11,
                    drivers={"orders": "lower", "p_card": "lower", "p_error": "lower",
                             "crash_rate": "lower"})

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
    check_config(config)
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
    return Wiring(label, tuple(rules), sources, orchestrators, catalogue=RETAIL)


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


def check_config(config: Any) -> Config:
    """`config` itself when it is a recap.Config; a TypeError naming what it is otherwise."""
    if not isinstance(config, Config):
        raise TypeError(f"config must be recap.Config, got {describe(config)}")
    return config


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


PRESETS: dict[str, dict[str, Any]] = {
    "event chain": {"coordination": "choreography", "payment": "event", "inventory": "event",
                    "shipping": "event", "notification": "event", "loyalty": "event",
                    "outbox": False, "partitions": 1},
    "commands everywhere": {"coordination": "orchestration", "notification": "command",
                            "loyalty": "command"},
    "balanced": {},
}


def presets(base: Config | None = None) -> dict[str, Config]:
    """Three designs to run one at a time on the same shop: the companion code's event chain
    (no outbox, one partition), an orchestration that commands every step, and the talk's
    balance. They differ in several choices at once, so they are not a comparison (side by
    side they cannot say which choice made a difference): compare one choice with
    :func:`~eventlab.scenarios.recap.comparisons.compare`."""
    base = check_config(resolve(Config, base))
    return {name: replace(base, **changes) for name, changes in PRESETS.items()}
