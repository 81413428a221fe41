"""Benchmark of the event store backends (a script, not a test: timings vary by machine).

    python benchmarks/eventstore_bench.py [N] [ROUNDS]      (default 100,000 events, 5 rounds)

It prints:

* in-memory: appending N events (one per append, and in batches) and a full replay (fold);
  targets from issue 3: append and replay of 100k events <= 1 s each;
* eventlab's SQLite store side by side with pyeventsourcing's SQLite application recorder
  (``pip install eventsourcing``, the ``bench`` extra; never an eventlab dependency), on the
  same events and the same durability settings: batched appends (one transaction per 1,000
  events), one-event transactions, reading every stream, and reading all events in global
  order. Both use WAL; each setting of ``PRAGMA synchronous`` (``normal``, and ``full``: this
  SQLite build's default, where every commit is on disk before the call returns) is run on
  both sides. In every round each library works on a fresh database file, and the two take
  turns operation by operation (one-event transactions: 50 at a time), who goes first
  alternating, so both sides of a ratio meet the same moments of a busy machine; a figure is
  the median of the rounds' ratios (eventlab's speed / the peer's speed, so above 1 means
  eventlab is faster) with the range of the rounds.

What each side does, so the comparison is fair: the peer's rows are built inside its timing,
like ours; the peer's reads decode each event's JSON (``json.loads`` of its ``state``), because
eventlab's reads hand out each event's data as a mapping. The peer's recorder keeps 4 columns
and checks nothing but its primary key; eventlab's table keeps 11 columns, checks in the same
transaction that a batch continues its stream without a gap, and returns full ``StoredEvent``
objects from ``append``. Both tables refuse a taken version through a unique key on (stream,
version), and both number the global order with SQLite's rowid.
"""

from __future__ import annotations

import json
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Spread, ratios

from eventlab.engines.eventstore.memory import (
    InMemoryEventStore,
    NewEvent,
    StoredEvent,
    fold,
)
from eventlab.engines.eventstore.sqlite import SqliteEventStore

STREAMS = 1_000  # of the in-memory benchmark
BATCH = 1_000  # events per batched append (and per stream in the SQLite comparison)
# One-event transactions per round. Every thousand pages or so of write-ahead log, SQLite
# copies the log into the database and waits for the disk (a checkpoint, 10-40 ms here), and
# the commit that crosses the line pays for all of it: with 500 transactions (about 1,000
# pages) a side paid for none, one or two, and the ratio swung from 0.65 to 1.97. 5,000 spread
# it over several on both sides; at "full" every commit waits for the disk anyway.
SINGLES = {"normal": 5_000, "full": 1_000}


def singles_at(synchronous: str, n: int) -> int:
    """How many one-event transactions a round makes at this durability setting."""
    return min(SINGLES.get(synchronous, 1_000), n)
PAGE = 10_000  # events per page when reading all in order
SETTINGS = ("normal", "full")  # PRAGMA synchronous, on both sides
OPERATIONS = ("batched appends", "one-event transactions", "read every stream",
              "read all in order")
TARGETS = {"batched appends": 1.2, "one-event transactions": 1.0, "read every stream": 1.0,
           "read all in order": 1.0}


def make_events(n: int) -> list[NewEvent]:
    """n small deposit events with simulated times 0, 1, 2, ..."""
    return [NewEvent(type="Deposited", data={"account": f"acc-{i % STREAMS}", "amount": i % 97},
                     time=float(i)) for i in range(n)]


def total(state: int, event: StoredEvent) -> int:
    """The evolve function of the replay: the sum of all deposits."""
    return state + int(event.data["amount"])


def timed(label: str, count: int, work: Callable[[], object]) -> float:
    """Run `work` once; print its duration and rate."""
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    print(f"  {label:<46} {seconds:7.3f} s {count / seconds:>10,.0f} events/s")
    return seconds


def bench_in_memory(events: list[NewEvent]) -> None:
    """Append one event at a time, then in batches of 100, then replay everything."""
    n = len(events)
    print(f"in-memory ({n:,} events over {STREAMS} streams; targets: <= 1 s per 100k)")
    store = InMemoryEventStore()

    def one_by_one() -> None:
        for i, event in enumerate(events):
            store.append(f"acc-{i % STREAMS}", [event])

    timed("append, one event per call", n, one_by_one)
    batched = InMemoryEventStore()
    timed("append, batches of 100", n,
          lambda: [batched.append(f"s-{k}", events[k:k + 100]) for k in range(0, n, 100)])
    result: list[int] = []
    timed("full replay: fold over iter_all()", n,
          lambda: result.append(fold(total, 0, store.iter_all(batch_size=10_000))))
    assert result[0] == sum(e.data["amount"] for e in events)


