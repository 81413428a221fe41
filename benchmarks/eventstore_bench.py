"""Benchmark of the event store backends (a script, not a test: timings vary by machine).

Run with ``python benchmarks/eventstore_bench.py [N]`` (default N = 100_000 events). It prints:

* in-memory: appending N events (one per append, and in batches) and a full replay (fold);
* SQLite (a temporary file): batched appends (one transaction per 1,000 events), one-event
  transactions (each its own commit, so each pays for a write to disk), and a full replay;
* if the ``eventsourcing`` library is installed, its SQLite recorder on the same events,
  side by side. It is imported only here and is not an eventlab dependency.

Targets from issue 3: in-memory append and replay of 100k events <= 1 s each; SQLite batched
appends >= 50k events/s. The events and streams are the same in every run (no randomness).
"""

from __future__ import annotations

import json
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from eventlab.engines.eventstore.memory import InMemoryEventStore, NewEvent, StoredEvent, fold
from eventlab.engines.eventstore.sqlite import SqliteEventStore

STREAMS = 1_000
BATCH = 1_000
ONE_EVENT_TRANSACTIONS = 2_000


def timed(label: str, count: int, work: Callable[[], object],
          target: Callable[[float, float], str] | None = None) -> float:
    """Run `work` once; print its duration, its rate and (if given) the target verdict."""
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    rate = count / seconds
    verdict = target(seconds, rate) if target else ""
    print(f"  {label:<46} {seconds:7.3f} s {rate:>10,.0f} events/s  {verdict}")
    return seconds


def within(limit_per_100k: float) -> Callable[[float, float], str]:
    """Target: at most `limit_per_100k` seconds per 100,000 events."""
    def check(seconds: float, rate: float) -> str:
        ok = rate >= 100_000 / limit_per_100k
        return f"{'met' if ok else 'MISSED'}: <= {limit_per_100k:g} s per 100k"
    return check


def at_least(events_per_second: float) -> Callable[[float, float], str]:
    """Target: at least `events_per_second`."""
    def check(seconds: float, rate: float) -> str:
        return f"{'met' if rate >= events_per_second else 'MISSED'}: >= {events_per_second:,.0f}/s"
    return check


def make_events(n: int) -> list[NewEvent]:
    """n small deposit events with simulated times 0, 1, 2, ..."""
    return [NewEvent(type="Deposited", data={"account": f"acc-{i % STREAMS}", "amount": i % 97},
                     time=float(i)) for i in range(n)]


def total(state: int, event: StoredEvent) -> int:
    """The evolve function of the replay: the sum of all deposits."""
    return state + int(event.data["amount"])


def bench_in_memory(events: list[NewEvent]) -> None:
    """Append one event at a time, then in batches of 100, then replay everything."""
    n = len(events)
    print(f"in-memory ({n:,} events over {STREAMS} streams)")
    store = InMemoryEventStore()

    def one_by_one() -> None:
        for i, event in enumerate(events):
            store.append(f"acc-{i % STREAMS}", [event])

    timed("append, one event per call", n, one_by_one, within(1.0))
    batched = InMemoryEventStore()
    timed("append, batches of 100", n,
          lambda: [batched.append(f"s-{k}", events[k:k + 100]) for k in range(0, n, 100)])
    result: list[int] = []
    timed("full replay: fold over iter_all()", n,
          lambda: result.append(fold(total, 0, store.iter_all(batch_size=10_000))), within(1.0))
    assert result[0] == sum(e.data["amount"] for e in events)


def bench_sqlite(events: list[NewEvent], folder: Path) -> None:
    """Batched appends, one-event transactions and a full replay on a file database."""
    n = len(events)
    print(f"eventlab SqliteEventStore (file, WAL; {n:,} events)")
    store = SqliteEventStore(folder / "eventlab.db")
    # Each batch opens a new stream, so its exact expected version is 0 (NO_STREAM).
    timed(f"append, one transaction per {BATCH} events", n,
          lambda: [store.append(f"s-{k // BATCH}", events[k:k + BATCH], expected=0)
                   for k in range(0, n, BATCH)], at_least(50_000))
    few = events[:ONE_EVENT_TRANSACTIONS]
    timed("append, one transaction per event", len(few),
          lambda: [store.append("single", [e], expected=i) for i, e in enumerate(few)])
    timed("full replay: fold over iter_all()", store.head(),
          lambda: fold(total, 0, store.iter_all(batch_size=10_000)))
    store.close()
    memory = SqliteEventStore()
    timed(f"(:memory:) one transaction per {BATCH} events", n,
          lambda: [memory.append(f"s-{k // BATCH}", events[k:k + BATCH])
                   for k in range(0, n, BATCH)])
    memory.close()


def bench_eventsourcing(events: list[NewEvent], folder: Path) -> None:
    """The same events through pyeventsourcing's SQLite application recorder, if installed."""
    try:
        from eventsourcing.persistence import StoredEvent as EsStoredEvent
        from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
    except ImportError:
        print("eventsourcing: not installed, skipped (pip install eventsourcing to compare)")
        return
    n = len(events)
    print(f"eventsourcing {metadata.version('eventsourcing')} SQLiteApplicationRecorder "
          f"(file, WAL; {n:,} events; 4 columns, no contiguity trigger, returns ids only)")
    datastore = SQLiteDatastore(str(folder / "eventsourcing.db"), originator_id_type="text")
    recorder = SQLiteApplicationRecorder(datastore)
    recorder.create_table()

    def rows(stream: str, chunk: list[NewEvent], first_version: int) -> list[Any]:
        return [EsStoredEvent(originator_id=stream, originator_version=first_version + i,
                              topic=e.type, state=e.data_json.encode())
                for i, e in enumerate(chunk)]

    timed(f"insert_events, one transaction per {BATCH} events", n,
          lambda: [recorder.insert_events(rows(f"s-{k // BATCH}", events[k:k + BATCH], 1))
                   for k in range(0, n, BATCH)])
    few = events[:ONE_EVENT_TRANSACTIONS]
    timed("insert_events, one transaction per event", len(few),
          lambda: [recorder.insert_events(rows("single", [e], i + 1)) for i, e in enumerate(few)])

    def replay() -> int:
        state, start = 0, 1
        while page := recorder.select_notifications(start=start, limit=10_000):
            for notification in page:
                state += json.loads(notification.state)["amount"]
            start = page[-1].id + 1
        return state

    timed("full replay: select_notifications + json", n + len(few), replay)
    datastore.close()


def main() -> None:
    """Run every benchmark on N events (first command-line argument, default 100,000)."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"{platform.machine()}")
    start = time.perf_counter()
    events = make_events(n)
    print(f"building {n:,} NewEvent objects (validation + JSON): "
          f"{time.perf_counter() - start:.3f} s (not counted below)\n")
    bench_in_memory(events)
    with tempfile.TemporaryDirectory() as folder:
        print()
        bench_sqlite(events, Path(folder))
        print()
        bench_eventsourcing(events, Path(folder))


if __name__ == "__main__":
    main()
