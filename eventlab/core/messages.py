"""Messages: events (facts, past tense) and commands (intents, imperative) in one envelope.

The envelope mirrors the companion code's ``Message.java`` (flowing-retail): a message id, the
message type, a key (which entity it is about), a correlation id (which business case, the
``traceId``), a causation id (which message caused this one), the sender, the time it was sent
and the payload. Messages are frozen: a fact that was sent cannot be edited afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, ClassVar

from eventlab.core.errors import check_float, check_text, describe

# One encoder for all messages: building a new one per json.dumps call is the slow part.
_INF = float("inf")
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                            default=str)


class _MeasuredOnce:
    """Slots filled on first use (not dataclass fields): the payload's wire size, and the
    message's trace columns.

    A message is sent, logged and delivered many times, and JSON-encoding it each time was a
    sixth of the Kafka model's hot path. Outside the dataclass fields, the slots cost nothing
    when a message is made and never take part in equality, repr or ``replace``.
    """

    __slots__ = ("_columns", "_size")
    _size: int
    _columns: tuple[str | int | None, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(_MeasuredOnce):
    """The envelope every message shares. Use :class:`Event` or :class:`Command`."""

    kind: ClassVar[str] = "message"

    message_id: str
    type: str
    sender: str
    time: float = 0.0
    key: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Fast path first: messages are created on every hop of every simulation, and almost
        # all are well formed. Only a suspicious one goes through the detailed checks below.
        payload, key, cor, cau = self.payload, self.key, self.correlation_id, self.causation_id
        if not (type(self.message_id) is str and type(self.type) is str
                and type(self.sender) is str and self.message_id.strip() and self.type.strip()
                and self.sender.strip() and type(self.time) is float and 0.0 <= self.time < _INF
                and (key is None or (type(key) is str and key.strip()))
                and (cor is None or (type(cor) is str and cor.strip()))
                and (cau is None or (type(cau) is str and cau.strip()))
                and type(payload) is dict):
            self._check_fields()
        # A read-only copy: the payload of a sent fact cannot be changed by anyone.
        object.__setattr__(self, "payload", MappingProxyType(dict(payload)))

    def _check_fields(self) -> None:
        """Raise a clear error for the first malformed field (the slow, explaining path)."""
        check_text("message_id", self.message_id)
        check_text("type", self.type)
        check_text("sender", self.sender)
        object.__setattr__(self, "time", check_float("time", self.time, low=0.0))
        for name in ("key", "correlation_id", "causation_id"):
            value = getattr(self, name)
            if value is not None:
                check_text(name, value)
        if not isinstance(self.payload, Mapping):
            raise TypeError(f"payload must be a mapping (a dict), got {describe(self.payload)}")

    def payload_json(self) -> str:
        """The payload as compact JSON with sorted keys (stable, so sizes are reproducible)."""
        return _ENCODER.encode(dict(self.payload))

    @property
    def size(self) -> int:
        """Bytes of the payload as UTF-8 JSON: what travels over the wire."""
        try:
            return self._size
        except AttributeError:  # not measured yet
            size = len(self.payload_json().encode())
            object.__setattr__(self, "_size", size)
            return size

    @property
    def trace_columns(self) -> tuple[str | int | None, ...]:
        """(message_id, type, kind, key, correlation_id, causation_id, size): this message's
        part of a trace row.

        A tuple of strings and an int, made once: a trace row that holds it instead of the
        message holds no object the garbage collector must follow, so a long run's millions
        of rows are never scanned again (they were a third of a 1M-message Kafka run).
        """
        try:
            return self._columns
        except AttributeError:  # not made yet
            columns = (self.message_id, self.type, self.kind, self.key, self.correlation_id,
                       self.causation_id, self.size)
            object.__setattr__(self, "_columns", columns)
            return columns

    def at(self, time: float) -> Message:
        """The same message stamped with another send time."""
        return replace(self, time=time)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(Message):
    """A fact about the past, broadcast to whoever cares (0..n receivers)."""

    kind: ClassVar[str] = "event"


@dataclass(frozen=True, slots=True, kw_only=True)
class Command(Message):
    """An intent about the future, addressed to one receiver that must act (or reject it)."""

    kind: ClassVar[str] = "command"


@dataclass(frozen=True, slots=True, kw_only=True)
class Query(Message):
    """A request for current state (for example a callback ``GET /customers/42``)."""

    kind: ClassVar[str] = "query"


MESSAGE_KINDS: tuple[str, ...] = ("event", "command", "query")

