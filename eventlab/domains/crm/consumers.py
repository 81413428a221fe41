"""The consumer side of the CRM story: event handling, callbacks, copies and look-ups.

Each consumer runs three things: a worker that handles its events one at a time (in
arrival order, as a queue consumer does), a dispatcher that hands each CRM reply to the call
waiting for it, and a server that answers every user look-up in a process of its own (so a
look-up never waits behind an event).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

import simpy

from eventlab.core.channels import Channel
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.domains.crm.config import Config, Consumer
from eventlab.domains.crm.payloads import (
    DELTA_DESIGNS,
    Change,
    believes_move,
    carried,
    delta_decision,
    key_of,
)

Proc = Generator[simpy.Event, Any, Any]
COUNTS = ("events", "not needed", "callbacks", "look-ups sent", "failed calls", "look-ups",
          "look-ups failed", "look-ups stale", "look-ups down", "answered down",
          "out of order", "overwrites", "moves", "typo fixes", "stale reactions")


@dataclass
class Holder:
    """What one consumer knows: its copies, the versions behind them, what it measured."""

    spec: Consumer
    subscribed: tuple[str, ...]
    copy: dict[int, dict[str, str]]
    known: dict[tuple[int, str], int] = field(default_factory=dict)
    pending: dict[tuple[int, str], list[tuple[int, float]]] = field(default_factory=dict)
    parked: dict[int, list[Message]] = field(default_factory=dict)
    reacted: dict[tuple[int, int], None] = field(default_factory=dict)
    waiting: dict[str, simpy.Event] = field(default_factory=dict)  # query id -> its reply
    windows: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))


class CrmRun(Protocol):
    """What the consumers read of the run they are part of (the CRM's
    :class:`~eventlab.domains.crm.model.Model` has it); a protocol, so that this module does
    not import the model that creates the consumers."""

    world: World
    config: Config
    design: str
    api: Channel
    users: Channel
    carries: dict[str, dict[str, int]]  # message id -> field versions inside
    changes: dict[tuple[int, str, int], Change]
    change_of: dict[str, Change]  # event id -> the change it announces
    truth: dict[tuple[int, str], str]

    def down_until(self, time: float) -> float | None: ...


class Consumers:
    """The behaviour of every consumer of one run (state lives in each :class:`Holder`)."""

    def __init__(self, run: CrmRun) -> None:
        self.run = run

    def start(self, holder: Holder, events: simpy.Store, replies: simpy.Store,
              look_ups: simpy.Store) -> None:
        env = self.run.world.env
        env.process(self.worker(holder, events))
        env.process(self.dispatcher(holder, replies))
        env.process(self.server(holder, look_ups))
        env.process(self.users(holder.spec.name))

    def worker(self, holder: Holder, events: simpy.Store) -> Proc:
        while True:
            event = yield events.get()
            yield from self.on_event(holder, event)

    def dispatcher(self, holder: Holder, replies: simpy.Store) -> Proc:
        while True:
            reply = yield replies.get()
            holder.waiting.pop(reply.causation_id).succeed(reply)

    def server(self, holder: Holder, look_ups: simpy.Store) -> Proc:
        while True:
            query = yield look_ups.get()
            self.run.world.env.process(self.on_look_up(holder, query))

    def on_event(self, holder: Holder, event: Message) -> Proc:
        run = self.run
        change, counts = run.change_of[event.message_id], holder.counts
        counts["events"] += 1
        if change.field not in holder.spec.cares_about:
            counts["not needed"] += 1  # parsed, compared with the copy, thrown away
        fields = [f for f in carried(run.design, event.type) if f in holder.spec.cares_about]
        if run.design == "notification":  # a thin event: ask the CRM what changed
            data, versions = yield from self.call(holder, event, retry=True)
        else:
            data, versions = dict(event.payload), run.carries[event.message_id]
        for fld in fields:
            if fld == "address" and run.design in DELTA_DESIGNS:
                self.on_delta(holder, change.customer, event)
            else:
                self.receive(holder, change.customer, fld, str(data[fld]), versions[fld],
                             believes_move(run.design, event.type))

    def on_delta(self, holder: Holder, c: int, event: Message) -> None:
        """Apply a delta if it follows on the copy; park it if an earlier one is missing."""
        parked = holder.parked.setdefault(c, [])
        decision = delta_decision(holder.copy[c]["address"], event.payload)
        if decision == "out of order":
            holder.counts["out of order"] += 1
            parked.append(event)
            self.run.world.trace.record("note", self.run.world.now, holder.spec.name,
                                      message=event, entity=f"{key_of(c)} address",
                                      detail="out of order: parked")
            return
        while decision == "apply":
            self.receive(holder, c, "address", str(event.payload["newAddress"]),
                         self.run.carries[event.message_id]["address"],
                         believes_move(self.run.design, event.type))
            # The gap may be filled now: apply a parked event that follows on, if any.
            ready = [p for p in parked
                     if delta_decision(holder.copy[c]["address"], p.payload) == "apply"]
            if not ready:
                return
            event = ready[0]
            parked.remove(event)

    def receive(self, holder: Holder, c: int, fld: str, value: str, version: int,
                believes: bool) -> None:
        """`holder` learns that `fld` of customer `c` is `value` (version known to the model)."""
        world, key = self.run.world, (c, fld)
        known = holder.known.get(key, 0)
        if version > known:  # every change up to `version` has now reached this consumer
            pending = holder.pending.get(key, [])
            while pending and pending[0][0] <= version:
                holder.windows.append(world.now - pending.pop(0)[1])
        if value == holder.copy[c][fld]:
            holder.known[key] = max(known, version)
            return  # nothing new (a duplicate, or a change it does not care about)
        stale = version < known  # an older value overwrites a newer one, and nobody notices
        holder.copy[c][fld], holder.known[key] = value, version
        world.trace.state(world.now, holder.spec.name, f"{key_of(c)} {fld}", value,
                          detail="stale overwrite" if stale else None)
        if fld != "address":
            return
        holder.counts["overwrites"] += stale
        if believes:  # it re-quotes, writes a letter...: right only for a new, real move
            change = self.run.changes.get((c, fld, version))
            if stale or change is None or (c, version) in holder.reacted:
                holder.counts["stale reactions"] += 1  # old news taken for a new move
            else:
                holder.counts["moves" if change.kind == "move" else "typo fixes"] += 1
            holder.reacted[(c, version)] = None

    def call(self, holder: Holder, cause: Message, *, retry: bool) -> Proc:
        """GetCustomer from the CRM: (data, versions), or (None, None) if it failed."""
        world, name = self.run.world, holder.spec.name
        while True:
            query = world.query("GetCustomer", sender=name, key=cause.key, caused_by=cause,
                                payload={"customerId": cause.payload["customerId"]})
            holder.counts["callbacks" if retry else "look-ups sent"] += 1
            answer = holder.waiting[query.message_id] = world.env.event()
            self.run.api.send(query, to="CRM")
            reply = yield answer
            if reply.type == "CustomerData":
                return dict(reply.payload), self.run.carries[reply.message_id]
            holder.counts["failed calls"] += 1
            world.trace.record("fault", world.now, name, target="CRM", message=reply,
                               detail="call failed: CRM down")
            if not retry:
                return None, None
            yield world.env.timeout(self.run.config.retry_interval)

    def on_look_up(self, holder: Holder, query: Message) -> Proc:
        run, counts, c = self.run, holder.counts, int(query.payload["customerId"])
        down = run.down_until(run.world.now) is not None
        counts["look-ups"] += 1
        counts["look-ups down"] += down
        cares = holder.spec.cares_about
        if run.design == "notification":  # no copy: the users' question goes to the CRM
            data, _ = yield from self.call(holder, query, retry=False)
        else:
            data = holder.copy[c]
        if data is None:
            counts["look-ups failed"] += 1
            outcome = "failed"
        else:
            counts["answered down"] += down
            stale = any(data[f] != run.truth[(c, f)] for f in cares)
            counts["look-ups stale"] += stale
            outcome = "stale" if stale else "fresh"
        # Asked while the CRM was down? Said in the row: it is written when the answer is in.
        run.world.trace.record("note", run.world.now, holder.spec.name, target="Users",
                             message=query, entity=f"{key_of(c)} {'+'.join(cares)}",
                             detail=f"look-up {outcome}" + (" (CRM down)" if down else ""))

    def users(self, name: str) -> Proc:
        """The consumer's own users, looking customers up at random moments."""
        run = self.run
        config, rng = run.config, run.world.rng(f"users/{name}")
        now = 0.0
        while config.lookup_rate:
            gap = rng.expovariate(config.lookup_rate / 1000.0)
            if now + gap > config.duration:
                return
            yield run.world.env.timeout(gap)
            now += gap
            c = rng.randrange(config.customers)
            run.users.send(run.world.query("LookUpCustomer", sender="Users", key=key_of(c),
                                       payload={"customerId": c}), to=name)
