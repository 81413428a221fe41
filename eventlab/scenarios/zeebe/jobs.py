"""Job workers: a crash after the side effect means a duplicate, unless the worker is idempotent.

`jobs` jobs (one "charge credit card" per order) are created every `job_interval` ms;
`workers` competing workers pull them with a lock of `lock_timeout` ms. With probability
`crash_probability` a worker crashes right after charging and before ``CompleteJob``; the lock
times out and another worker charges again. A worker slower than the lock timeout causes the
same duplicate without any crash. ``idempotent=True`` makes the payment service remember job
keys, so every job charges exactly once (at-least-once delivery + idempotency). Times in ms.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.world import World
from eventlab.engines.zeebe.workers import JobStore, SideEffects, worker
from eventlab.scenarios.zeebe.common import percentile, rounded
from eventlab.view import graphs

__all__ = ["Config", "JobsResult", "compare", "run"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the job-worker experiment (times in ms)."""

    workers: int = param(3, low=1, high=32, help="competing workers")
    jobs: int = param(40, low=1, high=2000, help="jobs created")
    job_interval: float = param(5.0, low=0.0, high=1000.0, step=0.5,
                                help="ms between two new jobs")
    work_time: float = param(20.0, low=0.0, high=5000.0, step=1.0,
                             help="mean ms a worker needs per job")
    lock_timeout: float = param(100.0, low=1.0, high=60_000.0, step=1.0,
                                help="a job's lock expires after this long")
    crash_probability: float = param(0.15, low=0.0, high=1.0, step=0.05,
                                     help="worker crashes after the side effect")
    restart_delay: float = param(50.0, low=0.0, high=10_000.0, step=1.0,
                                 help="ms a crashed worker is gone")
    idempotent: bool = param(False, help="the payment service ignores a job key it has seen")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """Activations: a job is retried until one attempt finishes before its lock times out
        and its worker survives, bounded by the run's cap and by the workers' time. While
        jobs are open the creator polls every lock_timeout / 4. Measured on a 2-core laptop:
        about 65 us and 4 KB per activation, 2 us per poll."""
        done = (1 - math.exp(-self.lock_timeout / self.work_time)) if self.work_time else 1.0
        success = (1 - self.crash_probability) * done
        cap = self.jobs * (self.job_interval + self.work_time + self.lock_timeout) + 10_000.0
        per_job = min(1 / max(success, 1e-12), cap / self.lock_timeout + 1)
        busy = max(self.work_time + self.crash_probability * self.restart_delay, 1e-3)
        activations = self.jobs + min(self.jobs * per_job, self.workers * cap / busy)
        polls = cap / max(1.0, self.lock_timeout / 4)
        return Cost(seconds=activations * 65e-6 + polls * 2e-6,
                    megabytes=110 + activations * 0.004,
                    # Not crash_probability or lock_timeout: more crashes keep workers away
                    # for restart_delay, and a shorter lock timeout ends the run sooner, so
                    # either can make a run cheaper as well as dearer.
                    drivers={"jobs": "lower", "workers": "lower", "job_interval": "lower"})


