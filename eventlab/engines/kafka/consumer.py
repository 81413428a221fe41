"""A consumer-group member: the poll loop, the handler, the commit strategy and its crash points.

The Kafka notebook uses it for matrix B of the reliability reference (commit strategy × crash
point). One SimPy process per member (never one per record) polls its partitions in batches of
up to ``max_poll_records``, reading only committed records (below the high watermark). It
sleeps while there is nothing to read and wakes when ``fetch_min_records`` arrived or
``fetch_max_wait`` passed since the first one, as Kafka's ``fetch.min.bytes`` /
``fetch.max.wait.ms`` long poll does.

Commit strategies: ``auto`` commits what earlier polls returned, every
``auto_commit_interval``, at the start of a poll; ``commit_then_process`` commits a batch before
handling it (a crash in between loses it: at-most-once); ``process_then_commit`` commits after
(a crash in between redelivers it to the next owner: at-least-once, duplicates).
:meth:`Consumer.crash_at` arms a crash at ``after_poll``, ``after_commit`` or ``after_process``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, Protocol

import simpy

from eventlab.core.errors import ConfigError, check_choice, check_int
from eventlab.core.world import World
from eventlab.engines.kafka.configs import ConsumerConfig, GroupConfig
from eventlab.engines.kafka.log import Record
from eventlab.engines.kafka.partition import Partition

CRASH_POINTS: tuple[str, ...] = ("after_poll", "after_commit", "after_process")
Batch = list[tuple[Partition, list[Record]]]


class Coordinator(Protocol):
    """What a member asks of its group coordinator (a
    :class:`~eventlab.engines.kafka.group.ConsumerGroup`); a protocol, so that this module does
    not import the group module that creates its members."""

    world: World
    config: GroupConfig
    members: dict[str, Consumer]

    def commit(self, member: Consumer, offsets: Mapping[Partition, int]) -> bool: ...
    def start_position(self, member: Consumer, part: Partition) -> int: ...
    def reset_position(self, part: Partition) -> int: ...
    def remove(self, member: Consumer, reason: str) -> None: ...
    def rejoin(self, member: Consumer) -> None: ...


class Consumer:
    """One member of a :class:`~eventlab.engines.kafka.group.ConsumerGroup` (made by
    ``group.join``)."""

    def __init__(self, group: Coordinator, member_id: str,
                 handler: Callable[[Record], Any] | None, types: Sequence[str] | None,
                 config: ConsumerConfig) -> None:
        self.group = group
        self.world = group.world
        self.member_id = member_id
        self.handler = handler
        self.types = None if types is None else frozenset(types)  # membership tests only
        self.config = config
        self.alive = True
        self.generation = -1
        self.assigned: list[Partition] = []
        self.positions: dict[Partition, int] = {}  # next offset to fetch
        self.processed: dict[Partition, int] = {}  # next offset after the last handled batch
        self.deliveries = 0  # records handed to the handler
        self._wakeup: simpy.Event | None = None
        self._ready = 0
        self._fetch_timer: simpy.Event | None = None
        self._commit_timer = False
        self._dirty = False  # processed offsets not yet auto-committed
        self._next_auto_commit = self.world.now + config.auto_commit_interval
        self._crash_at: dict[str, int] = {}
        self._polls = 0
        self._senders: dict[str, tuple[str, str, str]] = {}  # sender -> trace `who`
        self.process = self.world.env.process(self._run())

    def __repr__(self) -> str:
        state = "up" if self.alive else "down"
        return (f"Consumer({self.member_id!r}, {state}, generation={self.generation}, "
                f"assigned={[p.name for p in self.assigned]})")

    def crash_at(self, point: str, nth: int = 1) -> None:
        """Crash the `nth` time this member reaches `point` (one of :data:`CRASH_POINTS`)."""
        check_choice("point", point, CRASH_POINTS)
        self._crash_at[point] = check_int("nth", nth, low=1)

    def crash(self) -> None:
        """Die now: in-memory positions are lost; the group notices after session.timeout.ms."""
        if not self.alive:
            raise ConfigError(f"member {self.member_id!r} is already down")
        self._die("crashed")

    def stop(self) -> None:
        """Shut down cleanly (used by ``group.leave``): commit if configured, then stop."""
        self.revoke(list(self.assigned))
        self.alive = False
        self._interrupt()

    def assign(self, parts: list[Partition], generation: int) -> None:
        """The coordinator's new assignment (called when a rebalance round completes)."""
        self.generation = generation
        self.world.trace.state(self.world.now, self.member_id, "assignment",
                               [p.name for p in parts], detail=f"generation {generation}")
        if not self.alive:
            return  # the coordinator does not know yet: these partitions sit idle
        gone = [p for p in self.assigned if p not in parts]
        if gone:
            self._drop(gone)
        for part in parts:
            if part not in self.positions:
                start = self.group.start_position(self, part)
                self.positions[part] = self.processed[part] = start
                part.consumers.append(self)
        self.assigned = list(parts)
        self._wake()

    def revoke(self, parts: list[Partition]) -> None:
        """Give up `parts` (rebalance); auto-commit, or ``commit_on_revoke``, commits first."""
        if not self.alive:
            return  # a dead member neither commits nor answers; it owns nothing locally
        if self.config.commit == "auto" or self.config.commit_on_revoke:
            offsets = {p: self.processed[p] for p in parts if p in self.processed}
            if offsets:
                self.group.commit(self, offsets)
        self._drop(parts)
        self.world.trace.state(self.world.now, self.member_id, "assignment",
                               [p.name for p in self.assigned],
                               detail=f"revoked {', '.join(p.name for p in parts)}")

    def on_data(self, count: int) -> None:
        """A partition's high watermark moved up by `count` records (called by the partition)."""
        if self._wakeup is None:
            return
        self._ready += count
        if self._ready >= self.config.fetch_min_records:
            self._wake()
        elif self._fetch_timer is None:
            timer = self._fetch_timer = self.world.env.timeout(self.config.fetch_max_wait)
            timer.callbacks.append(self._fetch_waited)

    def _run(self) -> Generator[simpy.Event, Any, None]:
        config = self.config
        env = self.world.env
        record = self.world.trace.record
        row_refs, row_time, row_offset = self.world.trace.log_rows()
        processing_time = config.processing_time
        try:
            while self.alive:
                if self.group.members.get(self.member_id) is not self:
                    # Removed while still running (too slow): partitions lost, join again.
                    self._drop(list(self.assigned))
                    if self.member_id in self.group.members:
                        self.alive = False  # its id went to a new member meanwhile
                        return
                    self.group.rejoin(self)
                if config.commit == "auto" and env.now >= self._next_auto_commit:
                    self._auto_commit()
                batch = self._poll()
                if not batch:
                    if self.alive:
                        yield self._wait()
                    continue
                self._dirty = True
                if self._crash_here("after_poll"):
                    return
                if config.commit == "commit_then_process":
                    self.group.commit(self, {p: self.positions[p] for p, _ in batch
                                             if p in self.positions})
                    if self._crash_here("after_commit"):
                        return
                if processing_time:
                    self._watch_poll_interval()
                handler = self.handler
                types = self.types
                member_id = self.member_id
                now = env.now
                senders = self._senders
                for part, records in batch:
                    topic = part.topic
                    index = part.index
                    place = part.place
                    for rec in records:
                        message = rec.value
                        if types is not None and (message is None or message.type not in types):
                            continue  # not a type this service cares about (flowing-retail)
                        if message is not None:
                            who = senders.get(message.sender)
                            if who is None:
                                who = senders[message.sender] = ("deliver", member_id,
                                                                 message.sender)
                            # A record's size is its message's, so the row leaves it out.
                            row_refs((who, message.trace_columns, place))
                            row_time(now)
                            row_offset(rec.offset)
                        else:
                            record("deliver", now, member_id, channel=topic, partition=index,
                                   offset=rec.offset, size=0, detail=f"tombstone {rec.key}")
                        self.deliveries += 1
                        if handler is not None:
                            handler(rec)
                        if processing_time:
                            yield env.timeout(processing_time)
                            now = env.now
                        if not self.alive:
                            return  # the handler crashed this member
                    if part in self.processed:
                        self.processed[part] = records[-1].offset + 1
                if self._crash_here("after_process"):
                    return
                if config.commit == "process_then_commit":
                    self.group.commit(self, {p: self.processed[p] for p, _ in batch
                                             if p in self.processed})
                    if self._crash_here("after_commit"):
                        return
        except simpy.Interrupt:
            return

    def _poll(self) -> Batch:
        """Read up to max_poll_records committed records, taking turns between partitions."""
        batch: Batch = []
        parts = self.assigned
        count = len(parts)
        if not count:
            return batch
        budget = self.config.max_poll_records
        first = self._polls % count
        self._polls += 1
        positions = self.positions
        for i in range(count):
            part = parts[(first + i) % count]
            log = part.log
            if log is None:
                continue  # offline: no leader to fetch from
            position = positions[part]
            high_watermark = part.high_watermark
            if position >= high_watermark and position <= log.end_offset:
                continue
            if position < log.start_offset or position > log.end_offset:
                position = self._out_of_range(part, position)
                if position < 0:
                    return []
            records = log.read(position, budget, high_watermark)
            if records:
                batch.append((part, records))
                positions[part] = records[-1].offset + 1
                budget -= len(records)
                if budget <= 0:
                    break
            elif position < high_watermark:
                positions[part] = high_watermark  # only compaction holes up to the HW
        return batch

    def _out_of_range(self, part: Partition, position: int) -> int:
        new = self.group.reset_position(part)
        policy = self.group.config.auto_offset_reset
        if new < 0:
            self._die(f"OffsetOutOfRange on {part.name} at {position}: auto_offset_reset=none")
            return -1
        self.world.trace.state(self.world.now, self.member_id, f"position p{part.index}", new,
                               channel=part.topic, partition=part.index, offset=new,
                               detail=f"offset {position} out of range: "
                                      f"auto_offset_reset={policy}")
        self.positions[part] = self.processed[part] = new
        return new

    def _wait(self) -> simpy.Event:
        event = self._wakeup = self.world.env.event()
        self._ready = 0
        if self.config.commit == "auto" and self._dirty and not self._commit_timer:
            # Kafka's poll() auto-commits even while no records arrive: wake up for it.
            self._commit_timer = True
            delay = max(self._next_auto_commit - self.world.now, 0.0)
            timer = self.world.env.timeout(delay)
            timer.callbacks.append(self._commit_due)
        return event

    def _wake(self) -> None:
        event = self._wakeup
        if event is not None:
            self._wakeup = None
            self._fetch_timer = None
            event.succeed()

    def _fetch_waited(self, timer: simpy.Event) -> None:
        if timer is self._fetch_timer:
            self._wake()

    def _commit_due(self, _event: simpy.Event) -> None:
        self._commit_timer = False
        self._wake()

    def _auto_commit(self) -> None:
        self._next_auto_commit = self.world.now + self.config.auto_commit_interval
        if self._dirty:
            self._dirty = False
            self.group.commit(self, dict(self.processed))

    def _watch_poll_interval(self) -> None:
        """If this batch outlasts max.poll.interval.ms, the coordinator drops this member."""
        polls = self._polls
        timer = self.world.env.timeout(self.group.config.max_poll_interval)
        timer.callbacks.append(lambda _event: self._drop_if_stuck(polls))

    def _drop_if_stuck(self, polls: int) -> None:
        # No poll since the timer started: the member is stuck in its batch.
        if self._polls == polls and self.alive:
            self.group.remove(self, "exceeded max.poll.interval.ms")

    def _crash_here(self, point: str) -> bool:
        left = self._crash_at.get(point)
        if left is None:
            return False
        if left > 1:
            self._crash_at[point] = left - 1
            return False
        del self._crash_at[point]
        self._die(f"crashed {point.replace('_', ' ')}")
        return True

    def _die(self, reason: str) -> None:
        self.alive = False
        self.world.trace.record("fault", self.world.now, self.member_id, detail=reason)
        self._drop(list(self.assigned))
        self._interrupt()
        timer = self.world.env.timeout(self.group.config.session_timeout)
        timer.callbacks.append(lambda _event: self.group.remove(self, "session timed out"))

    def _drop(self, parts: list[Partition]) -> None:
        for part in parts:
            self.positions.pop(part, None)
            self.processed.pop(part, None)
            if self in part.consumers:
                part.consumers.remove(self)
        self.assigned = [p for p in self.assigned if p not in parts]

    def _interrupt(self) -> None:
        process = self.process
        if process.is_alive and self.world.env.active_process is not process:
            process.interrupt()
