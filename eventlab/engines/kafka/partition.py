"""One partition: the leader's produce path, acknowledgements and the high watermark.

The Kafka notebook uses it for its durability lessons: the leader appends, followers copy
after ``replica_fetch_delay``, and a record is *committed* once every in-sync replica has it
(the high watermark passes it). Consumers only ever see
committed records. ``acks=1`` answers right after the leader's append, so a leader crash before
the followers copied it loses an acknowledged write; ``acks=all`` answers at commit, and
``min.insync.replicas`` refuses writes (``NOT_ENOUGH_REPLICAS``) while the ISR is too small.
Producer ids and sequence numbers let the leader drop retried duplicates and refuse gaps; that
state is rebuilt from the log when the leader changes. Followers, the ISR and elections live in
:mod:`eventlab.engines.kafka.replication`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from eventlab.core.messages import Message
from eventlab.engines.kafka.configs import TopicConfig
from eventlab.engines.kafka.log import PartitionLog, Record
from eventlab.engines.kafka.replication import ClusterView, Replicas


class TopicView(Protocol):
    """What a partition needs of its topic (a :class:`~eventlab.engines.kafka.broker.Topic`
    has it); a protocol, so that this module does not import the broker module."""

    @property
    def name(self) -> str: ...
    @property
    def config(self) -> TopicConfig: ...
    @property
    def cluster(self) -> ClusterView: ...


NOT_LEADER = "NOT_LEADER_OR_FOLLOWER"
NOT_ENOUGH_REPLICAS = "NOT_ENOUGH_REPLICAS"
NOT_ENOUGH_AFTER_APPEND = "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
OUT_OF_ORDER = "OUT_OF_ORDER_SEQUENCE_NUMBER"
INVALID_RECORD = "INVALID_RECORD"
TIMED_OUT = "REQUEST_TIMED_OUT"
RETRIABLE: tuple[str, ...] = (NOT_LEADER, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_AFTER_APPEND,
                              OUT_OF_ORDER, TIMED_OUT)
DUPLICATE_SCAN = 1000  # how far back a leader looks for a retried record (Kafka keeps 5 batches)
# Building the tuple directly skips the Python-level __new__ NamedTuple generates: one call less
# per record on the hot path.
_new_record = tuple.__new__

Reply = Callable[["ProduceRequest", int, "str | None", "Record | None"], None]


class ProduceRequest:
    """One record on its way to a partition leader (the model sends one record per request)."""

    __slots__ = ("acks", "attempts", "deadline", "done", "key", "message", "partition",
                 "producer", "producer_id", "reply", "sequence")

    def __init__(self, producer: str, partition: Partition, message: Message | None,
                 key: str | None, acks: int | str, producer_id: str | None, sequence: int,
                 reply: Reply | None) -> None:
        self.producer = producer
        self.partition = partition
        self.message = message
        self.key = key
        self.acks = acks
        self.producer_id = producer_id
        self.sequence = sequence
        self.reply = reply  # called as reply(request, attempt, error, record); None for acks=0
        self.attempts = 0
        self.deadline = 0.0
        self.done = False


class Partition(Replicas):
    """A topic partition: one :class:`PartitionLog` per replica, leader, ISR, high watermark."""

    def __init__(self, topic: TopicView, index: int, replicas: list[int]) -> None:
        self.topic = topic.name
        self.config = topic.config
        self.cluster = topic.cluster
        self.world = topic.cluster.world
        self.index = index
        self.name = f"{topic.name}-{index}"
        self.replicas = replicas
        self.logs = {b: PartitionLog(self.config.segment_records) for b in replicas}
        self.leader: int | None = replicas[0]
        self.isr: list[int] = list(replicas)
        self.high_watermark = 0
        self.leader_epoch = 0
        self.consumers: list[Any] = []  # group members reading it: told when the HW moves
        self._acks: deque[tuple[int, ProduceRequest, int, Record]] = deque()
        self._producers: dict[str, int] = {}  # producer id -> last sequence appended
        self._stale: dict[int, int] = {}
        self._replicating = False
        self._replicated = len(replicas) > 1
        self._min_isr = self.config.min_insync_replicas
        self._compacted = self.config.compacted
        self._leader_name = f"broker-{replicas[0]}"
        self.place = (self.topic, index)  # (channel, partition) of trace rows
        self._senders: dict[str, tuple[str, str, str | None]] = {}  # producer -> trace `who`
        self._trace = self.world.trace.record
        self._row_refs, self._row_time, self._row_offset = self.world.trace.log_rows()
        self._env = self.world.env
        cleans = self.config.compacted or self.config.deletes
        self._clean_at = self.cluster.config.cleaner_interval if cleans else float("inf")

    def __repr__(self) -> str:
        leader = "offline" if self.leader is None else f"broker-{self.leader}"
        return (f"Partition({self.name}, leader={leader}, isr={self.isr}, "
                f"hw={self.high_watermark})")

    @property
    def log(self) -> PartitionLog | None:
        """The leader's log (what consumers read), or None while the partition is offline."""
        return None if self.leader is None else self.logs[self.leader]

    def produce(self, request: ProduceRequest) -> None:
        """Handle a produce request on the leader: check, append, replicate, acknowledge."""
        # The hot path of every simulation: plain attribute reads, no helper calls.
        leader = self.leader
        if leader is None:
            self._reject(request, NOT_LEADER, "partition offline: no leader")
            return
        acks = request.acks
        if acks == "all" and len(self.isr) < self._min_isr:
            self._reject(request, NOT_ENOUGH_REPLICAS,
                         f"ISR has {len(self.isr)} replica(s), min.insync.replicas="
                         f"{self._min_isr}")
            return
        key = request.key
        if key is None and self._compacted:
            self._reject(request, INVALID_RECORD, "a compacted topic only takes keyed records")
            return
        pid = request.producer_id
        sequence = request.sequence
        if pid is not None:
            last = self._producers.get(pid, -1)
            if sequence != last + 1:
                if sequence <= last:
                    self._duplicate(request, pid)
                else:
                    self._reject(request, OUT_OF_ORDER, f"sequence {sequence} after {last} "
                                                        f"from {pid}")
                return
            self._producers[pid] = sequence
        now = self._env.now  # a float once the first (float) timeout has run
        log = self.logs[leader]
        offset = log.end_offset
        message = request.message
        # The message's trace columns end with its size: one property call, not two.
        columns = None if message is None else message.trace_columns
        record = _new_record(Record, (self.topic, self.index, offset, key, message, now,
                                      0 if columns is None else columns[6],
                                      self.leader_epoch, pid, sequence))
        # PartitionLog.append without its check: the leader itself picked the offset.
        log.records.append(record)
        log.end_offset = offset + 1
        if columns is not None:
            producer = request.producer
            who = self._senders.get(producer)
            if who is None or who[2] is not self._leader_name:  # new producer, or new leader
                who = self._senders[producer] = ("send", producer, self._leader_name)
            self._row_refs((who, columns, self.place))
            self._row_time(now)
            self._row_offset(offset)
        else:
            self._trace("send", now, request.producer, target=self._leader_name,
                        channel=self.topic, partition=self.index, offset=offset, size=0,
                        detail=f"tombstone for key {key}")
        if now >= self._clean_at:
            self.clean()
        if len(self.isr) == 1:  # the leader is the whole ISR: committed at once
            if self._acks or self.high_watermark > offset:
                self._advance(offset + 1)
            else:
                # _advance's common case inlined: no acks=all answer waits, the HW moves by 1.
                self.high_watermark = offset + 1
                for consumer in self.consumers:
                    consumer.on_data(1)
        if self._replicated and not self._replicating:
            self._schedule_replication()
        reply = request.reply
        if reply is not None:
            if acks != "all" or offset < self.high_watermark:
                reply(request, request.attempts, None, record)
            else:
                self._acks.append((offset + 1, request, request.attempts, record))

    def _answer(self, request: ProduceRequest, record: Record) -> None:
        reply = request.reply
        if reply is None:
            return
        if request.acks != "all" or record.offset < self.high_watermark:
            reply(request, request.attempts, None, record)
            return
        entry = (record.offset + 1, request, request.attempts, record)
        acks = self._acks
        if acks and acks[-1][0] > entry[0]:  # only a retried duplicate arrives out of order
            at = next(i for i, e in enumerate(acks) if e[0] > entry[0])
            acks.insert(at, entry)
        else:
            acks.append(entry)

    def _duplicate(self, request: ProduceRequest, pid: str) -> None:
        """A retry of a record this leader already has: answer with it, append nothing."""
        found = None
        for record in reversed(self.logs[self.leader].records[-DUPLICATE_SCAN:]):  # type: ignore[index]
            if record.producer_id == pid and record.sequence <= request.sequence:
                found = record if record.sequence == request.sequence else None
                break
        self.world.trace.record(
            "note", self.world.now, f"broker-{self.leader}", target=request.producer,
            message=request.message, channel=self.topic, partition=self.index,
            offset=None if found is None else found.offset,
            detail=f"duplicate sequence {request.sequence} from {pid}: not appended again")
        if found is not None:
            self._answer(request, found)
        elif request.reply is not None:
            request.reply(request, request.attempts, None, None)

    def _reject(self, request: ProduceRequest, error: str, why: str,
                attempt: int | None = None) -> None:
        actor = self.name if self.leader is None else f"broker-{self.leader}"
        self.world.trace.record("reject", self.world.now, actor, target=request.producer,
                                message=request.message, channel=self.topic,
                                partition=self.index, detail=f"{error}: {why}")
        if request.reply is not None:
            request.reply(request, request.attempts if attempt is None else attempt, error, None)

    def _advance(self, high_watermark: int) -> None:
        """Move the high watermark up: answer acks=all requests, wake waiting consumers."""
        old = self.high_watermark
        if high_watermark <= old:
            return
        self.high_watermark = high_watermark
        acks = self._acks
        while acks and acks[0][0] <= high_watermark:
            _, request, attempt, record = acks.popleft()
            if len(self.isr) < self._min_isr:
                # Written, but the ISR shrank below min.insync.replicas meanwhile (Kafka says so).
                self._reject(request, NOT_ENOUGH_AFTER_APPEND,
                             f"ISR shrank to {len(self.isr)} after the append", attempt)
            else:
                request.reply(request, attempt, None, record)  # type: ignore[misc]
        for consumer in self.consumers:
            consumer.on_data(high_watermark - old)

    def clean(self) -> int:
        """Run retention and compaction on every live replica now; return records removed."""
        config = self.config
        now = self.world.now
        self._clean_at = now + self.cluster.config.cleaner_interval
        removed_from_leader = 0
        for broker in self.replicas:
            if not self.cluster.alive[broker]:
                continue
            log = self.logs[broker]
            removed: list[Record] = []
            if config.deletes:
                removed += log.apply_retention(now, config.retention_ms, config.retention_bytes,
                                               self.high_watermark)
            if config.compacted:
                removed += log.compact(now, config.delete_retention_ms, self.high_watermark)
            if broker == self.leader and removed:
                removed_from_leader = len(removed)
                tombstones = sum(1 for r in removed if r.value is None)
                self.world.trace.record(
                    "note", now, f"broker-{broker}", channel=self.topic, partition=self.index,
                    offset=log.start_offset,
                    detail=f"cleaner removed {len(removed)} record(s) ({tombstones} "
                           f"tombstone(s)); log start offset {log.start_offset}")
        return removed_from_leader