class JobsResult(results.RunResult):
    """Duplicates, timeouts and job latency of one run."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    def story(self) -> str:
        """What the workers did in this run, in one sentence."""
        m = self.metrics
        effect = "ignored" if self.config.idempotent else "duplicate"
        repeats = m[Metric.DUPLICATES_IGNORED_IDEMPOTENT] if self.config.idempotent \
            else m[Metric.DUPLICATE_SIDE_EFFECTS]
        return (f"{m[Metric.JOBS]} jobs; {m[Metric.WORKER_CRASHES]} worker crashes after the "
                f"charge and before CompleteJob, {m[Metric.LOCK_TIMEOUTS]} lock timeouts; the "
                f"payment service was charged {m[Metric.SIDE_EFFECTS]} times: {repeats} "
                f"{effect} charges.")

    def graph(self) -> graphs.Diagram:
        """Job store → workers → payment service, with counts."""
        cfg, m = self.config, self.metrics
        names = [f"worker-{i}" for i in range(cfg.workers)]
        trace = self.trace
        activated = trace[(trace["kind"] == "state") & (trace["actor"] == "job store")
                          & (trace["value"] == "ACTIVATED")]
        charged = trace[(trace["kind"] == "state") & (trace["actor"] == "payment service")]
        nodes = [("job store", "store"), *((n, "service") for n in names),
                 ("payment service", "service")]
        edges = []
        for name in names:
            edges.append(("job store", name,
                          f"activate ×{int((activated['target'] == name).sum())}", "command"))
            edges.append((name, "payment service",
                          f"charge ×{int((charged['target'] == name).sum())}", "command"))
        title = (f"{m[Metric.DUPLICATE_SIDE_EFFECTS]} duplicate charges"
                 f"{' (idempotent)' if cfg.idempotent else ''}")
        return graphs.diagram(nodes, edges, title=title)


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    JOBS = "jobs"
    COMPLETED = "completed"
    SIDE_EFFECTS = "side effects"
    DUPLICATE_SIDE_EFFECTS = "duplicate side effects"
    DUPLICATES_IGNORED_IDEMPOTENT = "duplicates ignored (idempotent)"
    WORKER_CRASHES = "worker crashes"
    LOCK_TIMEOUTS = "lock timeouts"
    REJECTED_COMPLETIONS = "rejected completions"
    P50_JOB_LATENCY_MS = "p50 job latency (ms)"
    P99_JOB_LATENCY_MS = "p99 job latency (ms)"


def run(config: Config | None = None) -> JobsResult:
    """Create the jobs, let the workers compete, stop once every job is completed."""
    cfg = resolve(Config, config)
    world = World(cfg.seed)
    store = JobStore(world, lock_timeout=cfg.lock_timeout)
    effects = SideEffects(world, idempotent=cfg.idempotent)
    for i in range(cfg.workers):
        world.env.process(worker(world, store, effects, f"worker-{i}", work_time=cfg.work_time,
                                 crash_probability=cfg.crash_probability,
                                 restart_delay=cfg.restart_delay))
    finished = world.env.process(_creator(world, store, cfg))
    cap = cfg.jobs * (cfg.job_interval + cfg.work_time + cfg.lock_timeout) + 10_000.0
    world.env.run(until=world.env.any_of([finished, world.env.timeout(cap)]))
    jobs = store.jobs.values()
    latencies = [j.completed_at - j.created_at for j in jobs if j.completed_at is not None]
    trace = world.trace.to_frame()
    crashes = int((trace["kind"] == "fault").sum())
    metrics: dict[str, float | int | str] = {
        Metric.JOBS: cfg.jobs,
        Metric.COMPLETED: len(latencies),
        Metric.SIDE_EFFECTS: len(effects.effects),
        Metric.DUPLICATE_SIDE_EFFECTS: effects.duplicates,
        Metric.DUPLICATES_IGNORED_IDEMPOTENT: effects.ignored,
        Metric.WORKER_CRASHES: crashes,
        Metric.LOCK_TIMEOUTS: store.timeouts,
        Metric.REJECTED_COMPLETIONS: store.rejected,
        Metric.P50_JOB_LATENCY_MS: rounded(percentile(latencies, 50)),
        Metric.P99_JOB_LATENCY_MS: rounded(percentile(latencies, 99)),
    }
    return JobsResult(cfg, trace, metrics)


def _creator(world: World, store: JobStore, cfg: Config) -> Generator[simpy.Event, Any, None]:
    for i in range(cfg.jobs):
        store.create(f"job-{i + 1}")
        yield world.env.timeout(cfg.job_interval)
    while any(j.completed_at is None for j in store.jobs.values()):
        yield world.env.timeout(max(1.0, cfg.lock_timeout / 4))


def compare(config: Config | None = None, **grid: Any) -> pd.DataFrame:
    """One row of metrics per variant; by default without and with idempotency."""
    return results.sweep(run, resolve(Config, config), **(grid or {"idempotent": [False, True]}))
