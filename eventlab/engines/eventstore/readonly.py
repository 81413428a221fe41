"""A learner's own SQL against the event store, read-only by construction.

``PRAGMA query_only`` alone is not enough: a query could still ``ATTACH`` another file, set
persistent pragmas (``journal_mode=OFF``, then a crash corrupts the store), leave a ``BEGIN``
open so every later append waits for the lock, or run a recursive CTE forever. So a query
runs under four independent guards:

* an SQLite *authorizer* that allows reading only: SELECT, reading columns, functions and
  recursive CTEs, and a short list of pragmas that only report (``table_info``, or
  ``journal_mode`` without a value). Everything else (writes, ATTACH and with it
  ``VACUUM INTO``, transactions, savepoints, pragma writes) is refused before it runs;
* a *progress handler* that stops the query after ``time_limit`` seconds;
* a *row cap*: more than ``max_rows`` rows is an error, not a frozen notebook;
* SQLite limits: no attached databases, and no string or blob longer than ``MAX_VALUE_BYTES``
  (``randomblob(1e9)`` would otherwise take a gigabyte).

On top of that the store hands over a connection opened with ``mode=ro`` when it has a file.
The time limit uses the wall clock only to stop a runaway query; it never enters a result.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from eventlab.core.errors import ConfigError, check_float, check_int, describe

MAX_ROWS = 10_000
TIME_LIMIT = 5.0  # seconds
MAX_VALUE_BYTES = 10_000_000
PROGRESS_EVERY = 10_000  # SQLite virtual-machine steps between two looks at the clock

# Pragmas that only report. With a value (``PRAGMA journal_mode=OFF``) most of them would
# change the database, so only the ones in INTROSPECTION may take an argument (a table name).
INTROSPECTION = frozenset({
    "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "table_list",
})
REPORTING = INTROSPECTION | frozenset({
    "journal_mode", "synchronous", "page_count", "page_size", "freelist_count", "encoding",
    "user_version", "schema_version", "application_id", "foreign_keys", "busy_timeout",
    "database_list", "collation_list", "function_list", "module_list", "pragma_list",
    "compile_options", "integrity_check", "quick_check", "foreign_key_check", "locking_mode",
    "data_version", "auto_vacuum", "cache_size", "query_only",
})
_READING = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE})
_FORBIDDEN_FUNCTIONS = frozenset({"load_extension"})
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_temp_master", "sqlite_schema",
                            "sqlite_temp_schema"})
_ACTION_NAMES = {
    sqlite3.SQLITE_ATTACH: "ATTACH (or VACUUM INTO) another database file",
    sqlite3.SQLITE_DETACH: "DETACH",
    sqlite3.SQLITE_TRANSACTION: "BEGIN, COMMIT or ROLLBACK",
    sqlite3.SQLITE_SAVEPOINT: "SAVEPOINT or RELEASE",
    sqlite3.SQLITE_INSERT: "INSERT",
    sqlite3.SQLITE_UPDATE: "UPDATE",
    sqlite3.SQLITE_DELETE: "DELETE",
    sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE",
    sqlite3.SQLITE_REINDEX: "REINDEX",
    sqlite3.SQLITE_ANALYZE: "ANALYZE",
}


class QueryRefusedError(ConfigError):
    """A learner's SQL tried something other than reading, or ran too long or too wide."""


