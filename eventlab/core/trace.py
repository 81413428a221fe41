"""The trace: one tidy table of everything a simulation did.

Every scenario records sends, deliveries, drops, state changes, faults and timers into a
:class:`Recorder`; :meth:`Recorder.to_frame` turns them into a DataFrame with the schema below.
Simulations never print: notebooks show the trace, filter it, chart it and replay it.

Schema (one row per happening, in the order they happened):

=============== ========== ===============================================================
column          dtype      meaning
=============== ========== ===============================================================
seq             Int64      0, 1, 2, ... (ties in time keep the order they happened in)
time            float64    simulated time (the scenario documents its unit)
kind            category   send, deliver, drop, state, fault, timer, reject, note
actor           string     who did it (sender, receiver, owner of the state, failing node)
target          string     the other side: receiver of a send, sender of a delivery
message_id      string     counter id of the message, e.g. ``msg-0007``
message_type    string     e.g. ``AddressChanged``
message_kind    category   event, command or query
key             string     the entity the message is about (``customer-42``)
correlation_id  string     the business case the message belongs to (the ``traceId``)
causation_id    string     the message that caused this one
channel         string     topic / queue / endpoint the message travelled on
partition       Int64      partition of the channel, if it has any
offset          Int64      offset within the partition, if it has any
entity          string     for state rows: which piece of state changed (``address``)
value           string     for state rows: its new value, as text
size            Int64      payload bytes on the wire
detail          string     a short free-text note
=============== ========== ===============================================================

Missing values are ``<NA>``; empty text is recorded as missing, so a trace survives a CSV
round trip unchanged.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Mapping
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from eventlab.core import files
from eventlab.core.errors import ConfigError, check_choice, check_float, check_text
from eventlab.core.messages import MESSAGE_KINDS, Message

# The objects of a row of Recorder.log_rows: ((kind, actor, target), message.trace_columns,
# (channel, partition)); its time and offset go separately.
LogRefs = tuple[tuple[str, str, "str | None"], tuple["str | int | None", ...], tuple[str, int]]

KINDS: tuple[str, ...] = ("send", "deliver", "drop", "state", "fault", "timer", "reject", "note")

COLUMNS: tuple[str, ...] = (
    "seq", "time", "kind", "actor", "target", "message_id", "message_type", "message_kind",
    "key", "correlation_id", "causation_id", "channel", "partition", "offset", "entity",
    "value", "size", "detail",
)

DTYPES: dict[str, Any] = {
    "seq": "Int64",
    "time": "float64",
    "kind": pd.CategoricalDtype(list(KINDS)),
    "actor": "string",
    "target": "string",
    "message_id": "string",
    "message_type": "string",
    "message_kind": pd.CategoricalDtype(list(MESSAGE_KINDS)),
    "key": "string",
    "correlation_id": "string",
    "causation_id": "string",
    "channel": "string",
    "partition": "Int64",
    "offset": "Int64",
    "entity": "string",
    "value": "string",
    "size": "Int64",
    "detail": "string",
}

_INT_COLUMNS = tuple(c for c, d in DTYPES.items() if d == "Int64")


def as_text(value: Any) -> str | None:
    """How a state value is written into the ``value`` column (stable across runs)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return str(value)