# -- the SQLite comparison ---------------------------------------------------------------------

# One side's four operations on its own fresh database file, in order (each needs what the one
# before wrote). "one-event transactions" takes the indexes of the events to append, so both
# sides can take turns block by block; every other operation takes no argument. Each returns
# how many events it handled; what it reads stays alive until it returns, as a caller keeps it.
Operations = dict[str, Callable[..., int]]


def eventlab_side(events: list[NewEvent], folder: Path, synchronous: str
                  ) -> tuple[Operations, Callable[[], None]]:
    """eventlab's SQLite store on a fresh file: its operations and how to close it."""
    n = len(events)
    store = SqliteEventStore(folder / "eventlab.db", synchronous=synchronous)
    names = [f"s-{k // BATCH}" for k in range(0, n, BATCH)]

    def batched() -> int:
        # Each batch opens a new stream, so its exact expected version is 0 (no stream yet).
        return sum(len(store.append(f"s-{k // BATCH}", events[k:k + BATCH], expected=0))
                   for k in range(0, n, BATCH))

    def singles(block: range) -> int:
        for i in block:
            store.append("single", [events[i]], expected=i)
        return len(block)

    def streams() -> int:
        read = [store.read_stream(name) for name in names]
        return sum(len(one) for one in read)

    def read_all() -> int:
        pages, position = [], 1
        while page := store.read_all(position, limit=PAGE):
            pages.append(page)
            position = page[-1].position + 1
        return sum(len(page) for page in pages)

    return ({"batched appends": batched, "one-event transactions": singles,
             "read every stream": streams, "read all in order": read_all}, store.close)


def peer_side(events: list[NewEvent], folder: Path, synchronous: str
              ) -> tuple[Operations, Callable[[], None]]:
    """The same operations on a fresh file of pyeventsourcing's SQLite recorder."""
    from eventsourcing.persistence import StoredEvent as PeerEvent
    from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

    n = len(events)
    datastore = SQLiteDatastore(str(folder / "eventsourcing.db"), originator_id_type="text")
    _set_synchronous(datastore, synchronous)
    recorder = SQLiteApplicationRecorder(datastore)
    recorder.create_table()
    names = [f"s-{k // BATCH}" for k in range(0, n, BATCH)]

    def rows(stream: str, chunk: list[NewEvent], first_version: int) -> list[Any]:
        # Built inside the timing, as eventlab builds its rows inside append.
        return [PeerEvent(originator_id=stream, originator_version=first_version + i,
                          topic=e.type, state=e.data_json.encode())
                for i, e in enumerate(chunk)]

    def batched() -> int:
        for k in range(0, n, BATCH):
            recorder.insert_events(rows(f"s-{k // BATCH}", events[k:k + BATCH], 1))
        return n

    def singles(block: range) -> int:
        for i in block:
            recorder.insert_events(rows("single", [events[i]], i + 1))
        return len(block)

    def streams() -> int:
        # The peer hands out raw rows; eventlab hands out decoded data: so decode here.
        read = [[json.loads(e.state) for e in recorder.select_events(name)] for name in names]
        return sum(len(one) for one in read)

    def read_all() -> int:
        pages, start = [], 1
        while page := recorder.select_notifications(start=start, limit=PAGE):
            pages.append([json.loads(e.state) for e in page])
            start = page[-1].id + 1
        return sum(len(page) for page in pages)

    def close() -> None:
        with datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA synchronous")
            level = cursor.fetchone()[0]
        datastore.close()
        if level != SYNC_LEVELS[synchronous]:
            raise RuntimeError(f"the peer ran at synchronous={level}, not {synchronous}")

    return ({"batched appends": batched, "one-event transactions": singles,
             "read every stream": streams, "read all in order": read_all}, close)


BLOCK = 50  # one-event transactions per turn: both sides meet the same moments of the machine


