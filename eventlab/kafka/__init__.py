"""Kafka building blocks for the workbook: the key partitioner and the consumer-group assignors.

Pure functions with no SimPy, so a cell can ask "which partition?" or "who reads what?" directly;
the broker model builds on them.
"""

from eventlab.kafka.assignors import CooperativeRebalance, assign, cooperative_rebalance
from eventlab.kafka.partitioner import murmur2, partition_for, to_positive

__all__ = [
    "CooperativeRebalance",
    "assign",
    "cooperative_rebalance",
    "murmur2",
    "partition_for",
    "to_positive",
]
