"""Generic mechanisms, with no talk-specific names: each engine imports only ``eventlab.core``.

* :mod:`~eventlab.engines.eventstore`: append-only streams with optimistic concurrency, in
  memory and in SQLite; projections, snapshots and upcasting;
* :mod:`~eventlab.engines.kafka`: partitions, replication, producers and consumer groups;
* :mod:`~eventlab.engines.zeebe`: a replicated, partitioned, event-sourced log (Raft, the
  single-writer processor, exporters, job workers, backpressure);
* :mod:`~eventlab.engines.workflow`: process definitions, a token engine, reaction rules and
  wiring tables;
* :mod:`~eventlab.engines.monitoring`: what a trace alone tells (cases, directly-follows).
"""