def one_round(events: list[NewEvent], folder: Path, synchronous: str, r: int
              ) -> tuple[dict[str, float], dict[str, float]]:
    """Both sides, each on a fresh file, taking turns operation by operation (one-event
    transactions: block by block), the side going first alternating; seconds per operation."""
    n, singles = len(events), singles_at(synchronous, len(events))
    sides = [eventlab_side(events, folder, synchronous), peer_side(events, folder, synchronous)]
    seconds: list[dict[str, float]] = [{}, {}]
    expected = {"batched appends": n, "one-event transactions": singles,
                "read every stream": n, "read all in order": n + singles}
    try:
        turn = r
        for operation in OPERATIONS:
            steps: list[tuple[Any, ...]] = [()]
            if operation == "one-event transactions":
                steps = [(range(k, min(k + BLOCK, singles)),) for k in range(0, singles, BLOCK)]
            done = [0, 0]
            for step in steps:
                for side in (turn % 2, 1 - turn % 2):
                    work = sides[side][0][operation]
                    start = time.perf_counter()
                    done[side] += work(*step)
                    seconds[side][operation] = seconds[side].get(operation, 0.0) + \
                        time.perf_counter() - start
                turn += 1
            if done != [expected[operation]] * 2:
                raise RuntimeError(f"{operation}: eventlab handled {done[0]}, the peer "
                                   f"{done[1]} of {expected[operation]} events")
    finally:
        for _, close in sides:
            close()
    return seconds[0], seconds[1]


SYNC_LEVELS = {"off": 0, "normal": 1, "full": 2, "extra": 3}


def _set_synchronous(datastore: Any, synchronous: str) -> None:
    """Give every connection of the peer's pool the same PRAGMA synchronous as ours."""
    pool = datastore.pool
    create = pool._create_connection

    def create_with_level() -> Any:
        connection = create()
        connection._sqlite_conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        return connection

    pool._create_connection = create_with_level


@dataclass(frozen=True)
class Comparison:
    """One operation at one durability setting: both rates and eventlab / peer, per round."""

    operation: str
    synchronous: str
    count: int
    ours: Spread  # events per second
    peer: Spread
    speed: Spread  # eventlab's speed / the peer's, round by round


def compare(n: int = 100_000, rounds: int = 5,
            settings: tuple[str, ...] = SETTINGS) -> list[Comparison]:
    """Both libraries, taking turns (see :func:`one_round`), `rounds` times per setting."""
    events = make_events(n)
    out = []
    for synchronous in settings:
        singles = singles_at(synchronous, n)
        counts = {"batched appends": n, "one-event transactions": singles,
                  "read every stream": n, "read all in order": n + singles}
        ours: list[dict[str, float]] = []
        peer: list[dict[str, float]] = []
        for r in range(rounds):
            with tempfile.TemporaryDirectory() as folder:
                mine, theirs = one_round(events, Path(folder), synchronous, r)
            ours.append(mine)
            peer.append(theirs)
        for operation in OPERATIONS:
            mine_s = [s[operation] for s in ours]
            theirs_s = [s[operation] for s in peer]
            count = counts[operation]
            out.append(Comparison(operation, synchronous, count,
                                  Spread.of([count / s for s in mine_s]),
                                  Spread.of([count / s for s in theirs_s]),
                                  ratios(theirs_s, mine_s)))
    return out


# Where a batched append's time goes inside SQLite: the same rows into eventlab's table as the
# store writes them (one INSERT per 500 rows, six columns bound), through executemany with six
# columns, with all ten bound (None for the four message ids), into the table as it was before
# issue 19 (AUTOINCREMENT position, a trigger refusing gaps), and into the peer's 4-column
# table; raw sqlite3, no Python objects around them.
_PEER_TABLE = ("CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
               "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))")
_BEFORE = ("    position       INTEGER PRIMARY KEY AUTOINCREMENT,",
           "CREATE TRIGGER IF NOT EXISTS events_versions_are_contiguous\n"
           "BEFORE INSERT ON events\n"
           "WHEN NEW.version <> 1 + COALESCE((SELECT MAX(version) FROM events "
           "WHERE stream = NEW.stream), 0)\n"
           "BEGIN\n"
           "    SELECT RAISE(ABORT, 'stream version conflict: not the next version of its "
           "stream');\n"
           "END;\n")
Variant = tuple[str, str, str]  # (schema script, insert statement, how rows are passed)


