"""The Kafka model behind the workbook's :class:`~eventlab.core.transport.Transport` shape.

``publish`` is a :class:`~eventlab.engines.kafka.producer.Producer` send (one producer per
sending service, keyed by the message key, so one key's messages share a partition and keep
their order); ``subscribe`` starts one consumer group per subscribing service, as the companion
code's services each read the ``flowing-retail`` topic in their own group, and puts each record
it handles into the service's inbox. Everything the model records (appends, fetches, commits)
lands in the world's trace like any other transport's rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import simpy

from eventlab.core.errors import ConfigError, check_int, check_text
from eventlab.core.messages import Message
from eventlab.core.transport import Guarantees
from eventlab.core.world import World
from eventlab.engines.kafka.broker import Cluster
from eventlab.engines.kafka.configs import ClusterConfig, TopicConfig
from eventlab.engines.kafka.group import ConsumerGroup
from eventlab.engines.kafka.log import Record
from eventlab.engines.kafka.producer import Producer


class KafkaTransport:
    """One topic of a Kafka cluster model, used as a transport between services."""

    def __init__(self, world: World, name: str = "flowing-retail", *, partitions: int = 3,
                 brokers: int = 1, replication_factor: int = 1,
                 cluster: Cluster | None = None) -> None:
        if not isinstance(world, World):
            raise TypeError(f"world must be an eventlab World, got {type(world).__name__}")
        self.world = world
        self.name = check_text("name", name)
        check_int("partitions", partitions, low=1, high=1000)
        if cluster is None:
            cluster = Cluster(world, ClusterConfig(brokers=brokers))
        elif cluster.world is not world:
            raise ConfigError("cluster must run in the same world as the transport")
        self.cluster = cluster
        cluster.create_topic(name, TopicConfig(partitions=partitions,
                                               replication_factor=replication_factor))
        self._producers: dict[str, Producer] = {}
        self.groups: dict[str, ConsumerGroup] = {}

    @property
    def guarantees(self) -> Guarantees:
        """No loss once acknowledged (acks=all, idempotent producer); order per key (one key,
        one partition). Duplicates come only with faults (a consumer that dies before it
        commits), so the nominal figure is 0."""
        return Guarantees(latency=0.0, loss=0.0, duplicates=0.0, ordering="per key")

    def publish(self, message: Message) -> None:
        """Produce `message` to the topic, keyed by its key (its id when it has none)."""
        if not isinstance(message, Message):
            raise TypeError(f"message must be an eventlab Message, got {type(message).__name__}")
        producer = self._producers.get(message.sender)
        if producer is None:
            # Kafka 3's defaults (acks=all, idempotence on): an acknowledged write survives.
            producer = self._producers[message.sender] = Producer(self.cluster,
                                                                  f"{message.sender} producer")
        producer.send(self.name, message, key=message.key or message.message_id)

    def subscribe(self, actor: str, types: Iterable[str] | None = None) -> simpy.Store:
        """One consumer group for `actor`; each handled record of `types` goes to its inbox."""
        check_text("actor", actor)
        if actor in self.groups:
            raise ConfigError(f"actor {actor!r} is already subscribed to {self.name!r}")
        wanted = None
        if types is not None:
            if isinstance(types, str):
                raise TypeError(f"types must be a list of message types, got {types!r}")
            wanted = [check_text("message type", t) for t in types]
            if not wanted:
                raise ConfigError(f"{actor} subscribes to no message type; pass None for all")
        inbox = simpy.Store(self.world.env)

        def handle(record: Record) -> None:
            if record.value is not None:  # a tombstone carries no message
                inbox.put(record.value)

        # A service that subscribes late still reads the topic from its start, as the
        # companion code's services do on a topic created for them.
        group = self.groups[actor] = ConsumerGroup(self.cluster, actor, self.name,
                                                   auto_offset_reset="earliest")
        group.join(f"{actor}-1", handle, types=wanted)
        return inbox
