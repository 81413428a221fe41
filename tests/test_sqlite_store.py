"""The SQLite backend under real concurrency, partial failures and corrupt rows.

The contract itself runs against SQLite in test_eventstore.py; here are the things only a
real database has: its own constraints, several connections (threads, then processes)
fighting over one file, a transaction cut in half, and rows edited behind the store's back.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eventlab.engines.eventstore.memory import NO_STREAM, ConcurrencyError, NewEvent
from eventlab.engines.eventstore.sqlite import (
    APPEND_SQL,
    CREATE_TABLES_SQL,
    READ_ALL_SQL,
    READ_STREAM_SQL,
    SqliteEventStore,
)
from eventlab.engines.eventstore.upcasting import CorruptEventError

STREAMS = ["acc-1", "acc-2", "acc-3"]


def behind_the_stores_back(path: Path, sql: str) -> None:
    """Run SQL on the file through a separate, autocommitting connection."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(sql)
    finally:
        conn.close()


def tick(writer: int, i: int) -> NewEvent:
    return NewEvent(type="Ticked", data={"writer": writer, "i": i})


def append_with_retry(store: SqliteEventStore, stream: str, events: list[NewEvent]) -> int:
    """Read the version, append exactly there, and on a conflict try again; return tries."""
    for tries in range(1, 10_000):
        try:
            store.append(stream, events, expected=store.version(stream))
            return tries
        except ConcurrencyError:
            continue
    raise AssertionError("no progress after 10000 tries")


def writer_process(path: str, writer: int, count: int, ready: Any, start: Any) -> None:
    """Runs in a child process: its own store (own connection) on the shared file."""
    with SqliteEventStore(path) as store:
        # Processes start one by one; the barrier makes them all write at the same time.
        ready.release()
        start.wait(60)
        for i in range(count):
            append_with_retry(store, STREAMS[(writer + i) % 3], [tick(writer, i), tick(writer, i)])


def assert_no_gap_and_no_duplicate(store: SqliteEventStore, writers: int, count: int,
                                   per_append: int) -> None:
    everything = store.read_all()
    assert [e.position for e in everything] == list(range(1, writers * count * per_append + 1))
    for stream in STREAMS:
        assert [e.version for e in store.read_stream(stream)] == list(
            range(1, store.version(stream) + 1))
    written = Counter((e.data["writer"], e.data["i"]) for e in everything)
    assert written == {(w, i): per_append for w in range(writers) for i in range(count)}
    for stream in STREAMS:  # a batch is never interleaved with another writer's events
        events = store.read_stream(stream)
        pairs = [(e.data["writer"], e.data["i"]) for e in events]
        assert all(pairs[k] == pairs[k + 1] for k in range(0, len(pairs), per_append))


def test_the_sql_a_notebook_shows_is_the_sql_that_runs() -> None:
    assert "UNIQUE (stream, version)" in CREATE_TABLES_SQL
    conn = sqlite3.connect(":memory:")
    conn.executescript(CREATE_TABLES_SQL)
    conn.execute(APPEND_SQL, ("acc", 1, "Opened", 1, "{}", 0.0, None, None, None, None))
    # A stream's rows leave out the stream column: the reader knows it.
    assert conn.execute(READ_STREAM_SQL, ("acc", 1, 10)).fetchall()[0][:3] == (1, 1, "Opened")
    assert len(conn.execute(READ_ALL_SQL, (1, -1)).fetchall()) == 1
    conn.close()


