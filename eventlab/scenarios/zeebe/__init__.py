"""Zeebe as the example of events on the inside (notebooks 03 and 04; times in milliseconds).

The mechanisms (network, Raft, the single-writer processor, cluster and gateway, locking,
exporters, job workers, backpressure limits) are the engine :mod:`eventlab.engines.zeebe`; this
package re-exports its main names and adds the notebooks' scenarios, each
``module.run(module.Config(...))`` returning a result with ``summary()`` and ``panel()``:

* :mod:`~eventlab.scenarios.zeebe.single_writer`: locking vs single writer;
* :mod:`~eventlab.scenarios.zeebe.replication`: the loop's timeline; RF 1/3/5;
* :mod:`~eventlab.scenarios.zeebe.cp`: split and heal, AP contrast, playback;
* :mod:`~eventlab.scenarios.zeebe.partitions`: scaling, key skew;
* :mod:`~eventlab.scenarios.zeebe.read_models`, :mod:`~eventlab.scenarios.zeebe.backpressure`
  and :mod:`~eventlab.scenarios.zeebe.jobs`;
* charts in :mod:`~eventlab.scenarios.zeebe.views`, pictures in
  :mod:`~eventlab.scenarios.zeebe.pictures`.
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
from eventlab.engines.zeebe.reconcile import Reconciler
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
    "Reconciler",
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
