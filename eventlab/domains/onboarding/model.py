"""The on-boarding run: registrations, Onboarding, and the five services (minutes).

Onboarding handles each registration: it runs both checks (sending a command, or
publishing ``RegistrationRequested`` and waiting for the answer event), creates the
customer and publishes ``CustomerCreated``, then sends the commands of the other steps
that are commands. It waits for every reply it expects for ``timeout`` minutes and raises an
incident when none comes: that is the only way anybody *notices* a missing step. A failing
service silently drops everything it receives.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from eventlab.core.messages import Message
from eventlab.core.topic import Topic
from eventlab.core.world import World
from eventlab.domains.onboarding.config import ONBOARDING, STEPS, Config, Step

Proc = Generator[simpy.Event, Any, Any]


class Model:
    """One run of on-boarding under one set of toggles."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.world = world = World(config.seed)
        self.bus = Topic(world, "onboarding", latency=0.1)
        self.subscribers: dict[str, list[str]] = {}  # event type -> who reacts to it
        self.waiting: dict[tuple[str, str], simpy.Event] = {}  # (key, reply) -> its arrival
        self.expected: dict[str, list[str]] = {s.field: [] for s in STEPS}  # keys per step
        self.done: dict[str, list[str]] = {s.field: [] for s in STEPS}
        self.noticed: dict[str, list[str]] = {s.field: [] for s in STEPS}
        self.created: dict[str, float] = {}  # key -> minutes from registration to customer
        for step in STEPS:
            inbox = self.bus.subscribe(step.service)
            if config.style(step) == "event":
                self.subscribers.setdefault(step.trigger, []).append(step.service)
                if step.decides:  # Onboarding needs the answer: it subscribes to it
                    self.subscribers.setdefault(step.reply, []).append(ONBOARDING)
            world.env.process(self.service(step, inbox))
        world.env.process(self.replies(self.bus.subscribe(ONBOARDING)))
        world.env.process(self.registrations())

    def registrations(self) -> Proc:
        world, rng = self.world, self.world.rng("registrations")
        for i in range(1, self.config.customers + 1):
            yield world.env.timeout(rng.expovariate(1.0 / self.config.arrival_interval))
            key = f"customer-{i:02d}"
            command = world.command("RegisterCustomer", sender="Customer", key=key,
                                    payload={"customerId": i})
            world.trace.hop("send", world.now, "Customer", ONBOARDING, command, "web")
            world.env.process(self.onboard(command))

    def publish(self, type_: str, cause: Message, sender: str = ONBOARDING) -> None:
        event = self.world.event(type_, sender=sender, key=cause.key, caused_by=cause,
                                 payload={"customerId": cause.payload["customerId"]})
        self.bus.publish_to(event, self.subscribers.get(type_, []))

    def ask(self, step: Step, cause: Message) -> simpy.Event:
        """Expect `step`'s reply for this customer; send its command if it is a command."""
        key = str(cause.key)
        self.expected[step.field].append(key)
        arrival = self.waiting[(key, step.reply)] = self.world.env.event()
        if self.config.style(step) == "command":
            self.bus.send(self.world.command(step.command, sender=ONBOARDING, key=key,
                                             caused_by=cause,
                                             payload={"customerId": cause.payload["customerId"]}),
                          to=step.service)
        return arrival

    def wait(self, key: str, steps: list[tuple[Step, simpy.Event]]) -> Proc:
        """Wait for each reply until the timeout; raise an incident for each one missing."""
        world = self.world
        deadline = world.now + self.config.timeout
        missing = []
        for step, arrival in steps:
            if not arrival.triggered:
                yield arrival | world.env.timeout(max(deadline - world.now, 0.0))
            if not arrival.triggered:
                missing.append(step)
        for step in missing:
            self.noticed[step.field].append(key)
            world.trace.record("fault", world.now, ONBOARDING, target=step.service,
                               entity=key, detail=f"incident: no {step.reply} after "
                                                  f"{self.config.timeout:g} min")
        return missing

    def onboard(self, registration: Message) -> Proc:
        world, config, start = self.world, self.config, self.world.now
        checks = [s for s in STEPS if s.decides]
        if any(config.style(s) == "event" for s in checks):
            self.publish("RegistrationRequested", registration)
        key = str(registration.key)
        missing = yield from self.wait(key, [(s, self.ask(s, registration)) for s in checks])
        if missing:  # no customer without both checks
            return
        self.created[key] = world.now - start
        world.trace.state(world.now, ONBOARDING, f"{key} status", "customer created")
        for step in STEPS:
            if not step.decides and config.style(step) == "event":
                self.expected[step.field].append(key)  # somebody else is expected to react
        self.publish("CustomerCreated", registration)
        told = [(s, self.ask(s, registration)) for s in STEPS
                if not s.decides and config.style(s) == "command"]
        yield from self.wait(key, told)

    def replies(self, inbox: simpy.Store) -> Proc:
        while True:
            message = yield inbox.get()
            arrival = self.waiting.get((str(message.key), message.type))
            if arrival is not None and not arrival.triggered:
                arrival.succeed(message)

    def service(self, step: Step, inbox: simpy.Store) -> Proc:
        world, rng = self.world, self.world.rng(f"work/{step.service}")
        while True:
            message = yield inbox.get()
            work = rng.expovariate(1.0 / self.config.work_time)  # drawn even when failing
            if self.config.failing == step.field:
                world.trace.record("fault", world.now, step.service, message=message,
                                   entity=message.key, detail=f"broken: {message.type} lost")
                continue
            yield world.env.timeout(work)
            key = str(message.key)
            self.done[step.field].append(key)
            world.trace.state(world.now, step.service, f"{key} {step.name}", "done")
            if message.kind == "command":  # a command is answered to its sender
                self.bus.send(world.event(step.reply, sender=step.service, key=key,
                                          caused_by=message, payload=dict(message.payload)),
                              to=ONBOARDING)
            else:  # a fact for whoever cares (Onboarding, if it needs the answer)
                self.publish(step.reply, message, sender=step.service)