def test_the_database_itself_rejects_a_duplicate_version_and_any_delete(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SqliteEventStore(path) as store:
        store.append("acc", [tick(0, 0)])
    conn = sqlite3.connect(path, isolation_level=None)  # a hand-written INSERT, no store
    row = ("acc", 1, "Ticked", 1, "{}", 0.0, None, None, None, None)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed"):
        conn.execute(APPEND_SQL, row)
    with pytest.raises(sqlite3.IntegrityError, match="events are facts: they are never deleted"):
        conn.execute("DELETE FROM events")
    conn.close()
    with SqliteEventStore(path) as store:  # so a position is never handed out twice
        assert [(e.position, e.version) for e in store.append("acc", [tick(0, 1)])] == [(2, 2)]


def test_a_stale_exact_version_is_refused_by_the_unique_constraint(tmp_path: Path) -> None:
    with SqliteEventStore(tmp_path / "events.db") as store:
        store.append("acc", [tick(0, 0), tick(0, 1)])
        with pytest.raises(ConcurrencyError, match="expected version 1 but it is at version 2") \
                as caught:
            store.append("acc", [tick(0, 2)], expected=1)
        # The store did not ask first: it inserted version 2 and the database said no.
        assert isinstance(caught.value.__cause__, sqlite3.IntegrityError)
        assert "UNIQUE constraint failed" in str(caught.value.__cause__)
        assert store.version("acc") == 2


def test_an_expected_version_ahead_of_the_stream_is_refused_and_leaves_no_gap(
    tmp_path: Path,
) -> None:
    with SqliteEventStore(tmp_path / "events.db") as store:
        store.append("acc", [tick(0, 0), tick(0, 1)])
        for ahead in (3, 7):
            with pytest.raises(ConcurrencyError,
                               match=f"expected version {ahead} but it is at version 2"):
                store.append("acc", [tick(0, 2)], expected=ahead)
        assert (store.version("acc"), store.head()) == (2, 2)
        with pytest.raises(ConcurrencyError, match="expected version 1 but it is at version 0"):
            store.append("new", [tick(0, 0)], expected=1)
        assert store.streams() == ["acc"]


def test_an_exception_in_the_middle_of_a_batch_leaves_nothing_of_it(tmp_path: Path) -> None:
    with SqliteEventStore(tmp_path / "events.db") as store:
        store.append("acc", [tick(0, 0)])
        store._rows_per_insert = 2  # a batch of 5 takes three INSERT statements
        real_rows = store._rows
        made = 0

        def rows_that_fail_on_the_second_chunk(*args: Any) -> tuple[str, list[Any]]:
            nonlocal made
            made += 1
            if made == 2:
                raise RuntimeError("power cut")
            return real_rows(*args)

        store._rows = rows_that_fail_on_the_second_chunk  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="power cut"):
            store.append("acc", [tick(1, i) for i in range(5)], expected=1)
        assert made == 2  # the first two rows really were inserted before the failure
        store._rows = real_rows  # type: ignore[method-assign]
        assert (store.version("acc"), store.head()) == (1, 1)
        assert store.append("acc", [tick(2, 0)], expected=1)[0].position == 2


def test_a_constraint_failure_in_the_middle_of_a_batch_rolls_back_the_whole_batch(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.db"
    with SqliteEventStore(path) as store:
        behind_the_stores_back(path, "CREATE TRIGGER poison BEFORE INSERT ON events WHEN "
                               "NEW.type = 'Poison' BEGIN SELECT RAISE(ABORT, 'poison pill'); END")
        batch = [tick(0, 0), NewEvent(type="Poison"), tick(0, 1)]
        with pytest.raises(sqlite3.IntegrityError, match="poison pill"):
            store.append("acc", batch)
        assert (store.head(), store.streams()) == (0, [])


def test_threads_sharing_one_store_never_produce_a_gap_or_a_duplicate(tmp_path: Path) -> None:
    writers, count = 6, 40
    with SqliteEventStore(tmp_path / "events.db") as store:
        def work(writer: int) -> None:
            for i in range(count):
                append_with_retry(store, STREAMS[(writer + i) % 3], [tick(writer, i)] * 2)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert_no_gap_and_no_duplicate(store, writers, count, per_append=2)


def test_threads_with_their_own_connections_never_produce_a_gap_or_a_duplicate(
    tmp_path: Path,
) -> None:
    writers, count, path = 6, 40, tmp_path / "events.db"
    SqliteEventStore(path).close()  # create the schema once, before the race starts
    failures: list[BaseException] = []
    conflicts = Counter[int]()

    def work(writer: int) -> None:
        try:
            with SqliteEventStore(path) as own:
                for i in range(count):
                    tries = append_with_retry(own, STREAMS[(writer + i) % 3], [tick(writer, i)] * 2)
                    conflicts[writer] += tries - 1
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with SqliteEventStore(path) as store:
        assert_no_gap_and_no_duplicate(store, writers, count, per_append=2)


def test_a_reader_tailing_the_log_during_concurrent_writes_never_skips_an_event(
    tmp_path: Path,
) -> None:
    # ES-3: positions are handed out under the write lock, so commit order = position order
    # and a tailing reader can never see position p+1 before p exists.
    writers, count, path = 4, 30, tmp_path / "events.db"
    SqliteEventStore(path).close()
    done = threading.Event()
    seen: list[int] = []

    def read() -> None:
        with SqliteEventStore(path) as reader:
            subscription = reader.subscribe(lambda e: seen.append(e.position), live=False)
            while not done.is_set():
                subscription.poll()
            subscription.poll()

    def write(writer: int) -> None:
        with SqliteEventStore(path) as own:
            for i in range(count):
                own.append(STREAMS[i % 3], [tick(writer, i)] * 3)

    tail = threading.Thread(target=read)
    tail.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    tail.join()
    assert seen == list(range(1, writers * count * 3 + 1))


def test_processes_appending_to_one_file_never_produce_a_gap_or_a_duplicate(
    tmp_path: Path,
) -> None:
    writers, count, path = 3, 40, str(tmp_path / "events.db")
    SqliteEventStore(path).close()
    context = multiprocessing.get_context("spawn")  # no forked connections or locks
    ready, start = context.Semaphore(0), context.Event()
    processes = [context.Process(target=writer_process, args=(path, w, count, ready, start))
                 for w in range(writers)]
    for process in processes:
        process.start()
    for _ in processes:
        assert ready.acquire(timeout=60)
    start.set()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * writers
    with SqliteEventStore(path) as store:
        assert_no_gap_and_no_duplicate(store, writers, count, per_append=2)


def test_events_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SqliteEventStore(path) as store:
        store.append("acc", [tick(0, 0), tick(0, 1)])
        store.save_snapshot("acc", 2, {"count": 2})
        store.save_projection("counts", {"acc": 2}, 2, expected_checkpoint=0)
        before = store.read_all()
    with SqliteEventStore(path) as again:
        assert again.read_all() == before
        assert again.load_snapshot("acc").state == {"count": 2}  # type: ignore[union-attr]
        assert again.load_projection("counts") == ({"acc": 2}, 2)
        assert again.append("acc", [tick(0, 2)], expected=2)[0].position == 3


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ("UPDATE events SET data = '{\"amount\": 1' WHERE version = 2", "data is not valid JSON"),
        ("UPDATE events SET data = '[1, 2]' WHERE version = 2", "data must be a JSON object"),
        ("UPDATE events SET time = 'noon' WHERE version = 2", "column time holds str 'noon'"),
        ("UPDATE events SET schema_version = 'v2' WHERE version = 2", "column schema_version"),
        ("UPDATE events SET data = X'7b7d' WHERE version = 2", "column data holds bytes"),
    ],
)
def test_a_corrupt_row_is_reported_with_its_place_and_never_guessed_at(
    tmp_path: Path, edit: str, words: str
) -> None:
    path = tmp_path / "events.db"
    with SqliteEventStore(path) as store:
        store.append("acc", [tick(0, 0), tick(0, 1), tick(0, 2)])
        behind_the_stores_back(path, edit)
        for read in (store.read_all, lambda: store.read_stream("acc")):
            with pytest.raises(CorruptEventError) as caught:
                read()
            assert words in str(caught.value)
            assert "position 2 (stream 'acc', version 2)" in str(caught.value)
            assert isinstance(caught.value, ValueError)
        assert [e.version for e in store.read_stream("acc", to_version=1)] == [1]


