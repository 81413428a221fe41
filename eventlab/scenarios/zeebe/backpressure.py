"""Backpressure: without a limit the backlog and latency grow without bound; with one, the
excess is rejected early (``RESOURCE_EXHAUSTED``) and latency stays bounded.

Requests arrive at `load` × the processor's capacity (Poisson). Every admitted request is
appended to the log first and processed later, one at a time. The partition leader admits a
request only while fewer than the limit are in flight (``none``, ``fixed`` or ``aimd``, see
:mod:`eventlab.engines.zeebe.limits`); ``CompleteJob`` (`complete_job_share` of the requests) is
always accepted. A rejected request changes nothing: it is never appended. With
`retry_backoff` > 0 a rejected client tries again after that many ms (once). Times are ms.
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
from eventlab.engines.zeebe.limits import ALGORITHMS, Limiter, make_limiter
from eventlab.engines.zeebe.records import EXHAUSTED, OK, Request
from eventlab.scenarios.zeebe.common import binned, per_second, percentile, rounded
from eventlab.view import graphs

__all__ = ["BackpressureResult", "Config", "compare", "run"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the overload experiment (times in ms)."""

    algorithm: str = param("aimd", choices=ALGORITHMS, help="in-flight limit algorithm")
    limit: int = param(20, low=1, high=1000, help="(initial) in-flight limit")
    aimd_timeout: float = param(50.0, low=1.0, high=5000.0, step=1.0,
                                help="aimd: responses slower than this shrink the limit")
    load: float = param(1.5, low=0.1, high=5.0, step=0.05,
                        help="arrival rate ÷ processing capacity")
    process_time: float = param(1.0, low=0.05, high=50.0, step=0.05,
                                help="processor ms per command")
    complete_job_share: float = param(0.1, low=0.0, high=1.0, step=0.05,
                                      help="share of CompleteJob (never rejected)")
    retry_backoff: float = param(0.0, low=0.0, high=1000.0, step=1.0,
                                 help="retry a rejected request once after this (0 = no)")
    replication_factor: int = param(1, choices=(1, 3), help="replicas (one broker each)")
    duration: float = param(300.0, low=10.0, high=20_000.0, step=10.0,
                            help="how long requests arrive")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """Requests arrive at load / process_time per ms for `duration` ms; replicas add
        work. Measured on a 2-core laptop: about 300 us and 5 KB per request-replica unit."""
        work = self.duration * self.load / self.process_time
        work *= 1 + (self.replication_factor - 1) * 0.5
        return Cost(seconds=work * 300e-6, megabytes=120 + work * 0.005,
                    drivers={"duration": "lower", "load": "lower", "process_time": "raise",
                             "replication_factor": "lower"})


