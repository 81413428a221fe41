"""Exporters feed read models; log truncation waits for the slowest exporter.

An :class:`Exporter` runs with the partition leader and reads *committed* records in log
order. It collects them into a batch and flushes when the batch is full or `flush_interval`
ms after the first waiting record; the target (e.g. Elasticsearch) makes a batch visible
`index_delay` ms later, and only then is the position acknowledged. During an outage the
flush is retried until the target is back (Zeebe retries ``export`` indefinitely). After a
leader change the exporter starts again from its acknowledged position, so records may be
exported twice; the :class:`ReadModel` upserts by log position, which makes that harmless.

:class:`Retention` takes a snapshot every `snapshot_interval` ms and truncates the log up to
min(snapshot position, every exporter's position): a stalled exporter stops truncation and
the log (the broker's disk) grows. Truncated entries are only counted, not removed, so the
Raft model never needs snapshot transfer to a lagging follower.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import simpy

from eventlab.core.errors import check_float, check_int, check_text
from eventlab.core.world import World
from eventlab.engines.zeebe.processor import Partition
from eventlab.engines.zeebe.raft import LEADER
from eventlab.engines.zeebe.records import State, evolve


class ReadModel:
    """A query-side copy of the state (think: Operate's Elasticsearch indices)."""

    def __init__(self, name: str) -> None:
        self.name = check_text("name", name)
        self.state: State = {}
        self.visible_at: dict[str, float] = {}
        self.staleness: list[float] = []
        self.applied: set[int] = set()
        self.duplicates = 0

    def apply(self, batch: Sequence[tuple[int, Any]], now: float,
              commit_time: dict[int, float]) -> None:
        """Make a flushed batch of (position, record) visible; repeats are skipped."""
        for index, record in batch:
            if index in self.applied:
                self.duplicates += 1
                continue
            self.applied.add(index)
            if getattr(record, "kind", "") != "event":
                continue
            evolve(self.state, record.type, record.key, record.payload)
            self.visible_at.setdefault(record.key, now)
            self.staleness.append(now - commit_time.get(index, now))


class Exporter:
    """Reads a partition's committed records and writes them to a read model in batches."""

    def __init__(self, world: World, partition: Partition, name: str, target: ReadModel, *,
                 batch_size: int = 10, flush_interval: float = 50.0, index_delay: float = 20.0,
                 outages: Sequence[tuple[float, float]] = ()) -> None:
        self.world, self.partition = world, partition
        self.name = check_text("name", name)
        self.target = target
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.flush_interval = check_float("flush_interval", flush_interval, low=0.0)
        self.index_delay = check_float("index_delay", index_delay, low=0.0)
        self.outages = [(check_float("outage start", a, low=0.0),
                         check_float("outage end", b, low=a)) for a, b in outages]
        self.position = 0  # acknowledged: everything up to here is in the read model
        self.read = 0  # handed to the target (maybe not yet acknowledged)
        self.history: list[tuple[float, int]] = [(world.now, 0)]
        self._busy = False
        self._armed = False
        partition.raft.on_commit(self._on_commit)
        partition.raft.on_role(self._on_role)

    def _on_role(self, node: str, role: str, term: int) -> None:
        if role == LEADER:  # the new leader's exporter resumes from the acknowledged position
            self.read = self.position

    def _on_commit(self, node: str, index: int) -> None:
        if self.partition.raft.nodes[node].role == LEADER:
            self._maybe_flush()

    def _committed(self) -> int:
        leader = self.partition.raft.leader()
        return self.partition.raft.nodes[leader].commit if leader is not None else 0

    def stalled(self, now: float) -> float | None:
        """The end of the outage going on at `now`, or None."""
        for start, end in self.outages:
            if start <= now < end:
                return end
        return None

    def _maybe_flush(self) -> None:
        if self._busy:
            return
        waiting = self._committed() - self.read
        if waiting >= self.batch_size:
            self._flush()
        elif waiting > 0 and not self._armed:
            self._arm(self.flush_interval)

    def _arm(self, delay: float) -> None:
        self._armed = True
        timer = self.world.env.timeout(delay)
        timer.callbacks.append(lambda _e: self._timer())

    def _timer(self) -> None:
        self._armed = False
        if not self._busy and self._committed() > self.read:
            self._flush()

    def _flush(self) -> None:
        world = self.world
        back = self.stalled(world.now)
        if back is not None:
            if not self._armed:
                self._arm(back - world.now)
            return
        leader = self.partition.raft.leader()
        if leader is None:
            return
        log = self.partition.raft.nodes[leader].log
        upto = min(self._committed(), self.read + self.batch_size)
        batch = [(i, log[i - 1].record) for i in range(self.read + 1, upto + 1)]
        self.read, self._busy = upto, True
        timer = world.env.timeout(self.index_delay)
        timer.callbacks.append(lambda _e: self._flushed(batch, upto))

    def _flushed(self, batch: list[tuple[int, Any]], upto: int) -> None:
        world = self.world
        self.target.apply(batch, world.now, self.partition.commit_time)
        if upto > self.position:
            self.position = upto
            self.history.append((world.now, upto))
            world.trace.state(world.now, self.name, "exporter position", upto,
                              channel=self.partition.name, partition=self.partition.id,
                              offset=upto)
        self._busy = False
        self._maybe_flush()


class Retention:
    """Snapshots and log truncation that never passes the slowest exporter."""

    def __init__(self, world: World, partition: Partition, exporters: Sequence[Exporter], *,
                 snapshot_interval: float = 50.0) -> None:
        self.world, self.partition = world, partition
        self.exporters = list(exporters)
        self.snapshot_interval = check_float("snapshot_interval", snapshot_interval, low=1.0)
        self.truncated = 0
        # (time, log end, truncated up to, slowest exporter position, disk in records)
        self.history: list[tuple[float, int, int, int, int]] = []
        world.env.process(self._run())

    def slowest(self) -> int:
        """The lowest acknowledged exporter position (the snapshot position if none)."""
        if not self.exporters:
            return self.partition.position
        return min(e.position for e in self.exporters)

    def _run(self) -> Generator[simpy.Event, Any, None]:
        world, raft = self.world, self.partition.raft
        while True:
            yield world.env.timeout(self.snapshot_interval)
            leader = raft.leader()
            if leader is None:
                continue
            node = raft.nodes[leader]
            upto = min(self.partition.position, self.slowest(), node.commit)
            if upto > self.truncated:
                self.truncated = upto
            disk = len(node.log) - self.truncated
            self.history.append((world.now, len(node.log), self.truncated, self.slowest(), disk))
            world.trace.state(world.now, leader, "disk (records)", disk,
                              channel=self.partition.name, partition=self.partition.id,
                              offset=self.truncated)
