"""acks × broker faults: which acknowledged writes survive, and what durability costs.

Measured on one partition with three replicas. The
producer writes one record per ``write_interval`` ms; followers copy the leader every
``replica_fetch_delay`` ms. At ``crash_at`` ms a fault hits:

* ``leader_crash``: the leader dies. With ``acks=1`` it had already acknowledged records the
  followers had not copied yet: the new leader never had them, and they are lost. With
  ``acks="all"`` a record is acknowledged only once every in-sync replica has it, so nothing
  acknowledged is lost (the unacknowledged ones are retried on the new leader);
* ``followers_down``: both followers die. After ``replica.lag.time.max.ms`` (20 ms here) the
  ISR shrinks to the leader alone. ``acks=1`` and ``acks="all"`` with ``min.insync.replicas=1``
  keep accepting writes on one copy (at risk); ``min.insync.replicas=2`` refuses them with
  ``NOT_ENOUGH_REPLICAS``: unavailable, but nothing acknowledged is at risk.

At 100 ms after the fault the dead brokers come back and the run drains. Times are ms.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.errors import ConfigError
from eventlab.core.world import World
from eventlab.engines.kafka import Cluster, Producer

FAULTS: tuple[str, ...] = ("leader_crash", "followers_down")
SETTINGS: tuple[tuple[str, Any, int], ...] = (("acks=1", 1, 1), ("acks=all, min ISR 1", "all", 1),
                                              ("acks=all, min ISR 2", "all", 2))
TOPIC = "payments"
HEAL_AFTER = 100.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the durability demo (times in ms)."""

    acks: int | str = param(1, choices=(0, 1, "all"), help="0, 1 or all")
    min_insync_replicas: int = param(1, low=1, high=3, help="min.insync.replicas")
    fault: str = param("leader_crash", choices=FAULTS, help="what goes wrong at crash_at")
    writes: int = param(40, low=1, high=2000, help="records written, one per write_interval")
    write_interval: float = param(1.0, low=0.1, high=100.0, step=0.1,
                                  help="ms between two writes")
    replica_fetch_delay: float = param(5.0, low=0.0, high=100.0, step=0.5,
                                       help="ms until followers copy new records")
    crash_at: float = param(9.5, low=0.0, high=10_000.0, step=0.5, help="ms of the fault")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """`writes` records, each sent, replicated to two followers and acknowledged (retried
        after the fault). Measured on a 2-core laptop (CPU time, busy machine): at most 110 us
        per write; the estimate is 160 us. Every slider at its maximum stays far below the
        budget (0.22 s measured)."""
        return Cost(seconds=0.01 + self.writes * 160e-6, megabytes=110 + self.writes * 0.004,
                    drivers={"writes": "lower"})

    def check(self) -> None:
        """min.insync.replicas only acts on acks=all: a slider that does nothing misleads."""
        if self.acks == "all" or self.min_insync_replicas == 1:
            return
        raise ConfigError(f"min_insync_replicas={self.min_insync_replicas} only matters with "
                          f"acks='all'; with acks={self.acks!r} set it to 1")


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    WRITES = "writes"
    ACKNOWLEDGED = "acknowledged"
    FAILED_SENDS = "failed sends"
    NOT_ENOUGH_REPLICAS_ANSWERS = "NOT_ENOUGH_REPLICAS answers"
    ACKNOWLEDGED_THEN_LOST = "acknowledged, then lost"
    ACKNOWLEDGED_ON_ONE_COPY_ONLY = "acknowledged on one copy only"
    RECORDS_IN_LOG = "records in the log"
    DUPLICATES_IN_LOG = "duplicates in the log"


def run(config: Config | None = None) -> results.RunResult:
    """Write, hit the fault, heal, drain; count what the producer was told and what is left."""
    config = resolve(Config, config)
    world = World(config.seed)
    cluster = Cluster(world, replica_fetch_delay=config.replica_fetch_delay,
                      replica_lag_max=20.0)
    topic = cluster.create_topic(TOPIC, partitions=1,
                                 min_insync_replicas=config.min_insync_replicas)
    producer = Producer(cluster, "Payment service", acks=config.acks,
                        idempotent=config.acks == "all", request_timeout=50.0,
                        retry_backoff=10.0, retries=2)
    env = world.env
    one_copy: list[int] = []

    def write() -> Generator[simpy.Event, Any, None]:
        for n in range(config.writes):
            producer.send(TOPIC, world.event("PaymentBooked", sender="Payment service",
                                             key="account-1", payload={"n": n}))
            yield env.timeout(config.write_interval)

    def fault() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(config.crash_at)
        down = [0] if config.fault == "leader_crash" else [1, 2]
        for broker in down:
            cluster.crash_broker(broker)
        yield env.timeout(HEAL_AFTER)
        partition = topic.partitions[0]
        # Copies on any broker's disk, dead or alive: a dead follower keeps what it had.
        held = [sum(rec in log.records for log in partition.logs.values())
                for rec in producer.acknowledged]
        one_copy.append(sum(h <= 1 for h in held))
        for broker in down:
            cluster.restart_broker(broker)

    env.process(write())
    env.process(fault())
    env.run()
    trace = world.trace.to_frame()
    acked = [r.value.payload["n"] for r in producer.acknowledged if r.value is not None]
    logged = [r.value.payload["n"] for r in topic.records(0) if r.value is not None]
    rejects = trace[trace["kind"] == "reject"]["detail"].fillna("")
    return results.RunResult(config, trace, {
        Metric.WRITES: config.writes,
        Metric.ACKNOWLEDGED: len(acked),
        Metric.FAILED_SENDS: len(producer.failed),
        Metric.NOT_ENOUGH_REPLICAS_ANSWERS:
            int(rejects.str.startswith("NOT_ENOUGH_REPLICAS").sum()),
        Metric.ACKNOWLEDGED_THEN_LOST: sum(n not in set(logged) for n in dict.fromkeys(acked)),
        Metric.ACKNOWLEDGED_ON_ONE_COPY_ONLY: one_copy[0] if one_copy else 0,
        Metric.RECORDS_IN_LOG: len(logged),
        Metric.DUPLICATES_IN_LOG: len(logged) - len(set(logged)),
    })


def matrix(config: Config | None = None) -> pd.DataFrame:
    """Each producer setting × each fault: what went wrong, measured."""
    config = resolve(Config, config)
    out: dict[str, dict[str, str]] = {}
    for name, acks, min_isr in SETTINGS:
        row = {}
        for fault in FAULTS:
            m = run(replace(config, acks=acks, min_insync_replicas=min_isr, fault=fault)).metrics
            found = [f"{m[Metric.ACKNOWLEDGED_THEN_LOST]} acked & lost"] \
                if m[Metric.ACKNOWLEDGED_THEN_LOST] else []
            if m[Metric.NOT_ENOUGH_REPLICAS_ANSWERS]:
                found.append(f"{m[Metric.FAILED_SENDS]} refused (NOT_ENOUGH_REPLICAS)")
            if fault == "followers_down" and m[Metric.ACKNOWLEDGED_ON_ONE_COPY_ONLY]:
                found.append(f"{m[Metric.ACKNOWLEDGED_ON_ONE_COPY_ONLY]} acked on one copy")
            row[fault] = ", ".join(found) or "ok"
        out[name] = row
    return pd.DataFrame(out).T.rename_axis("producer")
