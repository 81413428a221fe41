"""The simulation of the dual-write story: customer, service, event store, relay, Kafka, Mailing.

Durable state survives a crash: the event store (with the relay's checkpoint saved in it), the
Kafka topic, the consumer group's committed offsets and the Mailing inbox. Volatile state does
not: a command the service was handling, a relay's batch, a consumer's uncommitted position.
A crashed component comes back after ``restart_time``; a crashed Mailing member is replaced by
a new member, and Kafka hands its partitions over once its session has timed out.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from enum import StrEnum
from typing import Any

import simpy

from eventlab.core.channels import Channel
from eventlab.core.messages import Event, Message
from eventlab.core.world import World
from eventlab.engines.eventstore.memory import NO_STREAM, InMemoryEventStore
from eventlab.engines.kafka import Cluster, ConsumerGroup, Producer, Record
from eventlab.scenarios.outbox.config import (
    CLIENT,
    CONSUMER,
    EVENT_TYPE,
    INBOX,
    PROVIDER,
    RELAY,
    SERVICE,
    STORE,
    TOPIC,
    Config,
)

PARTITIONS = 3
SESSION_TIMEOUT = 100.0  # ms until Kafka gives a dead Mailing member's partitions away


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    COMMANDS_SENT = "commands sent"
    CUSTOMERS_STORED = "customers stored"
    EVENTS_PUBLISHED = "events published"
    LOST_EVENTS = "lost events"
    PHANTOM_EVENTS = "phantom events"
    DUPLICATE_PUBLISHES = "duplicate publishes"
    WELCOME_MAILS = "welcome mails"
    DISTINCT_EVENTS_MAILED = "distinct events mailed"
    DUPLICATE_MAILS = "duplicate mails"
    CUSTOMERS_WITHOUT_MAIL = "customers without a mail"
    MAILS_ABOUT_UNKNOWN_CUSTOMERS = "mails about unknown customers"
    SERVICE_CRASHES = "service crashes"
    RELAY_CRASHES = "relay crashes"
    CONSUMER_CRASHES = "consumer crashes"
    MEAN_MS_UNTIL_MAIL = "mean ms until the mail"


class Model:
    """One run: the components, their durable state, and what they did."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.world = world = World(config.seed)
        self.store = InMemoryEventStore()
        self.cluster = Cluster(world)
        self.topic = self.cluster.create_topic(TOPIC, partitions=PARTITIONS)
        self.producer = Producer(self.cluster, RELAY if config.uses_outbox else SERVICE,
                                 request_timeout=200.0)
        self.group = ConsumerGroup(self.cluster, CONSUMER, TOPIC, session_timeout=SESSION_TIMEOUT,
                                   rebalance_delay=5.0, auto_offset_reset="earliest")
        self.api = Channel(world, "customer-api")
        self.commands = self.api.subscribe(SERVICE)
        self.sent_at: dict[str, float] = {}  # command id -> when the customer sent it
        self.mails: list[tuple[str, float]] = []  # (event id, time) of every welcome mail
        self.processed: dict[str, None] = {}  # the inbox: ids whose mail is sent (durable)
        self.keys: dict[str, None] = {}  # the mail provider's idempotency keys (its own store)
        self.crashes = {"service": 0, "relay": 0, "consumer": 0}
        self.handled = 0
        self.relayed = 0  # the relay's saved checkpoint (a copy of what is in the store)
        self.members = 0
        self.customer_done = False
        env = world.env
        env.process(self.customer())
        env.process(self.service())
        if config.uses_outbox:
            env.process(self.relay())
        self.join_consumer()

    # -- actors -------------------------------------------------------------------------

    def customer(self) -> Generator[simpy.Event, Any, None]:
        world = self.world
        rng = world.rng("customer")
        for n in range(1, self.config.commands + 1):
            yield world.env.timeout(rng.expovariate(1.0 / self.config.command_interval))
            command = world.command("RegisterCustomer", sender=CLIENT, key=f"customer-{n}",
                                    payload={"customerId": n, "email": f"user{n}@example.com"})
            self.sent_at[command.message_id] = world.now
            self.api.send(command, to=SERVICE)
        self.customer_done = True

    def service(self) -> Generator[simpy.Event, Any, None]:
        world, variant = self.world, self.config.variant
        while True:
            command = yield self.commands.get()
            self.handled += 1
            if self.crash("service", "before_writes", message=command):
                yield from self.restart(SERVICE)
                continue
            event = world.event(EVENT_TYPE, sender=SERVICE, key=command.key, caused_by=command,
                                payload=dict(command.payload))
            if variant == "publish_then_commit":
                yield from self.publish(event)
                # A crash here: the transaction never commits.
                if self.crash("service", "between_writes", message=event):
                    yield from self.restart(SERVICE)
                    continue
                self.commit(event)
            elif variant == "commit_then_publish":
                self.commit(event)
                # A crash here: the publish never happens.
                if self.crash("service", "between_writes", message=event):
                    yield from self.restart(SERVICE)
                    continue
                yield from self.publish(event)
            else:
                # One transaction: the stored event is its own outbox row; the relay sends it.
                self.commit(event)
            if self.crash("service", "after_writes", message=event):
                yield from self.restart(SERVICE)

    def relay(self) -> Generator[simpy.Event, Any, None]:
        """Tail the event store from the saved checkpoint: publish, then save the checkpoint."""
        world = self.world
        checkpoint = 0
        while not self.finished():
            yield world.env.timeout(self.config.relay_interval)
            for stored in self.store.read_all(checkpoint + 1):
                published = stored.to_message()
                yield from self.publish(published)
                # A crash here: published, but not marked sent.
                if self.crash("relay", "relay_after_publish", message=published):
                    yield from self.restart(RELAY)
                    saved = self.store.load_projection(RELAY)  # volatile state is gone
                    checkpoint = 0 if saved is None else saved[1]
                    break
                self.store.save_projection(RELAY, {}, stored.position,
                                           expected_checkpoint=checkpoint)
                checkpoint = self.relayed = stored.position
                world.trace.state(world.now, RELAY, "checkpoint", checkpoint)

    def join_consumer(self) -> None:
        self.members += 1
        member_id = f"{CONSUMER}-{self.members}"
        self.group.join(member_id, self.handler(member_id), commit="process_then_commit",
                        max_poll_records=10)

    def handler(self, member_id: str) -> Callable[[Record], None]:
        """Mailing's record handler: send a welcome mail through the mail provider.

        The mail is a side effect outside Mailing's database, so no transaction holds both the
        mail and a record of it. With an inbox Mailing sends, then writes the event id: a
        crash in between sends the mail again after the redelivery. With a mail key the
        provider, which does the effect, refuses a key it has seen: that is what makes the
        effect happen once."""
        world, variant = self.world, self.config.variant
        inbox, keyed = variant == "outbox_inbox", variant == "outbox_mail_key"

        def handle(record: Record) -> None:
            message = record.value
            if message is None:
                return
            if inbox and message.message_id in self.processed:
                world.trace.record("note", world.now, CONSUMER, target=INBOX, message=message,
                                   detail=f"{message.message_id} already processed: skipped")
                return
            if keyed and message.message_id in self.keys:
                world.trace.record("note", world.now, PROVIDER, target=CONSUMER,
                                   message=message, detail=f"idempotency key "
                                   f"{message.message_id} seen: not sent again")
            else:
                if keyed:
                    self.keys[message.message_id] = None
                self.mails.append((message.message_id, world.now))
                world.trace.state(world.now, CONSUMER, "welcome mails", len(self.mails),
                                  message=message)
            if inbox and self.crash("consumer", "consumer_after_mail", member_id,
                                      message=message):
                self.stop_member(member_id)  # the inbox row is never written
                return
            if inbox:
                self.processed[message.message_id] = None
                world.trace.state(world.now, INBOX, "processed", len(self.processed),
                                  message=message)
            if self.crash("consumer", "consumer_after_effect", member_id, message=message):
                self.stop_member(member_id)  # the offset of this batch is never committed

        return handle

    def stop_member(self, member_id: str) -> None:
        """A crashed Mailing member leaves the group uncommitted; a new one joins later."""
        self.group.crash(member_id)
        timer = self.world.env.timeout(self.config.restart_time)
        timer.callbacks.append(lambda _event: self.join_consumer())

    # -- plumbing -------------------------------------------------------------------------

    def commit(self, event: Event) -> None:
        self.store.append(str(event.key), [event], expected=NO_STREAM)
        self.world.trace.state(self.world.now, STORE, "events", self.store.head(),
                               message=event)

    def publish(self, message: Message) -> Generator[simpy.Event, Any, None]:
        """Send to Kafka and wait for the acknowledgement (acks=all)."""
        self.producer.send(TOPIC, message)
        yield self.producer.flush()

    def crash(self, component: str, point: str, actor: str | None = None, *,
              message: Message | None = None) -> bool:
        """Whether `component` dies now at `point` (one random stream per point); the trace
        row names the `message` whose handling the crash interrupted."""
        if not self.config.armed(point):
            return False
        if self.world.rng(f"crash/{point}").random() >= self.config.crash_rate:
            return False
        self.crashes[component] += 1
        name = actor or {"service": SERVICE, "relay": RELAY}.get(component, CONSUMER)
        self.world.trace.record("fault", self.world.now, name, message=message,
                                detail=f"crashed {point.replace('_', ' ')}")
        return True

    def restart(self, actor: str) -> Generator[simpy.Event, Any, None]:
        world = self.world
        yield world.env.timeout(self.config.restart_time)
        world.trace.record("note", world.now, actor, detail="restarted")

    def finished(self) -> bool:
        """Nothing more can reach the store, and the relay has published all of it."""
        return (self.customer_done and self.handled == self.config.commands
                and self.relayed == self.store.head())

    # -- measurements ----------------------------------------------------------------------

    def metrics(self) -> dict[str, Any]:
        stored = [e.message_id for e in self.store.read_all()]
        known = dict.fromkeys(stored)
        published = [r.value.message_id for i in range(PARTITIONS)
                     for r in self.topic.records(i) if r.value is not None]
        distinct = dict.fromkeys(published)
        mailed = dict.fromkeys(m for m, _ in self.mails)
        causes = {e.message_id: e.causation_id for e in self.store.read_all()}
        waits = [t - self.sent_at[str(causes[m])] for m, t in _first(self.mails) if m in causes]
        return {
            Metric.COMMANDS_SENT: self.config.commands,
            Metric.CUSTOMERS_STORED: len(stored),
            Metric.EVENTS_PUBLISHED: len(published),
            Metric.LOST_EVENTS: sum(m not in distinct for m in stored),
            Metric.PHANTOM_EVENTS: sum(m not in known for m in distinct),
            Metric.DUPLICATE_PUBLISHES: len(published) - len(distinct),
            Metric.WELCOME_MAILS: len(self.mails),
            Metric.DISTINCT_EVENTS_MAILED: len(mailed),
            Metric.DUPLICATE_MAILS: len(self.mails) - len(mailed),
            Metric.CUSTOMERS_WITHOUT_MAIL: sum(m not in mailed for m in stored),
            Metric.MAILS_ABOUT_UNKNOWN_CUSTOMERS: sum(m not in known for m in mailed),
            Metric.SERVICE_CRASHES: self.crashes["service"],
            Metric.RELAY_CRASHES: self.crashes["relay"],
            Metric.CONSUMER_CRASHES: self.crashes["consumer"],
            # Whole milliseconds: the summary column then stays a column of integers.
            Metric.MEAN_MS_UNTIL_MAIL: round(sum(waits) / len(waits)) if waits else 0,
        }


def _first(mails: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The first mail per event id, in order."""
    seen: dict[str, float] = {}
    for message_id, time in mails:
        seen.setdefault(message_id, time)
    return list(seen.items())
