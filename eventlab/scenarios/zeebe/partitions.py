"""Horizontal scalability by partitioning: throughput vs brokers and partitions, and key skew.

A lighter model than the Raft cluster, so 24 brokers with 192 partitions stay fast: each
partition is a single writer (one command at a time, `process_time` ms of CPU) whose leader
needs one of its broker's `cores_per_broker` cores; each follower replica costs its broker
`follower_cost` ms of CPU per command. Placement and routing are the real ones
(:mod:`eventlab.engines.zeebe.cluster`): new instances round-robin, messages by the murmur2 hash of
their correlation key, which follows a Zipf law with exponent `key_skew` (0 = uniform).
Commands arrive at `offered_rate` per second; a partition with `max_backlog` waiting commands
turns new ones away. :func:`scaling` sweeps brokers next to the 2019 benchmark table.
Warm-up deletion: the run starts with empty queues, so only what happens between `warmup` and
`duration` is measured (throughput, utilisation, latency of the commands arriving then).

The model leaves out everything brokers share, so by default it scales almost linearly. The
optional `coordination_cost` (off by default, and not fitted to the benchmark) is a stand-in
for such shared work (gateway routing, gossip, cluster-wide bookkeeping): each command costs
its leader `coordination_cost` × (brokers − 1) ms of extra CPU, so every broker added makes
every command a little dearer and bends the throughput curve below a straight line.
"""

from __future__ import annotations

import bisect
import itertools
from collections import deque
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import pandas as pd

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.errors import ConfigError, check_int
from eventlab.core.world import World
from eventlab.engines.zeebe.cluster import message_partition, placement
from eventlab.scenarios.zeebe.common import per_second, percentile, rounded
from eventlab.scenarios.zeebe.pictures import placement_diagram, placement_table
from eventlab.view import graphs

__all__ = ["BENCHMARK_2019", "Config", "PartitionsResult", "compare", "describe_scaling", "run",
           "scaling"]