@dataclass(frozen=True, repr=False)
class BackpressureResult(results.RunResult):
    """Latency and rejections of one limit algorithm under overload."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    request_table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    limit_table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)

    def requests(self) -> pd.DataFrame:
        """One row per request: sent, answered, outcome, latency."""
        return self.request_table

    def limits(self) -> pd.DataFrame:
        """(time, in flight, limit) after every admission."""
        return self.limit_table

    def over_time(self, bin_ms: float = 50.0) -> pd.DataFrame:
        """Per time bin: p99 latency of accepted requests, accepted and rejected counts."""
        frame = self.request_table
        counts = binned(frame, "sent_at", bin_ms, ["outcome"])
        ok = frame[frame["outcome"] == OK]
        p99 = ok.groupby(ok["sent_at"] // bin_ms * bin_ms)["latency"].quantile(0.99)
        counts["p99 latency (ms)"] = p99.rename_axis("time")
        return counts

    def graph(self) -> graphs.Diagram:
        """Clients → limiter → log → processor, with admitted and rejected counts."""
        m = self.metrics
        return graphs.diagram(
            [("clients", "client"), ("in-flight limit", "service"), ("log", "store"),
             ("processor", "service")],
            [("clients", "in-flight limit", f"requests ×{m[Metric.REQUESTS]}", "command"),
             ("in-flight limit", "clients", f"RESOURCE_EXHAUSTED ×{m[Metric.REJECTED]}", "query"),
             ("in-flight limit", "log", f"admitted ×{m[Metric.ACCEPTED]}", "command"),
             ("log", "processor", "one at a time", "data")],
            title=f"backpressure: {self.config.algorithm}")


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    ALGORITHM = "algorithm"
    REQUESTS = "requests"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REJECTION_RATE = "rejection rate"
    THROUGHPUT_COMMANDS_S = "throughput (commands/s)"
    P50_LATENCY_MS = "p50 latency (ms)"
    P99_LATENCY_MS = "p99 latency (ms)"
    MAX_IN_FLIGHT = "max in flight"
    MEAN_LIMIT = "mean limit"


def run(config: Config | None = None) -> BackpressureResult:
    """Overload one partition for `duration` ms and measure latency and rejections."""
    cfg = resolve(Config, config)
    world = World(cfg.seed)
    rf = cfg.replication_factor
    limiters: list[Limiter] = []

    def limiter() -> Limiter:
        limiters.append(make_limiter(cfg.algorithm, cfg.limit, timeout=cfg.aimd_timeout))
        return limiters[-1]

    cluster = Cluster(world, brokers=rf, partitions=1, replication_factor=rf, latency=0.5,
                      process_time=cfg.process_time, detail=False, request_timeout=1e9,
                      limiter=limiter)
    world.env.process(_clients(world, cluster, cfg))
    world.env.run(until=cfg.duration)
    work = len(cluster.requests)  # the backlog still drains: latency of late answers counts
    world.env.run(until=cfg.duration + work * cfg.process_time + 100.0)
    frame = cluster.requests_frame()
    ok = frame[frame["outcome"] == OK]
    latencies = ok["latency"].tolist()
    rejected = int((frame["outcome"] == EXHAUSTED).sum())
    lim = limiters[0]
    history = pd.DataFrame(lim.history, columns=["time", "in flight", "limit"])
    metrics: dict[str, float | int | str] = {
        Metric.ALGORITHM: cfg.algorithm,
        Metric.REQUESTS: len(frame),
        Metric.ACCEPTED: len(ok),
        Metric.REJECTED: rejected,
        Metric.REJECTION_RATE: rounded(rejected / len(frame), 3) if len(frame) else 0.0,
        Metric.THROUGHPUT_COMMANDS_S: rounded(per_second(
            int((ok["done_at"] <= cfg.duration).sum()), cfg.duration), 1),
        Metric.P50_LATENCY_MS: rounded(percentile(latencies, 50)),
        Metric.P99_LATENCY_MS: rounded(percentile(latencies, 99)),
        Metric.MAX_IN_FLIGHT: int(history["in flight"].max()) if len(history) else 0,
        Metric.MEAN_LIMIT: rounded(float(history["limit"].mean()), 1)
        if cfg.algorithm != "none" and len(history) else "—",
    }
    return BackpressureResult(cfg, world.trace.to_frame(), metrics, request_table=frame,
                              limit_table=history)


def _clients(world: World, cluster: Cluster, cfg: Config) -> Generator[simpy.Event, Any, None]:
    rng = world.rng("clients")
    rate = cfg.load / cfg.process_time  # per ms
    keys: list[str] = []

    def retry(request: Request) -> None:
        if request.outcome == EXHAUSTED and cfg.retry_backoff and \
                not request.message.payload.get("retry"):
            timer = world.env.timeout(cfg.retry_backoff)

            def again(_event: object) -> None:
                cluster.send(request.message.type, request.message.key or "",
                             client=request.client, gateway="broker-0", payload={"retry": True})

            timer.callbacks.append(again)

    while world.now < cfg.duration:
        yield world.env.timeout(rng.expovariate(rate))
        if keys and rng.random() < cfg.complete_job_share:
            cluster.send("CompleteJob", keys.pop(rng.randrange(len(keys))), client="client",
                         gateway="broker-0", on_done=retry)
        else:
            key = cluster.new_instance()
            keys.append(key)
            cluster.send("CreateProcessInstance", key, client="client", gateway="broker-0",
                         on_done=retry)


def compare(config: Config | None = None, **grid: Any) -> pd.DataFrame:
    """One row of metrics per variant; by default no limit, fixed and AIMD."""
    return results.sweep(run, resolve(Config, config), **(grid or {"algorithm": list(ALGORITHMS)}))
