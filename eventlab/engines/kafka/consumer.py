"""A consumer-group member: the poll loop, the handler, the commit strategy and its crash points.

One SimPy process per member (never one per record) polls its partitions in batches of up to
``max_poll_records``, reading only committed records (below the high watermark). It sleeps
while there is nothing to read and wakes when ``fetch_min_records`` arrived or
``fetch_max_wait`` passed since the first one, as Kafka's ``fetch.min.bytes`` /
``fetch.max.wait.ms`` long poll does.

Commit strategies: ``auto`` commits what earlier polls returned, every
``auto_commit_interval``, at the start of a poll; ``commit_then_process`` commits a batch before
handling it (a crash in between loses it: at-most-once); ``process_then_commit`` commits after
(a crash in between redelivers it to the next owner: at-least-once, duplicates).
:meth:`Consumer.crash_at` arms a crash at ``after_poll``, ``after_commit`` or ``after_process``.

**Rebalances happen at poll boundaries**, as in Kafka, where the rebalance listener's
``onPartitionsRevoked`` runs inside ``poll()``: the coordinator asks every member to rejoin,
and each does so at its next poll, after the batch in hand. Only then are its partitions
revoked (auto-commit, or ``commit_on_revoke``, commits first), and the new assignment comes once
every member has rejoined. So a member that handles its batches in the poll loop
(``processing="sync"``) and commits them hands over exactly where it stopped. Duplicates come
from elsewhere:

* ``processing="async"`` hands records to a worker per partition and polls on; a revoke
  commits what the workers finished, while the records still in flight are finished by the
  old worker *and* redelivered to the next owner (unless ``drain_on_revoke`` waits for them);
* a member that is **kicked out** (its batch outlasts ``max_poll_interval``, or it stalls
  without heartbeats for longer than ``session_timeout``: :meth:`Consumer.stall`) goes on with
  its batch as a zombie, and its commit is refused (``CommitFailedException``): the next owner
  handles that batch again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, Protocol

import simpy

from eventlab.core.errors import ConfigError, check_choice, check_float, check_int
from eventlab.core.world import World
from eventlab.engines.kafka.configs import ConsumerConfig, GroupConfig
from eventlab.engines.kafka.log import Record
from eventlab.engines.kafka.partition import Partition

CRASH_POINTS: tuple[str, ...] = ("after_poll", "after_commit", "after_process")
Batch = list[tuple[Partition, list[Record]]]
Proc = Generator[simpy.Event, Any, None]


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
    def joined(self, member: Consumer) -> None: ...


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
        self.processed: dict[Partition, int] = {}  # next offset after the last handled record
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
        # Set by the coordinator, acted on at the next poll: partitions to revoke, or leave.
        self._rejoin: list[Partition] | None = None
        self._leaving = False
        self._stall: tuple[float, bool] | None = None  # (ms, heartbeats) for the next record
        self._frozen_until = 0.0  # a stall without heartbeats freezes the whole member
        self._busy = False  # in a batch (or a drain) that max.poll.interval.ms watches
        # Asynchronous processing: a queue and a worker per partition. Records carry the
        # assignment epoch they were fetched in, so a worker never marks a record of an
        # earlier assignment as processed for the current one.
        self._epoch: dict[Partition, int] = {}
        self._queues: dict[Partition, deque[tuple[int, Record]]] = {}
        self._workers: dict[Partition, simpy.Process] = {}
        self._in_flight: dict[Partition, int] = {}  # handed to a worker, not yet finished
        self._full = False  # the poll loop waits for a worker to finish a record
        self.process = self.world.env.process(
            self._run() if config.processing == "sync" else self._run_async())

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

    def stall(self, duration: float, *, heartbeats: bool = True) -> None:
        """The next record this member handles takes `duration` ms longer.

        With `heartbeats` (a slow downstream call: Kafka's heartbeat thread goes on) only
        ``max_poll_interval`` can notice; without (a long GC pause, or the member cut off from
        the coordinator) the whole member freezes and the coordinator also removes it once
        ``session_timeout`` passes without a heartbeat."""
        if not self.alive:
            raise ConfigError(f"member {self.member_id!r} is down: it cannot stall")
        self._stall = (check_float("duration", duration, low=0.0), heartbeats)

    def stop(self) -> None:
        """Shut down cleanly (used by ``group.leave``): at its next poll, after the batch in
        hand, the member commits if configured and leaves the group."""
        if not self.alive:
            self.group.remove(self, "left the group")
            return
        self._leaving = True
        self._wake()

    def rejoin_needed(self, revoked: list[Partition]) -> None:
        """The coordinator started a rebalance: rejoin at the next poll, giving up `revoked`."""
        self._rejoin = list(revoked) if self._rejoin is None else [
            *self._rejoin, *(p for p in revoked if p not in self._rejoin)]
        self._wake()

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
                self._epoch[part] = self._epoch.get(part, 0) + 1
                part.consumers.append(self)
        self.assigned = list(parts)
        self._wake()

    def revoke(self, parts: list[Partition]) -> None:
        """Give up `parts` (``onPartitionsRevoked``): auto-commit, or ``commit_on_revoke``,
        commits what was processed first. Called at a poll boundary."""
        if not self.alive:
            return  # a dead member neither commits nor answers; it owns nothing locally
        self._commit_on_revoke(parts)
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

    # -- the poll loop -------------------------------------------------------------------------

    def _at_poll(self) -> Generator[simpy.Event, Any, bool]:
        """What ``poll()`` does before it fetches: notice being kicked out, rejoin a rebalance
        (revoking first), or leave. False when this member stops."""
        if self._frozen_until > self.world.now:  # a GC pause stops the poll loop too
            yield self.world.env.timeout(self._frozen_until - self.world.now)
        if self.group.members.get(self.member_id) is not self and self.alive:
            # Kicked out while busy (onPartitionsLost): the partitions belong to others now.
            self._lose(list(self.assigned))
            if self.member_id in self.group.members:
                self.alive = False  # its id went to a new member meanwhile
                return False
            self.group.rejoin(self)
        if self._leaving:
            self._leaving = False
            yield from self._give_up(list(self.assigned))
            self.alive = False
            self.group.remove(self, "left the group")
            return False
        if self._rejoin is not None:
            revoked, self._rejoin = self._rejoin, None
            mine = [p for p in revoked if p in self.assigned]
            if mine:
                yield from self._give_up(mine)
            self.group.joined(self)
        self._busy = False  # this is the poll: whatever batch was in hand is done
        return self.alive

    def _give_up(self, parts: list[Partition]) -> Proc:
        """Revoke `parts`; asynchronous processing with ``drain_on_revoke`` waits for the
        workers to finish their records of these partitions first."""
        if self.config.processing == "async" and self.config.drain_on_revoke:
            if any(self._in_flight.get(p, 0) for p in parts):
                self._watch_poll_interval()  # the drain runs inside poll(): its clock runs
            while any(self._in_flight.get(p, 0) for p in parts) and self.alive:
                yield self._wait()
        self.revoke(parts)

    def _run(self) -> Proc:
        config = self.config
        env = self.world.env
        record = self.world.trace.record
        row_refs, row_time, row_offset = self.world.trace.log_rows()
        processing_time = config.processing_time
        try:
            while self.alive:
                if not (yield from self._at_poll()):
                    return
                if config.commit == "auto" and env.now >= self._next_auto_commit:
                    self._auto_commit()
                batch = yield from self._next_batch()
                if batch is None:
                    return
                if not batch:
                    continue
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
                        if self._stall is not None:
                            yield from self._stalled(processing_time)
                            now = env.now
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

    def _run_async(self) -> Proc:
        """The poll loop of asynchronous processing: it hands each batch to the workers and
        polls on, committing what they finished (``process_then_commit``), what it polled
        (``auto``: Kafka's auto-commit counts a record as consumed once poll returned it), or
        the batch before handing it over (``commit_then_process``)."""
        config = self.config
        env = self.world.env
        try:
            while self.alive:
                if not (yield from self._at_poll()):
                    return
                if config.commit == "auto" and env.now >= self._next_auto_commit:
                    self._auto_commit()
                elif config.commit == "process_then_commit":
                    self._commit_finished()
                if sum(self._in_flight.values()) >= config.max_poll_records:
                    self._full = True  # the workers are full: poll again when one finishes
                    yield self._wait()
                    self._full = False
                    continue
                batch = yield from self._next_batch()
                if batch is None:
                    return
                if not batch:
                    continue
                for part, records in batch:
                    queue = self._queues.setdefault(part, deque())
                    epoch = self._epoch.get(part, 0)
                    queue.extend((epoch, rec) for rec in records)
                    self._in_flight[part] = self._in_flight.get(part, 0) + len(records)
                    if part not in self._workers:
                        self._workers[part] = env.process(self._work(part, queue))
        except simpy.Interrupt:
            return

    def _next_batch(self) -> Generator[simpy.Event, Any, Batch | None]:
        """Poll once, as both loops do: an empty batch after waiting for records; the batch
        (committed first under ``commit_then_process``); None when this member crashed at
        one of the crash points on the way."""
        batch = self._poll()
        if not batch:
            if self.alive:
                yield self._wait()
            return []
        self._dirty = True
        if self._crash_here("after_poll"):
            return None
        if self.config.commit == "commit_then_process":
            self.group.commit(self, {p: self.positions[p] for p, _ in batch
                                     if p in self.positions})
            if self._crash_here("after_commit"):
                return None
        return batch

    def _work(self, part: Partition, queue: deque[tuple[int, Record]]) -> Proc:
        """One partition's worker: handles its records in order, one at a time. It is not told
        about revokes: what was handed to it, it finishes."""
        env = self.world.env
        processing_time = self.config.processing_time
        try:
            while queue and self.alive:
                if self._frozen_until > env.now:
                    yield env.timeout(self._frozen_until - env.now)
                epoch, rec = queue.popleft()
                if self.types is None or (rec.value is not None
                                          and rec.value.type in self.types):
                    self._deliver(part, rec)
                    if not self.alive:
                        return  # the handler crashed this member
                    if self._stall is not None:
                        yield from self._stalled(processing_time)
                    if processing_time:
                        yield env.timeout(processing_time)
                self._in_flight[part] -= 1
                if epoch == self._epoch.get(part) and part in self.processed:
                    self.processed[part] = rec.offset + 1
                if not queue or self._full:
                    self._wake()  # the poll loop has room again, or a drain may be over
        except simpy.Interrupt:
            pass
        finally:
            self._workers.pop(part, None)

    def _deliver(self, part: Partition, rec: Record) -> None:
        """Trace the delivery of `rec` and call the handler (asynchronous processing)."""
        message = rec.value
        if message is not None:
            self.world.trace.record("deliver", self.world.now, self.member_id,
                                    target=message.sender, message=message, channel=part.topic,
                                    partition=part.index, offset=rec.offset)
        else:
            self.world.trace.record("deliver", self.world.now, self.member_id,
                                    channel=part.topic, partition=part.index,
                                    offset=rec.offset, size=0, detail=f"tombstone {rec.key}")
        self.deliveries += 1
        if self.handler is not None:
            self.handler(rec)

    def _stalled(self, processing_time: float) -> Proc:
        """The stall armed by :meth:`stall` hits the record being handled."""
        duration, heartbeats = self._stall or (0.0, True)
        self._stall = None
        world = self.world
        what = "handler stalls" if heartbeats else "paused, no heartbeats"
        world.trace.record("fault", world.now, self.member_id, detail=f"{what} for "
                                                                      f"{duration:g} ms")
        if not heartbeats:
            self._frozen_until = world.now + duration
            session = self.group.config.session_timeout
            if duration > session:
                timer = world.env.timeout(session)
                timer.callbacks.append(
                    lambda _event: self.group.remove(self, "session timed out during a pause"))
        if not processing_time and self.config.processing == "sync":
            self._watch_poll_interval()  # the batch started now: nobody watches it yet
        yield world.env.timeout(duration)

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

    def _consumed(self) -> dict[Partition, int]:
        """What Kafka counts as consumed: the handled offsets, or, when records are handed to
        workers, every record a poll returned (auto-commit does not know about workers)."""
        return self.positions if self.config.processing == "async" else self.processed

    def _auto_commit(self) -> None:
        self._next_auto_commit = self.world.now + self.config.auto_commit_interval
        if self._dirty:
            self._dirty = False
            self.group.commit(self, dict(self._consumed()))

    def _commit_finished(self) -> None:
        """Asynchronous ``process_then_commit``: commit what the workers have finished."""
        done = {p: self.processed[p] for p in self.assigned if p in self.processed}
        if done:
            self.group.commit(self, done)

    def _commit_on_revoke(self, parts: list[Partition]) -> None:
        if self.config.commit == "auto" or self.config.commit_on_revoke:
            consumed = self.processed if self.config.commit != "auto" else self._consumed()
            offsets = {p: consumed[p] for p in parts if p in consumed}
            if offsets:
                self.group.commit(self, offsets)

    def _lose(self, parts: list[Partition]) -> None:
        """Kicked out: the partitions are gone (``onPartitionsLost``). A commit on revoke is
        still tried, as Kafka's default ``onPartitionsLost`` calls ``onPartitionsRevoked``,
        and the coordinator refuses it."""
        if self.config.commit_on_revoke:
            offsets = {p: self.processed[p] for p in parts if p in self.processed}
            if offsets:
                self.group.commit(self, offsets)
        self._drop(parts)
        self._rejoin = None  # whatever rebalance asked for it is over for this member
        self.world.trace.state(self.world.now, self.member_id, "assignment", [],
                               detail=f"lost {', '.join(p.name for p in parts) or 'nothing'}")

    def _watch_poll_interval(self) -> None:
        """If this batch outlasts max.poll.interval.ms, the coordinator drops this member."""
        self._busy = True  # until the next poll: an idle member polls, so it is never stuck
        polls = self._polls
        timer = self.world.env.timeout(self.group.config.max_poll_interval)
        timer.callbacks.append(lambda _event: self._drop_if_stuck(polls))

    def _drop_if_stuck(self, polls: int) -> None:
        # No poll since the timer started: the member is stuck in its batch.
        if self._polls == polls and self._busy and self.alive:
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
            if part in self._epoch:
                self._epoch[part] += 1  # records in flight no longer count for this partition
            if self in part.consumers:
                part.consumers.remove(self)
        self.assigned = [p for p in self.assigned if p not in parts]

    def _interrupt(self) -> None:
        active = self.world.env.active_process
        for process in (self.process, *self._workers.values()):
            if process.is_alive and active is not process:
                process.interrupt()