# Zeebe blog, Aug 2019: start -> one service task -> end, on GKE; instances started per second
BENCHMARK_2019 = pd.DataFrame({"brokers": [1, 3, 6, 12, 24],
                               "partitions": [8, 24, 48, 96, 192],
                               "benchmark 2019 (instances/s)": [1300, 3600, 5200, 8200, 14000]})


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the partitioning experiment (times in ms, rates per second)."""

    brokers: int = param(3, low=1, high=24, help="brokers in the cluster")
    partitions: int = param(24, low=1, high=192, help="partitions (fixed once in production)")
    replication_factor: int = param(1, low=1, high=5, help="replicas per partition")
    cores_per_broker: int = param(4, low=1, high=32, help="CPU cores per broker")
    process_time: float = param(3.0, low=0.05, high=50.0, step=0.05,
                                help="CPU ms a leader needs per command")
    follower_cost: float = param(0.3, low=0.0, high=50.0, step=0.05,
                                 help="CPU ms a follower needs per command")
    offered_rate: float = param(3000.0, low=10.0, high=100_000.0, step=10.0,
                                help="commands per second arriving")
    message_share: float = param(0.5, low=0.0, high=1.0, step=0.05,
                                 help="share of commands that are messages (hashed by key)")
    coordination_cost: float = param(0.0, low=0.0, high=5.0, step=0.01,
                                     help="extra leader CPU ms per command per other broker "
                                          "(a shared cost; 0 = off)")
    key_skew: float = param(0.0, low=0.0, high=3.0, step=0.1,
                            help="Zipf exponent of correlation keys (0 = uniform)")
    keys: int = param(1000, low=1, high=100_000, help="distinct correlation keys")
    max_backlog: int = param(200, low=1, high=100_000, help="waiting commands per partition")
    warmup: float = param(100.0, low=0.0, high=5_000.0, step=10.0,
                          help="ms at the start that are not measured")
    duration: float = param(400.0, low=10.0, high=10_000.0, step=10.0, help="simulated ms")
    seed: int = seed_param()

    def check(self) -> None:
        if self.warmup >= self.duration:
            raise ConfigError(f"warmup must be < duration={self.duration}, got {self.warmup}")
        if self.replication_factor > self.brokers:
            raise ConfigError(f"replication_factor must be <= brokers={self.brokers}, "
                              f"got {self.replication_factor}")

    def estimated_cost(self) -> Cost:
        """offered_rate x duration commands arrive; each partition's leader processes one
        command at a time on one of its broker's cores, so at most min(partitions, brokers x
        cores_per_broker) commands are in work at once (the rest wait or are turned away),
        and each processed command costs every follower a task when follower_cost > 0. Measured on a
        2-core laptop (CPU time, busy machine): about 1.5-2 us per arrival, 2 us per
        processed command, 2 us per follower task; the estimate is 1.5x that."""
        arrivals = self.offered_rate * self.duration / 1000
        leader_cost = self.process_time + self.coordination_cost * (self.brokers - 1)
        busy = min(self.partitions, self.brokers * self.cores_per_broker)
        capacity = busy * self.duration / leader_cost
        done = min(arrivals, capacity)
        followers = done * (self.replication_factor - 1) if self.follower_cost else 0.0
        waiting = min(arrivals - done, self.partitions * self.max_backlog)
        return Cost(seconds=0.01 + (arrivals + done + followers) * 3e-6 + self.keys * 1e-6,
                    megabytes=110 + (done + waiting) * 0.0001,
                    drivers={"offered_rate": "lower", "duration": "lower",
                             "replication_factor": "lower"})


@dataclass(frozen=True, repr=False)
class PartitionsResult(results.RunResult):
    """Throughput, per-partition utilisation and the placement graph of one run."""

    PANEL = ("summary", "utilisation")  # what its interactive panel shows

    table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)

    def utilisation(self) -> pd.DataFrame:
        """Per partition: leader broker, commands done, turned away, utilisation."""
        return self.table

    def placement(self) -> pd.DataFrame:
        """Partitions × brokers: which broker leads and which follows each partition."""
        cfg = self.config
        layout = placement(cfg.brokers, cfg.partitions, cfg.replication_factor)
        return placement_table(layout, {p: m[0] for p, m in layout.items()})

    def graph(self) -> graphs.Diagram:
        """Brokers with the partitions they lead and follow; leader → follower arrows."""
        cfg = self.config
        layout = placement(cfg.brokers, cfg.partitions, cfg.replication_factor)
        return placement_diagram(layout, {p: m[0] for p, m in layout.items()},
                                 title=f"{cfg.brokers} brokers, {cfg.partitions} partitions, "
                                       f"RF {cfg.replication_factor}")


class _Model:
    """Single-writer partitions competing for their brokers' cores (callbacks, no processes)."""

    def __init__(self, cfg: Config, world: World) -> None:
        self.cfg, self.world, self.env = cfg, world, world.env
        self.layout = placement(cfg.brokers, cfg.partitions, cfg.replication_factor)
        self.free = dict.fromkeys((f"broker-{b}" for b in range(cfg.brokers)),
                                  cfg.cores_per_broker)
        self.ready: dict[str, deque[tuple[int, float, bool]]] = {b: deque() for b in self.free}
        self.queue: dict[int, deque[float]] = {p: deque() for p in self.layout}
        self.running: dict[int, bool] = dict.fromkeys(self.layout, False)
        self.busy: dict[int, float] = dict.fromkeys(self.layout, 0.0)
        self.done: dict[int, int] = dict.fromkeys(self.layout, 0)
        self.turned_away: dict[int, int] = dict.fromkeys(self.layout, 0)
        self.latencies: list[float] = []
        self.leader_cost = cfg.process_time + cfg.coordination_cost * (cfg.brokers - 1)

    def arrive(self, p: int) -> None:
        if len(self.queue[p]) >= self.cfg.max_backlog:
            if self.env.now >= self.cfg.warmup:
                self.turned_away[p] += 1
            return
        self.queue[p].append(self.env.now)
        if not self.running[p]:
            self.running[p] = True
            self._want_core(self.layout[p][0], (p, self.leader_cost, True))

    def _want_core(self, broker: str, task: tuple[int, float, bool]) -> None:
        if self.free[broker]:
            self.free[broker] -= 1
            self._start(broker, task)
        else:
            self.ready[broker].append(task)

    def _start(self, broker: str, task: tuple[int, float, bool]) -> None:
        timer = self.env.timeout(task[1])
        timer.callbacks.append(lambda _e: self._finish(broker, task))

    def _finish(self, broker: str, task: tuple[int, float, bool]) -> None:
        p, cost, leads = task
        waiting = self.ready[broker]
        if waiting:
            self._start(broker, waiting.popleft())
        else:
            self.free[broker] += 1
        if not leads:
            return
        arrived = self.queue[p].popleft()
        if self.env.now >= self.cfg.warmup:  # warm-up deletion
            self.busy[p] += min(cost, self.env.now - self.cfg.warmup)
            self.done[p] += 1
        if arrived >= self.cfg.warmup:
            self.latencies.append(self.env.now - arrived)
        if self.cfg.follower_cost:
            for follower in self.layout[p][1:]:
                self._want_core(follower, (p, self.cfg.follower_cost, False))
        if self.queue[p]:
            self._want_core(self.layout[p][0], (p, self.leader_cost, True))
        else:
            self.running[p] = False


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    BROKERS = "brokers"
    PARTITIONS = "partitions"
    THROUGHPUT_COMMANDS_S = "throughput (commands/s)"
    OFFERED_COMMANDS_S = "offered (commands/s)"
    TURNED_AWAY = "turned away"
    P99_LATENCY_MS = "p99 latency (ms)"
    BUSIEST_PARTITION_UTILISATION = "busiest partition utilisation"
    IDLEST_PARTITION_UTILISATION = "idlest partition utilisation"


