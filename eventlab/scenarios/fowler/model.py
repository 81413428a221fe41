"""The simulation of the patterns story: customer, CRM, consumers, projector, query side.

What the CRM stores durably depends on the pattern: a row (notification, state transfer), a row
plus a change table that a projector empties (CQRS), or an event log (event sourcing, and CQRS
with an event-sourced write model). Halfway through every run the CRM restarts and loses its
in-memory state, whatever the pattern, so every pattern meets the same fault: a row is read
back, a log is replayed.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core.channels import Channel
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.scenarios.fowler.config import (
    ADDRESSES,
    BROADCAST,
    CONSUMER_NAMES,
    CQRS,
    CUSTOMER,
    EVENT_SOURCED,
    READ_MODEL_QUERY_TIME,
    REPLAY_TIME,
    WRITE_TIME,
    Config,
    evolve,
)

QUERY_SIDE = "CRM query API"
READ_MODEL = "Read model"


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    COMMANDS_HANDLED = "commands handled"
    EVENTS_TO_OTHER_SERVICES = "events to other services"
    CALLBACKS = "callbacks to the CRM"
    BYTES_ON_WIRE = "bytes on the wire"
    MEAN_UPDATE_LATENCY_MS = "mean update latency (ms)"
    LONGEST_STALE_MS = "longest a copy was out of date (ms)"
    STALE_COPIES_AT_END = "copies out of date at the end"
    VERSIONS_KEPT = "address versions the CRM keeps"
    RECORDS_READ_AT_RESTART = "records read to recover from the restart"
    REPLAY_EQUALS_LIVE_STATE = "replay equals live state"
    MEAN_READ_MODEL_LAG_MS = "mean read-model lag (ms)"
    READS_OF_READ_MODEL = "queries to the read model"
    STALE_READS = "stale reads"


class Model:
    """The CRM, its consumers, and (for CQRS) the projector and query side of one run."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.world = world = World(config.seed)
        latency = {"latency": config.network_latency, "jitter": config.network_latency / 5}
        self.api = Channel(world, "crm-api", **latency)
        self.events = Channel(world, "crm-events", **latency)
        self.consumers = list(CONSUMER_NAMES[: config.consumers])
        self.crm_inbox = self.api.subscribe("CRM")
        self.api.subscribe("Customer")
        self.event_sourced = config.pattern in EVENT_SOURCED
        self.address = ""  # the CRM's in-memory state (lost at the restart)
        self.truth = ""  # what the write side's durable store says now (row or fold of log)
        self.row = ""  # durable: the customers row (every pattern that is not event-sourced)
        self.log: list[Message] = []  # durable: the event log (event-sourced patterns)
        self.changes: list[Message] = []  # durable: CQRS's change table, emptied by the projector
        self.changed_at: dict[str, float] = {}  # address -> time the CRM accepted it
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self.held: dict[str, str] = {}  # holder -> the address it has (consumers, read model)
        self.stale_since: dict[str, float] = {}  # holder -> since when its copy is out of date
        self.stale_spans: list[float] = []
        self.counts = {"callbacks": 0, "restart reads": 0, "stale": 0, "reads": 0}
        self.replay_ok: bool | None = None
        self.customer_done = False
        self.projector_done = False
        self.accepted = 0
        env = world.env
        env.process(self.customer())
        env.process(self.crm())
        if config.pattern in BROADCAST:
            for name in self.consumers:
                env.process(self.consumer(name, self.events.subscribe(name),
                                          self.api.subscribe(name)))
        if config.pattern in CQRS:
            env.process(self.projector())
            env.process(self.query_side(self.api.subscribe(QUERY_SIDE)))
            for name in self.consumers:
                env.process(self.reader(name, self.api.subscribe(name)))

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
        env = self.world.env
        # The same fault in every pattern: a restart after half of the moves.
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
            if self.accepted == crash_after:
                yield from self.restart()

    def accept(self, command: Message) -> None:
        """Decide on a ChangeAddress and make the change durable the pattern's way."""
        world, pattern, address = self.world, self.config.pattern, command.payload["address"]
        self.accepted += 1
        self.address = self.truth = address
        self.changed_at[address] = world.now
        thin = pattern == "notification"
        event = world.event("AddressChanged", sender="CRM", key=CUSTOMER, caused_by=command,
                            payload={"customerId": 42} if thin
                            else {"customerId": 42, "address": address})
        if self.event_sourced:  # the event is the only record of the change
            self.log.append(event)
            world.trace.state(world.now, "CRM", "log length", len(self.log))
        else:  # UPDATE the row; CQRS also inserts a change row in the same transaction
            self.row = address
            if pattern == "cqrs":
                self.changes.append(event)
        world.trace.state(world.now, "CRM", "address", address)
        self.went_stale(address)
        if pattern in BROADCAST:
            self.events.publish(event)

    def restart(self) -> Generator[simpy.Event, Any, None]:
        """Lose all in-memory state, then recover it from the durable store: read the row back,
        or fold the log (Fowler's test: blow the state away and rebuild it from the log)."""
        world = self.world
        before = self.address
        world.trace.record("fault", world.now, "CRM", detail="restart: in-memory state lost")
        self.address = ""
        if not self.event_sourced:
            yield world.env.timeout(REPLAY_TIME)
            self.address = self.row
            self.counts["restart reads"] += 1
            world.trace.state(world.now, "CRM", "address", self.address, detail="row read")
            return
        for event in self.log:
            yield world.env.timeout(REPLAY_TIME)
            self.address = evolve(self.address, event)
            self.counts["restart reads"] += 1
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
        """Poll the write side's feed (the change table, or the log) and update the read model."""
        world, checkpoint = self.world, 0
        while not (self.customer_done and self.accepted == self.config.changes
                   and not self.pending(checkpoint)):
            yield world.env.timeout(self.config.projector_interval)
            new = self.pending(checkpoint)
            for event in new:
                self.lags.append(world.now - event.time)
                self.hold(READ_MODEL, evolve("", event))
            checkpoint += len(new)  # events applied so far
            if not self.event_sourced:
                del self.changes[: len(new)]  # applied change rows are deleted (an outbox)
            world.trace.state(world.now, "Projector", "checkpoint", checkpoint)
        self.projector_done = True

    def pending(self, checkpoint: int) -> list[Message]:
        """What the projector has not applied yet."""
        # The log keeps every event, so the projector remembers how far it got; the change
        # table holds only the rows not applied yet.
        return self.log[checkpoint:] if self.event_sourced else list(self.changes)

    def query_side(self, inbox: simpy.Store) -> Generator[simpy.Event, Any, None]:
        """The CRM's query side: answers GetCustomer from the read model, never the write model."""
        world = self.world
        rng = world.rng("query side")
        while True:
            query = yield inbox.get()
            yield world.env.timeout(rng.expovariate(1.0 / READ_MODEL_QUERY_TIME))
            seen = self.held.get(READ_MODEL, "")
            stale = seen != self.truth
            self.counts["reads"] += 1
            self.counts["stale"] += stale
            world.trace.record("note", world.now, QUERY_SIDE, target=READ_MODEL,
                               entity="address", value=seen or "(nothing yet)",
                               detail=f"{'stale' if stale else 'fresh'} read for {query.sender}",
                               message=query)
            self.api.send(world.query("CustomerData", sender=QUERY_SIDE, key=CUSTOMER,
                                      caused_by=query,
                                      payload={"customerId": 42, "address": seen}),
                          to=query.sender)

    def reader(self, name: str, replies: simpy.Store) -> Generator[simpy.Event, Any, None]:
        """A service that asks the CRM's query API for customer 42, now and then."""
        world = self.world
        rng = world.rng(f"reader/{name}")
        while not self.projector_done:
            yield world.env.timeout(rng.expovariate(1.0 / self.config.read_interval))
            if self.projector_done:
                return
            self.api.send(world.query("GetCustomer", sender=name, key=CUSTOMER,
                                      payload={"customerId": 42}), to=QUERY_SIDE)
            yield replies.get()

    # -- bookkeeping ----------------------------------------------------------------------

    def went_stale(self, address: str) -> None:
        """The CRM accepted `address`: every copy that holds something else is now stale."""
        for holder in self.holders():
            if self.held.get(holder) != address:
                self.stale_since.setdefault(holder, self.world.now)

    def holders(self) -> list[str]:
        """Who keeps a copy of the address outside the write side, in a fixed order."""
        if self.config.pattern in BROADCAST:
            return list(self.consumers)
        return [READ_MODEL] if self.config.pattern in CQRS else []

    def hold(self, holder: str, address: str) -> None:
        """`holder` now has a copy of the address; measure how long the change took."""
        now = self.world.now
        self.held[holder] = address
        self.latencies.append(now - self.changed_at[address])
        if address != self.truth:  # an older address overtook a newer one on the wire
            self.stale_since.setdefault(holder, now)
        elif holder in self.stale_since:
            self.stale_spans.append(now - self.stale_since.pop(holder))
        self.world.trace.state(now, holder, "address", address)

    def metrics(self, trace: pd.DataFrame | None = None) -> dict[str, Any]:
        """The run's measurements; `trace` is the run's trace if it was built already (building
        it is most of the cost of a short run)."""
        if trace is None:
            trace = self.world.trace.to_frame()
        delivered = trace[trace["kind"] == "deliver"]
        pattern = self.config.pattern
        final = self.truth
        end = self.world.now
        # A copy still stale when the run ends was stale until the end.
        spans = [*self.stale_spans, *(end - since for since in self.stale_since.values())]
        holders = self.holders()
        replay_check = "—" if self.replay_ok is None else ("yes" if self.replay_ok else "no")
        # The fold of the whole log must equal the live state (Fowler's rebuild test).
        if self.event_sourced:
            rebuilt = ""
            for event in self.log:
                rebuilt = evolve(rebuilt, event)
            if rebuilt != self.address:
                replay_check = "no"
        cqrs = pattern in CQRS
        return {
            Metric.COMMANDS_HANDLED: self.config.changes,
            Metric.EVENTS_TO_OTHER_SERVICES:
                int((delivered["message_type"] == "AddressChanged").sum()),
            Metric.CALLBACKS: self.counts["callbacks"],
            Metric.BYTES_ON_WIRE: int(delivered["size"].sum()),
            Metric.MEAN_UPDATE_LATENCY_MS: _mean(self.latencies),
            Metric.LONGEST_STALE_MS: round(max(spans), 3) if spans else
            (0.0 if holders else "—"),
            Metric.STALE_COPIES_AT_END:
                sum(self.held.get(h) != final for h in holders) if holders else "—",
            Metric.VERSIONS_KEPT: len(self.log) if self.event_sourced
            else 1 + len(self.changes),
            Metric.RECORDS_READ_AT_RESTART: self.counts["restart reads"],
            Metric.REPLAY_EQUALS_LIVE_STATE: replay_check,
            Metric.MEAN_READ_MODEL_LAG_MS: _mean(self.lags),
            Metric.READS_OF_READ_MODEL: self.counts["reads"] if cqrs else "—",
            Metric.STALE_READS: self.counts["stale"] if cqrs else "—",
        }


def _address(i: int) -> str:
    base = ADDRESSES[i % len(ADDRESSES)]
    return base if i < len(ADDRESSES) else f"{base} (move {i + 1})"


def _mean(values: list[float]) -> float | str:
    return round(sum(values) / len(values), 3) if values else "—"
