"""Consumer groups: scale the members up and down and watch assignments, rebalances and lag.

A producer writes one record every ``produce_interval`` ms to the 6 partitions of ``orders``;
each member needs ``processing_time`` ms per record, so one member cannot keep up and lag
grows. In three phases of ``phase`` ms the group has ``start_members``, then ``peak_members``,
then ``end_members`` members. Every change of membership is a rebalance and a new generation;
a member that leaves says so, a member that crashes keeps its partitions until its session
times out (``session_timeout``), and lag piles up there. Times are ms.
"""

from __future__ import annotations

import json
from collections.abc import Generator
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
from eventlab.engines.kafka import Cluster, ConsumerGroup, Producer
from eventlab.engines.kafka.configs import ASSIGNORS
from eventlab.view import graphs, playback
from eventlab.view.charts import Chart, Figure

TOPIC = "orders"
GROUP = "Billing"
PARTITIONS = 6
SAMPLE = 25.0  # ms between two lag samples
SCALE_DOWN: tuple[str, ...] = ("leave", "crash")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the scaling demo (times in ms)."""

    assignor: str = param("range", choices=ASSIGNORS, help="partition.assignment.strategy")
    start_members: int = param(1, low=1, high=8, help="members in the first phase")
    peak_members: int = param(3, low=1, high=8, help="members in the second phase")
    end_members: int = param(2, low=1, high=8, help="members in the third phase")
    scale_down: str = param("leave", choices=SCALE_DOWN,
                            help="members go away cleanly (leave) or crash")
    produce_interval: float = param(4.0, low=0.1, high=100.0, step=0.1,
                                    help="ms between two records")
    processing_time: float = param(8.0, low=0.0, high=100.0, step=0.5,
                                   help="ms a member needs per record")
    phase: float = param(1000.0, low=100.0, high=10_000.0, step=100.0, help="ms per phase")
    session_timeout: float = param(500.0, low=10.0, high=10_000.0, step=10.0,
                                   help="ms until a silent member is removed")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """Three phases of `phase` ms, one record per produce_interval. Measured on a 2-core
        laptop (CPU time, busy machine): about 40 us and 2.3 KB per record (polls, commits,
        lag rows included); the estimate is 1.6x that."""
        records = 3 * self.phase / self.produce_interval
        return Cost(seconds=records * 65e-6, megabytes=110 + records * 0.003,
                    drivers={"produce_interval": "raise", "phase": "lower"})

    def check(self) -> None:
        """The group first grows (or stays), then shrinks (or stays)."""
        if self.peak_members < self.start_members:
            raise ConfigError(f"peak_members={self.peak_members} must be >= start_members="
                              f"{self.start_members}")
        if self.end_members > self.peak_members:
            raise ConfigError(f"end_members={self.end_members} must be <= peak_members="
                              f"{self.peak_members}")


class GroupsResult(results.RunResult):
    """A run of the scaling demo: assignments per generation, lag over time, playback."""

    PANEL = ("assignments", "summary")  # what its interactive panel shows

    def assignments(self) -> pd.DataFrame:
        """Per generation: when it started, why, and which partitions each member got."""
        rows = self.trace[(self.trace["kind"] == "state") & (self.trace["actor"] == GROUP)
                          & (self.trace["entity"] == "generation")]
        members = self.trace[(self.trace["kind"] == "state")
                             & (self.trace["entity"] == "assignment")
                             & self.trace["detail"].str.startswith("generation").fillna(False)]
        out = []
        for time, generation, why in zip(rows["time"], rows["value"], rows["detail"],
                                         strict=True):
            mine = members[members["detail"] == f"generation {generation}"]
            parts = {str(m): ", ".join(p.rsplit("-", 1)[1] for p in json.loads(str(v)))
                     for m, v in zip(mine["actor"], mine["value"], strict=True)}
            out.append({"generation": int(generation), "time (ms)": round(float(time), 1),
                        "why": str(why).split(": ", 1)[1], **parts})
        return pd.DataFrame(out).set_index("generation").fillna("")

    def lag(self) -> pd.Series:
        """The group's total lag (records), sampled every 25 ms."""
        rows = self.trace[(self.trace["actor"] == GROUP) & (self.trace["entity"] == "lag")]
        return pd.Series(rows["value"].astype(int).to_numpy(),
                         index=pd.Index(rows["time"].to_numpy(), name="time (ms)"), name="lag")

    def lag_chart(self) -> Chart:
        """Lag over time, with a dashed line at every membership change."""
        lag = self.lag()
        figure = Figure(figsize=(7.2, 3.2), layout="constrained")
        axes = figure.add_subplot()
        axes.plot(lag.index, lag.to_numpy(), color="#1a73e8", label="lag (records)")
        for t in self.assignments()["time (ms)"]:
            axes.axvline(t, color="#f29900", linestyle="--", linewidth=0.8)
        title = f"lag of group {GROUP} (dashed: a new generation)"
        axes.set_title(title)
        axes.set_xlabel("time (ms)")
        axes.set_ylabel("records not yet committed")
        axes.grid(alpha=0.3)
        table = lag.iloc[:: max(len(lag) // 12, 1)].to_frame()
        return Chart(figure, title, table)

    def frames(self, max_frames: int = 80) -> list[playback.Frame]:
        """Playback: one frame per assignment, generation, crash and removal."""
        keep = self.trace[(self.trace["entity"] != "lag")
                          & ~self.trace["entity"].str.startswith("committed").fillna(False)
                          & ~self.trace["entity"].str.startswith("position").fillna(False)
                          & self.trace["kind"].isin(["state", "fault", "note"])]
        return playback.frames(keep, _diagram, kinds=("state", "fault", "note"),
                               max_frames=max_frames)

    def graph(self) -> graphs.Diagram:
        """Partitions and their owners at the end of the run."""
        return _diagram(self.trace, None)


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    RECORDS_WRITTEN = "records written"
    RECORDS_HANDLED = "records handled"
    HANDLED_MORE_THAN_ONCE = "handled more than once"
    GENERATIONS = "generations"
    MAX_LAG_RECORDS = "max lag (records)"
    MEAN_LAG_RECORDS = "mean lag (records)"
    LAG_BACK_TO_0_AT_MS = "lag back to 0 at (ms)"


def run(config: Config | None = None) -> GroupsResult:
    """Produce for three phases while the group scales; then drain."""
    config = resolve(Config, config)
    world = World(config.seed)
    cluster = Cluster(world)
    cluster.create_topic(TOPIC, partitions=PARTITIONS)
    producer = Producer(cluster, "Order service")
    group = ConsumerGroup(cluster, GROUP, TOPIC, assignor=config.assignor,
                          session_timeout=config.session_timeout,
                          auto_offset_reset="earliest")
    seen: dict[str, int] = {}

    def handle(record: Any) -> None:
        seen[record.value.message_id] = seen.get(record.value.message_id, 0) + 1

    def member(i: int) -> None:
        # Commit what was processed when partitions are taken away (onPartitionsRevoked).
        group.join(f"member-{i}", handle, commit="process_then_commit", max_poll_records=20,
                   commit_on_revoke=True, processing_time=config.processing_time)

    env = world.env
    done = [False]
    drained = [0.0]

    def produce() -> Generator[simpy.Event, Any, None]:
        rng = world.rng("keys")
        while env.now < 3 * config.phase:
            producer.send(TOPIC, world.event("OrderPlaced", sender="Order service",
                                             key=f"customer-{rng.randrange(48)}"))
            yield env.timeout(config.produce_interval)
        done[0] = True

    def scale() -> Generator[simpy.Event, Any, None]:
        for i in range(1, config.start_members + 1):
            member(i)
        yield env.timeout(config.phase)
        for i in range(config.start_members + 1, config.peak_members + 1):
            member(i)
        yield env.timeout(config.phase)
        for i in range(config.peak_members, config.end_members, -1):
            if config.scale_down == "crash":
                group.crash(f"member-{i}")
            else:
                group.leave(f"member-{i}")

    def sample() -> Generator[simpy.Event, Any, None]:
        while not (done[0] and group.total_lag() == 0):
            world.trace.state(env.now, GROUP, "lag", group.total_lag())
            yield env.timeout(SAMPLE)
        world.trace.state(env.now, GROUP, "lag", 0)
        drained[0] = env.now

    for process in (produce(), scale(), sample()):
        env.process(process)
    env.run()
    lags = [int(v) for v in world.trace.to_frame().query("entity == 'lag'")["value"]]
    metrics: dict[str, int] = {
        Metric.RECORDS_WRITTEN: sum(topic_ends(cluster)),
        Metric.RECORDS_HANDLED: sum(seen.values()),
        Metric.HANDLED_MORE_THAN_ONCE: sum(n - 1 for n in seen.values()),
        Metric.GENERATIONS: group.generation,
        Metric.MAX_LAG_RECORDS: max(lags),
        Metric.MEAN_LAG_RECORDS: round(sum(lags) / len(lags)),
        Metric.LAG_BACK_TO_0_AT_MS: round(drained[0]),
    }
    return GroupsResult(config, world.trace.to_frame(), metrics)


def topic_ends(cluster: Cluster) -> list[int]:
    """The high watermark of each partition of the demo topic."""
    return cluster.topic(TOPIC).high_watermarks()


def _diagram(trace: pd.DataFrame, row: Any) -> graphs.Diagram:
    states = trace[(trace["kind"] == "state") & (trace["entity"] == "assignment")]
    latest = states.drop_duplicates("actor", keep="last")
    gens = trace[(trace["kind"] == "state") & (trace["entity"] == "generation")]
    generation = int(gens["value"].iloc[-1]) if len(gens) else 0
    down = set(trace.loc[trace["kind"] == "fault", "actor"].astype(str))
    gone = [str(d).split(":")[0] for d in trace.loc[(trace["kind"] == "note")
                                                    & (trace["actor"] == GROUP), "detail"]]
    diagram = graphs.Diagram(f"group {GROUP}, generation {generation}", rankdir="LR")
    for p in range(PARTITIONS):
        diagram.add_node(f"{TOPIC}-{p}", role="broker")
    current = None if row is None else str(row.actor)
    for member, value in zip(latest["actor"], latest["value"], strict=True):
        name = str(member)
        if name in gone:
            continue
        diagram.add_node(name, role="down" if name in down else "service",
                         note="crashed" if name in down else "")
        for part in json.loads(str(value)) if isinstance(value, str) else []:
            diagram.add_edge(part, name, "reads", kind="event", highlight=name == current)
    return diagram
