"""The simulation: sign-ups, service instances, their views, and the Kafka topic they write."""

from __future__ import annotations

from collections.abc import Callable, Generator
from enum import StrEnum
from functools import partial
from typing import Any

import pandas as pd
import simpy

from eventlab.core.channels import Channel
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.engines.eventstore.memory import NO_STREAM, ConcurrencyError, InMemoryEventStore
from eventlab.engines.kafka import Cluster, ConsumerGroup, Producer, Record
from eventlab.scenarios.merged_store.config import SERVICE, TOPIC, Config


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    PEOPLE_SIGNING_UP = "people signing up"
    SIGN_UPS_WITH_REPEATS = "sign-ups (with repeats)"
    CUSTOMERS_CREATED = "customers created"
    REFUSED_BY_VIEW = "refused by the view"
    REFUSED_BY_STORE = "refused by the store"
    UNIQUENESS_VIOLATIONS = "uniqueness violations"
    VIOLATIONS_ACROSS_INSTANCES = "violations across instances"
    MEAN_VIEW_LAG_MS = "mean view lag (ms)"
    MAX_VIEW_LAG_MS = "max view lag (ms)"


class Model:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.world = world = World(config.seed)
        self.cluster = Cluster(world)
        self.topic = self.cluster.create_topic(TOPIC, partitions=3)
        self.store = InMemoryEventStore()
        self.api = Channel(world, "customer-api")
        self.names = [f"{SERVICE} {i}" if config.instances > 1 else SERVICE
                      for i in range(1, config.instances + 1)]
        self.views: dict[str, dict[str, None]] = {name: {} for name in self.names}
        self.lags: list[float] = []
        self.counts = {"sign-ups": 0, "refused by view": 0, "refused by store": 0}
        for name in self.names:
            inbox = self.api.subscribe(name)
            producer = Producer(self.cluster, name)
            world.env.process(self.instance(name, inbox, producer))
            if config.store == "kafka":
                group = ConsumerGroup(self.cluster, f"{name} view", TOPIC,
                                      auto_offset_reset="earliest")
                group.join(f"{name} view", self.apply(name), fetch_min_records=100_000,
                           fetch_max_wait=config.view_lag)
        world.env.process(self.customers())

    def customers(self) -> Generator[simpy.Event, Any, None]:
        world, config = self.world, self.config
        rng = world.rng("customers")
        for n in range(1, config.commands + 1):
            yield world.env.timeout(rng.expovariate(1.0 / config.command_interval))
            self.sign_up(n, f"user{n}@example.com")
            if rng.random() < config.duplicate_share:
                # No answer yet, so the person tries again a little later (or clicks twice).
                delay = rng.expovariate(1.0 / config.repeat_delay)
                timer = world.env.timeout(delay)
                timer.callbacks.append(partial(self.sign_up, n, f"user{n}@example.com"))

    def sign_up(self, n: int, email: str, _event: simpy.Event | None = None) -> None:
        world = self.world
        self.counts["sign-ups"] += 1
        command = world.command("RegisterCustomer", sender="Customer", key=f"customer-{n}",
                                payload={"customerId": n, "email": email})
        # Round robin over the instances, as a load balancer would.
        self.api.send(command, to=self.names[(self.counts["sign-ups"] - 1) % len(self.names)])

    def instance(self, name: str, inbox: simpy.Store,
                 producer: Producer) -> Generator[simpy.Event, Any, None]:
        world, config = self.world, self.config
        while True:
            command = yield inbox.get()
            email = command.payload["email"]
            if config.store == "kafka" and email in self.views[name]:
                self.refuse(name, command, "refused by view", "email in use (local view)")
                continue
            yield world.env.timeout(config.decide_time)  # deciding takes a moment
            event = world.event("CustomerCreated", sender=name, key=command.key,
                                caused_by=command, payload=dict(command.payload))
            if config.store == "kafka":
                producer.send(TOPIC, event)  # no "expected version": the log takes it
                yield producer.flush()
                if config.own_writes:  # read-your-own-writes, for this instance only
                    self.views[name][email] = None
            else:
                try:
                    self.store.append(f"email-{email}", [event], expected=NO_STREAM)
                except ConcurrencyError:
                    self.refuse(name, command, "refused by store",
                                "email in use (expected version: the stream exists)")
                    continue
            world.trace.state(world.now, name, "created", email, message=event)

    def apply(self, name: str) -> Callable[[Record], None]:
        """The view's handler: one more email in use, and how long the view was behind."""
        def handle(record: Record) -> None:
            message = record.value
            if message is not None:
                self.views[name][message.payload["email"]] = None
                self.lags.append(self.world.now - record.timestamp)
        return handle

    def refuse(self, name: str, command: Message, counter: str, why: str) -> None:
        self.counts[counter] += 1
        self.world.trace.record("reject", self.world.now, name, message=command, detail=why)

    def metrics(self, trace: pd.DataFrame) -> dict[str, Any]:
        created = writes(trace)
        first: dict[str, str] = {}
        races = 0
        for _, email, who in created:
            if email in first:
                races += first[email] != who
            else:
                first[email] = who
        kafka = self.config.store == "kafka"
        return {
            Metric.PEOPLE_SIGNING_UP: self.config.commands,
            Metric.SIGN_UPS_WITH_REPEATS: self.counts["sign-ups"],
            Metric.CUSTOMERS_CREATED: len(created),
            Metric.REFUSED_BY_VIEW: self.counts["refused by view"] if kafka else "—",
            Metric.REFUSED_BY_STORE: "—" if kafka else self.counts["refused by store"],
            Metric.UNIQUENESS_VIOLATIONS: len(created) - len(first),
            Metric.VIOLATIONS_ACROSS_INSTANCES: races,
            Metric.MEAN_VIEW_LAG_MS: round(sum(self.lags) / len(self.lags), 3)
            if self.lags else "—",
            Metric.MAX_VIEW_LAG_MS: round(max(self.lags), 3) if self.lags else "—",
        }


def writes(trace: pd.DataFrame) -> list[tuple[float, str, str]]:
    """(time, email, writer) of every CustomerCreated written, in the order written."""
    rows = trace[(trace["kind"] == "state") & (trace["entity"] == "created")]
    return [(float(t), str(e), str(a)) for t, e, a in zip(rows["time"], rows["value"],
                                                         rows["actor"], strict=True)]
