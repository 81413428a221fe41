"""The processing loop and what replication costs: latency, not throughput.

One partition with `replication_factor` replicas (one broker each). Clients send
``CreateProcessInstance`` commands through the leader's gateway: with ``clients=0`` they
arrive at `rate` per second (Poisson, an open loop); with ``clients=N`` there are N clients,
each sending its next command as soon as its last one is answered (a closed loop, so the
load adapts to the latency: N commands in flight at most). Throughput is measured between the
10th and the 90th percent of the answers, so the start (nothing in flight yet) and the end
(the last commands draining) do not count. Every command goes through the talk's seven steps (see
:mod:`eventlab.engines.zeebe.processor`), and :meth:`timeline` shows them for one command across the
nodes. The leader needs a quorum, so a command waits for the
*median* follower, not the slowest: one slow follower barely matters at RF 3 or 5, and the
processor is never blocked by replication, so throughput hardly moves. Times are ms.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.errors import ConfigError
from eventlab.core.world import World
from eventlab.engines.zeebe.cluster import Cluster
from eventlab.engines.zeebe.processor import RESPOND_AFTER
from eventlab.engines.zeebe.raft import quorum
from eventlab.engines.zeebe.records import OK, Request
from eventlab.scenarios.zeebe.common import per_second, percentile, rounded
from eventlab.view import graphs

__all__ = ["STEPS", "Config", "ReplicationResult", "compare", "run", "timeline"]

STEPS: tuple[str, ...] = (
    "1 command sent", "2 command appended", "3 command replicated", "3 command committed",
    "4 invariants checked, state updated", "5 response sent", "5 response received",
    "6 events appended", "7 events replicated", "7 events committed")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the replication experiment (times in ms)."""

    replication_factor: int = param(3, choices=(1, 3, 5), help="replicas of the partition")
    follower_latency: float = param(2.0, low=0.0, high=100.0, step=0.5,
                                    help="network latency between brokers")
    jitter: float = param(0.5, low=0.0, high=50.0, step=0.1, help="mean extra latency")
    slow_follower: float = param(1.0, low=1.0, high=50.0, step=0.5,
                                 help="one follower's links are this many times slower")
    respond_after: str = param("processing", choices=RESPOND_AFTER,
                               help="Zeebe answers right after the invariant check")
    rate: float = param(1000.0, low=10.0, high=20_000.0, step=10.0,
                        help="commands per second arriving (Poisson)")
    commands: int = param(100, low=1, high=5000, help="commands sent in the run")
    clients: int = param(0, low=0, high=256,
                         help="0: commands arrive at `rate`; N: N clients, each waiting "
                              "for its answer before it sends the next")
    process_time: float = param(0.5, low=0.01, high=50.0, step=0.01,
                                help="processor time per command")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """`commands` commands, each processed by the leader and replicated to every follower.
        At a high rate with a long or jittery follower latency many entries are in flight at
        once, and every append and answer carries more of them (the window below): the cost
        per command then grows with the commands in flight. Measured on a 2-core laptop (CPU
        time, busy machine): 160 us per command, plus 100 us per command and follower,
        growing by 0.04 us for each entry in flight (12 KB per command, 4.5 KB per replica);
        the estimate is 1.5x that."""
        in_flight = min(self.commands,
                        self.rate / 1000 * 2 * (self.follower_latency + self.jitter))
        per_follower = 150e-6 + 0.06e-6 * in_flight
        return Cost(seconds=0.01 + self.commands * 240e-6
                    + self.commands * (self.replication_factor - 1) * per_follower,
                    megabytes=110 + self.commands * (0.012 + 0.005 * self.replication_factor),
                    drivers={"commands": "lower", "replication_factor": "lower",
                             "rate": "lower", "follower_latency": "lower", "jitter": "lower"})

    def check(self) -> None:
        if self.slow_follower > 1.0 and self.replication_factor == 1:
            raise ConfigError("slow_follower needs a follower: use replication_factor 3 or 5")


