"""Locking vs single writer: the same commands against rows with optimistic locking (Camunda 7)
and against single-writer partitions (Zeebe).

Closed-loop clients each send `commands_per_client` updates; with probability `hot_spot` an
update goes to one hot instance, otherwise to a random one of `instances`. ``locking``: every
update is a transaction on a row (see :mod:`eventlab.engines.zeebe.locking`); ``single_writer``:
every
update is appended to its instance's partition and processed in log order by that
partition's one processor (replication factor 1 here, to compare the write paths only).
Both do `work_time` ms of engine work per command. Times are milliseconds.

``compare(clients=[1, 4, 16])`` runs both modes for each value: one row per run.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.world import World
from eventlab.engines.zeebe.cluster import Cluster
from eventlab.engines.zeebe.locking import LockingEngine
from eventlab.engines.zeebe.records import OK, Request
from eventlab.scenarios.zeebe.common import per_second, percentile, rounded
from eventlab.view import graphs

__all__ = ["MODES", "Config", "SingleWriterResult", "compare", "run"]

MODES: tuple[str, ...] = ("locking", "single_writer")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the contention experiment (times in ms)."""

    mode: str = param("single_writer", choices=MODES, help="rows with locks, or a log")
    clients: int = param(16, low=1, high=64, help="clients sending at the same time")
    commands_per_client: int = param(12, low=1, high=500, help="updates each client sends")
    hot_spot: float = param(0.3, low=0.0, high=1.0, step=0.05,
                            help="share of updates that go to one hot instance")
    instances: int = param(50, low=2, high=10_000, help="workflow instances")
    work_time: float = param(1.0, low=0.1, high=100.0, step=0.1,
                             help="engine work per command")
    db_roundtrip: float = param(0.5, low=0.0, high=50.0, step=0.1,
                                help="locking: one database round trip (read, then write)")
    connections: int = param(8, low=1, high=64, help="locking: database connections")
    partitions: int = param(2, low=1, high=16, help="single writer: partitions (one writer each)")
    backoff: float = param(2.0, low=0.0, high=100.0, step=0.5,
                           help="locking: first retry delay (doubles each retry)")
    max_retries: int = param(10, low=0, high=50, help="locking: retries before giving up")
    think_time: float = param(1.0, low=0.0, high=100.0, step=0.5,
                              help="ms a client waits between two commands")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """clients x commands_per_client commands. A single writer appends, processes and
        answers each one; with locking each command is a transaction that a conflict on the
        same row throws away and retries: without backoff every one of the other open
        transactions can beat it (up to max_retries), with a backoff the doubling delays
        spread them out after a few tries; and a conflict needs two open transactions on the
        same instance (hot_spot squared, plus the rest spread over the other instances), which
        the estimate scales by twice the chance that one of the rivals holds the same row.
        Measured on a 2-core laptop (CPU time, busy
        machine): 105-200 us and 8 KB per single-writer command, 15 us per locking command
        plus 17 us and 1 KB per attempt; the estimate is about 1.5x that."""
        commands = self.clients * self.commands_per_client
        if self.mode == "single_writer":
            return Cost(seconds=0.01 + commands * 200e-6, megabytes=110 + commands * 0.009,
                        drivers=self._drivers())
        rivals = min(self.connections, self.clients) - 1  # transactions that can interleave
        same_row = self.hot_spot ** 2 + (1 - self.hot_spot) ** 2 / (self.instances - 1)
        most = min(self.max_retries, rivals) if self.backoff == 0 \
            else min(self.max_retries, rivals, 4)
        retries = most * min(1.0, 2 * rivals * same_row)
        attempts = commands * (1 + retries)
        return Cost(seconds=0.01 + commands * 25e-6 + attempts * 25e-6,
                    megabytes=110 + attempts * 0.001, drivers=self._drivers())

    def _drivers(self) -> dict[str, str]:
        return {"commands_per_client": "lower", "clients": "lower", "max_retries": "lower",
                "backoff": "raise"}


