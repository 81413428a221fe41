"""An event store in SQLite, where the *database* enforces optimistic concurrency.

One table holds every event. ``UNIQUE (stream, version)`` means a version can be taken only
once: an append with an exact expected version simply inserts versions expected+1,
expected+2, ...; if another writer got there first the database says no and the whole batch
rolls back. That the batch continues its stream without a gap (the row of version
`expected` exists) is checked in the same transaction, one index lookup per append, and a
trigger refuses every DELETE, so events stay facts and a position is never handed out twice.

Every write is one ``BEGIN IMMEDIATE`` transaction, which takes SQLite's single write lock
up front: writers (threads or processes) queue instead of failing half-way, and global
positions (the table's rowid) are assigned in commit order, so a reader never sees a hole
fill in later. The SQL is exposed as module constants so a notebook can show exactly what
runs.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from eventlab.core.errors import ConfigError, check_choice, check_float, check_unicode, describe
from eventlab.engines.eventstore.memory import Claim, ConcurrencyError, EventStore, reused_key
from eventlab.engines.eventstore.readonly import MAX_ROWS, TIME_LIMIT, read_only_query
from eventlab.engines.eventstore.upcasting import NewEvent, Row, Upcasters

CREATE_TABLES_SQL = """\
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,                -- global order: 1, 2, 3, ... (the rowid)
    stream         TEXT    NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL CHECK (schema_version >= 1),
    data           TEXT    NOT NULL,                   -- a JSON object
    time           REAL    NOT NULL,                   -- simulated time, from the caller
    message_id     TEXT,
    sender         TEXT,
    correlation_id TEXT,
    causation_id   TEXT,
    UNIQUE (stream, version)                           -- a version is taken once, by one writer
);
CREATE TRIGGER IF NOT EXISTS events_are_never_deleted
BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are facts: they are never deleted');
END;
CREATE TABLE IF NOT EXISTS snapshots (
    stream  TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    state   TEXT    NOT NULL                           -- JSON
);
CREATE TABLE IF NOT EXISTS appends (                    -- idempotency keys of appends
    idempotency_key TEXT    PRIMARY KEY,
    digest          TEXT    NOT NULL,                  -- sha256 of the stream and events
    first_position  INTEGER NOT NULL,
    count           INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS projections (
    name       TEXT PRIMARY KEY,
    checkpoint INTEGER NOT NULL,                       -- saved in the same row as the model
    model      TEXT    NOT NULL                        -- JSON
);
"""

COLUMNS = ("position, stream, version, type, schema_version, data, time, "
           "message_id, sender, correlation_id, causation_id")
APPEND_SQL = (
    "INSERT INTO events (stream, version, type, schema_version, data, time, "
    "message_id, sender, correlation_id, causation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Has the stream reached the expected version? Asked for an exact expected version >= 1, so
# that a batch never leaves a gap (a version already taken is refused by UNIQUE instead).
VERSION_EXISTS_SQL = "SELECT 1 FROM events WHERE stream = ? AND version = ?"
STREAM_VERSION_SQL = "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = ?"
HEAD_SQL = "SELECT COALESCE(MAX(position), 0) FROM events"
STREAMS_SQL = "SELECT DISTINCT stream FROM events"
# Without the stream column: the reader knows the stream (see upcasting.decode_rows).
READ_STREAM_SQL = (
    f"SELECT {COLUMNS.replace('stream, ', '')} FROM events "
    "WHERE stream = ? AND version BETWEEN ? AND ? ORDER BY version"
)
READ_ALL_SQL = f"SELECT {COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?"
SAVE_SNAPSHOT_SQL = "INSERT OR REPLACE INTO snapshots (stream, version, state) VALUES (?, ?, ?)"
LOAD_SNAPSHOT_SQL = "SELECT version, state FROM snapshots WHERE stream = ?"
CHECKPOINT_SQL = "SELECT checkpoint FROM projections WHERE name = ?"
SAVE_PROJECTION_SQL = (
    "INSERT INTO projections (name, checkpoint, model) VALUES (?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET checkpoint = excluded.checkpoint, model = excluded.model"
)
LOAD_PROJECTION_SQL = "SELECT model, checkpoint FROM projections WHERE name = ?"
FIND_CLAIM_SQL = ("SELECT digest, first_position, count, version FROM appends "
                  "JOIN events ON position = first_position WHERE idempotency_key = ?")
SAVE_CLAIM_SQL = ("INSERT INTO appends (idempotency_key, digest, first_position, count) "
                  "VALUES (?, ?, ?, ?)")

# The same statement without the four message columns, for events that have none of them:
# they stay NULL. Python's sqlite3 binds None through its slow adapter lookup (about a third
# of a microsecond each), so four None per event cost about as much as SQLite's whole insert.
_SHORT_SQL = APPEND_SQL.replace(", message_id, sender, correlation_id, causation_id", "") \
    .replace(", ?, ?, ?, ?)", ")")


@lru_cache(maxsize=64)
def append_rows_sql(rows: int, short: bool = False) -> str:
    """APPEND_SQL (or its short form) for `rows` events at once: one VALUES row per event."""
    sql = _SHORT_SQL if short else APPEND_SQL
    values = sql[sql.index("VALUES ") + len("VALUES "):]  # "(?, ?, ..., ?)"
    return sql + "".join([", " + values] * (rows - 1))


SYNCHRONOUS: tuple[str, ...] = ("off", "normal", "full", "extra")  # PRAGMA synchronous
_MAX_VERSION = 2**62  # "no upper bound" for BETWEEN, still a valid SQLite integer


class SqliteEventStore(EventStore):
    """The event store in one SQLite database: a file, or ``":memory:"`` (the default)."""

    def __init__(self, path: str | Path = ":memory:", *, upcasters: Upcasters | None = None,
                 timeout: float = 30.0, synchronous: str | None = None) -> None:
        super().__init__(upcasters=upcasters)
        if synchronous is not None:
            check_choice("synchronous", synchronous, SYNCHRONOUS)
        if not isinstance(path, str | Path) or not str(path):
            raise TypeError(f"path must be a file path or ':memory:', got {describe(path)}")
        if not str(path).strip() or "\x00" in str(path):
            raise ConfigError(f"path must name a database file (no NUL character, not blank) "
                              f"or be ':memory:', got {str(path)!r}")
        check_unicode("path", str(path))
        check_float("timeout", timeout, low=0.0)
        self.path = str(path)
        # Where read_sql's read-only connection looks, fixed now: a later os.chdir in a
        # notebook must not point it at another file.
        self._uri = None if self.path == ":memory:" else \
            f"{Path(self.path).resolve().as_uri()}?mode=ro"
        # One connection per store object, shared by its threads under a lock. Several
        # store objects (other threads, other processes) on one file coordinate through
        # SQLite's own locking; `timeout` is how long a writer waits for the write lock.
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.OperationalError as exc:
            raise ConfigError(f"path {self.path!r} cannot be opened as a database: {exc}") from exc
        self._lock = threading.RLock()
        # As many rows per INSERT as SQLite takes parameters for (older builds: 999), <= 500.
        limit = self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._rows_per_insert = max(1, min(500, limit // APPEND_SQL.count("?")))
        self._read_lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None  # read_sql's own read-only connection
        try:
            if self.path != ":memory:":
                # WAL: readers never block the writer, and the writer never blocks readers.
                self._conn.execute("PRAGMA journal_mode=WAL")
            if synchronous is not None:
                # How often SQLite waits for the disk: "full" (every commit is on disk when
                # append returns), "normal" (in WAL mode a power cut may lose the newest
                # commits, never corrupt the file). None keeps SQLite's own default.
                self._conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._conn.executescript(f"BEGIN IMMEDIATE;\n{CREATE_TABLES_SQL}COMMIT;")
        except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
            self._conn.close()  # closing also rolls back a half-made schema
            raise ConfigError(f"path {self.path!r} cannot be used as a database: {exc}") from exc
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (then re-raised)."""
        with self._lock:
            committing = False
            try:
                # Inside the try: a Ctrl-C right after BEGIN must not leave the write lock
                # held (every later append would then wait for it).
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                committing = True
                self._conn.execute("COMMIT")
            except BaseException as exc:
                # SQLite may already have rolled back by itself (e.g. disk full); then a
                # second ROLLBACK would hide the real error behind "no transaction is active".
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                    committing = False
                if isinstance(exc, KeyboardInterrupt):
                    # Ctrl-C lands after COMMIT returned (Python checks signals between calls):
                    # the write is durable although the cell shows KeyboardInterrupt.
                    exc.eventlab_committed = committing  # type: ignore[attr-defined]
                raise

    def read_sql(self, sql: str, params: tuple[Any, ...] = (), *, max_rows: int = MAX_ROWS,
                 time_limit: float = TIME_LIMIT) -> pd.DataFrame:
        """Run a learner's own SELECT against the store; anything but reading is refused.

        At most `max_rows` rows and `time_limit` seconds; see
        :mod:`eventlab.engines.eventstore.readonly` for what is refused and why.
        """
        if self.path == ":memory:":
            # An in-memory database exists only inside this connection: the guards of
            # read_only_query, plus query_only, are what keeps it read-only here.
            with self._lock:
                self._conn.execute("PRAGMA query_only = ON")
                try:
                    return read_only_query(self._conn, sql, params, max_rows=max_rows,
                                           time_limit=time_limit)
                finally:
                    self._conn.execute("PRAGMA query_only = OFF")
        with self._read_lock:
            if self._reader is None:
                # A second connection that SQLite itself opens read-only (mode=ro): even a
                # query that slipped past every guard could not write through it.
                self._reader = sqlite3.connect(self._uri or "", uri=True, isolation_level=None,
                                               check_same_thread=False)
            return read_only_query(self._reader, sql, params, max_rows=max_rows,
                                   time_limit=time_limit)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _rows(self, stream: str, version: int, chunk: list[tuple[NewEvent, int]]
              ) -> tuple[str, list[Any]]:
        """One INSERT for a chunk of events, versions from `version` on, and its parameters."""
        short = True
        for event, _ in chunk:
            if (event.message_id is not None or event.sender is not None
                    or event.correlation_id is not None or event.causation_id is not None):
                short = False
                break
        params: list[Any] = []
        extend = params.extend  # one flat list: the statement has one VALUES row per event
        if short:
            for event, schema in chunk:
                extend((stream, version, event.type, schema, event.data_json, event.time))
                version += 1
        else:
            for event, schema in chunk:
                extend((stream, version, event.type, schema, event.data_json, event.time,
                        event.message_id, event.sender, event.correlation_id,
                        event.causation_id))
                version += 1
        return append_rows_sql(len(chunk), short), params

    def _insert(self, conn: sqlite3.Connection, stream: str, version: int,
                batch: list[tuple[NewEvent, int]]) -> int:
        """Insert the batch as versions `version`, ...; return the position of its last row.

        One INSERT per chunk of rows, not one per row (nor executemany): SQLite then runs
        its statement once per chunk. Rows are made chunk by chunk, so a failure in a later
        chunk comes after earlier rows went in (and the transaction takes them back).
        """
        step, last = self._rows_per_insert, 0
        for start in range(0, len(batch), step):
            sql, params = self._rows(stream, version + start, batch[start:start + step])
            last = conn.execute(sql, params).lastrowid or 0
        return last

    def _append(self, stream: str, expected: int | None, batch: list[tuple[NewEvent, int]],
                claim: Claim | None = None) -> tuple[int, int]:
        if claim is not None:
            return self._append_once(stream, expected, batch, claim)
        with self._transaction() as conn:
            if expected is None:  # ANY: we ask for the current version
                base = conn.execute(STREAM_VERSION_SQL, (stream,)).fetchone()[0]
            else:
                # An exact version we don't ask for: we insert expected+1, ... and let
                # UNIQUE (stream, version) judge that claim. We only make sure the stream
                # has reached `expected`, so the batch cannot leave a gap behind it.
                base = expected
                if expected and conn.execute(VERSION_EXISTS_SQL, (stream, expected)) \
                        .fetchone() is None:
                    actual = conn.execute(STREAM_VERSION_SQL, (stream,)).fetchone()[0]
                    raise ConcurrencyError(stream, expected, actual)
            try:
                last = self._insert(conn, stream, base + 1, batch)
            except sqlite3.IntegrityError as exc:
                if "UNIQUE constraint failed: events.stream, events.version" not in str(exc):
                    raise
                actual = conn.execute(STREAM_VERSION_SQL, (stream,)).fetchone()[0]
                raise ConcurrencyError(stream, base, actual) from exc
        # We held the write lock, so our rows got consecutive positions ending at `last`.
        return last - len(batch) + 1, base + 1

    def _append_once(self, stream: str, expected: int | None,
                     batch: list[tuple[NewEvent, int]], claim: Claim) -> tuple[int, int]:
        """An append with an idempotency key: the key is written in the same transaction as
        the events, so after any interruption either both are there or neither is."""
        with self._transaction() as conn:
            known = conn.execute(FIND_CLAIM_SQL, (claim.key,)).fetchone()
            if known is not None:
                digest, first, _, version = known
                if digest != claim.digest:
                    raise reused_key(claim, stream)
                return first, version
            base = conn.execute(STREAM_VERSION_SQL, (stream,)).fetchone()[0]
            if expected is not None and expected != base:
                raise ConcurrencyError(stream, expected, base)
            first = self._insert(conn, stream, base + 1, batch) - len(batch) + 1
            conn.execute(SAVE_CLAIM_SQL, (claim.key, claim.digest, first, len(batch)))
        return first, base + 1

    def _version(self, stream: str) -> int:
        return int(self._query(STREAM_VERSION_SQL, (stream,))[0][0])

    def _head(self) -> int:
        return int(self._query(HEAD_SQL)[0][0])

    def _stream_names(self) -> list[str]:
        return [name for (name,) in self._query(STREAMS_SQL)]

    def _rows_of_stream(self, stream: str, first: int, last: int | None) -> list[Row]:
        return self._query(READ_STREAM_SQL, (stream, first, _MAX_VERSION if last is None else last))

    def _rows_from(self, first: int, limit: int | None) -> list[Row]:
        return self._query(READ_ALL_SQL, (first, -1 if limit is None else limit))

    def _put_snapshot(self, stream: str, version: int, state_json: str) -> None:
        with self._transaction() as conn:
            conn.execute(SAVE_SNAPSHOT_SQL, (stream, version, state_json))

    def _get_snapshot(self, stream: str) -> tuple[int, str] | None:
        rows = self._query(LOAD_SNAPSHOT_SQL, (stream,))
        return (rows[0][0], rows[0][1]) if rows else None

    def _put_projection(self, name: str, model_json: str, checkpoint: int,
                        expected_checkpoint: int) -> None:
        # Model and checkpoint in one row, in one transaction: there is no moment in which
        # one is saved and the other is not, so a crash can never make an event count twice.
        with self._transaction() as conn:
            row = conn.execute(CHECKPOINT_SQL, (name,)).fetchone()
            actual = 0 if row is None else row[0]
            if actual != expected_checkpoint:
                raise ConcurrencyError(f"projection:{name}", expected_checkpoint, actual)
            conn.execute(SAVE_PROJECTION_SQL, (name, checkpoint, model_json))

    def _get_projection(self, name: str) -> tuple[str, int] | None:
        rows = self._query(LOAD_PROJECTION_SQL, (name,))
        return (rows[0][0], rows[0][1]) if rows else None

    def close(self) -> None:
        """Close the database connection."""
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        with self._lock:
            self._conn.close()
