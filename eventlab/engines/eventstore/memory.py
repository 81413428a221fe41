"""The event store: append-only streams, optimistic concurrency, and state as a fold.

Every stream (one per entity, e.g. ``account-7``) holds versions 1, 2, 3, ... with no gap.
An append names the version it expects the stream to be at (an exact int, ``NO_STREAM`` or
``ANY``) and fails with :class:`ConcurrencyError` if someone else wrote first. A batch is
all or nothing. Every event also gets a global position, so readers can follow the whole
store ("read all", catch-up subscriptions, projections). State is never stored, only
derived: ``state = fold(evolve, initial, events)``; snapshots only make that fold shorter.

:class:`EventStore` is the interface; it validates input, upcasts old events on read and
delivers subscriptions. Backends (:class:`InMemoryEventStore` here, ``SqliteEventStore`` in
:mod:`eventlab.engines.eventstore.sqlite`) only store and fetch rows. Data is JSON: no pickle, no
eval.
"""

from __future__ import annotations

import hashlib
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self, TypeVar

from eventlab.core.collector import collector_paused
from eventlab.core.errors import ConfigError, EventlabError, check_text, describe
from eventlab.core.messages import Event
from eventlab.engines.eventstore.upcasting import (
    MAX_NUMBER,
    CorruptEventError,
    NewEvent,
    Row,
    StoredEvent,
    Upcasters,
    appended_events,
    check_number,
    decode_row,
    decode_rows,
    from_state_json,
    to_state_json,
)

S = TypeVar("S")
E = TypeVar("E")

__all__ = [
    "ANY", "NO_STREAM", "ConcurrencyError", "CorruptEventError", "EventStore", "ExpectedVersion",
    "InMemoryEventStore", "NewEvent", "Snapshot", "StoredEvent", "StreamNotFoundError",
    "Subscription", "Upcasters", "fold",
]


class ExpectedVersion(StrEnum):
    """What an append may expect of its stream instead of an exact version number."""

    ANY = "any"  # no check at all: two writers both win, so updates can be lost
    NO_STREAM = "no_stream"  # the stream must not exist yet (the same as exact version 0)


