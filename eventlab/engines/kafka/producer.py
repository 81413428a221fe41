"""A Kafka producer: partitioning, acks, retries, in-flight requests and idempotence.

The Kafka notebook uses it for the producer's pitfalls:

* ``acks=0`` never hears back; ``acks=1`` is answered after the leader's append; ``acks="all"``
  once the record is committed (every in-sync replica has it);
* a request or its answer can get lost (``request_loss``, ``response_loss``, or exactly the next
  few with :meth:`Producer.lose_requests` / :meth:`Producer.lose_responses`); after
  ``request_timeout`` the producer retries. Without idempotence a retry of a record that *was*
  appended duplicates it, and with more than one request in flight a retry can land behind a
  later record (per-key order broken);
* with idempotence every record carries the producer id and a per-partition sequence number:
  the leader drops duplicates and refuses gaps, so retries neither duplicate nor reorder.

Keyed records go where Kafka's default partitioner sends them; keyless ones stick to one
partition for ``sticky_batch`` records, then move on. Each record travels in its own request.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import simpy

from eventlab.core.errors import ConfigError, check_int, check_text, describe
from eventlab.core.messages import Message
from eventlab.engines.kafka.broker import Cluster, Topic
from eventlab.engines.kafka.configs import ProducerConfig, configure
from eventlab.engines.kafka.log import Record
from eventlab.engines.kafka.partition import (
    OUT_OF_ORDER,
    RETRIABLE,
    TIMED_OUT,
    Partition,
    ProduceRequest,
)

EPSILON = 1e-9  # float slack when comparing a request's deadline with the clock


class _Lane:
    """What the producer tracks per partition: sequence numbers and requests on the way."""

    __slots__ = ("in_flight", "next_sequence", "owed", "producer_id", "pumping", "queued",
                 "unacked")

    def __init__(self, producer_id: str | None) -> None:
        self.producer_id = producer_id
        self.next_sequence = 0
        self.in_flight = 0
        self.queued: deque[ProduceRequest] = deque()  # waiting for a free in-flight slot
        self.unacked: deque[ProduceRequest] = deque()  # idempotent only: in sequence order
        # Dispatches owed to queued requests, and whether a _release is already sending them:
        # answers that come back at once would otherwise nest one call per queued record.
        self.owed = 0
        self.pumping = False


class Producer:
    """Sends messages to topics of a :class:`~eventlab.engines.kafka.broker.Cluster`."""

    def __init__(self, cluster: Cluster, name: str, config: ProducerConfig | None = None,
                 **settings: Any) -> None:
        if not isinstance(cluster, Cluster):
            raise TypeError(f"cluster must be a Cluster, got {describe(cluster)}")
        self.cluster = cluster
        self.world = cluster.world
        self.name = check_text("name", name)
        self.config = configure(ProducerConfig, config, settings)
        self.producer_id = self.world.new_id("pid") if self.config.idempotent else None
        self.acknowledged: list[Record] = []  # what the producer was told is safely written
        self.failed: list[tuple[Message | None, str]] = []  # given up: (message, last error)
        self._lanes: dict[Partition, _Lane] = {}
        self._outstanding: dict[ProduceRequest, None] = {}  # awaiting an answer, by deadline
        self._timer_armed = False
        self._pending = 0
        self._flush_waiters: list[simpy.Event] = []
        self._lose = {"request": 0, "response": 0}
        # Without loss or latency every answer comes back at once: the fast path of _on_reply.
        c = self.config
        self._direct = not (c.latency or c.request_loss or c.response_loss)
        self._acks = c.acks
        self._max_in_flight = c.max_in_flight
        self._timeout = c.request_timeout
        self._topics: dict[str, Topic] = {}
        self._sticky: dict[str, list[int]] = {}
        # Its own stream: a lossy producer never shifts another component's random draws.
        self._rng = self.world.rng(f"kafka/producer/{name}")
        self._reply = self._on_reply  # bound once, not once per record
        self._env = self.world.env

    def __repr__(self) -> str:
        return (f"Producer({self.name!r}, acks={self.config.acks!r}, "
                f"idempotent={self.config.idempotent}, pending={self._pending})")

    @property
    def pending(self) -> int:
        """Sends neither acknowledged nor failed yet."""
        return self._pending

    def send(self, topic: str, message: Message | None, *, key: str | None = None,
             partition: int | None = None) -> None:
        """Send `message` (None: a tombstone for `key`); the key defaults to ``message.key``."""
        target = self._topics.get(topic)
        if target is None:
            target = self._topics[topic] = self.cluster.topic(topic)
        if message is not None:
            if not isinstance(message, Message):
                raise TypeError(f"message must be an eventlab Message or None, got "
                                f"{describe(message)}")
            if key is None:
                key = message.key
        elif key is None:
            raise ConfigError("a tombstone (message=None) needs a key: it deletes that key")
        if partition is None:
            if key is None:
                index = self._sticky_for(target)
            else:
                # The topic's remembered route first: one dict lookup instead of a call.
                route = target._routes.get(key)
                index = target.partition_for(key) if route is None else route
        else:
            index = check_int("partition", partition, low=0, high=len(target.partitions) - 1)
        part = target.partitions[index]
        lane = self._lanes.get(part)
        if lane is None:
            lane = self._lanes[part] = _Lane(self.producer_id)
        pid = lane.producer_id
        sequence = -1
        if pid is not None:
            sequence = lane.next_sequence
            lane.next_sequence = sequence + 1
        acks = self._acks
        reply = None if acks == 0 else self._reply
        request = ProduceRequest(self.name, part, message, key, acks, pid, sequence, reply)
        self._pending += 1
        if pid is not None:
            lane.unacked.append(request)
        if lane.in_flight >= self._max_in_flight:
            lane.queued.append(request)
            return
        lane.in_flight += 1
        if not self._direct or reply is None:
            self._dispatch(request)
            return
        # _dispatch's common case inlined (the hot path of every Kafka simulation): a first
        # attempt that awaits its answer, sent straight to the leader.
        request.attempts = 1
        request.deadline = self._env.now + self._timeout
        self._outstanding[request] = None
        if not self._timer_armed:
            self._arm(self._timeout)
        part.produce(request)

    def flush(self) -> simpy.Event:
        """An event that fires once every send so far is acknowledged or has failed."""
        event = self.world.env.event()
        if self._pending:
            self._flush_waiters.append(event)
        else:
            event.succeed()
        return event

    def lose_requests(self, count: int = 1) -> None:
        """The next `count` produce requests get lost on the way to the broker."""
        self._lose["request"] += check_int("count", count, low=1)
        self._direct = False

    def lose_responses(self, count: int = 1) -> None:
        """The next `count` answers get lost on the way back (the broker did its part)."""
        self._lose["response"] += check_int("count", count, low=1)
        self._direct = False

    def _lost(self, leg: str, probability: float) -> bool:
        if self._lose[leg]:
            self._lose[leg] -= 1
            return True
        return bool(probability) and self._rng.random() < probability

    def _dispatch(self, request: ProduceRequest) -> None:
        request.attempts += 1
        part = request.partition
        if request.reply is not None:
            # Await the answer: the outstanding dict stays in deadline order because every
            # (re)dispatch goes to its end with the same timeout.
            request.deadline = self._env.now + self._timeout
            outstanding = self._outstanding
            if request.attempts > 1:
                outstanding.pop(request, None)
            outstanding[request] = None
            if not self._timer_armed:
                self._arm(self._timeout)
        if self._direct:
            part.produce(request)
        elif self._lost("request", self.config.request_loss):
            self._note("drop", request, f"produce request lost in transit "
                                        f"(attempt {request.attempts})")
        elif self.config.latency:
            timer = self.world.env.timeout(self.config.latency)
            timer.callbacks.append(lambda _event: part.produce(request))
        else:
            part.produce(request)
        if request.reply is None:  # acks=0: the producer never learns what happened
            request.done = True
            self._release(request)

    def _arm(self, delay: float) -> None:
        # One timer for all outstanding requests, not one per request.
        self._timer_armed = True
        timer = self.world.env.timeout(delay)
        timer.callbacks.append(self._expire)

    def _expire(self, _event: Any) -> None:
        self._timer_armed = False
        now = self.world.env.now
        expired = []
        for request in self._outstanding:
            if request.deadline > now + EPSILON:
                break
            expired.append(request)
        for request in expired:
            del self._outstanding[request]
            self._retry(request, TIMED_OUT)
        if self._outstanding:
            self._arm(max(next(iter(self._outstanding)).deadline - now, 0.0))

    def _on_reply(self, request: ProduceRequest, attempt: int, error: str | None,
                  record: Record | None) -> None:
        """The broker answers `attempt` of `request` (called by the partition leader)."""
        if self._direct and error is None:
            # The common case, inlined with _release's: an immediate success of the oldest
            # request of its partition, with nothing queued behind it and no flush waiting.
            if not request.done:
                self._outstanding.pop(request, None)
                request.done = True
                if record is not None:
                    self.acknowledged.append(record)
                lane = self._lanes[request.partition]
                unacked = lane.unacked
                if lane.queued or self._flush_waiters or (unacked and unacked[0] is not request):
                    self._release(request)
                    return
                if unacked:
                    unacked.popleft()
                lane.in_flight -= 1
                self._pending -= 1
            return
        if not self._direct and self._lost("response", self.config.response_loss):
            self._note("drop", request, f"answer to attempt {attempt} lost in transit",
                       record)
            return
        if self.config.latency:
            timer = self.world.env.timeout(self.config.latency)
            timer.callbacks.append(lambda _event: self._answer(request, attempt, error, record))
        else:
            self._answer(request, attempt, error, record)

    def _answer(self, request: ProduceRequest, attempt: int, error: str | None,
                record: Record | None) -> None:
        if request.done:
            return  # a late answer to a request that already succeeded or was given up
        if error is None:
            self._outstanding.pop(request, None)
            request.done = True
            if record is not None:
                self.acknowledged.append(record)
            self._release(request)
        elif attempt == request.attempts:  # errors of attempts already retried are stale
            self._outstanding.pop(request, None)
            self._retry(request, error)

    def _retry(self, request: ProduceRequest, error: str) -> None:
        lane = self._lanes[request.partition]
        if error == OUT_OF_ORDER and lane.unacked and lane.unacked[0] is not request:
            self._requeue(lane, request)  # it waits for an earlier record: no retry spent
            return
        if error not in RETRIABLE or request.attempts > self.config.retries:
            request.done = True
            self.failed.append((request.message, error))
            self._note("drop", request, f"send failed after {request.attempts} attempt(s): "
                                        f"{error}")
            self._release(request)
            return
        if error == OUT_OF_ORDER:
            self._renumber(lane)  # the oldest record hit a gap: the leader lost records
        self._note("note", request, f"retry {request.attempts} of {self.config.retries} "
                                    f"after {error}")
        timer = self.world.env.timeout(self.config.retry_backoff)
        timer.callbacks.append(lambda _event: self._redispatch(request))

    def _redispatch(self, request: ProduceRequest) -> None:
        # A retry timer fires even if the request was answered meanwhile; then do nothing.
        if not request.done:
            self._dispatch(request)

    def _requeue(self, lane: _Lane, request: ProduceRequest) -> None:
        """Hold an out-of-order record back until the earlier ones are through (in order)."""
        request.attempts -= 1
        lane.in_flight -= 1
        at = next((i for i, r in enumerate(lane.queued) if r.sequence > request.sequence),
                  len(lane.queued))
        lane.queued.insert(at, request)
        self._note("note", request, f"sequence {request.sequence} waits for earlier records")

    def _renumber(self, lane: _Lane) -> None:
        """Start the partition over with a fresh producer id (Kafka bumps the epoch)."""
        lane.producer_id = self.world.new_id("pid")
        for sequence, request in enumerate(lane.unacked):
            request.producer_id = lane.producer_id
            request.sequence = sequence
        lane.next_sequence = len(lane.unacked)

    def _release(self, request: ProduceRequest) -> None:
        lane = self._lanes[request.partition]
        if lane.unacked:
            if lane.unacked[0] is request:
                lane.unacked.popleft()
            elif request in lane.unacked:
                lane.unacked.remove(request)
        lane.in_flight -= 1
        if lane.queued:
            # Only those queued now: one that bounces back waits for the next release.
            lane.owed += min(len(lane.queued), self._max_in_flight - lane.in_flight)
            if not lane.pumping:
                self._pump(lane)
        self._pending -= 1
        if not self._pending and self._flush_waiters:
            waiters, self._flush_waiters = self._flush_waiters, []
            for event in waiters:
                event.succeed()

    def _pump(self, lane: _Lane) -> None:
        """Dispatch what `lane` owes, in queue order. A loop, not a recursion: when the leader
        answers at once (acks=1, or an ISR of the leader alone), each answer releases the next
        queued record; nested calls would exceed Python's recursion limit after ~150 records,
        so a nested _release only adds to `owed` and this loop sends it."""
        lane.pumping = True
        try:
            while lane.owed:
                lane.owed -= 1
                if not lane.queued:
                    lane.owed = 0
                    break
                lane.in_flight += 1
                self._dispatch(lane.queued.popleft())
        finally:
            lane.pumping = False

    def _sticky_for(self, topic: Topic) -> int:
        state = self._sticky.get(topic.name)
        if state is None or state[1] == 0:
            chosen = self._rng.randrange(len(topic.partitions))
            state = self._sticky[topic.name] = [chosen, self.config.sticky_batch]
        state[1] -= 1
        return state[0]

    def _note(self, kind: str, request: ProduceRequest, detail: str,
              record: Record | None = None) -> None:
        part = request.partition
        self.world.trace.record(kind, self.world.now, self.name, message=request.message,
                                channel=part.topic, partition=part.index,
                                offset=None if record is None else record.offset, detail=detail)
