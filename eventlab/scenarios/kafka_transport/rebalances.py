"""Where duplicates around a rebalance come from: asynchronous processing and kicked-out members.

The group ``Billing`` reads the 6 partitions of ``orders``; the Order service writes an order
every ``produce_interval`` ms on average. Two members start; a third joins at a random moment
in the first third of the run and leaves in the second third: two rebalances in every run.
Every member needs ``processing_time`` ms per record, commits after each batch
(``process_then_commit``) and again when partitions are revoked (``commit_on_revoke``, the
``onPartitionsRevoked`` of Kafka's documentation).

A rebalance runs inside ``poll()``, between batches, so a member that handles its batches in
the poll loop (``processing="sync"``) hands over exactly where it stopped. Two things change
that, one field each:

* ``processing``: ``"async"`` hands records to a worker per partition and polls on; on a
  revoke it commits what the workers finished, and the records still in flight are handled by
  the old worker *and* by the next owner. ``"async_drained"`` waits for the workers first;
* ``fault``: at a random moment member-1 stalls on a record for ``stall`` ms, longer than the
  coordinator waits. ``"slow_handler"`` (a slow downstream call; the heartbeat thread goes on)
  outlasts ``max_poll_interval``; ``"gc_pause"`` (no heartbeats either) outlasts
  ``session_timeout``. Either way the coordinator removes member-1 and gives its partitions
  away while member-1 finishes its batch as a zombie; its commit is refused
  (``CommitFailedException``) and the next owner handles the batch again.

Times are ms.
"""

from __future__ import annotations

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
from eventlab.engines.kafka import Cluster, Consumer, ConsumerGroup, Producer, Record

