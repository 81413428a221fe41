"""Replication of one partition: followers copy the leader, the ISR shrinks and grows, and
leadership fails over, as in Kafka.

Followers copy everything new ``replica_fetch_delay`` after an append (one timer per round, so
records travel in batches). A follower whose broker is down leaves the ISR after
``replica_lag_max``; it rejoins once caught up. When the leader's broker dies, the first live
in-sync replica takes over (a new leader epoch); with ``unclean_leader_election`` any live
replica may, losing what it lacked; otherwise the partition goes offline until an in-sync
replica returns. Every other replica then cuts its log back to where it agrees with the new
leader, found by leader epoch as in Kafka (KIP-101); each record cut is a ``drop`` row.

:class:`Replicas` is the base of :class:`~eventlab.engines.kafka.partition.Partition`, which adds
the
produce path; it moves the high watermark through ``Partition._advance``.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

from eventlab.core.world import World
from eventlab.engines.kafka.configs import ClusterConfig
from eventlab.engines.kafka.log import PartitionLog, Record


class ClusterView(Protocol):
    """What a partition needs of its cluster (a :class:`~eventlab.engines.kafka.broker.Cluster`
    has it): the world, the cluster's settings and which brokers are up. A protocol, so that
    the partition does not import the broker module that creates it."""

    @property
    def world(self) -> World: ...
    @property
    def config(self) -> ClusterConfig: ...
    alive: list[bool]


class Replicas:
    """The replica side of a partition: one log per broker, the leader, the ISR, epochs."""

    # Set up by Partition.__init__; declared here so this half reads on its own.
    topic: str
    index: int
    name: str
    world: World
    cluster: ClusterView
    replicas: list[int]  # broker ids, preferred leader first
    logs: dict[int, PartitionLog]
    leader: int | None
    isr: list[int]
    high_watermark: int
    leader_epoch: int
    _acks: deque[Any]
    _producers: dict[str, int]
    _replicating: bool
    _replicated: bool
    _leader_name: str
    _stale: dict[int, int]  # dead in-sync followers: the log end the leader may count for them

    def _advance(self, high_watermark: int) -> None:
        raise NotImplementedError  # Partition answers producers and wakes consumers

    def _isr_end(self) -> int:
        """The high watermark the ISR supports: the smallest log end the leader knows of."""
        alive = self.cluster.alive
        return min(self.logs[b].end_offset if alive[b] else self._stale[b] for b in self.isr)

    def _schedule_replication(self) -> None:
        self._replicating = True
        delay = self.cluster.config.replica_fetch_delay
        if delay <= 0.0:
            self._replicate(None)
            return
        # One timer per fetch round, however many records it carries: batching for free.
        timer = self.world.env.timeout(delay)
        timer.callbacks.append(self._replicate)

    def _replicate(self, _event: Any) -> None:
        """Followers fetch: every live replica copies what the leader has beyond its end."""
        self._replicating = False
        leader = self.leader
        if leader is None:
            return
        source = self.logs[leader]
        alive = self.cluster.alive
        for broker in self.replicas:
            if broker == leader or not alive[broker]:
                continue
            target = self.logs[broker]
            target.catch_up(source)
            if broker not in self.isr and target.end_offset >= source.end_offset:
                self._set_isr([b for b in self.replicas if b in self.isr or b == broker],
                              f"broker-{broker} caught up")
        self._advance(self._isr_end())

    def _set_isr(self, isr: list[int], why: str) -> None:
        self.isr = isr
        self.world.trace.state(self.world.now, self.name, "isr",
                               [f"broker-{b}" for b in isr], channel=self.topic,
                               partition=self.index, detail=why)

    def follower_down(self, broker: int) -> None:
        """A follower's broker died: after replica.lag.time.max.ms the leader drops it from ISR."""
        self._stale[broker] = self.logs[broker].end_offset  # what this leader saw it fetch
        timer = self.world.env.timeout(self.cluster.config.replica_lag_max)
        timer.callbacks.append(lambda _event: self._maybe_shrink(broker))

    def _maybe_shrink(self, broker: int) -> None:
        leader = self.leader
        if leader is None or broker == leader or broker not in self.isr:
            return
        if (self.cluster.alive[broker]
                and self.logs[broker].end_offset >= self.logs[leader].end_offset):
            return  # back and caught up in time
        self._set_isr([b for b in self.isr if b != broker],
                      f"broker-{broker} fell behind for replica.lag.time.max.ms")
        self._advance(self._isr_end())

    def leader_down(self, broker: int) -> None:
        """The leader's broker died: elect the first live in-sync replica (or go offline)."""
        self._acks.clear()  # a dead leader never answers: those producers time out and retry
        alive = self.cluster.alive
        clean = [b for b in self.replicas if b in self.isr and b != broker and alive[b]]
        others = [b for b in self.replicas if b != broker and alive[b]]
        if clean:
            self._elect(clean[0], unclean=False)
        elif others and self.cluster.config.unclean_leader_election:
            self._elect(others[0], unclean=True)
        else:
            # No in-sync replica is alive: the ISR keeps its last members, one may come back.
            self.leader = None
            self.world.trace.state(self.world.now, self.name, "leader", "offline",
                                   channel=self.topic, partition=self.index,
                                   detail="no live in-sync replica: partition offline")

    def broker_up(self, broker: int) -> None:
        """A replica's broker is back: lead an offline partition, or truncate and catch up."""
        self._stale.pop(broker, None)
        if self.leader is None:
            if broker in self.isr:
                self._elect(broker, unclean=False)
            elif self.cluster.config.unclean_leader_election:
                self._elect(broker, unclean=True)
            return
        self._truncate(broker)
        if not self._replicating:
            self._schedule_replication()

    def _elect(self, broker: int, *, unclean: bool) -> None:
        old = self.leader
        alive = self.cluster.alive
        self.leader = broker
        self._leader_name = f"broker-{broker}"
        self.leader_epoch += 1
        log = self.logs[broker]
        how = "unclean election" if unclean else "elected from the ISR"
        self.world.trace.state(self.world.now, self.name, "leader", f"broker-{broker}",
                               channel=self.topic, partition=self.index, offset=log.end_offset,
                               detail=f"{how}, leader epoch {self.leader_epoch}")
        if unclean:
            self.high_watermark = min(self.high_watermark, log.end_offset)
            self._set_isr([broker], "unclean election: only the new leader is in sync")
        else:
            isr = [b for b in self.replicas if b == broker or (b in self.isr and b != old)]
            self._set_isr(isr, f"new leader broker-{broker}")
        for other in self.replicas:
            if other != broker and alive[other]:
                self._truncate(other)
        for member in self.isr:
            if not alive[member]:
                self.follower_down(member)
                # A new leader does not know what a dead follower holds (it may even hold a
                # divergent tail): it must not count more than is committed already.
                self._stale[member] = min(self._stale[member], self.high_watermark)
        # Idempotence state lives in the log (batch headers), so the new leader rebuilds it.
        self._producers = {r.producer_id: r.sequence for r in log.records if r.producer_id}
        self._advance(self._isr_end())
        if len(self.replicas) > 1 and not self._replicating:
            self._schedule_replication()

    def _truncate(self, broker: int) -> None:
        """Cut a replica back to where it agrees with the leader, by leader epoch (KIP-101)."""
        log = self.logs[broker]
        leader_log = self.logs[self.leader]  # type: ignore[index]
        while log.records:
            epoch = log.records[-1].leader_epoch
            records = leader_log.records
            i = len(records)
            while i and records[i - 1].leader_epoch > epoch:
                i -= 1
            end = records[i].offset if i < len(records) else leader_log.end_offset
            if end >= log.end_offset:
                break
            self._dropped(broker, log.truncate(end))
        if log.end_offset > leader_log.end_offset:
            self._dropped(broker, log.truncate(leader_log.end_offset))

    def _dropped(self, broker: int, records: list[Record]) -> None:
        for record in records:
            self.world.trace.record(
                "drop", self.world.now, f"broker-{broker}", message=record.value,
                channel=self.topic, partition=self.index, offset=record.offset, size=record.size,
                detail=f"truncated: not on the leader broker-{self.leader} "
                       f"(epoch {self.leader_epoch})")