class ReplicationResult(results.RunResult):
    """Latency and throughput for one replication factor, with the loop's timeline."""

    def timeline(self, command: int = 1) -> pd.DataFrame:
        """The seven steps of the `command`-th command (1 = first) across the nodes."""
        return timeline(self.trace, command)

    def story(self, command: int = 1) -> str:
        """The `command`-th command's loop in one sentence, with the times of this run."""
        first = self.timeline(command).groupby("step", observed=True)["time"].min()
        sent, committed = first[STEPS[0]], first[STEPS[3]]
        answered, events = first[STEPS[6]], first.get(STEPS[9])
        text = (f"Command {command} is sent at {sent:.2f} ms; the leader appends it at once, "
                f"a quorum has it at {committed:.2f} ms ({committed - sent:.2f} ms later: "
                f"the round trip to the followers), and the client has its answer at "
                f"{answered:.2f} ms, after {self.config.process_time:g} ms of processing.")
        if events is not None and events == events:  # not NaN: the events did commit
            text += (f" The events it produced are committed at {events:.2f} ms, "
                     f"{'after' if events > answered else 'before'} the answer.")
        return text

    def graph(self) -> graphs.Diagram:
        """Client, leader and followers; arrows labelled with the loop's steps."""
        rf = self.config.replication_factor
        slow = f"broker-{rf - 1}" if self.config.slow_follower > 1 else ""
        nodes = [("client", "client"), ("broker-0", "broker")]
        nodes += [(f"broker-{i}", "broker") for i in range(1, rf)]
        edges = [("client", "broker-0", "1 command / 5 response", "command")]
        for i in range(1, rf):
            name = f"broker-{i}"
            label = "3+7 replicate" + (" (slow)" if name == slow else "")
            edges.append(("broker-0", name, label, "data"))
        return graphs.diagram(nodes, edges, title=f"processing loop, RF {rf} "
                                                  f"(quorum {quorum(rf)})")


def timeline(trace: pd.DataFrame, command: int = 1) -> pd.DataFrame:
    """Rows (step, node, time) for the `command`-th command sent in `trace`."""
    sends = trace[(trace["kind"] == "send") & trace["detail"].isna()
                  & (trace["message_kind"] == "command")]
    if not 1 <= command <= len(sends):
        raise ConfigError(f"command must be between 1 and {len(sends)}, got {command}")
    first = sends.iloc[command - 1]
    case = trace[trace["correlation_id"] == first["correlation_id"]].fillna(
        {"entity": "", "detail": ""})
    leader = case[(case["entity"] == "append") & (case["message_kind"] == "command")]
    leader_node = leader["actor"].iloc[0]
    rows = [(STEPS[0], first["actor"], first["time"])]
    cmd_index = 0
    event_last = 0
    for row in case.itertuples(index=False):
        if row.entity == "append":
            is_cmd = row.message_kind == "command"
            own = row.actor == leader_node
            step = STEPS[1] if is_cmd and own else STEPS[2] if is_cmd else \
                STEPS[7] if own else STEPS[8]
            rows.append((step, row.actor, row.time))
            if is_cmd and own:
                cmd_index = int(row.offset)
            elif own:
                event_last = max(event_last, int(row.offset))
        elif row.detail == "processed" or row.kind == "reject":
            rows.append((STEPS[4], row.actor, row.time))
        elif row.detail.startswith("response"):
            rows.append((STEPS[5] if row.kind == "send" else STEPS[6], row.actor, row.time))
    commits = trace[(trace["entity"] == "commit index") & (trace["actor"] == leader_node)]
    for step, index in ((STEPS[3], cmd_index), (STEPS[9], event_last)):
        reached = commits[commits["offset"] >= index] if index else commits.iloc[0:0]
        if len(reached):
            rows.append((step, leader_node, reached["time"].iloc[0]))
    out = pd.DataFrame(rows, columns=["step", "node", "time"])
    out["step"] = pd.Categorical(out["step"], categories=list(STEPS), ordered=True)
    return out.sort_values(["time", "step"], kind="stable").reset_index(drop=True)


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    REPLICATION_FACTOR = "replication factor"
    QUORUM = "quorum"
    COMMANDS = "commands"
    THROUGHPUT_COMMANDS_S = "throughput (commands/s)"
    P50_LATENCY_MS = "p50 latency (ms)"
    P99_LATENCY_MS = "p99 latency (ms)"
    P50_APPEND_TO_COMMIT_MS = "p50 append-to-commit (ms)"
    LOG_ENTRIES = "log entries"
    PROCESSOR_UTILISATION = "processor utilisation"