TOPIC = "orders"
GROUP = "Billing"
PARTITIONS = 6
PROCESSING: tuple[str, ...] = ("sync", "async", "async_drained")
FAULTS: tuple[str, ...] = ("none", "slow_handler", "gc_pause")
FAULTY = "member-1"


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the rebalance demo (times in ms)."""

    processing: str = param("sync", choices=PROCESSING,
                            help="handle each batch in the poll loop (sync), hand records to "
                                 "workers (async), or hand them over and wait for the "
                                 "workers on revoke (async_drained)")
    fault: str = param("none", choices=FAULTS,
                       help="member-1 stalls once: a slow handler (heartbeats go on) or a GC "
                            "pause (no heartbeats)")
    stall: float = param(600.0, low=10.0, high=5000.0, step=10.0,
                         help="ms the stall of member-1 lasts")
    max_poll_interval: float = param(400.0, low=50.0, high=5000.0, step=10.0,
                                     help="max.poll.interval.ms: a batch longer than this "
                                          "gets its member removed")
    session_timeout: float = param(300.0, low=50.0, high=5000.0, step=10.0,
                                   help="session.timeout.ms: a member without heartbeats "
                                        "this long is removed")
    produce_interval: float = param(3.0, low=0.5, high=50.0, step=0.5,
                                    help="mean ms between two orders")
    processing_time: float = param(4.0, low=0.0, high=50.0, step=0.5,
                                   help="ms a member needs per record")
    max_poll_records: int = param(10, low=1, high=500, help="records per poll")
    duration: float = param(900.0, low=300.0, high=5000.0, step=100.0,
                            help="ms during which orders are written")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """One record per produce_interval. Measured on a 2-core laptop: about 60 us per
        record (polls, commits and the trace included; asynchronous workers a little more)."""
        records = self.duration / self.produce_interval
        return Cost(seconds=records * 100e-6, megabytes=110 + records * 0.003,
                    drivers={"produce_interval": "raise", "duration": "lower"})


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    RECORDS_WRITTEN = "records written"
    RECORDS_HANDLED = "records handled"
    HANDLED_TWICE = "records handled twice"
    REBALANCES = "rebalances"
    MEMBERS_KICKED_OUT = "members kicked out"
    COMMITS_REFUSED = "commits refused"
    RECORDS_NEVER_HANDLED = "records never handled"


@dataclass(frozen=True, repr=False)
class RebalanceResult(results.RunResult):
    """A run of the rebalance demo: what the group went through, and what was handled twice."""

    PANEL = ("story", "summary")  # what its interactive panel shows

    def story(self) -> pd.DataFrame:
        """What the group went through: joins and leaves, generations, revokes, stalls,
        members kicked out and refused commits, in order."""
        trace = self.trace
        kind, entity = trace["kind"], trace["entity"]
        revokes = (kind == "state") & (entity == "assignment") & trace["detail"].str.match(
            r"^(revoked|lost)").fillna(False)
        rows = trace[(kind.isin(["fault", "note", "reject"]) & ~trace["detail"].isna())
                     | ((kind == "state") & (entity == "generation")) | revokes]
        out = []
        for row in rows.to_dict("records"):
            who, detail = str(row["actor"]), str(row["detail"])
            if row["kind"] == "state" and row["entity"] == "generation":
                what = f"generation {row['value']} ({detail.split(': ', 1)[1]})"
            elif row["kind"] == "reject":  # the coordinator refuses the member's commit
                who = str(row["target"])
                what = (f"commit of offset {int(row['offset'])} on {TOPIC}-"
                        f"{int(row['partition'])} refused (CommitFailedException)")
            elif row["kind"] == "note":  # the coordinator's note about a member
                who = str(row["target"])
                what = detail.removeprefix(f"{who}: ")
            else:
                what = detail
            out.append((round(float(row["time"]), 1), who, what))
        return pd.DataFrame(out, columns=["time (ms)", "who", "what"])

    def duplicates(self) -> pd.DataFrame:
        """Every record handled more than once: by whom and when, in order."""
        delivered = self.trace[(self.trace["kind"] == "deliver")
                               & (self.trace["channel"] == TOPIC)]
        handlers: dict[tuple[int, int], list[tuple[str, float]]] = {}
        for part, offset, actor, time in zip(delivered["partition"], delivered["offset"],
                                             delivered["actor"], delivered["time"],
                                             strict=True):
            handlers.setdefault((int(part), int(offset)), []).append((str(actor), float(time)))
        rows = [(f"{TOPIC}-{part} @ {offset}", ", ".join(a for a, _ in mine),
                 ", ".join(f"{t:.1f}" for _, t in mine))
                for (part, offset), mine in sorted(handlers.items()) if len(mine) > 1]
        return pd.DataFrame(rows, columns=["record", "handled by", "at (ms)"])


def run(config: Config | None = None) -> RebalanceResult:
    """Write orders for `config.duration` ms while the group scales up and down; drain."""
    config = resolve(Config, config)
    world = World(config.seed)
    env = world.env
    # One broker: replication is not what this demo is about, and it halves the run's cost.
    cluster = Cluster(world, brokers=1)
    cluster.create_topic(TOPIC, partitions=PARTITIONS, replication_factor=1)
    producer = Producer(cluster, "Order service")
    group = ConsumerGroup(cluster, GROUP, TOPIC, session_timeout=config.session_timeout,
                          max_poll_interval=config.max_poll_interval,
                          auto_offset_reset="earliest")
    handled: dict[tuple[int, int], int] = {}  # (partition, offset) -> times handled

    def handle(record: Record) -> None:
        where = (record.partition, record.offset)
        handled[where] = handled.get(where, 0) + 1

    def member(name: str) -> Consumer:
        return group.join(name, handle, commit="process_then_commit", commit_on_revoke=True,
                          max_poll_records=config.max_poll_records,
                          processing_time=config.processing_time,
                          processing="sync" if config.processing == "sync" else "async",
                          drain_on_revoke=config.processing == "async_drained")

    def produce() -> Generator[simpy.Event, Any, None]:
        rng = world.rng("orders")
        n = 0
        while True:
            yield env.timeout(rng.expovariate(1.0 / config.produce_interval))
            if env.now >= config.duration:
                return
            n += 1
            producer.send(TOPIC, world.event("OrderPlaced", sender="Order service",
                                             key=f"customer-{rng.randrange(60)}",
                                             payload={"order": n}))

    def scale() -> Generator[simpy.Event, Any, None]:
        rng = world.rng("membership")
        third = config.duration / 3
        joins, leaves = rng.uniform(0.2, 0.9) * third, rng.uniform(1.1, 1.9) * third
        first = member(FAULTY)
        member("member-2")
        if config.fault != "none":
            at = rng.uniform(0.3, 2.7) * third
            env.process(_fault(env, first, at, config))
        yield env.timeout(joins)
        member("member-3")
        yield env.timeout(leaves - env.now)
        group.leave("member-3")

    env.process(produce())
    env.process(scale())
    env.run()
    trace = world.trace.to_frame()
    written = sum(cluster.topic(TOPIC).high_watermarks())
    notes = trace.loc[trace["kind"] == "note", "detail"].astype(str)
    return RebalanceResult(config, trace, {
        Metric.RECORDS_WRITTEN: written,
        Metric.RECORDS_HANDLED: sum(handled.values()),
        Metric.HANDLED_TWICE: sum(n - 1 for n in handled.values()),
        Metric.REBALANCES: group.generation,
        Metric.MEMBERS_KICKED_OUT: int(notes.str.contains("timed out|max.poll.interval").sum()),
        Metric.COMMITS_REFUSED: int((trace["kind"] == "reject").sum()),
        Metric.RECORDS_NEVER_HANDLED: written - len(handled),
    })


def _fault(env: simpy.Environment, member: Consumer, at: float,
           config: Config) -> Generator[simpy.Event, Any, None]:
    yield env.timeout(at)
    if member.alive:
        member.stall(config.stall, heartbeats=config.fault == "slow_handler")