class SingleWriterResult(results.RunResult):
    """One mode's run: throughput, latency percentiles and conflicts."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    def graph(self) -> graphs.Diagram:
        """Where the commands went, with counts from the trace."""
        cfg, trace = self.config, self.trace
        clients = f"{cfg.clients} clients"
        if cfg.mode == "locking":
            conflicts = int((trace["kind"] == "reject").sum())
            commits = int((trace["kind"] == "state").sum())
            return graphs.diagram(
                [(clients, "client"), ("engine (threads)", "service"), ("database rows",
                                                                        "store")],
                [(clients, "engine (threads)", f"commands ×{cfg.clients * cfg.commands_per_client}",
                  "command"),
                 ("engine (threads)", "database rows", f"commits ×{commits}", "data"),
                 ("database rows", "engine (threads)", f"conflicts ×{conflicts}", "query")],
                title="locking: rows with versions")
        nodes: list[tuple[str, str]] = [(clients, "client"), ("gateway", "service")]
        edges = [(clients, "gateway", f"commands ×{cfg.clients * cfg.commands_per_client}",
                  "command")]
        processed = trace[(trace["kind"] == "state") & (trace["detail"] == "processed")]
        for p in range(1, cfg.partitions + 1):
            name = f"partition-{p} (one writer)"
            nodes.append((name, "store"))
            edges.append(("gateway", name, f"×{int((processed['partition'] == p).sum())}",
                          "command"))
        return graphs.diagram(nodes, edges, title="single writer: one log per partition")


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    MODE = "mode"
    COMMANDS = "commands"
    COMPLETED = "completed"
    THROUGHPUT_COMMANDS_S = "throughput (commands/s)"
    P50_LATENCY_MS = "p50 latency (ms)"
    P99_LATENCY_MS = "p99 latency (ms)"
    CONFLICTS = "conflicts"
    RETRIES = "retries"
    GAVE_UP = "gave up"


def run(config: Config | None = None) -> SingleWriterResult:
    """Run the clients against the chosen mode until every command is done."""
    cfg = resolve(Config, config)
    world = World(cfg.seed)
    latencies: list[float] = []
    if cfg.mode == "locking":
        engine = LockingEngine(world, connections=cfg.connections,
                               db_roundtrip=cfg.db_roundtrip, work_time=cfg.work_time,
                               backoff=cfg.backoff, max_retries=cfg.max_retries)
        keys = [f"instance-{i}" for i in range(cfg.instances)]
        procs = [world.env.process(_locking_client(world, engine, f"client-{c}", keys, cfg,
                                                   latencies)) for c in range(cfg.clients)]
    else:
        cluster = Cluster(world, brokers=cfg.partitions, partitions=cfg.partitions,
                          replication_factor=1, latency=0.2, process_time=cfg.work_time,
                          detail=False, request_timeout=1e9)
        keys = [cluster.new_instance() for _ in range(cfg.instances)]
        procs = [world.env.process(_log_client(world, cluster, f"client-{c}", keys, cfg,
                                               latencies)) for c in range(cfg.clients)]
    world.env.run(until=world.env.all_of(procs))
    end = world.now
    metrics: dict[str, float | int | str] = {
        Metric.MODE: cfg.mode,
        Metric.COMMANDS: cfg.clients * cfg.commands_per_client,
        Metric.COMPLETED: len(latencies),
        Metric.THROUGHPUT_COMMANDS_S: rounded(per_second(len(latencies), end), 1),
        Metric.P50_LATENCY_MS: rounded(percentile(latencies, 50)),
        Metric.P99_LATENCY_MS: rounded(percentile(latencies, 99)),
        Metric.CONFLICTS: engine.store.conflicts if cfg.mode == "locking" else 0,
        Metric.RETRIES: engine.retries if cfg.mode == "locking" else 0,
        Metric.GAVE_UP: engine.gave_up if cfg.mode == "locking" else 0,
    }
    return SingleWriterResult(cfg, world.trace.to_frame(), metrics)


def _pick(rng: random.Random, keys: list[str], hot_spot: float) -> str:
    if rng.random() < hot_spot:
        return keys[0]
    return keys[rng.randrange(1, len(keys))]


def _locking_client(world: World, engine: LockingEngine, name: str, keys: list[str],
                    cfg: Config, latencies: list[float]) -> Generator[simpy.Event, Any, None]:
    rng = world.rng(f"client/{name}")
    for i in range(cfg.commands_per_client):
        start = world.now
        ok, _attempts = yield from engine.execute(name, _pick(rng, keys, cfg.hot_spot),
                                                  f"{name}#{i}")
        if ok:
            latencies.append(world.now - start)
        yield world.env.timeout(cfg.think_time)


def _log_client(world: World, cluster: Cluster, name: str, keys: list[str], cfg: Config,
                latencies: list[float]) -> Generator[simpy.Event, Any, None]:
    rng = world.rng(f"client/{name}")
    for i in range(cfg.commands_per_client):
        answered = world.env.event()

        def done(request: Request, event: simpy.Event = answered) -> None:
            event.succeed(request)

        request = cluster.send("UpdateVariables", _pick(rng, keys, cfg.hot_spot), client=name,
                               gateway="broker-0", payload={"value": f"{name}#{i}"},
                               on_done=done)
        yield answered
        if request.outcome == OK and request.latency is not None:
            latencies.append(request.latency)
        yield world.env.timeout(cfg.think_time)


def compare(config: Config | None = None, **grid: Any) -> pd.DataFrame:
    """Both modes for every combination of `grid` values: ``compare(hot_spot=[0, .5, 1])``."""
    base = resolve(Config, config)
    return results.sweep(run, replace(base, mode=MODES[0]), mode=list(MODES), **grid)
