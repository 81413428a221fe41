"""Kafka as transport: the demos of notebook 06, each a Config and a ``run(config)``.

Each module wraps the Kafka model of :mod:`eventlab.kafka` in one experiment:

* :mod:`~eventlab.transport.ordering`: keys, partitions and ordering per key;
* :mod:`~eventlab.transport.groups`: consumer groups scaling up and down, rebalances, lag;
* :mod:`~eventlab.transport.commits`: commit strategy × crash point (loss vs duplicates);
* :mod:`~eventlab.transport.durability`: acks × broker faults (lost writes vs refusals);
* :mod:`~eventlab.transport.cleanup`: retention vs compaction on the same topic;
* :mod:`~eventlab.transport.routing`: one topic for all, routed by message type.
"""

from eventlab.transport import cleanup, commits, durability, groups, ordering, routing

__all__ = ["cleanup", "commits", "durability", "groups", "ordering", "routing"]
