"""Kafka as transport: the demos of notebook 06, each a Config and a ``run(config)``.

Each module wraps the Kafka model of :mod:`eventlab.engines.kafka` in one experiment:

* :mod:`~eventlab.scenarios.kafka_transport.ordering`: keys, partitions and ordering per key;
* :mod:`~eventlab.scenarios.kafka_transport.groups`: consumer groups scaling up and down,
rebalances, lag;
* :mod:`~eventlab.scenarios.kafka_transport.rebalances`: where duplicates around a rebalance
come from (asynchronous processing, members kicked out);
* :mod:`~eventlab.scenarios.kafka_transport.commits`: commit strategy × crash point (loss vs
duplicates);
* :mod:`~eventlab.scenarios.kafka_transport.durability`: acks × broker faults (lost writes vs
refusals);
* :mod:`~eventlab.scenarios.kafka_transport.cleanup`: retention vs compaction on the same topic;
* :mod:`~eventlab.scenarios.kafka_transport.routing`: one topic for all, routed by message type.
"""

from eventlab.scenarios.kafka_transport import (
    cleanup,
    commits,
    durability,
    groups,
    ordering,
    rebalances,
    routing,
)

__all__ = ["cleanup", "commits", "durability", "groups", "ordering", "rebalances", "routing"]