def test_a_corrupt_snapshot_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SqliteEventStore(path) as store:
        store.append("acc", [tick(0, 0)])
        store.save_snapshot("acc", 1, {"n": 1})
        behind_the_stores_back(path, "UPDATE snapshots SET state = 'not json'")
        with pytest.raises(CorruptEventError, match="stored state is not valid JSON"):
            store.load_snapshot("acc")


def test_a_bad_path_or_timeout_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="path must be a file path"):
        SqliteEventStore(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be >= 0"):
        SqliteEventStore(timeout=-1)
    with pytest.raises(ValueError, match=r"path '/no/such/folder/events\.db' cannot be"):
        SqliteEventStore("/no/such/folder/events.db")
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("shopping list")
    with pytest.raises(ValueError, match="file is not a database"):
        SqliteEventStore(not_a_database)


def test_read_sql_answers_a_learners_select_and_refuses_a_write():
    store = SqliteEventStore()
    store.append("account-1", [NewEvent(type="Opened", data={"owner": "Ada"})], expected=NO_STREAM)
    table = store.read_sql("SELECT stream, version, type FROM events")
    assert table.values.tolist() == [["account-1", 1, "Opened"]]
    with pytest.raises(ValueError, match="may only read"):
        store.read_sql("DELETE FROM events")
    assert store.version("account-1") == 1
    with pytest.raises(ValueError, match="sql must be the text of one SQL query"):
        store.read_sql("")


def test_a_batch_larger_than_one_insert_statement_goes_in_whole_and_in_order(
    tmp_path: Path,
) -> None:
    with SqliteEventStore(tmp_path / "events.db") as store:
        store._rows_per_insert = 2  # a batch of 5 takes three INSERT statements
        store.append("other", [tick(9, 0)])
        stored = store.append("acc", [tick(0, i) for i in range(5)], expected=NO_STREAM)
        assert [(e.version, e.position) for e in stored] == [(v, v + 1) for v in range(1, 6)]
        assert [e.data["i"] for e in store.read_stream("acc")] == list(range(5))
        with pytest.raises(ConcurrencyError):  # a stale expected version: none of it stays
            store.append("acc", [tick(1, i) for i in range(5)], expected=1)
        assert (store.version("acc"), store.head()) == (5, 6)
