"""Zeebe's mechanisms: a replicated, partitioned, event-sourced log (times in milliseconds).

* :mod:`~eventlab.engines.zeebe.network`: latency, crashes, splits and heals as a fault schedule;
* :mod:`~eventlab.engines.zeebe.raft`: one partition's Raft group (terms, votes, quorum commit,
  check quorum; ``ap_mode`` for contrast);
* :mod:`~eventlab.engines.zeebe.processor`: the single-writer stream processor and its loop;
* :mod:`~eventlab.engines.zeebe.cluster`: brokers, placement, routing, gateway;
* :mod:`~eventlab.engines.zeebe.locking`: the Camunda 7 alternative, rows with optimistic locking;
* :mod:`~eventlab.engines.zeebe.exporters`, :mod:`~eventlab.engines.zeebe.workers`,
  :mod:`~eventlab.engines.zeebe.limits`: read models, job workers, backpressure;
* :mod:`~eventlab.engines.zeebe.retries`: how clients retry (exponential backoff, jitter);
* :mod:`~eventlab.engines.zeebe.reconcile`: merge rules for an AP split (last writer wins,
  a merge of commutative operations).

The notebooks' scenarios on top of these are in :mod:`eventlab.scenarios.zeebe`.
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

__all__ = ["Cluster", "Fault", "Network", "Partition", "RaftGroup", "Record", "Request",
           "decide", "evolve", "instance_key", "message_partition", "partition_of_key",
           "placement", "quorum", "replay"]
