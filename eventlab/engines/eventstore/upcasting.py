"""Event records: :class:`NewEvent` goes in, :class:`StoredEvent` comes out, upcast.

Facts are never rewritten: an event written as ``("Deposited", schema 1)`` stays schema 1 in
the store. A registry of upcasters ``(type, from_version) -> function`` lifts the data one
schema version at a time whenever the event is *read*, so folds, projections and snapshots
only ever see the current shape (pyeventsourcing's ``upcast_vN_vN+1`` idea, as data).

Both backends store the same JSON text and hand the same row shape to :func:`decode_row`,
so a corrupt row (a payload that is not JSON, a wrong column type) is reported the same way
wherever it comes from. Data travels as JSON text: no pickle, no eval.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, overload

from eventlab.core.errors import (
    ConfigError,
    EventlabError,
    check_float,
    check_int,
    check_text,
    check_unicode,
    describe,
)
from eventlab.core.messages import Event

Upcaster = Callable[[dict[str, Any]], Mapping[str, Any]]
# position, stream, version, type, schema_version, data (JSON), time, message_id, sender,
# correlation_id, causation_id: the column order of both backends.
Row = tuple[Any, ...]

MAX_NUMBER = 2**62  # versions, positions, checkpoints: SQLite stores signed 64-bit integers
MAX_DEPTH = 100  # nesting of JSON data: json's recursion stops near 1000, readers earlier
MAX_INT_BITS = 13_000  # about 3,900 digits; Python refuses to print ints over 4,300 digits


class CorruptEventError(EventlabError, ValueError):
    """A stored row cannot be read back (invalid JSON, wrong column type): never guessed at."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    """An event to append: type and JSON data; the store assigns version and position."""

    type: str
    data: Mapping[str, Any] = field(default_factory=dict)
    # None: stamp the current schema version of `type` known to the store's upcasters.
    schema_version: int | None = None
    time: float = 0.0  # simulated time, passed in by the caller: no wall clock in the store
    message_id: str | None = None
    sender: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    # Encoded once, when the event is made: bad data fails here, in the learner's own cell.
    data_json: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_text("type", self.type)
        if not isinstance(self.data, Mapping):
            raise TypeError(f"data must be a mapping (a dict), got {describe(self.data)}")
        if self.schema_version is not None:
            check_number("schema_version", self.schema_version, low=1)
        object.__setattr__(self, "time", check_float("time", self.time, low=0.0))
        for name in ("message_id", "sender", "correlation_id", "causation_id"):
            if (value := getattr(self, name)) is not None:
                check_text(name, value)
        # A private copy: editing the caller's dict afterwards cannot change the event.
        data = plain_json("data", self.data)
        object.__setattr__(self, "data", MappingProxyType(data))
        object.__setattr__(self, "data_json", _dumps(data))

    @classmethod
    def from_message(cls, event: Event, *, schema_version: int | None = None) -> NewEvent:
        """Wrap an eventlab :class:`~eventlab.core.messages.Event` (its payload becomes the
        data)."""
        return cls(type=event.type, data=event.payload, schema_version=schema_version,
                   time=event.time, message_id=event.message_id, sender=event.sender,
                   correlation_id=event.correlation_id, causation_id=event.causation_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    """An event as read from the store: where it sits (stream, version, position) and what."""

    stream: str
    version: int
    position: int
    type: str
    schema_version: int
    data: Mapping[str, Any]
    time: float = 0.0
    message_id: str | None = None
    sender: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None

    def to_message(self) -> Event:
        """This fact as an eventlab :class:`~eventlab.core.messages.Event` (key = stream)."""
        return Event(
            message_id=self.message_id or f"{self.stream}#{self.version}",
            type=self.type, sender=self.sender or "eventstore", time=self.time, key=self.stream,
            correlation_id=self.correlation_id, causation_id=self.causation_id,
            payload=self.data,
        )


# A fast way to make a StoredEvent, for the store that makes one per event read or appended.
# The frozen dataclass's __init__ sets each field through object.__setattr__ by name (it was
# a quarter of reading a stream), and setting the slots through their descriptors still
# costs a call each. _Fields has StoredEvent's slots without its frozen __setattr__, so its
# fields are filled by plain attribute stores (the interpreter's fastest path); then the
# object becomes a StoredEvent by assigning __class__, which CPython allows between two
# classes with the same slots, and from then on it is as frozen as any StoredEvent.
_new_object = object.__new__
_FIELDS = ("stream", "version", "position", "type", "schema_version", "data", "time",
           "message_id", "sender", "correlation_id", "causation_id")


class _Fields:
    __slots__ = _FIELDS
    stream: str
    version: int
    position: int
    type: str
    schema_version: int
    data: Mapping[str, Any]
    time: float
    message_id: str | None
    sender: str | None
    correlation_id: str | None
    causation_id: str | None


def stored_event(stream: str, version: int, position: int, type_: str, schema: int,
                 data: Mapping[str, Any], time: float, message_id: str | None,
                 sender: str | None, correlation_id: str | None,
                 causation_id: str | None) -> StoredEvent:
    """``StoredEvent(...)`` with every field given, in field order, without its __init__."""
    event = _new_object(_Fields)
    event.stream = stream
    event.version = version
    event.position = position
    event.type = type_
    event.schema_version = schema
    event.data = data
    event.time = time
    event.message_id = message_id
    event.sender = sender
    event.correlation_id = correlation_id
    event.causation_id = causation_id
    event.__class__ = StoredEvent  # type: ignore[assignment]
    return event  # type: ignore[return-value]


# Same fields, same slots in the same order: what the __class__ assignment needs.
if tuple(f.name for f in fields(StoredEvent)) != _FIELDS or \
        StoredEvent.__slots__ != _FIELDS:  # pragma: no cover
    raise ImportError("StoredEvent's fields changed: update _FIELDS and _Fields")


class Upcasters:
    """A registry of one-step upcasters; chains them so schema 1 reaches the current version."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}
        self._current: dict[str, int] = {}

    @overload
    def register(self, type: str, from_version: int) -> Callable[[Upcaster], Upcaster]: ...
    @overload
    def register(self, type: str, from_version: int, fn: Upcaster) -> Upcaster: ...

    def register(
        self, type: str, from_version: int, fn: Upcaster | None = None
    ) -> Upcaster | Callable[[Upcaster], Upcaster]:
        """Register `fn` turning `type` data of `from_version` into `from_version + 1`.

        Call it (``register("Deposited", 1, fn)``) or use it as a decorator without `fn`.
        """
        check_text("type", type)
        check_number("from_version", from_version, low=1)

        def add(function: Upcaster) -> Upcaster:
            if not callable(function):
                raise TypeError(f"fn must be a function data -> data, got {describe(function)}")
            if (type, from_version) in self._steps:
                raise ConfigError(
                    f"an upcaster for type {type!r} from_version {from_version} is already "
                    "registered; each step may be registered once"
                )
            self._steps[type, from_version] = function
            self._current[type] = max(self._current.get(type, 1), from_version + 1)
            return function

        return add if fn is None else add(fn)

    def current_version(self, type: str) -> int:
        """The schema version readers see for `type` (1 if no upcaster is registered)."""
        return self._current.get(type, 1)

    def needs(self, type: str, schema_version: int) -> bool:
        """Whether an event of this type and schema version is changed when it is read."""
        return (type, schema_version) in self._steps

    def upcast(
        self, type: str, schema_version: int, data: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Apply every registered step from `schema_version` on; return (version, data)."""
        while (step := self._steps.get((type, schema_version))) is not None:
            # Each step gets its own copy: an upcaster editing its argument in place must not
            # leak into anything else.
            result = step(dict(data))
            if not isinstance(result, Mapping):
                raise TypeError(
                    f"the upcaster for type {type!r} from_version {schema_version} must return "
                    f"a mapping (a dict), got {describe(result)}"
                )
            data, schema_version = dict(result), schema_version + 1
        return schema_version, data

    def __len__(self) -> int:
        return len(self._steps)

    def __repr__(self) -> str:
        return "Upcasters(" + ", ".join(f"{t}:{v}->{v + 1}" for t, v in sorted(self._steps)) + ")"


def decode_row(row: Row, upcasters: Upcasters) -> StoredEvent:
    """Turn a stored row into a StoredEvent, upcast; raise CorruptEventError if it is broken."""
    position, stream, version, type_, schema, text, time, message_id, sender, corr, cause = row
    # Exact type checks (bool is not an int here); the slow, wordy path runs only on failure.
    if (type(version) is not int or type(schema) is not int or type(type_) is not str
            or type(text) is not str or type(time) not in (float, int)):
        _corrupt_columns(row)
    # raw_decode skips json.loads's two whitespace regex matches (a third of decoding); any
    # text it does not read to the end (whitespace around it, or not JSON) goes the strict way.
    try:
        data, end = _raw_decode(text)
    except ValueError:
        end = -1
    if end != len(text):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CorruptEventError(
                f"{_where(row)}: data is not valid JSON ({exc}): {text[:60]!r}"
            ) from exc
    if type(data) is not dict:
        raise CorruptEventError(f"{_where(row)}: data must be a JSON object, got {describe(data)}")
    if (type_, schema) in upcasters._steps:  # inlined needs(): this runs once per row read
        schema, data = upcasters.upcast(type_, schema, data)
    return stored_event(stream, version, position, type_, schema, MappingProxyType(data),
                        float(time), message_id, sender, corr, cause)


def decode_rows(rows: list[Row], upcasters: Upcasters, stream: str | None = None
                ) -> list[StoredEvent]:
    """:func:`decode_row` for every row, with the common case inlined.

    Reading is one loop over thousands of rows, so the per-row function call, the JSON
    decoder's wrapper and the StoredEvent __init__ were most of its time. A row takes the
    inlined path only if every check :func:`decode_row` makes passes at a glance (exact
    column types, JSON that is one object read to the end, no upcaster for its type); any
    other row goes through :func:`decode_row`, which decides, upcasts or explains.

    Rows of one `stream` may leave out its column (10 columns, not 11): SQLite then need
    not make a string per row that the caller already has.
    """
    steps = upcasters._steps
    scan = _scan_once
    new, frozen = _new_object, StoredEvent
    out: list[StoredEvent] = []
    append = out.append
    name = stream
    for row in rows:
        if len(row) == 10:
            position, version, type_, schema, text, time, message_id, sender, corr, cause \
                = row
        else:
            position, name, version, type_, schema, text, time, message_id, sender, corr, \
                cause = row
        if (type(version) is int and type(schema) is int and type(type_) is str
                and type(text) is str and type(time) is float
                and not (steps and (type_, schema) in steps)):
            try:
                data, end = scan(text, 0)
            except (StopIteration, ValueError):  # not one JSON value: decode_row explains
                end = -1
            if end == len(text) and type(data) is dict:
                event = new(_Fields)  # stored_event(), inlined
                event.stream = name  # type: ignore[assignment]
                event.version = version
                event.position = position
                event.type = type_
                event.schema_version = schema
                event.data = MappingProxyType(data)
                event.time = time
                event.message_id = message_id
                event.sender = sender
                event.correlation_id = corr
                event.causation_id = cause
                event.__class__ = frozen  # type: ignore[assignment]
                append(event)  # type: ignore[arg-type]
                continue
        append(decode_row(row if len(row) == 11 else (position, stream, *row[1:]), upcasters))
    return out


def appended_events(stream: str, position: int, version: int,
                    batch: list[tuple[NewEvent, int]],
                    read_as: list[tuple[int, Any]] | None) -> tuple[StoredEvent, ...]:
    """The StoredEvents of an append: the batch's events from `position` and `version` on.

    `read_as` holds (schema, data) as readers see each event after upcasting, or is None
    when no event needs upcasting (its schema and data are then as written).
    """
    new, frozen = _new_object, StoredEvent
    out: list[StoredEvent] = []
    append = out.append
    for i, (e, schema) in enumerate(batch):
        data = e.data
        if read_as is not None:
            schema, data = read_as[i]
            if type(data) is not MappingProxyType:
                data = MappingProxyType(data)
        event = new(_Fields)  # stored_event(), inlined
        event.stream = stream
        event.version = version + i
        event.position = position + i
        event.type = e.type
        event.schema_version = schema
        event.data = data
        event.time = e.time
        event.message_id = e.message_id
        event.sender = e.sender
        event.correlation_id = e.correlation_id
        event.causation_id = e.causation_id
        event.__class__ = frozen  # type: ignore[assignment]
        append(event)  # type: ignore[arg-type]
    return tuple(out)


def _where(row: Row) -> str:
    return f"stored event at position {row[0]} (stream {row[1]!r}, version {row[2]})"


def _corrupt_columns(row: Row) -> None:
    for column, index, kinds in (("version", 2, (int,)), ("schema_version", 4, (int,)),
                                 ("type", 3, (str,)), ("data", 5, (str,)),
                                 ("time", 6, (float, int))):
        if type(row[index]) not in kinds:
            raise CorruptEventError(f"{_where(row)}: column {column} holds {describe(row[index])}")


def check_number(name: str, value: Any, *, low: int) -> int:
    """A version, position, checkpoint or count: an int from `low` to MAX_NUMBER. Both
    backends refuse the same values with the same words (SQLite cannot even bind 2**63)."""
    number = check_int(name, value, low=low)
    if number > MAX_NUMBER:
        raise ConfigError(f"{name} must be <= 2**62 = {MAX_NUMBER} (the event store counts in "
                          f"64-bit integers), got {number}")
    return number


def plain_json(name: str, value: Any, depth: int = 0) -> Any:
    """A plain copy of JSON data; reject what JSON cannot hold or would silently change."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value if value.isascii() else check_unicode(_short(name), value)
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:  # json.dumps itself would stop at 4300 digits
            raise ConfigError(f"{_short(name)} must be an int of at most 3900 digits, got one of "
                              f"{value.bit_length()} bits")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"{_short(name)} must be a finite number, got {value!r} "
                              "(JSON has no NaN)")
        return value
    if depth >= MAX_DEPTH and isinstance(value, Mapping | list | tuple):
        # Deeper data would hit Python's recursion limit in json, here or in a reader.
        raise ConfigError(f"{_short(name)} is nested more than {MAX_DEPTH} levels deep; JSON data "
                          f"that deep cannot be written or read back reliably: flatten it")
    if isinstance(value, Mapping):
        copy: dict[str, Any] = {}
        for key, item in value.items():
            # json.dumps would turn the key 1 into "1": a silent change, so refuse it.
            if not isinstance(key, str):
                raise TypeError(f"{_short(name)} keys must be strings (JSON), got key "
                                f"{describe(key)}")
            if not key.isascii():
                check_unicode(f"{_short(name)} key", key)
            copy[key] = plain_json(f"{name}[{key!r}]", item, depth + 1)
        return copy
    if isinstance(value, list | tuple):
        return [plain_json(f"{name}[{i}]", item, depth + 1) for i, item in enumerate(value)]
    raise TypeError(
        f"{name} must be JSON data (dict, list, str, int, float, bool, None), "
        f"got {describe(value)}"
    )


