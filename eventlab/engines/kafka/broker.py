"""A Kafka cluster in SimPy: brokers that crash and restart, and topics of partitions on them.

The Kafka notebook builds every experiment on one :class:`Cluster`: create a topic (partitions,
replication factor, ``min.insync.replicas``, retention, compaction), attach producers and
consumer groups, then crash a broker and watch leaders move, the ISR shrink and acknowledged
writes survive or vanish. Replicas of partition *p* sit on brokers *p, p+1, ...* (mod the broker
count), so leadership is spread as Kafka spreads it. Times are simulated milliseconds.
"""

from __future__ import annotations

from typing import Any

from eventlab.core.errors import ConfigError, check_int, check_text
from eventlab.core.partitioner import partition_for
from eventlab.core.world import World
from eventlab.engines.kafka.configs import ClusterConfig, TopicConfig, configure
from eventlab.engines.kafka.log import Record
from eventlab.engines.kafka.partition import Partition

ROUTE_CACHE = 100_000  # keys whose partition a topic remembers (murmur2 in Python is slow)


class Topic:
    """A named topic: its partitions and the key → partition routing of Kafka's partitioner."""

    def __init__(self, cluster: Cluster, name: str, config: TopicConfig) -> None:
        self.cluster = cluster
        self.name = name
        self.config = config
        brokers = cluster.config.brokers
        self.partitions = [
            Partition(self, p, [(p + i) % brokers for i in range(config.replication_factor)])
            for p in range(config.partitions)
        ]
        self._routes: dict[str | bytes, int] = {}

    def __repr__(self) -> str:
        return f"Topic({self.name!r}, partitions={len(self.partitions)})"

    def partition_for(self, key: str | bytes) -> int:
        """The partition Kafka's default partitioner picks for `key` (remembered per key)."""
        partition = self._routes.get(key)
        if partition is None:
            partition = partition_for(key, len(self.partitions))
            if len(self._routes) < ROUTE_CACHE:
                self._routes[key] = partition
        return partition

    def partition(self, index: int) -> Partition:
        """Partition number `index`."""
        check_int("partition", index, low=0, high=len(self.partitions) - 1)
        return self.partitions[index]

    def records(self, index: int) -> list[Record]:
        """The committed records of partition `index` as consumers see them (the leader's log)."""
        partition = self.partition(index)
        log = partition.log
        if log is None:
            return []
        return log.read(log.start_offset, len(log), partition.high_watermark)

    def high_watermarks(self) -> list[int]:
        """Per partition: the offset below which records are committed."""
        return [p.high_watermark for p in self.partitions]

    def end_offsets(self) -> list[int]:
        """Per partition: the leader's log end offset (the next offset to be written)."""
        return [p.log.end_offset if p.log is not None else -1 for p in self.partitions]

    def clean(self) -> int:
        """Run retention and compaction on every partition now; return records removed."""
        return sum(p.clean() for p in self.partitions)


class Cluster:
    """Brokers (``broker-0``, ``broker-1``, ...) hosting topics inside one World."""

    def __init__(self, world: World, config: ClusterConfig | None = None,
                 **settings: Any) -> None:
        if not isinstance(world, World):
            raise TypeError(f"world must be an eventlab World, got {type(world).__name__}")
        self.world = world
        self.config = configure(ClusterConfig, config, settings)
        self.alive = [True] * self.config.brokers
        self.topics: dict[str, Topic] = {}

    def __repr__(self) -> str:
        up = sum(self.alive)
        return f"Cluster({up}/{len(self.alive)} brokers up, topics={list(self.topics)})"

    def create_topic(self, name: str, config: TopicConfig | None = None,
                     **settings: Any) -> Topic:
        """Create topic `name` (settings as in :class:`TopicConfig`)."""
        check_text("name", name)
        if name in self.topics:
            raise ConfigError(f"topic {name!r} already exists")
        topic_config = configure(TopicConfig, config, settings)
        if topic_config.replication_factor > self.config.brokers:
            raise ConfigError(f"replication_factor={topic_config.replication_factor} needs as "
                              f"many brokers; this cluster has {self.config.brokers}")
        topic = self.topics[name] = Topic(self, name, topic_config)
        return topic

    def topic(self, name: str) -> Topic:
        """The topic called `name`; the error lists the topics that exist."""
        topic = self.topics.get(name)
        if topic is None:
            known = ", ".join(repr(t) for t in self.topics) or "none yet"
            raise ConfigError(f"no topic {name!r} in this cluster; topics: {known}")
        return topic

    def crash_broker(self, broker: int) -> None:
        """Broker `broker` dies: its leaderships move, its followers fall out of the ISR."""
        self._check_broker(broker)
        if not self.alive[broker]:
            raise ConfigError(f"broker-{broker} is already down")
        self.alive[broker] = False
        self.world.trace.record("fault", self.world.now, f"broker-{broker}", detail="crashed")
        for partition in self._hosted(broker):
            if partition.leader == broker:
                partition.leader_down(broker)
            else:
                partition.follower_down(broker)

    def restart_broker(self, broker: int) -> None:
        """Broker `broker` comes back with its (durable) logs and rejoins its partitions."""
        self._check_broker(broker)
        if self.alive[broker]:
            raise ConfigError(f"broker-{broker} is already up")
        self.alive[broker] = True
        self.world.trace.record("note", self.world.now, f"broker-{broker}", detail="restarted")
        for partition in self._hosted(broker):
            partition.broker_up(broker)

    def _hosted(self, broker: int) -> list[Partition]:
        return [p for t in self.topics.values() for p in t.partitions if broker in p.replicas]

    def _check_broker(self, broker: Any) -> None:
        check_int("broker", broker, low=0, high=len(self.alive) - 1)
