"""Zeebe as the example of events on the inside: a replicated, partitioned, event-sourced log.

Building blocks (each usable on its own inside a :class:`~eventlab.core.world.World`):

* :mod:`~eventlab.engines.zeebe.network`: latency, crashes, splits and heals as a fault schedule;
* :mod:`~eventlab.engines.zeebe.raft`: one partition's Raft group (terms, votes, quorum commit,
  check quorum; ``ap_mode`` for contrast);
* :mod:`~eventlab.engines.zeebe.processor`: the single-writer stream processor and its 7-step loop;
* :mod:`~eventlab.engines.zeebe.cluster`: brokers, placement, routing (round-robin, murmur2), gateway;
* :mod:`~eventlab.engines.zeebe.locking`: the Camunda 7 alternative, rows with optimistic locking;
* :mod:`~eventlab.engines.zeebe.exporters`, :mod:`~eventlab.engines.zeebe.workers`,
  :mod:`~eventlab.engines.zeebe.limits`: read models, job workers, backpressure.

Scenarios (``module.run(module.Config(...))`` returns a RunResult with ``summary()``):
:mod:`~eventlab.scenarios.zeebe.single_writer` (locking vs single writer),
:mod:`~eventlab.scenarios.zeebe.replication` (the loop's timeline; RF 1/3/5), :mod:`~eventlab.scenarios.zeebe.cp`
(split and heal, AP contrast, playback), :mod:`~eventlab.scenarios.zeebe.partitions` (scaling, key
skew), :mod:`~eventlab.scenarios.zeebe.read_models`, :mod:`~eventlab.scenarios.zeebe.backpressure` and
:mod:`~eventlab.scenarios.zeebe.jobs`; charts and panel views in :mod:`~eventlab.scenarios.zeebe.views`.
Times are milliseconds.
"""

from eventlab.engines.zeebe.cluster import (
    Cluster,
    instance_key,
    message_partition,
    partition_of_key,
    placement,
)
from eventlab.engines.zeebe.network import Fault, Network
from eventlab.engines.zeebe.processor import Partition
from eventlab.engines.zeebe.raft import RaftGroup, quorum
from eventlab.engines.zeebe.records import Record, Request, decide, evolve, replay
from eventlab.scenarios.zeebe import (
    backpressure,
    cp,
    jobs,
    partitions,
    read_models,
    replication,
    single_writer,
    views,
)
from eventlab.scenarios.zeebe.pictures import placement_diagram

__all__ = [
    "Cluster",
    "Fault",
    "Network",
    "Partition",
    "RaftGroup",
    "Record",
    "Request",
    "backpressure",
    "cp",
    "decide",
    "evolve",
    "instance_key",
    "jobs",
    "message_partition",
    "partition_of_key",
    "partitions",
    "placement",
    "placement_diagram",
    "quorum",
    "read_models",
    "replay",
    "replication",
    "single_writer",
    "views",
]
