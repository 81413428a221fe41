"""The simulation of the CRM story: customers, the CRM, its consumers and their users.

* *Customers* change their data (moves, typo fixes, status changes) through the CRM's UI;
* the *CRM* accepts each change (waiting while it is down) and publishes one event;
  its API answers ``GetCustomer`` one query at a time, or ``ServiceUnavailable`` while down;
* each *consumer* handles events one at a time. Under notification it calls the CRM back
  (retrying while the CRM is down); under state transfer it updates its own copy;
* each consumer's *users* look customers up; under notification that needs the CRM too.

The model knows which version of a field every event and reply carries (consumers do not);
that is how it measures staleness windows and silent overwrites.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from eventlab.core.channels import Channel
from eventlab.core.messages import Message
from eventlab.core.topic import Topic
from eventlab.core.world import World
from eventlab.domains.crm.config import CONSUMERS, FIELDS, WRITE_TIME, Config, windows
from eventlab.domains.crm.consumers import Consumers, Holder
from eventlab.domains.crm.payloads import (
    STATUSES,
    Change,
    address,
    corrected,
    event_type,
    key_of,
    payload,
    record,
    subscriptions,
)

Proc = Generator[simpy.Event, Any, Any]


class Model:
    """One run of the CRM story; see the module docstring."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.world = world = World(config.seed)
        self.design = "notification" if config.pattern == "notification" else config.payload
        wire = {"latency": config.network_latency, "jitter": config.network_latency / 5}
        self.ui = Channel(world, "crm-ui", **wire)
        self.api = Channel(world, "crm-api", **wire)
        self.topic = Topic(world, "crm-events", **wire, duplicates=config.duplicates,
                           reorder=config.reorder, late_by=config.late_by)
        self.users = Channel(world, "look-ups", **wire)
        self.windows = windows(config)
        customers = range(config.customers)
        self.records = {c: record(c) for c in customers}
        self.versions = {(c, f): 0 for c in customers for f in FIELDS}
        self.truth = {(c, f): self.records[c][f] for c in customers for f in FIELDS}
        self.changes: dict[tuple[int, str, int], Change] = {}
        self.carries: dict[str, dict[str, int]] = {}  # message id -> field versions inside
        self.change_of: dict[str, Change] = {}  # event id -> the change it announces
        self.answered = 0  # GetCustomer answered with data
        self.holders = {spec.name: Holder(spec, subscriptions(self.design, spec.cares_about),
                                          {c: dict(self.records[c]) for c in customers})
                        for spec in CONSUMERS[: config.consumers]}
        env = world.env
        env.process(self.customers())
        env.process(self.crm_writer(self.ui.subscribe("CRM")))
        env.process(self.crm_api(self.api.subscribe("CRM")))
        env.process(self.outages())
        self.side = Consumers(self)
        for name, holder in self.holders.items():
            self.side.start(holder, self.topic.subscribe(name), self.api.subscribe(name),
                            self.users.subscribe(name))

    def down_until(self, time: float) -> float | None:
        """The end of the downtime window `time` falls in, or None while the CRM is up."""
        for start, end in self.windows:
            if start <= time < end:
                return end
        return None

    # -- customers and the CRM -------------------------------------------------------------

    def customers(self) -> Proc:
        config, rng, number = self.config, self.world.rng("changes"), self.config.customers + 1
        now = 0.0
        while True:
            gap = rng.expovariate(config.change_rate / 1000.0)
            if now + gap > config.duration:
                return
            yield self.world.env.timeout(gap)
            now += gap
            # Always the same four draws, so changing one share never reshuffles the rest.
            c, r_kind, r_fix, r_status = (rng.randrange(config.customers), rng.random(),
                                          rng.random(), rng.random())
            number += 1
            if r_kind < config.status_share:
                old = self.truth[(c, "status")]
                new = [s for s in STATUSES if s != old][int(r_status < 0.5)]
                body: dict[str, Any] = {"customerId": c, "status": new}
                name, fld = "ChangeStatus", "status"
            else:
                fix = r_fix < config.correction_share
                new = corrected(self.truth[(c, "address")], number) if fix else address(number)
                body = {"customerId": c, "address": new, "reason": "correction" if fix else "move"}
                name, fld = "ChangeAddress", "address"
            self.truth[(c, fld)] = new
            self.ui.send(self.world.command(name, sender="Customers", key=key_of(c),
                                            payload=body), to="CRM")

    def crm_writer(self, inbox: simpy.Store) -> Proc:
        world = self.world
        while True:
            command = yield inbox.get()
            end = self.down_until(world.now)
            if end is not None:  # a down CRM accepts nothing: the change waits
                yield world.env.timeout(end - world.now)
            yield world.env.timeout(WRITE_TIME)
            self.accept(command)

    def accept(self, command: Message) -> None:
        """Make the change, then announce it the way the design says."""
        world, body = self.world, command.payload
        c = int(body["customerId"])
        kind = str(body.get("reason", "status"))
        fld = "status" if kind == "status" else "address"
        version = self.versions[(c, fld)] = self.versions[(c, fld)] + 1
        change = Change(c, kind, self.records[c][fld], str(body[fld]), version, world.now)
        self.records[c][fld] = change.new
        self.changes[(c, fld, version)] = change
        world.trace.state(world.now, "CRM", f"{key_of(c)} {fld}", change.new, detail=kind)
        for holder in self.holders.values():
            if fld in holder.spec.cares_about:
                holder.pending.setdefault((c, fld), []).append((version, world.now))
        etype = event_type(self.design, kind)
        event = world.event(etype, sender="CRM", key=key_of(c), caused_by=command,
                            payload=payload(self.design, change, self.records[c]))
        self.carries[event.message_id] = {f: self.versions[(c, f)] for f in FIELDS}
        self.change_of[event.message_id] = change
        self.topic.publish_to(event, [n for n, h in self.holders.items()
                                      if etype in h.subscribed])

    def crm_api(self, inbox: simpy.Store) -> Proc:
        world, rng = self.world, self.world.rng("crm-api")
        while True:
            query = yield inbox.get()
            c = int(query.payload["customerId"])
            # A request sent while the CRM is down is refused at once (503); one sent while
            # it was up is still answered, as a server finishes what it has accepted.
            if self.down_until(query.time) is not None:
                reply = world.query("ServiceUnavailable", sender="CRM", key=query.key,
                                    caused_by=query, payload={"status": 503})
            else:
                yield world.env.timeout(rng.expovariate(1.0 / self.config.crm_query_time))
                self.answered += 1
                reply = world.query("CustomerData", sender="CRM", key=query.key,
                                    caused_by=query, payload={"customerId": c, **self.records[c]})
                self.carries[reply.message_id] = {f: self.versions[(c, f)] for f in FIELDS}
            self.api.send(reply, to=query.sender)

    def outages(self) -> Proc:
        world = self.world
        for start, end in self.windows:
            yield world.env.timeout(start - world.now)
            world.trace.record("fault", world.now, "CRM", detail="CRM down")
            world.trace.state(world.now, "CRM", "availability", "down")
            yield world.env.timeout(end - world.now)
            world.trace.state(world.now, "CRM", "availability", "up")