class _Guard:
    """The authorizer and progress handler of one query; remembers why it said no."""

    def __init__(self, time_limit: float) -> None:
        self.refused: str | None = None
        self.deadline = time.monotonic() + time_limit
        self.timed_out = False

    def authorize(self, action: int, arg1: str | None, arg2: str | None,
                  _db: str | None, _trigger: str | None) -> int:
        if action in _READING:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            if arg2 in _FORBIDDEN_FUNCTIONS:
                return self._deny(f"the function {arg2}()")
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name in INTROSPECTION or (name in REPORTING and arg2 is None):
                return sqlite3.SQLITE_OK
            shown = f"PRAGMA {arg1}" if arg2 is None else f"PRAGMA {arg1}={arg2}"
            return self._deny(f"{shown} (only pragmas that report, without a value)")
        if arg1 in _SCHEMA_TABLES:
            # CREATE, DROP and ALTER show up as writes to the schema table; so does the
            # eponymous table of a pragma function (pragma_table_info), which we cannot tell
            # apart from a real schema change here.
            return self._deny("to change the schema (CREATE, DROP, ALTER; for a table's "
                              "columns use PRAGMA table_info(events) instead of "
                              "pragma_table_info)")
        return self._deny(_ACTION_NAMES.get(action, f"a statement that changes the database "
                                                     f"(SQLite action {action})"))

    def _deny(self, what: str) -> int:
        if self.refused is None:  # the first reason is the one the learner needs
            self.refused = what
        return sqlite3.SQLITE_DENY

    def progress(self) -> int:
        if time.monotonic() > self.deadline:
            self.timed_out = True
            return 1  # non-zero: SQLite interrupts the statement
        return 0


def read_only_query(conn: sqlite3.Connection, sql: Any, params: Any = (), *,
                    max_rows: int = MAX_ROWS, time_limit: float = TIME_LIMIT) -> pd.DataFrame:
    """Run one SELECT on `conn` under the guards above; the rows as a DataFrame.

    An empty result is an empty DataFrame with the query's columns. The connection's
    authorizer, progress handler and limits are restored afterwards.
    """
    if not isinstance(sql, str):
        raise TypeError(f"sql must be the text of one SQL query, got {describe(sql)}")
    if not sql.strip():
        raise ConfigError("sql must be the text of one SQL query, got an empty string")
    if isinstance(params, str | bytes) or not isinstance(params, Sequence | Mapping):
        raise TypeError(f"params must be a tuple of values for the ? placeholders (or a dict "
                        f"for :name ones), got {describe(params)}")
    check_int("max_rows", max_rows, low=1, high=1_000_000)
    check_float("time_limit", time_limit, low=0.0, high=600.0, low_open=True)
    guard = _Guard(time_limit)
    old_length = conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    old_attached = conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.set_authorizer(guard.authorize)
    conn.set_progress_handler(guard.progress, PROGRESS_EVERY)
    cursor = conn.cursor()
    try:
        cursor.execute(sql, params)
        if cursor.description is None:
            raise QueryRefusedError(f"sql returned no columns: it is not a query. Write one "
                                    f"SELECT, e.g. 'SELECT * FROM events LIMIT 5'; got {sql!r}")
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(max_rows + 1)
    except sqlite3.Error as exc:
        raise _explain(exc, guard, sql, time_limit) from None
    except OverflowError as exc:  # a parameter beyond SQLite's 64-bit integers
        raise ConfigError(f"params hold a value SQLite cannot store: {exc}") from None
    finally:
        cursor.close()  # ends the statement, and with it the read transaction
        conn.set_progress_handler(None, 0)
        conn.set_authorizer(None)
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, old_attached)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, old_length)
    if len(rows) > max_rows:
        raise QueryRefusedError(
            f"sql returned more than max_rows={max_rows} rows; add a LIMIT or a WHERE, "
            f"aggregate with GROUP BY, or pass a larger max_rows")
    return pd.DataFrame.from_records(rows, columns=columns)


def _explain(exc: sqlite3.Error, guard: _Guard, sql: str, time_limit: float) -> ConfigError:
    """The learner's one-line reason, in words, for an SQLite error under the guards."""
    if guard.refused is not None:
        return QueryRefusedError(f"sql may only read; it tried {guard.refused}, which "
                                 f"read_sql refuses so the store stays intact: {sql!r}")
    if guard.timed_out:
        return QueryRefusedError(
            f"sql ran longer than time_limit={time_limit} s and was stopped; a recursive CTE "
            f"needs a stop condition (WHERE or LIMIT): {sql!r}")
    if isinstance(exc, sqlite3.ProgrammingError) and "one statement" in str(exc):
        return QueryRefusedError(f"sql must be one statement; run them one by one: {sql!r}")
    return ConfigError(f"sql could not be run: {exc}: {sql!r}")