def run(config: Config | None = None) -> ReplicationResult:
    """Commands through one replicated partition; latency and throughput."""
    cfg = resolve(Config, config)
    world = World(cfg.seed)
    rf = cfg.replication_factor
    slow = {f"broker-{rf - 1}": cfg.slow_follower} if cfg.slow_follower > 1 else None
    cluster = Cluster(world, brokers=rf, partitions=1, replication_factor=rf,
                      latency=cfg.follower_latency, jitter=cfg.jitter, slow=slow,
                      process_time=cfg.process_time, respond_after=cfg.respond_after,
                      election_timeout=1e6, heartbeat=1e5, request_timeout=1e9)
    latencies: list[float] = []
    answered: list[float] = []  # when each OK answer arrived
    clients = _closed_loop if cfg.clients else _clients
    world.env.run(until=world.env.process(clients(world, cluster, cfg, latencies, answered)))
    end = world.now
    raft = cluster.partitions[1].raft
    leader = raft.nodes["broker-0"]
    trace = world.trace.to_frame()
    waits = _commit_waits(trace, "broker-0")
    metrics: dict[str, float | int | str] = {
        Metric.REPLICATION_FACTOR: rf,
        Metric.QUORUM: quorum(rf),
        Metric.COMMANDS: len(latencies),
        Metric.THROUGHPUT_COMMANDS_S: rounded(_steady_throughput(answered), 1),
        Metric.P50_LATENCY_MS: rounded(percentile(latencies, 50)),
        Metric.P99_LATENCY_MS: rounded(percentile(latencies, 99)),
        Metric.P50_APPEND_TO_COMMIT_MS: rounded(percentile(waits, 50)),
        Metric.LOG_ENTRIES: len(leader.log),
        Metric.PROCESSOR_UTILISATION: rounded(cluster.partitions[1].utilisation(end), 3),
    }
    return ReplicationResult(cfg, trace, metrics)


def _steady_throughput(answered: list[float]) -> float:
    """Answers per second between the 10th and the 90th percent of them (warm-up and drain
    left out); with fewer than 10 answers, over all of them."""
    times = sorted(answered)
    if len(times) < 2:
        return 0.0
    first, last = (len(times) // 10, len(times) - 1 - len(times) // 10) if len(times) >= 10 \
        else (0, len(times) - 1)
    span = times[last] - times[first]
    return per_second(last - first, span) if span > 0 else 0.0


def _recorder(world: World, latencies: list[float],
              answered: list[float]) -> Callable[[Request], None]:
    def done(request: Request) -> None:
        if request.outcome == OK and request.latency is not None:
            latencies.append(request.latency)
            answered.append(world.now)
    return done


def _clients(world: World, cluster: Cluster, cfg: Config, latencies: list[float],
             answered: list[float]) -> Generator[simpy.Event, Any, None]:
    """Open loop: commands arrive at `rate`, whatever the latency."""
    rng = world.rng("clients")
    waiting: list[simpy.Event] = []
    done = _recorder(world, latencies, answered)
    for i in range(cfg.commands):
        yield world.env.timeout(rng.expovariate(cfg.rate / 1000.0))
        event = world.env.event()
        waiting.append(event)
        cluster.send("CreateProcessInstance", cluster.new_instance(), client=f"client-{i % 8}",
                     gateway="broker-0", on_done=_then(done, event))
    yield world.env.all_of(waiting)


def _closed_loop(world: World, cluster: Cluster, cfg: Config, latencies: list[float],
                 answered: list[float]) -> Generator[simpy.Event, Any, None]:
    """Closed loop: `clients` clients, each sends its next command once the last is answered."""
    rng = world.rng("clients")
    done = _recorder(world, latencies, answered)
    left = [cfg.commands]

    def client(name: str) -> Generator[simpy.Event, Any, None]:
        yield world.env.timeout(rng.uniform(0.0, 1.0))  # clients do not start in lockstep
        while left[0] > 0:
            left[0] -= 1
            event = world.env.event()
            cluster.send("CreateProcessInstance", cluster.new_instance(), client=name,
                         gateway="broker-0", on_done=_then(done, event))
            yield event

    yield world.env.all_of([world.env.process(client(f"client-{i}"))
                            for i in range(cfg.clients)])


def _then(done: Callable[[Request], None], event: simpy.Event) -> Callable[[Request], None]:
    def callback(request: Request) -> None:
        done(request)
        event.succeed()
    return callback


def _commit_waits(trace: pd.DataFrame, leader: str) -> list[float]:
    """How long each entry waited on the leader between its append and its commit."""
    own = trace[trace["actor"] == leader]
    appends = own[own["entity"] == "append"][["offset", "time"]].to_numpy()
    commits = own[own["entity"] == "commit index"][["offset", "time"]].to_numpy()
    waits, j = [], 0
    for index, appended in appends:
        while j < len(commits) and commits[j][0] < index:
            j += 1
        if j < len(commits):
            waits.append(float(commits[j][1] - appended))
    return waits


def compare(config: Config | None = None, **grid: Any) -> pd.DataFrame:
    """One row of metrics per variant; by default replication factor 1, 3 and 5."""
    return results.sweep(run, resolve(Config, config),
                         **(grid or {"replication_factor": [1, 3, 5]}))
