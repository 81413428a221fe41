"""One topic for everything, filtered by message type: how flowing-retail uses Kafka.

The companion code puts every message of every service on **one** topic, ``flowing-retail``,
with one partition. Each service reads the whole topic in its own consumer group and keeps
only the message types it handles, routing on the ``messageType`` header (Spring Cloud
Stream's ``condition="headers['messageType']=='RetrievePaymentCommand'"``). Here Order
orchestrates; Payment, Inventory and Shipping execute its commands; Monitor keeps everything.
Kafka is pure transport: it stores nothing the services rely on as their state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.domains.retail.messages import RETAIL
from eventlab.engines.kafka import Cluster, ConsumerGroup, Producer, Record
from eventlab.view import graphs

TOPIC = "flowing-retail"
# service -> {message type it handles: (message type it sends in reply, kind)}
REACTIONS: dict[str, dict[str, str]] = {
    "Order": {"OrderPlacedEvent": "RetrievePaymentCommand",
              "PaymentReceivedEvent": "FetchGoodsCommand",
              "GoodsFetchedEvent": "ShipGoodsCommand",
              "GoodsShippedEvent": "OrderCompletedEvent"},
    "Payment": {"RetrievePaymentCommand": "PaymentReceivedEvent"},
    "Inventory": {"FetchGoodsCommand": "GoodsFetchedEvent"},
    "Shipping": {"ShipGoodsCommand": "GoodsShippedEvent"},
}
SERVICES: tuple[str, ...] = ("Order", "Payment", "Inventory", "Shipping", "Monitor")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the one-topic demo (times in ms)."""

    orders: int = param(5, low=1, high=500, help="orders placed at the checkout")
    order_interval: float = param(100.0, low=1.0, high=10_000.0, step=1.0,
                                  help="mean ms between two orders")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """`orders` orders, each a chain of events on the one topic that every service reads
        (and skips by type). Measured on a 2-core laptop (CPU time, busy machine): about
        0.55 ms per order; the estimate is 0.85 ms. Every slider at its maximum stays far
        below the budget (0.28 s measured)."""
        return Cost(seconds=0.01 + self.orders * 850e-6, megabytes=110 + self.orders * 0.03,
                    drivers={"orders": "lower"})


@dataclass(frozen=True, repr=False)
class RoutingResult(results.RunResult):
    """Who read what from the one topic, and who handled what."""

    PANEL = ("graph", "per_service")  # what its interactive panel shows

    services: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def per_service(self) -> pd.DataFrame:
        """Per service: records on the topic, records it handled, records it skipped."""
        return self.services

    def graph(self) -> graphs.Diagram:
        """Every service, the one topic, and the message types on each arrow (with counts)."""
        trace = self.trace
        diagram = graphs.Diagram(f"one topic, {TOPIC}: routing by messageType")
        diagram.add_node("Checkout", role="client")
        diagram.add_node(TOPIC, role="broker", note="1 partition")
        sends = trace[(trace["kind"] == "send") & (trace["channel"] == TOPIC)]
        delivered = trace[(trace["kind"] == "deliver") & (trace["channel"] == TOPIC)]
        for service in ("Checkout", *SERVICES):
            if service != "Checkout":
                diagram.add_node(service, role="service")
            _edge(diagram, service, TOPIC, _counted(sends[sends["actor"] == service],
                                                    ["message_type", "message_kind"]))
            mine = delivered[delivered["actor"] == service]
            if service == "Monitor":
                diagram.add_edge(TOPIC, service, f"everything ×{len(mine)}", kind="event")
            elif service != "Checkout":
                _edge(diagram, TOPIC, service, _counted(mine, ["message_type", "message_kind"]))
        return diagram


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    ORDERS_PLACED = "orders placed"
    ORDERS_COMPLETED = "orders completed"
    RECORDS_ON_TOPIC = "records on the topic"
    MESSAGE_TYPES_ON_TOPIC = "message types on the topic"


def run(config: Config | None = None) -> RoutingResult:
    """Place `config.orders` orders and let the services route on the message type."""
    config = resolve(Config, config)
    world = World(config.seed)
    cluster = Cluster(world)
    cluster.create_topic(TOPIC, partitions=1)
    producers = {name: Producer(cluster, name) for name in ("Checkout", *REACTIONS)}
    done: list[str] = []

    def reactor(service: str) -> Callable[[Record], None]:
        def handle(record: Record) -> None:
            message = record.value
            if message is None:
                return
            reply = REACTIONS[service].get(message.type)
            if reply is None:
                return
            if reply == "OrderCompletedEvent":
                done.append(message.correlation_id or "")
            out: Message = RETAIL.make(world, reply, sender=service, key=message.key,
                                         caused_by=message, payload={"refId": message.key})
            producers[service].send(TOPIC, out)
        return handle

    for service in SERVICES:
        group = ConsumerGroup(cluster, service.lower(), TOPIC, auto_offset_reset="earliest")
        wanted = list(REACTIONS[service]) if service in REACTIONS else None
        group.join(service, reactor(service) if wanted else None, types=wanted)

    def checkout() -> Any:
        rng = world.rng("checkout")
        for n in range(1, config.orders + 1):
            yield world.env.timeout(rng.expovariate(1.0 / config.order_interval))
            producers["Checkout"].send(TOPIC, world.event(
                "OrderPlacedEvent", sender="Checkout", key=f"checkout-generated-{n}",
                payload={"orderId": f"checkout-generated-{n}"}))

    world.env.process(checkout())
    world.env.run()
    trace = world.trace.to_frame()
    on_topic = sum(cluster.topic(TOPIC).high_watermarks())
    delivered = trace[(trace["kind"] == "deliver") & (trace["channel"] == TOPIC)]
    rows = []
    for service in SERVICES:
        handled = int((delivered["actor"] == service).sum())
        rows.append({"service": service, "records read": on_topic, "handled": handled,
                     "skipped by messageType": on_topic - handled})
    return RoutingResult(config, trace, {
        Metric.ORDERS_PLACED: config.orders, Metric.ORDERS_COMPLETED: len(done),
        Metric.RECORDS_ON_TOPIC: on_topic,
        Metric.MESSAGE_TYPES_ON_TOPIC: int(delivered["message_type"].nunique()),
    }, services=pd.DataFrame(rows).set_index("service"))


def _counted(rows: pd.DataFrame, columns: list[str]) -> list[Any]:
    """(values of `columns`..., count) per group, in order of first appearance."""
    sizes = rows.groupby(columns, sort=False, observed=True).size()
    return [(*(str(v) for v in key), int(n)) for key, n in zip(sizes.index, sizes, strict=True)]


def _edge(diagram: graphs.Diagram, tail: str, head: str, counted: list[Any]) -> None:
    """One arrow per kind of message (commands, events), listing each message type on it, so
    every arrow has its kind's colour from the legend."""
    kinds: dict[str, list[str]] = {}
    for mtype, kind, n in counted:
        kinds.setdefault(kind, []).append(f"{mtype} ×{n}")
    for kind, lines in kinds.items():
        diagram.add_edge(tail, head, "\n".join(lines), kind=kind)
