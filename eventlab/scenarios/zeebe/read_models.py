"""Queries and read models: exporters, staleness, read-your-writes, and a disk that fills up.

Clients start workflow instances on one replicated partition. Exporters ship committed
records in batches to their read models ("elasticsearch" is the one Operate queries);
:class:`~eventlab.engines.zeebe.exporters.Retention` truncates the log behind the slowest exporter.
Each client asks the read model for its new instance `query_delay` ms after the broker said
OK: a *read-your-writes miss* when it is not there yet. From `stall_at` the last exporter's
target is down for `stall_for` ms: truncation stops and the disk grows. Times are ms.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.world import World
from eventlab.engines.zeebe.cluster import Cluster
from eventlab.engines.zeebe.exporters import Exporter, ReadModel, Retention
from eventlab.engines.zeebe.records import OK, Request
from eventlab.scenarios.zeebe.common import percentile, rounded
from eventlab.view import graphs

__all__ = ["EXPORTER_NAMES", "Config", "ReadModelResult", "compare", "run"]

EXPORTER_NAMES: tuple[str, ...] = ("elasticsearch", "kafka", "hazelcast")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the read-model experiment (times in ms)."""

    exporters: int = param(2, low=1, high=len(EXPORTER_NAMES), help="exporters configured")
    batch_size: int = param(20, low=1, high=1000, help="records per exporter batch")
    flush_interval: float = param(50.0, low=0.0, high=5000.0, step=5.0,
                                  help="flush a non-full batch after this long")
    index_delay: float = param(30.0, low=0.0, high=5000.0, step=5.0,
                               help="until a flushed batch is searchable (refresh)")
    query_delay: float = param(50.0, low=0.0, high=5000.0, step=5.0,
                               help="client reads its instance this long after OK")
    stall_at: float = param(300.0, low=0.0, high=10_000.0, step=10.0,
                            help="when the last exporter's target goes down")
    stall_for: float = param(0.0, low=0.0, high=10_000.0, step=10.0,
                             help="how long it stays down (0 = never)")
    snapshot_interval: float = param(50.0, low=1.0, high=5000.0, step=5.0,
                                     help="snapshot + truncation every this many ms")
    request_interval: float = param(10.0, low=0.5, high=1000.0, step=0.5,
                                    help="mean ms between two new instances")
    duration: float = param(600.0, low=10.0, high=20_000.0, step=10.0,
                            help="how long clients start instances")
    replication_factor: int = param(3, choices=(1, 3, 5), help="replicas (one broker each)")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """One request per request_interval for `duration` ms, each exported, indexed and
        queried; plus a snapshot every snapshot_interval. Measured on a 2-core laptop: about
        450 us per request (110-280 us CPU time on a busy machine), 20 us per snapshot, and
        up to 10 KB per request."""
        requests = self.duration / self.request_interval
        snapshots = self.duration / self.snapshot_interval
        return Cost(seconds=requests * 450e-6 + snapshots * 20e-6,
                    megabytes=110 + requests * 0.01,
                    drivers={"request_interval": "raise", "duration": "lower"})


