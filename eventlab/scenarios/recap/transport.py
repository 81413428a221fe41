"""The capstone's transport: a partitioned topic, and a dual write or an outbox with inboxes.

A service either dual-writes (its database, then the topic: a crash in between loses the
message) or, with ``outbox=True``, stores the message with its change and a relay publishes
it. The Order service, when it orchestrates, is a workflow engine: its commands and events
leave from the engine's durable log at least once whatever ``outbox`` says (the engine is its
own outbox), and every receiver drops a second copy of an engine message by its message id
(as Zeebe users build workers idempotent by command id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from typing import Any

import simpy

from eventlab.core.bus import Bus
from eventlab.core.messages import Message
from eventlab.core.partitioner import partition_for
from eventlab.core.transport import Guarantees
from eventlab.core.world import World
from eventlab.scenarios.recap.choices import Config

HUMANS = ("Customer",)  # people click buttons; they have no database to crash between writes
ENGINE = "Order"  # the orchestrating service: a workflow engine that sends from its own log


class Transport(Bus):
    """The topic with partitions, one consumer per (service, partition), and either a dual
    write (a crash loses the message) or an outbox with a relay and inboxes; an orchestrating
    Order always sends through its engine's relay, and its messages are always deduplicated."""

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
        self.longest: dict[str, float] = {}  # per consuming service: its longest wait

    @property
    def guarantees(self) -> Guarantees:
        """A dual write loses a message when its service crashes between commit and publish;
        an outbox never loses one but its relay may publish twice (the inboxes drop those);
        order holds per key, inside one partition. Without the services' outbox an
        orchestrating Order's engine still relays (so copies may come twice), but the
        services' own messages may be lost: the promise is the weaker of the two."""
        crash = self.config.crash_rate
        relayed = self.config.outbox or self.config.orchestrated
        return Guarantees(latency=self.latency, loss=0.0 if self.config.outbox else crash,
                          duplicates=crash if relayed else 0.0, ordering="per key")

    def relays(self, sender: str) -> bool:
        """Whether `sender`'s messages leave through a relay from a durable log: every
        service's with the outbox, and an orchestrating Order's (its engine) always."""
        if sender in HUMANS:
            return False
        return self.config.outbox or (self.config.orchestrated and sender == ENGINE)

    def deduplicates(self, message: Message) -> bool:
        """Whether a receiver drops a second copy of `message` by its id: every message with
        the outbox (the inboxes), and an orchestrating Order's always (idempotent workers)."""
        return self.config.outbox or (self.config.orchestrated and message.sender == ENGINE)

    def publish(self, message: Message) -> None:
        """A service's write: dual write (maybe lost) or into its outbox (or the engine's
        log, for an orchestrating Order)."""
        sender = message.sender
        if self.relays(sender):
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
        if self.deduplicates(message):
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
            waited = self.world.now - arrived
            self.waits.append(waited)
            self.longest[actor] = max(waited, self.longest.get(actor, 0.0))
            if self.config.handling:
                yield env.timeout(self.config.handling)
            self.world.trace.record("deliver", self.world.now, actor, target=message.sender,
                                    message=message, channel=self.name, partition=partition)
            inbox.put(message)