def run(config: Config | None = None) -> PartitionsResult:
    """Offer `offered_rate` commands per second for `duration` ms; measure what gets done."""
    cfg = resolve(Config, config)
    world = World(cfg.seed)
    model = _Model(cfg, world)
    rng = world.rng("arrivals")
    weights = list(itertools.accumulate(1.0 / (k ** cfg.key_skew) for k in range(1, cfg.keys + 1)))
    key_partition: dict[int, int] = {}
    round_robin = itertools.cycle(range(1, cfg.partitions + 1))

    def arrivals() -> Any:
        while True:
            yield world.env.timeout(rng.expovariate(cfg.offered_rate / 1000.0))
            if rng.random() < cfg.message_share:
                k = bisect.bisect_left(weights, rng.random() * weights[-1])
                p = key_partition.get(k)
                if p is None:
                    p = key_partition[k] = message_partition(f"key-{k}", cfg.partitions)
            else:
                p = next(round_robin)
            model.arrive(p)

    world.env.process(arrivals())
    world.env.run(until=cfg.duration)
    measured = cfg.duration - cfg.warmup
    table = pd.DataFrame({
        "partition": list(model.layout),
        "leader": [m[0] for m in model.layout.values()],
        "commands": [model.done[p] for p in model.layout],
        "turned away": [model.turned_away[p] for p in model.layout],
        "utilisation": [round(model.busy[p] / measured, 3) for p in model.layout]})
    for p, members in model.layout.items():
        world.trace.state(cfg.duration, members[0], f"partition-{p}",
                          round(model.busy[p] / measured, 3), partition=p,
                          detail=f"utilisation; {model.done[p]} commands")
    done = int(table["commands"].sum())
    metrics: dict[str, float | int | str] = {
        Metric.BROKERS: cfg.brokers, Metric.PARTITIONS: cfg.partitions,
        Metric.THROUGHPUT_COMMANDS_S: rounded(per_second(done, measured), 1),
        Metric.OFFERED_COMMANDS_S: cfg.offered_rate,
        Metric.TURNED_AWAY: int(table["turned away"].sum()),
        Metric.P99_LATENCY_MS: rounded(percentile(model.latencies, 99)),
        Metric.BUSIEST_PARTITION_UTILISATION: float(table["utilisation"].max()),
        Metric.IDLEST_PARTITION_UTILISATION: float(table["utilisation"].min()),
    }
    return PartitionsResult(cfg, world.trace.to_frame(), metrics, table=table)


def scaling(config: Config | None = None, *, brokers: tuple[int, ...] = (1, 3, 6, 12, 24),
            partitions_per_broker: int = 8, load: float = 1.5) -> pd.DataFrame:
    """Throughput vs brokers (partitions = brokers × `partitions_per_broker`), offered at
    `load` × the cores' capacity (without the coordination cost), next to the 2019 benchmark
    where it has the same size."""
    base = resolve(Config, config)
    check_int("partitions_per_broker", partitions_per_broker, low=1, high=8)
    rows = []
    for b in brokers:
        check_int("brokers", b, low=1, high=24)
        capacity = b * base.cores_per_broker * 1000.0 / base.process_time
        cfg = replace(base, brokers=b, partitions=b * partitions_per_broker,
                      replication_factor=min(base.replication_factor, b),
                      offered_rate=min(100_000.0, round(load * capacity)))
        got = float(run(cfg).metrics[Metric.THROUGHPUT_COMMANDS_S])
        rows.append({"brokers": b, "partitions": cfg.partitions, "simulated (commands/s)": got,
                     "simulated per broker": round(got / b, 1)})
    table = pd.DataFrame(rows).merge(BENCHMARK_2019, on=["brokers", "partitions"], how="left")
    per_broker = table["benchmark 2019 (instances/s)"] / table["brokers"]
    table["benchmark per broker"] = per_broker.round(1)
    return table


def describe_scaling(table: pd.DataFrame) -> str:
    """The scaling table (:func:`scaling`) in two sentences: the model, then the benchmark."""
    first, last = table.iloc[0], table.iloc[-1]
    few, many = int(first["brokers"]), int(last["brokers"])
    text = (f"The model goes from {first['simulated (commands/s)']:,.1f} commands/s with "
            f"{few} broker{'s' if few > 1 else ''} to "
            f"{last['simulated (commands/s)']:,.1f} with {many}: "
            f"{first['simulated per broker']:,.1f} and {last['simulated per broker']:,.1f} per "
            "broker.")
    bench = table.dropna(subset=["benchmark 2019 (instances/s)"])
    if len(bench) >= 2:
        b0, b1 = bench.iloc[0], bench.iloc[-1]
        text += (f" The 2019 benchmark went from {b0['benchmark 2019 (instances/s)']:,.0f} "
                 f"with {int(b0['brokers'])} to {b1['benchmark 2019 (instances/s)']:,.0f} with "
                 f"{int(b1['brokers'])}: {b0['benchmark per broker']:,.1f} and "
                 f"{b1['benchmark per broker']:,.1f} per broker.")
    return text


def compare(config: Config | None = None, **grid: Any) -> pd.DataFrame:
    """One row of metrics per variant; by default key skew 0, 0.8, 1.2 and 2 on messages."""
    base = config or Config(message_share=1.0)
    return results.sweep(run, base, **(grid or {"key_skew": [0.0, 0.8, 1.2, 2.0]}))
