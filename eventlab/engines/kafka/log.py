"""A partition's log: an append-only list of records, addressed by offsets that never change.

The Kafka notebook uses it to show what a topic really stores: records get consecutive offsets
when appended; retention deletes whole old segments from the front (the log start offset moves
up); compaction keeps only the latest record per key in closed segments, leaving holes in the
offsets but never renumbering anything; a tombstone (a record whose value is ``None``) deletes
its key, and is itself removed once ``delete.retention.ms`` has passed. The active (newest)
segment is never cleaned, exactly as in Kafka.

Pure data, no SimPy: :mod:`eventlab.engines.kafka.partition` keeps one log per replica.
"""

from __future__ import annotations

from bisect import bisect_left
from operator import attrgetter
from typing import NamedTuple

from eventlab.core.errors import ConfigError, EventlabError, check_int
from eventlab.core.messages import Message


class OffsetOutOfRangeError(EventlabError, LookupError):
    """A read asked for an offset the log no longer (or not yet) has."""


class Record(NamedTuple):
    """One record of a partition. A tuple, so a record in a log can never be edited."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: Message | None  # None is a tombstone: "delete this key" in a compacted topic
    timestamp: float
    size: int  # payload bytes, measured once at the append (retention.bytes counts these)
    leader_epoch: int  # epoch of the leader that appended it: finds where replicas diverge
    producer_id: str | None = None  # set by an idempotent producer, with...
    sequence: int = -1  # ...its per-partition sequence number

    @property
    def message_type(self) -> str | None:
        """The message-type header (flowing-retail's ``type``); None for a tombstone."""
        return None if self.value is None else self.value.type

    @property
    def is_tombstone(self) -> bool:
        """Whether this record deletes its key."""
        return self.value is None


_OFFSET = attrgetter("offset")


class PartitionLog:
    """One replica's copy of a partition: records in offset order, with holes only where
    compaction removed records. Offsets run from ``start_offset`` to ``end_offset - 1``."""

    __slots__ = ("end_offset", "records", "segment_records", "start_offset")

    def __init__(self, segment_records: int = 1000) -> None:
        self.segment_records = check_int("segment_records", segment_records, low=1)
        self.records: list[Record] = []
        self.start_offset = 0  # Kafka's log start offset: everything below is deleted
        self.end_offset = 0  # Kafka's log end offset (LEO): the offset the next record gets

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return (f"PartitionLog({len(self.records)} records, offsets {self.start_offset}.."
                f"{self.end_offset - 1})")

    def append(self, record: Record) -> None:
        """Add `record` at the end; its offset must be at least the log end offset."""
        if record.offset < self.end_offset:
            raise ConfigError(f"record offset {record.offset} is below the log end offset "
                              f"{self.end_offset}: a log only grows at its end")
        self.records.append(record)
        self.end_offset = record.offset + 1

    def index(self, offset: int) -> int:
        """Position in :attr:`records` of the first record whose offset is >= `offset`."""
        records = self.records
        count = len(records)
        if not count:
            return 0
        first = records[0].offset
        if records[-1].offset - first == count - 1:
            # No holes (nothing compacted away): offsets map straight onto positions.
            return min(max(offset - first, 0), count)
        return bisect_left(records, offset, key=_OFFSET)

    def get(self, offset: int) -> Record | None:
        """The record at `offset`, or None if there is none (deleted, compacted, not yet)."""
        i = self.index(offset)
        if i < len(self.records) and self.records[i].offset == offset:
            return self.records[i]
        return None

    def read(self, offset: int, max_records: int, upto: int | None = None) -> list[Record]:
        """Up to `max_records` records from `offset` on, below `upto` (the high watermark)."""
        if offset < self.start_offset or offset > self.end_offset:
            raise OffsetOutOfRangeError(
                f"offset {offset} is out of range: this log holds offsets "
                f"{self.start_offset}..{self.end_offset - 1} (next append: {self.end_offset})")
        start = self.index(offset)
        stop = len(self.records) if upto is None else self.index(upto)
        return self.records[start:min(stop, start + max_records)]

    def truncate(self, offset: int) -> list[Record]:
        """Remove every record at or above `offset` (a follower dropping a divergent tail)."""
        if offset >= self.end_offset:
            return []
        cut = self.index(offset)
        removed = self.records[cut:]
        del self.records[cut:]
        self.end_offset = max(offset, self.start_offset)
        return removed

    def reset(self, offset: int) -> None:
        """Empty the log and restart it at `offset` (a follower behind the leader's start)."""
        self.records.clear()
        self.start_offset = self.end_offset = offset

    def catch_up(self, source: PartitionLog) -> int:
        """Copy what `source` (the leader's log) has beyond this log's end; return the count."""
        if self.end_offset >= source.end_offset:
            return 0
        if self.end_offset < source.start_offset:
            self.reset(source.start_offset)  # what we miss was deleted on the leader: skip it
        new = source.records[source.index(self.end_offset):]
        # The same Record objects: replicas share them, so a copy costs one pointer each.
        self.records.extend(new)
        self.end_offset = source.end_offset
        return len(new)

    def active_base(self) -> int:
        """Base offset of the active segment: records from here on are never cleaned."""
        newest = max(self.end_offset - 1, 0)
        return newest - newest % self.segment_records

    def _cleanable(self, upto: int | None) -> int:
        """Offsets below this may be cleaned: whole closed segments, all below `upto` (the HW)."""
        limit = self.active_base()
        if upto is not None:
            limit = min(limit, upto - upto % self.segment_records)
        return limit

    def segments(self) -> list[tuple[int, list[Record]]]:
        """The segments as (base offset, records), oldest first; the last one is active."""
        out: list[tuple[int, list[Record]]] = []
        size = self.segment_records
        for record in self.records:
            base = record.offset - record.offset % size
            if not out or out[-1][0] != base:
                out.append((base, []))
            out[-1][1].append(record)
        return out

    def apply_retention(self, now: float, retention_ms: float, retention_bytes: int,
                        upto: int | None = None) -> list[Record]:
        """Delete closed segments, oldest first, past the time or size limit; return the loss.

        As in Kafka: a segment expires when its newest record is older than `retention_ms`; by
        size, the oldest segment goes while the log stays at least `retention_bytes` without it.
        -1 switches a limit off. Deletion stops at the first segment that is kept, and at `upto`.
        """
        limit = self._cleanable(upto)
        total = sum(r.size for r in self.records) if retention_bytes > 0 else 0
        new_start = self.start_offset
        for base, records in self.segments():
            if base + self.segment_records > limit:
                break
            seg_bytes = sum(r.size for r in records)
            too_old = retention_ms > 0 and now - max(r.timestamp for r in records) > retention_ms
            too_big = retention_bytes > 0 and total - seg_bytes >= retention_bytes
            if not (too_old or too_big):
                break
            total -= seg_bytes
            new_start = base + self.segment_records
        if new_start == self.start_offset:
            return []
        cut = self.index(new_start)
        removed = self.records[:cut]
        del self.records[:cut]
        self.start_offset = new_start
        return removed

    def compact(self, now: float, delete_retention_ms: float,
                upto: int | None = None) -> list[Record]:
        """Keep only the latest record per key in closed segments; return what was removed.

        Offsets and order never change. A tombstone that is its key's latest record stays
        until it is `delete_retention_ms` old, so slow consumers still see the delete. Records
        at or above `upto` (not yet committed) are left alone.
        """
        cut = self.index(self._cleanable(upto))
        closed = self.records[:cut]
        latest: dict[str | None, int] = {}
        for record in closed:
            latest[record.key] = record.offset
        kept: list[Record] = []
        removed: list[Record] = []
        for record in closed:
            superseded = record.key is not None and latest[record.key] != record.offset
            expired = record.value is None and now - record.timestamp >= delete_retention_ms
            (removed if superseded or expired else kept).append(record)
        if removed:
            self.records[:cut] = kept
        return removed