def _short(name: str) -> str:
    """A deep path such as data['a']['a']['a']... cut to a readable length."""
    return name if len(name) <= 80 else f"{name[:60]}...{name[-15:]}"


def to_json(name: str, value: Any) -> str:
    """Compact JSON with sorted keys (stable bytes), after checking with :func:`plain_json`."""
    return _dumps(plain_json(name, value))


# One encoder, made once: json.dumps(..., sort_keys=...) would build a new one every call.
_raw_decode = json.JSONDecoder().raw_decode
# raw_decode without its Python wrapper (the C scanner; not in typeshed's stubs)
_scan_once: Callable[[str, int], tuple[Any, int]] = (
    json.JSONDecoder().scan_once)  # type: ignore[attr-defined]
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def to_state_json(name: str, state: Any) -> str:
    """JSON for a snapshot or read model, which must come back *equal* after a round trip."""
    text = to_json(name, state)
    if (back := json.loads(text)) != state:
        # A tuple comes back as a list: a snapshot + tail would then differ from a replay.
        raise TypeError(
            f"{name} must survive a JSON round trip (use lists, not tuples or sets); "
            f"{state!r} comes back as {back!r}"
        )
    return text


def from_state_json(text: str) -> Any:
    """Decode a snapshot or read model stored by :func:`to_state_json`."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CorruptEventError(f"stored state is not valid JSON ({exc}): {text[:60]!r}") from exc
