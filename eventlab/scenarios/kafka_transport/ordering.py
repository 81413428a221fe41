"""Keys, partitions and ordering: Kafka keeps order per partition, so per key, and no more.

The Order service publishes the four steps of each order (``OrderPlaced``, ``PaymentReceived``,
``GoodsFetched``, ``GoodsShipped``) to the topic ``orders``. With ``key="order_id"`` Kafka's
default partitioner (murmur2 of the key, modulo the partition count) puts every step of one
order into the same partition, so the one group member that reads that partition sees them in
order. Members work at different speeds, so across partitions the order in which records are
handled differs from the order in which they were written. Without a key, each record goes
to some partition, and the steps of one order can overtake each other. Times are ms.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.world import World
from eventlab.engines.kafka import Cluster, ConsumerGroup, Producer, Record, partition_for
from eventlab.view import graphs

KEYS: tuple[str, ...] = ("order_id", "none")
STEPS: tuple[str, ...] = ("OrderPlaced", "PaymentReceived", "GoodsFetched", "GoodsShipped")
TOPIC = "orders"
PRODUCER = "Order service"


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the ordering demo (times in ms)."""

    key: str = param("order_id", choices=KEYS, help="the record key: the order id, or none")
    partitions: int = param(3, low=1, high=12, help="partitions of the topic")
    orders: int = param(6, low=1, high=200, help="orders, four events each")
    members: int = param(3, low=1, high=6, help="members of the consumer group")
    processing_time: float = param(2.0, low=0.0, high=100.0, step=0.5,
                                   help="ms the first member needs per record (member i "
                                        "needs i times as long)")
    step_interval: float = param(5.0, low=0.1, high=1000.0, step=0.1,
                                 help="mean ms between two steps of an order")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """`orders` orders of four events, each produced, fetched and handled once. Measured
        on a 2-core laptop (CPU time, busy machine): about 52 us per record; the estimate is
        80 us. Every slider at its maximum stays far below the budget (0.04 s measured)."""
        records = 4 * self.orders
        return Cost(seconds=0.01 + records * 80e-6, megabytes=110 + records * 0.002,
                    drivers={"orders": "lower"})


class OrderingResult(results.RunResult):
    """Where each key went and in which order the group handled the records."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    def handled(self) -> pd.DataFrame:
        """Every record in the order the group handled it."""
        rows = self.trace[(self.trace["kind"] == "deliver") & (self.trace["channel"] == TOPIC)]
        return pd.DataFrame({
            "time (ms)": rows["time"].round(1).to_numpy(), "member": rows["actor"].to_numpy(),
            "partition": rows["partition"].to_numpy(), "offset": rows["offset"].to_numpy(),
            "order": rows["correlation_id"].to_numpy(), "event": rows["message_type"].to_numpy(),
        })

    def placement(self) -> pd.DataFrame:
        """Per order: its key, the partition Kafka's partitioner picks, and who read it."""
        handled = self.handled()
        rows = []
        for order, mine in handled.groupby("order", sort=False):
            parts = sorted(dict.fromkeys(int(p) for p in mine["partition"]))
            key = str(order) if self.config.key == "order_id" else None
            rows.append({"order": order, "key": key or "(none)",
                         "partition_for(key)": partition_for(key, self.config.partitions)
                         if key else "—",
                         "partitions used": ", ".join(map(str, parts)),
                         "read by": ", ".join(dict.fromkeys(mine["member"])),
                         "events in order": list(mine["event"]) == list(STEPS)})
        rows.sort(key=lambda row: int(str(row["order"]).rsplit("-", 1)[1]))
        return pd.DataFrame(rows).set_index("order")

    def graph(self) -> graphs.Diagram:
        """Producer → partitions → members, with the records counted from the trace."""
        trace, config = self.trace, self.config
        diagram = graphs.Diagram(f"topic {TOPIC}: {config.partitions} partitions, key = "
                                 f"{config.key}")
        diagram.add_node(PRODUCER, role="service")
        sends = trace[(trace["kind"] == "send") & (trace["channel"] == TOPIC)]
        reads = trace[(trace["kind"] == "deliver") & (trace["channel"] == TOPIC)]
        for p in range(config.partitions):
            name = f"{TOPIC}-{p}"
            diagram.add_node(name, role="broker")
            n = int((sends["partition"] == p).sum())
            diagram.add_edge(PRODUCER, name, f"×{n}", kind="event")
            for member, count in reads[reads["partition"] == p].groupby(
                    "actor", sort=False).size().items():
                diagram.add_node(str(member), role="service")
                diagram.add_edge(name, str(member), f"read ×{count}", kind="event")
        return diagram


def run(config: Config | None = None) -> OrderingResult:
    """Publish the steps of `config.orders` orders and let the group handle them."""
    config = resolve(Config, config)
    world = World(config.seed)
    cluster = Cluster(world)
    cluster.create_topic(TOPIC, partitions=config.partitions)
    # sticky_batch=1: a keyless record picks a partition of its own (no batching here).
    producer = Producer(cluster, PRODUCER, sticky_batch=1)
    group = ConsumerGroup(cluster, "Monitor", TOPIC, auto_offset_reset="earliest")
    handled: list[tuple[int, str, int]] = []  # (sequence written, order, step)

    def handler() -> Callable[[Record], None]:
        def handle(record: Record) -> None:
            if record.value is not None:
                payload = record.value.payload
                handled.append((payload["seq"], record.value.correlation_id or "", payload["step"]))
        return handle

    for i in range(1, config.members + 1):
        group.join(f"member-{i}", handler(), processing_time=config.processing_time * i)
    written = [0]
    for n in range(1, config.orders + 1):
        world.env.process(_order(world, producer, config, n, written))
    world.env.run()
    return OrderingResult(config, world.trace.to_frame(), _metrics(handled))


def _order(world: World, producer: Producer, config: Config, n: int,
           written: list[int]) -> Generator[simpy.Event, Any, None]:
    rng = world.rng(f"order-{n}")
    order = f"order-{n}"
    for step, name in enumerate(STEPS):
        yield world.env.timeout(rng.expovariate(1.0 / config.step_interval))
        written[0] += 1
        event = world.event(name, sender=PRODUCER, key=order if config.key == "order_id" else None,
                            correlation_id=order, payload={"seq": written[0], "step": step})
        producer.send(TOPIC, event)


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    RECORDS_HANDLED = "records handled"
    HANDLED_AFTER_LATER_WRITTEN_RECORD = "handled after a later-written record"
    ORDERS = "orders"
    ORDERS_WITH_STEPS_OUT_OF_ORDER = "orders with steps out of order"


def _metrics(handled: list[tuple[int, str, int]]) -> dict[str, Any]:
    overtaking = 0
    highest = 0
    for seq, _, _ in handled:  # a record handled after a later-written one was overtaken
        overtaking += seq < highest
        highest = max(highest, seq)
    steps: dict[str, list[int]] = {}
    for _, order, step in handled:
        steps.setdefault(order, []).append(step)
    broken = [o for o, s in steps.items() if s != sorted(s)]
    return {
        Metric.RECORDS_HANDLED: len(handled),
        Metric.HANDLED_AFTER_LATER_WRITTEN_RECORD: overtaking,
        Metric.ORDERS: len(steps),
        Metric.ORDERS_WITH_STEPS_OUT_OF_ORDER: len(broken),
    }


