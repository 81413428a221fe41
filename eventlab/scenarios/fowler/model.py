"""The simulation of the four-patterns story: customer, CRM, consumers, projector, readers."""

from __future__ import annotations

import math
from collections.abc import Generator
from enum import StrEnum
from typing import Any

import simpy

from eventlab.core.channels import Channel
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.scenarios.fowler.config import (
    ADDRESSES,
    CONSUMER_NAMES,
    CUSTOMER,
    REPLAY_TIME,
    WRITE_TIME,
    Config,
    evolve,
)


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    COMMANDS_HANDLED = "commands handled"
    EVENTS_TO_OTHER_SERVICES = "events to other services"
    CALLBACKS = "callbacks to the CRM"
    BYTES_ON_WIRE = "bytes on the wire"
    COPIES_OF_ADDRESS = "copies of the address"
    COPIES_UP_TO_DATE = "copies up to date"
    MEAN_UPDATE_LATENCY_MS = "mean update latency (ms)"
    EVENTS_REPLAYED = "events replayed"
    REPLAY_EQUALS_LIVE_STATE = "replay equals live state"
    MEAN_READ_MODEL_LAG_MS = "mean read-model lag (ms)"
    READS_OF_READ_MODEL = "reads of the read model"
    STALE_READS = "stale reads"


