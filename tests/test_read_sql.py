"""read_sql is read-only by construction: every attack a curious learner tried is refused,
and afterwards the store still appends and survives a SIGKILL in the middle of writing."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from eventlab.engines.eventstore import NewEvent, SqliteEventStore
from eventlab.engines.eventstore.readonly import QueryRefusedError

# (sql, words the refusal must contain)
ATTACKS = [
    ("ATTACH 'other.db' AS other", "ATTACH"),
    ("VACUUM INTO 'copy.db'", "ATTACH (or VACUUM INTO)"),
    ("VACUUM", "ATTACH (or VACUUM INTO)"),
    ("PRAGMA journal_mode=OFF", "PRAGMA journal_mode=OFF"),
    ("PRAGMA synchronous=OFF", "PRAGMA synchronous=OFF"),
    ("PRAGMA writable_schema=ON", "PRAGMA writable_schema=ON"),
    ("PRAGMA locking_mode=EXCLUSIVE", "PRAGMA locking_mode=EXCLUSIVE"),
    ("PRAGMA busy_timeout=0", "PRAGMA busy_timeout=0"),
    ("PRAGMA query_only=OFF", "PRAGMA query_only=OFF"),
    ("PRAGMA user_version=7", "PRAGMA user_version=7"),
    ("PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA wal_checkpoint"),
    ("PRAGMA optimize", "PRAGMA optimize"),
    ("BEGIN", "BEGIN, COMMIT or ROLLBACK"),
    ("BEGIN IMMEDIATE", "BEGIN, COMMIT or ROLLBACK"),
    ("BEGIN EXCLUSIVE", "BEGIN, COMMIT or ROLLBACK"),
    ("SAVEPOINT mine", "SAVEPOINT"),
    ("COMMIT", "BEGIN, COMMIT or ROLLBACK"),
    ("DELETE FROM events", "DELETE"),
    ("UPDATE events SET type = 'Hacked'", "UPDATE"),
    ("INSERT INTO events (stream, version, type, schema_version, data, time) "
     "VALUES ('x', 1, 'X', 1, '{}', 0)", "INSERT"),
    ("DROP TABLE events", "change the schema"),
    ("CREATE TEMP TABLE scratch (x)", "change the schema"),
    ("ALTER TABLE events ADD COLUMN hacked", "ALTER TABLE"),
    ("REINDEX", "REINDEX"),
    ("ANALYZE", "change the schema"),
    ("DETACH main", "DETACH"),
    ("SELECT load_extension('evil')", "load_extension"),
    ("SELECT 1; DELETE FROM events", "one statement"),
    ("-- only a comment", "not a query"),
    ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
     "time_limit"),
    ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n",
     "max_rows"),
    ("SELECT randomblob(1000000000)", "too big"),
]


def opened(event: int) -> NewEvent:
    return NewEvent(type="Ticked", data={"i": event})


def attack_then_append_forever(path: str, written: Any) -> None:
    """Child process: every attack through read_sql, then append one event at a time."""
    os.chdir(Path(path).parent)  # relative file names in the attacks land in tmp_path
    store = SqliteEventStore(path, timeout=5.0)
    for sql, _ in ATTACKS:
        with contextlib.suppress(ValueError):  # each one is refused: the test below says so
            store.read_sql(sql, time_limit=0.3)
    i = store.version("acc")
    while True:
        store.append("acc", [opened(i), opened(i + 1)], expected=i)
        i += 2
        written.value = i  # after COMMIT: these events are on disk


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "events.db" if request.param == "file" else ":memory:"
    with SqliteEventStore(path, timeout=2.0) as s:
        s.append("acc", [opened(0)])
        yield s


@pytest.mark.parametrize(("sql", "words"), ATTACKS)
def test_read_sql_refuses_each_attack_with_its_reason_and_the_store_still_appends(
        store: SqliteEventStore, tmp_path: Path, sql: str, words: str) -> None:
    with pytest.raises(ValueError, match="sql") as caught:
        store.read_sql(sql, time_limit=0.3)
    assert words in str(caught.value)
    assert "Traceback" not in str(caught.value)
    before = store.version("acc")
    started = time.monotonic()
    store.append("acc", [opened(before)], expected=before)  # no lock left behind
    assert time.monotonic() - started < 1.0
    assert [e.version for e in store.read_stream("acc")] == list(range(1, before + 2))
    assert sorted(p.name for p in tmp_path.iterdir()
                  if not p.name.startswith("events.db")) == []  # no file attached or copied
    if store.path != ":memory:":
        with sqlite3.connect(store.path) as conn:  # nothing persistent was changed
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA user_version").fetchone()[0] == 0


def test_read_sql_still_answers_selects_params_and_reporting_pragmas(
        store: SqliteEventStore) -> None:
    assert store.read_sql("SELECT stream, version, type FROM events").values.tolist() == [
        ["acc", 1, "Ticked"]]
    assert store.read_sql("SELECT version FROM events WHERE stream = ?", ("acc",)).shape == (1, 1)
    assert store.read_sql("PRAGMA table_info(events)")["name"].tolist()[:3] == [
        "position", "stream", "version"]
    assert store.read_sql("PRAGMA journal_mode").shape == (1, 1)
    counted = store.read_sql("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                             "WHERE x < 100) SELECT count(*) AS c FROM n")
    assert counted["c"].tolist() == [100]


def test_an_empty_result_is_an_empty_table_with_the_querys_columns(
        store: SqliteEventStore) -> None:
    table = store.read_sql("SELECT stream, version AS v FROM events WHERE stream = 'nobody'")
    assert table.empty
    assert table.columns.tolist() == ["stream", "v"]


def test_the_row_cap_names_itself_and_a_larger_cap_lets_the_rows_through(
        store: SqliteEventStore) -> None:
    sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 50) " \
          "SELECT x FROM n"
    with pytest.raises(QueryRefusedError, match="more than max_rows=10 rows"):
        store.read_sql(sql, max_rows=10)
    assert len(store.read_sql(sql, max_rows=50)) == 50


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"sql": ""}, ValueError, "empty string"),
    ({"sql": None}, TypeError, "sql must be the text"),
    ({"sql": "SELECT ?", "params": "a"}, TypeError, "params must be a tuple"),
    ({"sql": "SELECT ?", "params": (1, 2)}, ValueError, "could not be run"),
    ({"sql": "SELECT ?", "params": (2**70,)}, ValueError, "params hold a value"),
    ({"sql": "SELECT nonsense FROM", "params": ()}, ValueError, "could not be run"),
    ({"sql": "SELECT 1", "max_rows": 0}, ValueError, "max_rows must be >= 1"),
    ({"sql": "SELECT 1", "time_limit": 0.0}, ValueError, "time_limit must be > 0"),
])
def test_bad_read_sql_arguments_name_the_parameter(
        store: SqliteEventStore, kwargs: dict[str, Any], error: type[Exception],
        words: str) -> None:
    with pytest.raises(error, match=words):
        store.read_sql(**kwargs)


def test_after_every_attack_a_sigkilled_writer_leaves_the_store_intact(tmp_path: Path) -> None:
    path = str(tmp_path / "events.db")
    SqliteEventStore(path).close()
    context = multiprocessing.get_context("spawn")
    for kill in range(2):
        written = context.Value("q", 0)
        child = context.Process(target=attack_then_append_forever, args=(path, written))
        child.start()
        deadline = time.monotonic() + 60
        while written.value < 40 * (kill + 1) and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join(10)
        acknowledged = written.value
        assert acknowledged >= 40 * (kill + 1)
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with SqliteEventStore(path) as store:
            versions = [e.version for e in store.read_stream("acc")]
            assert versions == list(range(1, len(versions) + 1))  # no gap, no duplicate
            assert len(versions) in (acknowledged, acknowledged + 2)  # + a commit not yet told
            assert len(versions) % 2 == 0  # each batch all or nothing
            store.append("acc", [opened(len(versions))], expected=len(versions))
            store.append("acc", [opened(len(versions) + 1)], expected=len(versions) + 1)
