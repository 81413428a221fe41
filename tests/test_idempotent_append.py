"""Nothing written is lost and nothing is written twice: idempotent appends and Ctrl-C.

Ctrl-C is a KeyboardInterrupt that Python raises between two calls, so it can land before
SQLite's COMMIT (nothing written) or just after it (everything written, yet the cell shows an
interrupt). A connection wrapper raises it after the n-th statement, for every n; the
interrupt's note must tell the truth, and a retry with the same idempotency key must leave
each event in the store exactly once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.engines.eventstore import (
    ConcurrencyError,
    EventStore,
    InMemoryEventStore,
    NewEvent,
    SqliteEventStore,
)

BACKENDS = ["memory", "sqlite"]


def deposit(n: int) -> NewEvent:
    return NewEvent(type="Deposited", data={"n": n})


def make(kind: str, tmp_path: Path) -> EventStore:
    return InMemoryEventStore() if kind == "memory" else SqliteEventStore(tmp_path / "e.db")


class CtrlCAfter:
    """Wraps a sqlite3 connection: Ctrl-C arrives right after the n-th execute returns."""

    def __init__(self, conn: Any, statements: int) -> None:
        self._conn, self.left, self.fired_after = conn, statements, None

    def _tick(self, sql: str) -> None:
        self.left -= 1
        if self.left == 0:
            self.fired_after = sql
            raise KeyboardInterrupt

    def execute(self, sql: str, *args: Any) -> Any:
        cursor = self._conn.execute(sql, *args)
        self._tick(sql)
        return cursor

    def executemany(self, sql: str, rows: Any) -> Any:
        cursor = self._conn.executemany(sql, rows)
        self._tick(sql)
        return cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_retry_with_the_same_key_writes_nothing_and_returns_the_first_events(
        kind: str, tmp_path: Path) -> None:
    with make(kind, tmp_path) as store:
        first = store.append("acc", [deposit(1), deposit(2)], idempotency_key="pay-1")
        again = store.append("acc", [deposit(1), deposit(2)], idempotency_key="pay-1")
        assert again == first
        assert store.version("acc") == 2
        # The key was checked before the expected version: a retry is not a conflict.
        assert store.append("acc", [deposit(1), deposit(2)], expected=0,
                            idempotency_key="pay-1") == first
        store.append("acc", [deposit(3)], idempotency_key="pay-2")
        assert [e.data["n"] for e in store.read_stream("acc")] == [1, 2, 3]


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_key_reused_for_other_events_or_another_stream_is_refused(
        kind: str, tmp_path: Path) -> None:
    with make(kind, tmp_path) as store:
        store.append("acc", [deposit(1)], idempotency_key="pay-1")
        with pytest.raises(ValueError, match="idempotency_key 'pay-1' was already used"):
            store.append("acc", [deposit(2)], idempotency_key="pay-1")
        with pytest.raises(ValueError, match="idempotency_key 'pay-1' was already used"):
            store.append("other", [deposit(1)], idempotency_key="pay-1")
        with pytest.raises(TypeError, match="idempotency_key must be a string"):
            store.append("acc", [deposit(1)], idempotency_key=7)  # type: ignore[arg-type]
        with pytest.raises(ConcurrencyError):
            store.append("acc", [deposit(2)], expected=0, idempotency_key="pay-2")
        assert store.version("acc") == 1


def test_keys_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    with SqliteEventStore(tmp_path / "e.db") as store:
        first = store.append("acc", [deposit(1)], idempotency_key="pay-1")
    with SqliteEventStore(tmp_path / "e.db") as store:
        assert store.append("acc", [deposit(1)], idempotency_key="pay-1") == first
        assert store.version("acc") == 1


@settings(max_examples=40, deadline=None)
@given(statements=st.integers(min_value=1, max_value=8), batch=st.integers(1, 4),
       keyed=st.booleans())
def test_after_ctrl_c_anywhere_the_note_tells_the_truth_and_a_keyed_retry_never_duplicates(
        tmp_path_factory: pytest.TempPathFactory, statements: int, batch: int,
        keyed: bool) -> None:
    path = tmp_path_factory.mktemp("ctrlc") / "e.db"
    with SqliteEventStore(path) as store:
        store.append("acc", [deposit(0)])
        events = [deposit(n) for n in range(1, batch + 1)]
        key = "pay-1" if keyed else None
        real = store._conn
        store._conn = CtrlCAfter(real, statements)  # type: ignore[assignment]
        try:
            store.append("acc", events, idempotency_key=key)
            interrupted = None
        except KeyboardInterrupt as ctrl_c:
            interrupted = ctrl_c
        finally:
            store._conn = real
        written = store.version("acc") - 1
        assert written in (0, batch)  # all or nothing, wherever Ctrl-C came
        if interrupted is not None:
            note = " ".join(getattr(interrupted, "__notes__", []))
            if written:
                assert f"the {batch} event(s) ARE in stream 'acc'" in note
            else:
                assert "none of the" in note
                assert "running the cell again is safe" in note
        if keyed:
            store.append("acc", events, idempotency_key=key)  # what the note says to do
            assert [e.data["n"] for e in store.read_stream("acc")] == list(range(batch + 1))
        assert store.append("next", [deposit(9)])[0].version == 1  # no lock left behind


def test_ctrl_c_in_a_subscriber_after_the_commit_says_the_events_are_written() -> None:
    store = InMemoryEventStore()

    def impatient(_event: Any) -> None:
        raise KeyboardInterrupt  # the learner presses Ctrl-C while a projection catches up

    store.subscribe(impatient)
    with pytest.raises(KeyboardInterrupt) as caught:
        store.append("acc", [deposit(1)], idempotency_key="pay-1")
    assert "ARE in stream 'acc'" in " ".join(caught.value.__notes__)
    assert "same idempotency_key='pay-1'" in " ".join(caught.value.__notes__)
    assert store.version("acc") == 1