class Model:
    """The CRM, its consumers, and (for CQRS) the projector and readers of one run."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.world = world = World(config.seed)
        latency = {"latency": config.network_latency, "jitter": config.network_latency / 5}
        self.api = Channel(world, "crm-api", **latency)
        self.events = Channel(world, "crm-events", **latency)
        self.consumers = list(CONSUMER_NAMES[: config.consumers])
        self.crm_inbox = self.api.subscribe("CRM")
        self.api.subscribe("Customer")
        self.address = ""  # what the CRM's live state says
        self.log: list[Message] = []  # event log (event sourcing and CQRS)
        self.changed_at: dict[str, float] = {}  # address -> time the CRM accepted it
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self.held: dict[str, str] = {}
        self.counts = {"callbacks": 0, "replayed": 0, "stale": 0, "reads": 0}
        self.replay_ok: bool | None = None
        self.customer_done = False
        self.projector_done = False
        env = world.env
        env.process(self.customer())
        env.process(self.crm())
        if config.pattern in ("notification", "state_transfer"):
            for name in self.consumers:
                env.process(self.consumer(name, self.events.subscribe(name),
                                          self.api.subscribe(name)))
        if config.pattern == "cqrs":
            env.process(self.projector())
            for name in self.consumers:
                env.process(self.reader(name))

    # -- actors -------------------------------------------------------------------------

    def customer(self) -> Generator[simpy.Event, Any, None]:
        rng = self.world.rng("customer")
        for i in range(self.config.changes):
            yield self.world.env.timeout(rng.expovariate(1.0 / self.config.change_interval))
            address = _address(i)
            self.api.send(self.world.command("ChangeAddress", sender="Customer", key=CUSTOMER,
                                             payload={"customerId": 42, "address": address}),
                          to="CRM")
        self.customer_done = True

    def crm(self) -> Generator[simpy.Event, Any, None]:
        rng = self.world.rng("crm")
        env, pattern = self.world.env, self.config.pattern
        crash_after = math.ceil(self.config.changes / 2)
        while True:
            msg = yield self.crm_inbox.get()
            if msg.type == "GetCustomer":
                yield env.timeout(rng.expovariate(1.0 / self.config.crm_query_time))
                self.counts["callbacks"] += 1
                reply = self.world.query("CustomerData", sender="CRM", key=CUSTOMER,
                                         caused_by=msg,
                                         payload={"customerId": 42, "address": self.address})
                self.api.send(reply, to=msg.sender)
                continue
            yield env.timeout(WRITE_TIME)
            self.accept(msg)
            if pattern == "event_sourcing" and len(self.log) == crash_after:
                yield from self.restart_and_replay()

    def accept(self, command: Message) -> None:
        """Decide on a ChangeAddress and make the change durable the pattern's way."""
        world, pattern, address = self.world, self.config.pattern, command.payload["address"]
        self.address = address
        self.changed_at[address] = world.now
        thin = pattern == "notification"
        event = world.event("AddressChanged", sender="CRM", key=CUSTOMER, caused_by=command,
                            payload={"customerId": 42} if thin
                            else {"customerId": 42, "address": address})
        if pattern in ("event_sourcing", "cqrs"):
            self.log.append(event)
            world.trace.state(world.now, "CRM", "log length", len(self.log))
        world.trace.state(world.now, "CRM", "address", address)
        if pattern in ("notification", "state_transfer"):
            self.events.publish(event)

    def restart_and_replay(self) -> Generator[simpy.Event, Any, None]:
        """Lose all in-memory state, then rebuild it by folding the log (Fowler's test)."""
        world = self.world
        before = self.address
        world.trace.record("fault", world.now, "CRM", detail="restart: in-memory state lost")
        self.address = ""
        for event in self.log:
            yield world.env.timeout(REPLAY_TIME)
            self.address = evolve(self.address, event)
            self.counts["replayed"] += 1
            world.trace.state(world.now, "CRM", "address", self.address, detail="replay")
        self.replay_ok = self.address == before

    def consumer(self, name: str, events: simpy.Store,
                 replies: simpy.Store) -> Generator[simpy.Event, Any, None]:
        world = self.world
        while True:
            event = yield events.get()
            if "address" in event.payload:
                address = event.payload["address"]
            else:  # a thin notification: ask the source for the data (a callback)
                self.api.send(world.query("GetCustomer", sender=name, key=CUSTOMER,
                                          caused_by=event, payload={"customerId": 42}),
                              to="CRM")
                reply = yield replies.get()
                address = reply.payload["address"]
            self.hold(name, address)

    def projector(self) -> Generator[simpy.Event, Any, None]:
        world, checkpoint = self.world, 0
        while not (self.customer_done and checkpoint == len(self.log) and self.crm_idle()):
            yield world.env.timeout(self.config.projector_interval)
            for event in self.log[checkpoint:]:
                self.lags.append(world.now - event.time)
                self.hold("Read model", evolve("", event))
                checkpoint += 1
            world.trace.state(world.now, "Projector", "checkpoint", checkpoint)
        self.projector_done = True

    def reader(self, name: str) -> Generator[simpy.Event, Any, None]:
        world = self.world
        rng = world.rng(f"reader/{name}")
        while not self.projector_done:
            yield world.env.timeout(rng.expovariate(1.0 / self.config.read_interval))
            seen = self.held.get("Read model", "")
            stale = seen != self.address
            self.counts["reads"] += 1
            self.counts["stale"] += stale
            world.trace.record("note", world.now, name, target="Read model", entity="address",
                               value=seen or "(nothing yet)",
                               detail="stale read" if stale else "fresh read")

    # -- bookkeeping ----------------------------------------------------------------------

    def crm_idle(self) -> bool:
        return len(self.log) == self.config.changes

    def hold(self, holder: str, address: str) -> None:
        """`holder` now has a copy of the address; measure how long the change took."""
        now = self.world.now
        self.held[holder] = address
        self.latencies.append(now - self.changed_at[address])
        self.world.trace.state(now, holder, "address", address)

    def metrics(self) -> dict[str, Any]:
        trace = self.world.trace.to_frame()
        delivered = trace[trace["kind"] == "deliver"]
        final = self.address
        copies = [h for h in self.held if h != "Read model"]
        pattern = self.config.pattern
        replay_check = "—" if self.replay_ok is None else ("yes" if self.replay_ok else "no")
        # The fold of the whole log must equal the live state (Fowler's rebuild test).
        if pattern in ("event_sourcing", "cqrs"):
            rebuilt = ""
            for event in self.log:
                rebuilt = evolve(rebuilt, event)
            if rebuilt != final:
                replay_check = "no"
        return {
            Metric.COMMANDS_HANDLED: self.config.changes,
            Metric.EVENTS_TO_OTHER_SERVICES:
                int((delivered["message_type"] == "AddressChanged").sum()),
            Metric.CALLBACKS: self.counts["callbacks"],
            Metric.BYTES_ON_WIRE: int(delivered["size"].sum()),
            Metric.COPIES_OF_ADDRESS: 1 + len(copies) + ("Read model" in self.held),
            Metric.COPIES_UP_TO_DATE: 1 + sum(v == final for v in self.held.values()),
            Metric.MEAN_UPDATE_LATENCY_MS: _mean(self.latencies),
            Metric.EVENTS_REPLAYED: self.counts["replayed"],
            Metric.REPLAY_EQUALS_LIVE_STATE: replay_check,
            Metric.MEAN_READ_MODEL_LAG_MS: _mean(self.lags),
            Metric.READS_OF_READ_MODEL: self.counts["reads"] if pattern == "cqrs" else "—",
            Metric.STALE_READS: self.counts["stale"] if pattern == "cqrs" else "—",
        }


def _address(i: int) -> str:
    base = ADDRESSES[i % len(ADDRESSES)]
    return base if i < len(ADDRESSES) else f"{base} (move {i + 1})"


def _mean(values: list[float]) -> float | str:
    return round(sum(values) / len(values), 3) if values else "—"