@dataclass(frozen=True, repr=False)
class ReadModelResult(results.RunResult):
    """Staleness, read-your-writes misses and disk usage over time."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    disk_table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    query_table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    staleness_samples: tuple[float, ...] = ()

    def disk(self) -> pd.DataFrame:
        """Per snapshot: log end, truncated up to, slowest exporter, disk (records)."""
        return self.disk_table

    def queries(self) -> pd.DataFrame:
        """Per read-after-write query: when, which instance, found or missed."""
        return self.query_table

    def staleness(self) -> pd.Series:
        """ms from commit until a record was visible in the elasticsearch read model."""
        return pd.Series(self.staleness_samples, name="staleness (ms)", dtype="float64")

    def story(self) -> str:
        """Staleness and read-your-writes misses of this run, in two sentences."""
        m = self.metrics
        return (f"The clients created {m[Metric.INSTANCES_CREATED]} instances. Half of the "
                f"records were visible in the read model within {m[Metric.STALENESS_P50_MS]:.1f} "
                f"ms of their commit, 99 % within {m[Metric.STALENESS_P99_MS]:.1f} ms; "
                f"{m[Metric.READ_YOUR_WRITES_MISSES]} of {len(self.query_table)} reads "
                f"({float(m[Metric.READ_YOUR_WRITES_MISS_RATE]):.0%}), each made "
                f"{self.config.query_delay:g} ms after the broker's OK, missed the client's own "
                "write.")

    def retention(self) -> str:
        """What the broker kept of its log at the end of the run, in one sentence."""
        disk = self.disk_table
        busy = disk[disk["time"] <= self.config.duration]  # while clients still send
        if busy.empty:
            return "The run took no snapshot while clients were sending, so nothing was truncated."
        last = busy.iloc[-1]
        written, kept = int(last["log end"]), int(last["disk (records)"])
        return (f"At {last['time']:g} ms, while clients are still sending, the partition has "
                f"written {written} records to its log and keeps {kept} of them on disk: the "
                f"log is truncated up to position {int(last['truncated'])}, because the "
                "latest snapshot covers those records and every exporter has them (the "
                f"slowest is at position {int(last['slowest exporter'])}).")

    def graph(self) -> graphs.Diagram:
        """Log → exporters → read models → queries, with counts from the run."""
        cfg, m = self.config, self.metrics
        nodes: list[tuple[str, str]] = [("partition log", "store"), ("clients", "client")]
        edges = [("clients", "partition log",
                  f"CreateProcessInstance ×{m[Metric.INSTANCES_CREATED]}", "command")]
        for name in EXPORTER_NAMES[: cfg.exporters]:
            nodes += [(f"{name} exporter", "service"), (f"{name} read model", "readmodel")]
            edges += [("partition log", f"{name} exporter",
                       f"up to position {m[f'{name} position']}", "data"),
                      (f"{name} exporter", f"{name} read model", "batches", "data")]
        edges.append(("clients", "elasticsearch read model",
                      f"query ×{len(self.query_table)}, misses {m[Metric.READ_YOUR_WRITES_MISSES]}",
                      "query"))
        return graphs.diagram(nodes, edges, title="queries go to read models")


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    INSTANCES_CREATED = "instances created"
    STALENESS_P50_MS = "staleness p50 (ms)"
    STALENESS_P99_MS = "staleness p99 (ms)"
    READ_YOUR_WRITES_MISSES = "read-your-writes misses"
    READ_YOUR_WRITES_MISS_RATE = "read-your-writes miss rate"
    MAX_DISK_RECORDS = "max disk (records)"
    TRUNCATED_UP_TO = "truncated up to"
    TRUNCATION_PASSED_SLOWEST_EXPORTER = "truncation passed the slowest exporter"


def run(config: Config | None = None) -> ReadModelResult:
    """Start instances, export them, query them back; measure staleness and disk."""
    cfg = resolve(Config, config)
    world = World(cfg.seed)
    rf = cfg.replication_factor
    cluster = Cluster(world, brokers=rf, partitions=1, replication_factor=rf, latency=1.0,
                      jitter=0.25, process_time=0.2, detail=False, request_timeout=1e9)
    partition = cluster.partitions[1]
    exporters = []
    for i, name in enumerate(EXPORTER_NAMES[: cfg.exporters]):
        last = i == cfg.exporters - 1
        outages = [(cfg.stall_at, cfg.stall_at + cfg.stall_for)] if last and cfg.stall_for else []
        exporters.append(Exporter(world, partition, name, ReadModel(name),
                                  batch_size=cfg.batch_size, flush_interval=cfg.flush_interval,
                                  index_delay=cfg.index_delay, outages=outages))
    retention = Retention(world, partition, exporters, snapshot_interval=cfg.snapshot_interval)
    queries: list[tuple[float, str, bool]] = []
    world.env.process(_clients(world, cluster, exporters[0].target, cfg, queries))
    end = cfg.duration + max(cfg.stall_at + cfg.stall_for - cfg.duration, 0) + 300.0
    world.env.run(until=end)
    disk = pd.DataFrame(retention.history, columns=["time", "log end", "truncated",
                                                    "slowest exporter", "disk (records)"])
    query_table = pd.DataFrame(queries, columns=["time", "key", "found"])
    stale = exporters[0].target.staleness
    misses = int((~query_table["found"]).sum()) if len(query_table) else 0
    metrics: dict[str, float | int | str] = {
        Metric.INSTANCES_CREATED: sum(r.outcome == OK for r in cluster.requests),
        Metric.STALENESS_P50_MS: rounded(percentile(stale, 50)),
        Metric.STALENESS_P99_MS: rounded(percentile(stale, 99)),
        Metric.READ_YOUR_WRITES_MISSES: misses,
        Metric.READ_YOUR_WRITES_MISS_RATE:
            rounded(misses / len(query_table), 3) if queries else 0.0,
        Metric.MAX_DISK_RECORDS: int(disk["disk (records)"].max()) if len(disk) else 0,
        Metric.TRUNCATED_UP_TO: retention.truncated,
        Metric.TRUNCATION_PASSED_SLOWEST_EXPORTER: "yes" if any(
            row[2] > row[3] for row in retention.history) else "no",
    }
    for exporter in exporters:
        metrics[f"{exporter.name} position"] = exporter.position
    return ReadModelResult(cfg, world.trace.to_frame(), metrics, disk_table=disk,
                           query_table=query_table, staleness_samples=tuple(stale))


def _clients(world: World, cluster: Cluster, model: ReadModel, cfg: Config,
             queries: list[tuple[float, str, bool]]) -> Generator[simpy.Event, Any, None]:
    rng = world.rng("clients")

    def query(key: str) -> None:
        found = key in model.state
        queries.append((world.now, key, found))
        world.trace.record("note", world.now, "client", target=model.name, entity=key,
                           value="found" if found else "missing",
                           detail="read your write" if found else "read-your-writes miss")

    def answered(request: Request) -> None:
        if request.outcome == OK:
            timer, key = world.env.timeout(cfg.query_delay), request.message.key or ""
            timer.callbacks.append(lambda _e: query(key))

    while world.now < cfg.duration:
        yield world.env.timeout(rng.expovariate(1.0 / cfg.request_interval))
        cluster.send("CreateProcessInstance", cluster.new_instance(), client="client",
                     gateway="broker-0", on_done=answered)


def compare(config: Config | None = None, **grid: Any) -> pd.DataFrame:
    """One row of metrics per variant; by default a healthy next to a stalled exporter."""
    return results.sweep(run, resolve(Config, config), **(grid or {"stall_for": [0.0, 400.0]}))
