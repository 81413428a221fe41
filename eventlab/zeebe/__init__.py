"""Zeebe as the example of events on the inside: a replicated, partitioned, event-sourced log.

Building blocks (each usable on its own inside a :class:`~eventlab.world.World`):

* :mod:`~eventlab.zeebe.network`: latency, crashes, splits and heals as a fault schedule;
* :mod:`~eventlab.zeebe.raft`: one partition's Raft group (terms, votes, quorum commit,
  check quorum; ``ap_mode`` for contrast);
* :mod:`~eventlab.zeebe.processor`: the single-writer stream processor and its 7-step loop;
* :mod:`~eventlab.zeebe.cluster`: brokers, placement, routing (round-robin, murmur2), gateway;
* :mod:`~eventlab.zeebe.locking`: the Camunda 7 alternative, rows with optimistic locking;
* :mod:`~eventlab.zeebe.exporters`, :mod:`~eventlab.zeebe.workers`,
  :mod:`~eventlab.zeebe.limits`: read models, job workers, backpressure.

Scenarios (``module.run(module.Config(...))`` returns a RunResult with ``summary()``):
:mod:`~eventlab.zeebe.single_writer` (locking vs single writer),
:mod:`~eventlab.zeebe.replication` (the loop's timeline; RF 1/3/5), :mod:`~eventlab.zeebe.cp`
(split and heal, AP contrast, playback), :mod:`~eventlab.zeebe.partitions` (scaling, key
skew), :mod:`~eventlab.zeebe.read_models`, :mod:`~eventlab.zeebe.backpressure` and
:mod:`~eventlab.zeebe.jobs`; charts and panel views in :mod:`~eventlab.zeebe.views`.
Times are milliseconds.
"""

from eventlab.zeebe import (
    backpressure,
    cp,
    jobs,
    partitions,
    read_models,
    replication,
    single_writer,
    views,
)
from eventlab.zeebe.cluster import (
    Cluster,
    instance_key,
    message_partition,
    partition_of_key,
    placement,
    placement_diagram,
)
from eventlab.zeebe.network import Fault, Network
from eventlab.zeebe.processor import Partition
from eventlab.zeebe.raft import RaftGroup, quorum
from eventlab.zeebe.records import Record, Request, decide, evolve, replay

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