def schema_variants() -> dict[str, Variant]:
    """Name -> (schema script, insert statement, row shape) for the raw SQL breakdown."""
    from eventlab.engines.eventstore.sqlite import (
        _SHORT_SQL,
        APPEND_SQL,
        CREATE_TABLES_SQL,
        append_rows_sql,
    )

    position = CREATE_TABLES_SQL.splitlines()[1]
    trigger = CREATE_TABLES_SQL[CREATE_TABLES_SQL.index("CREATE TRIGGER"):
                                CREATE_TABLES_SQL.index("CREATE TABLE IF NOT EXISTS snapshots")]
    before = CREATE_TABLES_SQL.replace(position, _BEFORE[0]).replace(trigger, _BEFORE[1])
    return {
        "eventlab, as the store does": (CREATE_TABLES_SQL, append_rows_sql(500, True),
                                        "chunks"),  # (fewer rows: append_rows_sql(rows))
        "... executemany, 6 columns": (CREATE_TABLES_SQL, _SHORT_SQL, "six"),
        "... executemany, all 10": (CREATE_TABLES_SQL, APPEND_SQL, "ten"),
        "table before issue 19, 6": (before, _SHORT_SQL, "six"),
        "peer's 4-column table": (_PEER_TABLE, "INSERT INTO stored_events VALUES (?, ?, ?, ?)",
                                  "peer"),
    }


def raw_inserts(n: int = 100_000, rounds: int = 3, synchronous: str = "normal"
                ) -> dict[str, Spread]:
    """Rows per second of each variant (transactions of BATCH rows), taking turns."""
    from eventlab.engines.eventstore.sqlite import append_rows_sql

    events = make_events(n)
    ten = [(f"s-{k // BATCH}", k % BATCH + 1, e.type, 1, e.data_json, e.time, None, None,
            None, None) for k, e in enumerate(events)]
    rows = {"ten": ten, "six": [r[:6] for r in ten],
            "peer": [(r[0], r[1], r[2], r[4].encode()) for r in ten]}
    variants = schema_variants()
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(rounds):
        names = list(variants)[r % len(variants):] + list(variants)[:r % len(variants)]
        for name in names:
            schema, insert, shape = variants[name]
            with tempfile.TemporaryDirectory() as folder:
                conn = sqlite3.connect(Path(folder) / "raw.db", isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
                conn.executescript(schema)
                start = time.perf_counter()
                for k in range(0, n, BATCH):
                    conn.execute("BEGIN IMMEDIATE")
                    if shape == "chunks":  # up to 500 rows per INSERT, parameters flat
                        batch = rows["six"][k:k + BATCH]
                        for c in range(0, len(batch), 500):
                            chunk = batch[c:c + 500]
                            conn.execute(append_rows_sql(len(chunk), True),
                                         [x for row in chunk for x in row])
                    else:
                        conn.executemany(insert, rows[shape][k:k + BATCH])
                    conn.execute("COMMIT")
                seconds[name].append(time.perf_counter() - start)
                conn.close()
    return {name: Spread.of([n / s for s in values]) for name, values in seconds.items()}


def peer_version() -> str | None:
    """The installed eventsourcing version, or None if it is not installed."""
    try:
        return metadata.version("eventsourcing")
    except metadata.PackageNotFoundError:
        return None


def table(comparisons: list[Comparison]) -> list[str]:
    """The comparison as lines of the benchmark table."""
    lines = [f"{'operation':<24} {'sync':<7} {'eventlab ev/s':>14} {'peer ev/s':>11} "
             f"{'eventlab / peer (range)':>24}  target"]
    for c in comparisons:
        target = TARGETS[c.operation]
        verdict = "met" if c.speed.median >= target else "NOT MET"
        lines.append(f"{c.operation:<24} {c.synchronous:<7} {c.ours.median:>14,.0f} "
                     f"{c.peer.median:>11,.0f} {c.speed.show('.2f', '×'):>24}  "
                     f"≥ {target:g}×: {verdict}")
    return lines


def main() -> None:
    """In-memory figures, then the SQLite comparison (N events, ROUNDS rounds)."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"{platform.machine()}\n")
    bench_in_memory(make_events(n))
    version = peer_version()
    if version is None:
        print("\neventsourcing: not installed, comparison skipped (pip install -e .[bench])")
        return
    print(f"\nSQLite, eventlab vs eventsourcing {version} SQLiteApplicationRecorder "
          f"({n:,} events, WAL, median of {rounds} rounds taking turns)")
    for line in table(compare(n, rounds)):
        print(f"  {line}")
    print(f"\nInside SQLite: batched inserts of the same rows, no Python objects "
          f"(synchronous=normal, {min(rounds, 3)} rounds)")
    for name, rate in raw_inserts(n, min(rounds, 3)).items():
        print(f"  {name:<28} {rate.show(',.0f', ' rows/s')}")


if __name__ == "__main__":
    main()