class Recorder:
    """Collects trace rows while a simulation runs (cheap appends; the frame is built once)."""

    __slots__ = ("_offsets", "_rows", "_times")

    def __init__(self) -> None:
        # Rows in order. Most are one tuple each. A log row (log_row, log_rows: the Kafka
        # model's two rows per message) is three entries here, its `who`, columns and place
        # (objects its message and its component share with others), and its time and offset
        # in two arrays of numbers. A tuple per kept row was two of the three objects a Kafka
        # run kept per message: each one counted towards the garbage collector's next run,
        # and every full collection visited it again; numbers in an array are no objects.
        self._rows: list[Any] = []
        self._times = array("d")
        self._offsets = array("q")

    def __len__(self) -> int:
        return len(self._rows) - 2 * len(self._times)  # a log row: 3 entries

    def record(
        self, kind: str, time: float, actor: str, *, target: str | None = None,
        message: Message | None = None, channel: str | None = None,
        partition: int | None = None, offset: int | None = None, entity: str | None = None,
        value: Any = None, detail: str | None = None, size: int | None = None,
        key: str | None = None, correlation_id: str | None = None,
    ) -> None:
        """Append one row. `message` fills the message columns (id, type, kind, key, ids).

        Without a message, `key` and `correlation_id` still tie a row to an entity and a
        business case (a timer firing for order 7 belongs to order 7's case).
        """
        if message is None:
            msg_cols: tuple[Any, ...] = (None, None, None, key or None, correlation_id or None,
                                         None)
        else:
            msg_cols = (
                message.message_id, message.type, message.kind, message.key,
                message.correlation_id, message.causation_id,
            )
            if size is None:
                size = message.size
        self._rows.append((
            time, kind, actor, target or None, *msg_cols, channel or None,
            partition, offset, entity or None, as_text(value), size, detail or None,
        ))

    def hop(self, kind: str, time: float, actor: str, target: str | None, message: Message,
            channel: str) -> None:
        """Fast path for the commonest row: a message sent, delivered or dropped on a channel.

        It keeps a short row with the message itself; :meth:`to_frame` expands it (and
        measures the payload size once per message), keeping the per-hop cost small.
        """
        self._rows.append((time, kind, actor, target, message, channel))

    def log_hop(self, kind: str, time: float, actor: str, target: str | None,
                message: Message, channel: str, partition: int, offset: int, size: int) -> None:
        """Fast path for a message appended to or read from a partitioned log at an offset
        (the same row as :meth:`log_row`, for callers that do not keep `who` and `place`)."""
        self.log_row(time, (kind, actor, target), message, (channel, partition), offset, size)

    def log_row(self, time: float, who: tuple[str, str, str | None], message: Message,
                place: tuple[str, int], offset: int, size: int) -> None:
        """:meth:`log_hop` for the Kafka model's hot path.

        `who` is ``(kind, actor, target)`` and `place` is ``(channel, partition)``: tuples the
        caller makes once and passes again and again. The row is kept as references to those
        two and to the message's :attr:`~eventlab.core.messages.Message.trace_columns` (not
        the message: nothing the garbage collector must follow), plus its time and offset as
        plain numbers; :meth:`to_frame` expands it. A 1M-message Kafka run keeps 2M of these
        rows: scanning them again and again was a third of its time, and their size a third
        of its memory.
        """
        try:
            columns = message._columns
        except AttributeError:  # the message's first row
            columns = message.trace_columns
        if size == columns[6]:  # always, for a record's own payload: no need to keep it twice
            self._rows.extend((who, columns, place))
            self._times.append(time)
            self._offsets.append(offset)
        else:
            self._rows.append((time, who, columns, place, offset, size))

    def log_rows(self) -> tuple[Callable[[LogRefs], None], Callable[[float], None],
                                Callable[[int], None]]:
        """``(refs, time, offset)``: the Kafka model's hot path appends a row of
        :meth:`log_row` as ``refs((who, message.trace_columns, place))``, ``time(now)``,
        ``offset(offset)``, always all three. Its size is the message's (as a record's
        always is). A method call per record was a twentieth of the model's time;
        :meth:`to_frame` expands these rows like any other."""
        return self._rows.extend, self._times.append, self._offsets.append

    def state(self, time: float, actor: str, entity: str, value: Any, **extra: Any) -> None:
        """Record that `actor` now holds `value` for `entity`."""
        self.record("state", time, actor, entity=entity, value=value, **extra)

    def to_frame(self) -> pd.DataFrame:
        """The trace as a DataFrame with :data:`COLUMNS` and :data:`DTYPES`."""
        # Rows are stored without their seq (it is their index): one int less per row.
        rows = []
        full = len(COLUMNS) - 1
        items, times, offsets = self._rows, self._times, self._offsets
        i = k = 0  # the next entry of each
        for seq in range(len(self)):
            row = items[i]
            i += 1
            if len(row) == 3:  # a log row's who; its columns and place follow, its numbers
                # are the next in the arrays (no other row is 3 long)
                kind, actor, target = row
                mid, mtype, mkind, key, cor, cau, size = items[i]
                channel, partition = items[i + 1]
                time, offset = times[k], offsets[k]
                i, k = i + 2, k + 1
            elif len(row) == full:
                rows.append((seq, *row))
                continue
            elif type(row[1]) is tuple:  # log_row with its own size: (time, who, ..., size)
                time, (kind, actor, target), columns, (channel, partition), offset = row[:5]
                mid, mtype, mkind, key, cor, cau, _ = columns
                size = row[5]
            else:  # hop (a message measures its payload once, then remembers)
                time, kind, actor, target, m, channel = row
                mid, mtype, mkind, key, cor, cau, size = m.trace_columns
                partition = offset = None
            rows.append((seq, time, kind, actor, target, mid, mtype, mkind, key, cor, cau,
                         channel, partition, offset, None, None, size, None))
        frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
        return frame.astype(DTYPES)


def empty() -> pd.DataFrame:
    """A trace with no rows (all columns, right dtypes)."""
    return Recorder().to_frame()


