"""Kafka building blocks for the workbook: partitioner, assignors, and a SimPy Kafka model.

The partitioner and the assignors are pure functions with no SimPy, so a cell can ask "which
partition?" or "who reads what?" directly. The model builds on them: a :class:`Cluster` of
brokers with replicated topics, :class:`Producer` (acks, retries, idempotence) and
:class:`ConsumerGroup` (generations, assignors, commit strategies, lag), all recording into the
world's trace.
"""

from eventlab.core.partitioner import murmur2, partition_for, to_positive
from eventlab.engines.kafka.assignors import CooperativeRebalance, assign, cooperative_rebalance
from eventlab.engines.kafka.broker import Cluster, Topic
from eventlab.engines.kafka.configs import (
    ClusterConfig,
    ConsumerConfig,
    GroupConfig,
    ProducerConfig,
    TopicConfig,
)
from eventlab.engines.kafka.consumer import CRASH_POINTS, Consumer
from eventlab.engines.kafka.group import ConsumerGroup
from eventlab.engines.kafka.log import OffsetOutOfRangeError, PartitionLog, Record
from eventlab.engines.kafka.partition import Partition
from eventlab.engines.kafka.producer import Producer
from eventlab.engines.kafka.transport import KafkaTransport

__all__ = [
    "CRASH_POINTS",
    "Cluster",
    "ClusterConfig",
    "Consumer",
    "ConsumerConfig",
    "ConsumerGroup",
    "CooperativeRebalance",
    "GroupConfig",
    "KafkaTransport",
    "OffsetOutOfRangeError",
    "Partition",
    "PartitionLog",
    "Producer",
    "ProducerConfig",
    "Record",
    "Topic",
    "TopicConfig",
    "assign",
    "cooperative_rebalance",
    "murmur2",
    "partition_for",
    "to_positive",
]