ANY = ExpectedVersion.ANY
NO_STREAM = ExpectedVersion.NO_STREAM


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The folded state of `stream` after its first `version` events."""

    stream: str
    version: int
    state: Any


class Subscription:
    """A catch-up subscription: history from a position, then new events, each once, in order.

    ``position`` is the last delivered position. A handler that raises stops delivery at
    that event (it is retried by the next :meth:`poll`), so nothing is skipped.
    """

    def __init__(self, store: EventStore, handler: Callable[[StoredEvent], object],
                 from_position: int) -> None:
        if not callable(handler):
            raise TypeError(f"handler must be a function event -> None, got {describe(handler)}")
        self.store, self.handler = store, handler
        self.position = from_position - 1
        self.error: Exception | None = None
        self._lock = threading.RLock()
        self._delivering = False

    def poll(self) -> int:
        """Deliver every event after `position` to the handler; return how many."""
        with self._lock:
            # A handler that appends triggers a nested poll: the running loop picks those
            # events up itself, so the nested call must not deliver anything twice.
            if self._delivering:
                return 0
            self._delivering, delivered = True, 0
            try:
                for event in self.store.iter_all(self.position + 1):
                    self.handler(event)
                    self.position, delivered = event.position, delivered + 1
            finally:
                self._delivering = False
            self.error = None
            return delivered

    def lag(self) -> int:
        """How many events are stored but not yet delivered."""
        return self.store.head() - self.position

    def close(self) -> None:
        """Stop live delivery (poll() still works)."""
        self.store._unsubscribe(self)

    def __repr__(self) -> str:
        return f"Subscription(position={self.position}, lag={self.lag()}, error={self.error!r})"


class ConcurrencyError(EventlabError):
    """An append (or checkpoint save) expected another version: someone else wrote first."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream, self.expected, self.actual = stream, expected, actual
        wanted = "no stream (version 0)" if expected == 0 else f"version {expected}"
        super().__init__(
            f"stream {stream!r}: expected {wanted} but it is at version {actual}; "
            "nothing was written: reload the stream, decide again and retry"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps the error picklable, so it can cross a multiprocessing boundary intact.
        return (type(self), (self.stream, self.expected, self.actual))


class StreamNotFoundError(ConfigError):
    """A strict read named a stream that has no events."""


class EventStore(ABC):
    """The interface of every backend: validated appends and reads, upcast on the way out."""

    def __init__(self, *, upcasters: Upcasters | None = None) -> None:
        if upcasters is not None and not isinstance(upcasters, Upcasters):
            raise TypeError(f"upcasters must be an Upcasters registry, got {describe(upcasters)}")
        self.upcasters = upcasters if upcasters is not None else Upcasters()
        self._subscriptions: list[Subscription] = []
        self._subscriptions_lock = threading.Lock()

    # -- writing ------------------------------------------------------------------------
    def append(
        self, stream: str, events: Sequence[NewEvent | Event],
        expected: int | ExpectedVersion | str = ANY, *, idempotency_key: str | None = None,
    ) -> tuple[StoredEvent, ...]:
        """Append a batch atomically if the stream is at `expected`; return the stored events.

        With an `idempotency_key`, the key is stored in the same transaction as the events:
        repeating the call (after Ctrl-C, a crash, a timeout) writes nothing again and returns
        the events the first call stored. The same key with other events is refused.
        """
        check_text("stream", stream)
        want = _expected_version(expected)
        upcasters = self.upcasters
        current = upcasters._current  # type -> the schema version readers see (default 1)
        batch = [(e, current.get(e.type, 1) if e.schema_version is None else e.schema_version)
                 for e in _new_events(events)]
        claim = None if idempotency_key is None else \
            Claim(check_text("idempotency_key", idempotency_key), _digest(stream, batch))
        # Upcast old-schema events now, before anything is written: a broken upcaster fails
        # this call cleanly instead of failing every later read of a committed event.
        steps = upcasters._steps
        read_as = None if not steps else [
            upcasters.upcast(e.type, schema, dict(e.data)) if (e.type, schema) in steps
            else (schema, e.data) for e, schema in batch]
        placed: tuple[int, int] | None = None
        try:
            with collector_paused:  # see collector.py: records make no reference cycles
                placed = self._append(stream, want, batch, claim)
                stored = appended_events(stream, *placed, batch, read_as)
            if self._subscriptions:  # wake live subscribers
                self._notify()
        except KeyboardInterrupt as interrupt:
            # Ctrl-C: say whether the events are in the store, and how to go on safely.
            committed = placed is not None or getattr(interrupt, "eventlab_committed", None)
            interrupt.add_note(_after_ctrl_c(stream, len(batch), committed, claim))
            raise
        return stored

    def save_snapshot(self, stream: str, version: int, state: Any) -> Snapshot:
        """Store `state` as the fold of `stream` up to `version` (it must survive JSON)."""
        check_text("stream", stream)
        check_number("version", version, low=1)
        if version > (current := self.version(stream)):
            raise ConfigError(
                f"version must be <= the version of stream {stream!r} ({current}), got {version}"
            )
        self._put_snapshot(stream, version, to_state_json("state", state))
        return Snapshot(stream, version, state)

    def save_projection(
        self, name: str, model: Any, checkpoint: int, *, expected_checkpoint: int
    ) -> None:
        """Store a read model and its checkpoint together, if the stored one is as expected."""
        check_text("name", name)
        check_number("expected_checkpoint", expected_checkpoint, low=0)
        check_number("checkpoint", checkpoint, low=0)
        if checkpoint > (head := self.head()):
            raise ConfigError(f"checkpoint must be <= the head position ({head}), got {checkpoint}")
        self._put_projection(name, to_state_json("model", model), checkpoint, expected_checkpoint)

    # -- reading ------------------------------------------------------------------------
    def version(self, stream: str) -> int:
        """The stream's current version: the number of its events (0 if it does not exist)."""
        return self._version(check_text("stream", stream))

    def head(self) -> int:
        """The global position of the newest event (0 for an empty store)."""
        return self._head()

    def streams(self) -> list[str]:
        """The names of all streams that have events, sorted."""
        return sorted(self._stream_names())

    def read_stream(
        self, stream: str, *, from_version: int = 1, to_version: int | None = None,
        strict: bool = False,
    ) -> list[StoredEvent]:
        """Events of one stream with from_version <= version <= to_version, oldest first."""
        check_text("stream", stream)
        check_number("from_version", from_version, low=1)
        if to_version is not None:
            check_number("to_version", to_version, low=0)
        if strict and self._version(stream) == 0:
            known = ", ".join(repr(s) for s in self.streams()[:5]) or "none"
            raise StreamNotFoundError(
                f"stream {stream!r} does not exist (strict=True); known streams: {known}"
            )
        with collector_paused:
            return decode_rows(self._rows_of_stream(stream, from_version, to_version),
                               self.upcasters, stream)

    def read_all(self, from_position: int = 1, *, limit: int | None = None) -> list[StoredEvent]:
        """Events of every stream in global order, starting at `from_position` (inclusive)."""
        check_number("from_position", from_position, low=1)
        if limit is not None:
            check_number("limit", limit, low=1)
        with collector_paused:
            return decode_rows(self._rows_from(from_position, limit), self.upcasters)

    def iter_all(self, from_position: int = 1, *, batch_size: int = 1000) -> Iterator[StoredEvent]:
        """Catch-up iterator: page through the global log until the head, including new events."""
        check_number("batch_size", batch_size, low=1)
        position = from_position
        while batch := self.read_all(position, limit=batch_size):
            yield from batch
            position = batch[-1].position + 1

    def subscribe(
        self, handler: Callable[[StoredEvent], object], from_position: int = 1, *,
        live: bool = True,
    ) -> Subscription:
        """Deliver history from `from_position`, then (if live) every later append, in order."""
        check_number("from_position", from_position, low=1)
        subscription = Subscription(self, handler, from_position)
        if live:
            with self._subscriptions_lock:
                self._subscriptions.append(subscription)
        try:
            subscription.poll()
        except BaseException:
            subscription.close()
            raise
        return subscription

    def load_snapshot(self, stream: str) -> Snapshot | None:
        """The latest snapshot of `stream`, or None."""
        found = self._get_snapshot(check_text("stream", stream))
        return None if found is None else Snapshot(stream, found[0], from_state_json(found[1]))

    def load_projection(self, name: str) -> tuple[Any, int] | None:
        """(read model, checkpoint) as last saved together, or None if never saved."""
        found = self._get_projection(check_text("name", name))
        return None if found is None else (from_state_json(found[0]), found[1])

    def close(self) -> None:  # noqa: B027 - a hook: backends without resources need nothing
        """Release resources (a no-op for in-memory stores)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(streams={len(self._stream_names())}, head={self.head()})"

    # -- internals ----------------------------------------------------------------------
    def _decode(self, row: Row) -> StoredEvent:
        return decode_row(row, self.upcasters)

    def _notify(self) -> None:
        with self._subscriptions_lock:
            live = [s for s in self._subscriptions if s.error is None]
        for subscription in live:
            # The append is committed whatever a reader does: a failing handler parks its own
            # subscription (see `error`) instead of making the writer believe the write failed.
            try:
                subscription.poll()
            except Exception as exc:
                subscription.error = exc

    def _unsubscribe(self, subscription: Subscription) -> None:
        with self._subscriptions_lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)

    # -- what a backend implements --------------------------------------------------------
    @abstractmethod
    def _append(self, stream: str, expected: int | None, batch: list[tuple[NewEvent, int]],
                claim: Claim | None = None) -> tuple[int, int]:
        """Store the batch; return the (position, version) of its first event (the others
        follow in both). With a `claim` whose key is known, store nothing and return those
        of that earlier append."""
    @abstractmethod
    def _version(self, stream: str) -> int: ...
    @abstractmethod
    def _head(self) -> int: ...
    @abstractmethod
    def _stream_names(self) -> list[str]: ...
    @abstractmethod
    def _rows_of_stream(self, stream: str, first: int, last: int | None) -> list[Row]:
        """Rows of one stream, full or without their stream column (see decode_rows)."""
    @abstractmethod
    def _rows_from(self, first: int, limit: int | None) -> list[Row]: ...
    @abstractmethod
    def _put_snapshot(self, stream: str, version: int, state_json: str) -> None: ...
    @abstractmethod
    def _get_snapshot(self, stream: str) -> tuple[int, str] | None: ...
    @abstractmethod
    def _put_projection(self, name: str, model_json: str, checkpoint: int,
                        expected_checkpoint: int) -> None: ...
    @abstractmethod
    def _get_projection(self, name: str) -> tuple[str, int] | None: ...


@dataclass(frozen=True, slots=True)
class Claim:
    """An idempotency key and a digest of the append it stands for (stream and events)."""

    key: str
    digest: str


def _digest(stream: str, batch: list[tuple[NewEvent, int]]) -> str:
    """sha256 of the stream and every stored field of the batch: equal iff the same append."""
    fields = [stream] + [[e.type, schema, e.data_json, e.time, e.message_id, e.sender,
                          e.correlation_id, e.causation_id] for e, schema in batch]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def reused_key(claim: Claim, stream: str) -> ConfigError:
    return ConfigError(
        f"idempotency_key {claim.key!r} was already used for a different append (other "
        f"events or another stream than {stream!r}); a key stands for one append: use a new "
        "key for new events")


def _after_ctrl_c(stream: str, count: int, committed: bool | None, claim: Claim | None) -> str:
    """The note a KeyboardInterrupt during an append gets: what happened, what to do."""
    retry = (f"run it again with the same idempotency_key={claim.key!r}: nothing is written "
             "twice" if claim is not None else
             "pass idempotency_key=... (or an exact expected version) to every append, then "
             "a retry can never write the events twice")
    if committed is False:
        return (f"eventlab: Ctrl-C came before the commit: none of the {count} event(s) were "
                f"written to stream {stream!r}; running the cell again is safe")
    if committed:
        return (f"eventlab: Ctrl-C came after the commit: the {count} event(s) ARE in stream "
                f"{stream!r}. Do not simply run the cell again (that appends them twice): "
                f"check store.read_stream({stream!r}), or {retry}")
    return (f"eventlab: Ctrl-C came during the append to stream {stream!r}: look at "
            f"store.read_stream({stream!r}) before appending again, or {retry}")


class InMemoryEventStore(EventStore):
    """Events in Python lists, guarded by a lock; rows keep the JSON text, as SQLite does."""

    def __init__(self, *, upcasters: Upcasters | None = None) -> None:
        super().__init__(upcasters=upcasters)
        self._lock = threading.RLock()
        self._log: list[Row] = []
        self._by_stream: dict[str, list[Row]] = {}
        self._snapshots: dict[str, tuple[int, str]] = {}
        self._projections: dict[str, tuple[str, int]] = {}
        self._claims: dict[str, tuple[str, int, int]] = {}  # key -> (digest, first, count)

    def _append(self, stream: str, expected: int | None, batch: list[tuple[NewEvent, int]],
                claim: Claim | None = None) -> tuple[int, int]:
        with self._lock:
            if claim is not None and (known := self._claims.get(claim.key)) is not None:
                digest, first, _ = known
                if digest != claim.digest:
                    raise reused_key(claim, stream)
                return first, self._log[first - 1][2]
            rows = self._by_stream.setdefault(stream, [])
            current, head = len(rows), len(self._log)
            if expected is not None and expected != current:
                raise ConcurrencyError(stream, expected, current)
            new = [
                (head + i, stream, current + i, e.type, schema, e.data_json, e.time,
                 e.message_id, e.sender, e.correlation_id, e.causation_id)
                for i, (e, schema) in enumerate(batch, start=1)
            ]
            # The whole batch is built before the store is touched, so it lands all or nothing.
            try:
                self._log.extend(new)
                rows.extend(new)
                if claim is not None:
                    self._claims[claim.key] = (claim.digest, head + 1, len(new))
            except KeyboardInterrupt as interrupt:
                # Ctrl-C between two of these lines: undo, so log, stream and keys agree.
                del self._log[head:], rows[current:]
                if claim is not None:
                    self._claims.pop(claim.key, None)
                interrupt.eventlab_committed = False  # type: ignore[attr-defined]
                raise
            return head + 1, current + 1

    def _version(self, stream: str) -> int:
        return len(self._by_stream.get(stream, ()))

    def _head(self) -> int:
        return len(self._log)

    def _stream_names(self) -> list[str]:
        with self._lock:
            return [name for name, rows in self._by_stream.items() if rows]

    def _rows_of_stream(self, stream: str, first: int, last: int | None) -> list[Row]:
        with self._lock:
            return self._by_stream.get(stream, [])[first - 1:last]

    def _rows_from(self, first: int, limit: int | None) -> list[Row]:
        with self._lock:
            return self._log[first - 1:None if limit is None else first - 1 + limit]

    def _put_snapshot(self, stream: str, version: int, state_json: str) -> None:
        self._snapshots[stream] = (version, state_json)

    def _get_snapshot(self, stream: str) -> tuple[int, str] | None:
        return self._snapshots.get(stream)

    def _put_projection(self, name: str, model_json: str, checkpoint: int,
                        expected_checkpoint: int) -> None:
        with self._lock:
            actual = self._projections.get(name, ("", 0))[1]
            if actual != expected_checkpoint:
                raise ConcurrencyError(f"projection:{name}", expected_checkpoint, actual)
            # One assignment of the (model, checkpoint) pair: no reader sees one without the other.
            self._projections[name] = (model_json, checkpoint)

    def _get_projection(self, name: str) -> tuple[str, int] | None:
        return self._projections.get(name)


def fold(evolve: Callable[[S, E], S], initial: S, events: Iterable[E]) -> S:
    """State as a left fold: ``evolve(...evolve(evolve(initial, e1), e2)..., en)``."""
    state = initial
    for event in events:
        state = evolve(state, event)
    return state


def _expected_version(expected: Any) -> int | None:
    if expected is ANY:  # the default: answered before the general (slower) checks
        return None
    if type(expected) is int and 0 <= expected <= MAX_NUMBER:  # a plain exact version
        return expected
    if isinstance(expected, str):
        allowed = [v.value for v in ExpectedVersion]
        if expected not in allowed:
            raise ConfigError(
                f"expected must be a version (int >= 0), ANY or NO_STREAM "
                f"({', '.join(map(repr, allowed))}); got {expected!r}"
            )
        return None if expected == ExpectedVersion.ANY else 0
    return check_number("expected", expected, low=0)


def _new_events(events: Any) -> list[NewEvent]:
    if isinstance(events, NewEvent | Event | str | bytes) or not isinstance(events, Sequence):
        raise TypeError(f"events must be a list of NewEvent (or Event), got {describe(events)}")
    if not events:
        raise ConfigError("events must hold at least one event, got an empty list")
    if set(map(type, events)) == {NewEvent}:  # the common batch, checked in one C-level pass
        return list(events)
    out: list[NewEvent] = []
    for i, event in enumerate(events):
        if isinstance(event, NewEvent):
            out.append(event)
        elif isinstance(event, Event):
            out.append(NewEvent.from_message(event))
        else:
            # A Command or Query is an intent or a question, not a fact: it never belongs here.
            raise TypeError(f"events[{i}] must be a NewEvent or an Event, got {describe(event)}")
    return out