def validate(trace: Any, *, source: str | None = None) -> pd.DataFrame:
    """Check that `trace` has the trace schema; return it with the schema's dtypes.

    Besides columns and dtypes: every ``kind`` is known, every ``time`` is a finite number
    >= 0 and every ``seq`` a distinct whole number >= 0 (a replay orders rows by it).
    Raises TypeError for a non-DataFrame and ValueError naming the column, the row and the
    bad value; `source` (a file name) prefixes the message and rows are then counted as
    the file's lines.
    """
    if not isinstance(trace, pd.DataFrame):
        raise TypeError(f"trace must be a pandas DataFrame, got {type(trace).__name__}")
    prefix = f"{source}: " if source else ""

    def row(position: int) -> str:
        if source is None:
            return f"row {trace.index[position]}"
        return f"row {position} (line {position + 2} of the file)"

    def first(mask: Any) -> int:
        return int(np.asarray(mask, dtype=bool).argmax())

    missing = [c for c in COLUMNS if c not in trace.columns]
    extra = [c for c in trace.columns if c not in COLUMNS]
    if missing or extra:
        raise ConfigError(f"{prefix}trace columns do not match the schema: missing {missing}, "
                          f"unexpected {extra}; expected {list(COLUMNS)}")
    for column, allowed in (("kind", KINDS), ("message_kind", MESSAGE_KINDS)):
        values = trace[column].astype("string")
        bad = values.notna() & ~values.isin(allowed)
        if bad.any():
            at = first(bad)
            raise ConfigError(f"{prefix}trace column {column!r} has value {values.iloc[at]!r} in "
                              f"{row(at)}; allowed: {', '.join(allowed)}")
    out = trace.loc[:, list(COLUMNS)]
    for column in (*_INT_COLUMNS, "time"):
        try:
            out = out.astype({column: DTYPES[column]})
        except (TypeError, ValueError, OverflowError):
            whole = column != "time"
            numbers = pd.to_numeric(trace[column], errors="coerce")
            wrong = trace[column].notna() & (numbers.isna() | (whole & (numbers % 1 != 0)))
            at = first(wrong)
            raise ConfigError(
                f"{prefix}trace column {column!r} must hold {'whole ' if whole else ''}numbers; "
                f"{row(at)} has {trace[column].iloc[at]!r}") from None
    for column in ("time", "kind", "seq"):
        empty = out[column].isna()
        if empty.any():
            raise ConfigError(f"{prefix}trace column {column!r} has a missing value in "
                              f"{row(first(empty))}")
    times = out["time"].to_numpy(dtype=float)
    wrong_time = ~np.isfinite(times) | (times < 0)
    if wrong_time.any():
        at = first(wrong_time)
        raise ConfigError(f"{prefix}trace column 'time' must hold finite numbers >= 0 "
                          f"(simulated time); {row(at)} has {times[at]!r}")
    seqs = out["seq"].to_numpy(dtype="int64")
    if (seqs < 0).any():
        at = first(seqs < 0)
        raise ConfigError(f"{prefix}trace column 'seq' must hold numbers >= 0; {row(at)} "
                          f"has {seqs[at]}")
    again = pd.Series(seqs).duplicated().to_numpy()
    if again.any():
        at = first(again)
        earlier = first(seqs == seqs[at])
        raise ConfigError(f"{prefix}trace column 'seq' must hold distinct numbers (a replay "
                          f"orders rows by it); {seqs[at]} is in {row(earlier)} and again in "
                          f"{row(at)}")
    return out.astype(DTYPES)


def to_csv(trace: pd.DataFrame, path: str | PathLike[str]) -> None:
    """Write a trace to CSV (UTF-8); :func:`read_csv` reads it back unchanged."""
    validate(trace).to_csv(path, index=False)


def read_csv(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a trace written by :func:`to_csv`, checking it against the schema; a problem
    raises one line naming the file, the row and the value."""
    # Only an empty field means "missing": the text "NA" or "null" stays text.
    raw = files.read_csv(path)
    return validate(raw.reset_index(drop=True), source=str(path))


def state_at(trace: pd.DataFrame, time: float) -> pd.DataFrame:
    """Who held which value at `time`: the last state row per (actor, entity) up to `time`."""
    check_float("time", time)
    rows = trace[(trace["kind"] == "state") & (trace["time"] <= time)]
    latest = rows.drop_duplicates(["actor", "entity"], keep="last")
    order = rows.drop_duplicates(["actor", "entity"], keep="first")[["actor", "entity"]]
    table = order.merge(latest[["actor", "entity", "value", "time"]], on=["actor", "entity"])
    return table.rename(columns={"time": "since"}).reset_index(drop=True)


def messages(trace: pd.DataFrame, kind: str = "send") -> pd.DataFrame:
    """The rows of one kind with just the message columns, for compact display."""
    check_choice("kind", kind, KINDS)
    cols = ["time", "actor", "target", "message_type", "key", "correlation_id", "size"]
    return trace.loc[trace["kind"] == kind, cols].reset_index(drop=True)


def case(trace: pd.DataFrame, correlation_id: str) -> pd.DataFrame:
    """All rows of one business case (one correlation id), in order."""
    check_text("correlation_id", correlation_id)
    return trace[trace["correlation_id"] == correlation_id].reset_index(drop=True)

