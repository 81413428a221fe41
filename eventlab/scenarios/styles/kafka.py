"""Both styles on the same Kafka: one topic, its partitions, a consumer group per service.

:class:`Kafka` builds a 3-broker cluster with the shop's topic ``flowing-retail`` (3
partitions, replication factor 3, keyed by order id, so one order's messages keep their
order) through :class:`~eventlab.engines.kafka.transport.KafkaTransport`, and a dead-letter
topic. :meth:`Kafka.connect` gives an outbox relay its publisher (a fresh idempotent
``acks=all`` producer per relay start, which waits for the acknowledgement); an
:class:`Endpoint` is a service's consumer group: members that read at least once (process,
then commit), and can crash one at a time (mid-batch) or all together.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

import simpy

from eventlab.core.errors import check_text
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.engines.kafka import ConsumerGroup, KafkaTransport, Producer, Record
from eventlab.engines.workflow.outbox import Publisher

TOPIC = "flowing-retail"
DEAD_LETTERS = "flowing-retail-dlt"
PARTITIONS = 3
MEMBERS = 2  # consumers per service: one takes over when the other dies
MAX_POLL_RECORDS = 20


class Kafka:
    """The cluster, its two topics, and counters of the producers made for relays."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.transport = KafkaTransport(world, TOPIC, partitions=PARTITIONS, brokers=3,
                                        replication_factor=3)
        self.cluster = self.transport.cluster
        self.cluster.create_topic(DEAD_LETTERS, partitions=1, replication_factor=3)
        self._connections: dict[str, int] = {}

    def connect(self, name: str, topic: str = TOPIC) -> Callable[[], Publisher]:
        """What an outbox calls at each relay start: a publisher on a new producer."""
        check_text("name", name)

        def connection() -> Publisher:
            count = self._connections.get(name, 0) + 1
            self._connections[name] = count
            producer = Producer(self.cluster, f"{name} relay #{count}")
            return _publisher(producer, topic)
        return connection

    def records(self, topic: str = TOPIC) -> list[Record]:
        """Every committed record of `topic`, partition by partition."""
        found = self.cluster.topic(topic)
        return [r for i in range(len(found.partitions)) for r in found.records(i)]


def _publisher(producer: Producer, topic: str) -> Publisher:
    def publish(batch: Sequence[Message]) -> Generator[simpy.Event, Any, int]:
        failed_before = len(producer.failed)
        for message in batch:
            producer.send(topic, message, key=message.key or message.message_id)
        yield producer.flush()
        failed = {id(m) for m, _ in producer.failed[failed_before:]}
        # The rows before the first refused one are safe; the relay sends the rest again.
        return next((i for i, m in enumerate(batch) if id(m) in failed), len(batch))
    return publish


class Endpoint:
    """One service's consumer group on a topic, with its faults."""

    def __init__(self, kafka: Kafka, name: str, types: Sequence[str] | None,
                 receive: Callable[[Message], Any], *, topic: str = TOPIC) -> None:
        self.kafka, self.name, self.receive = kafka, check_text("name", name), receive
        self.types = None if types is None else list(types)
        self.group = ConsumerGroup(kafka.cluster, name, topic, auto_offset_reset="earliest")
        self.joined = 0
        self.crashes = 0
        self.seen: dict[str, None] = {}  # message ids delivered so far (an ordered set)
        self.duplicates = 0  # copies of a message this group had been handed before
        self._crash_at: float | None = None
        for _ in range(MEMBERS):
            self._join()

    def _join(self) -> None:
        self.joined += 1
        member = f"{self.name}-{self.joined}"
        self.group.join(member, self._handler(member), types=self.types,
                        commit="process_then_commit", max_poll_records=MAX_POLL_RECORDS)

    def _handler(self, member: str) -> Callable[[Record], None]:
        def handle(record: Record) -> None:
            message = record.value
            if message is None:
                return
            if message.message_id in self.seen:
                self.duplicates += 1
            else:
                self.seen[message.message_id] = None
            self.receive(message)
            at = self._crash_at
            if at is not None and self.kafka.world.now >= at:
                # Handed to the service, not committed: the next owner gets it again.
                self._crash_at = None
                self.crash_member(member)
        return handle

    def crash_mid_batch(self, at: float) -> None:
        """Arm: the member that handles the first record at or after `at` dies right after
        handing it over, before its batch is committed; it is replaced at once by a new
        member (Kafka gives it partitions after the dead one's session times out)."""
        self._crash_at = at

    def crash_member(self, member: str) -> None:
        self.crashes += 1
        self.group.crash(member)
        self._join()

    def crash_all(self) -> None:
        """Every member dies (the service is down)."""
        for member_id, member in list(self.group.members.items()):
            if member.alive:
                self.crashes += 1
                self.group.crash(member_id)

    def restart(self) -> None:
        """Fresh members join (the service is back)."""
        for _ in range(MEMBERS):
            self._join()
