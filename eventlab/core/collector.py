"""How eventlab works with Python's cyclic garbage collector, where it measurably costs time.

CPython's collector runs after every 700 net new container objects, every tenth of those runs
looks further, and every so often a *full* collection visits every object the process holds.
Simulations and event-store reads break the rule its generations bet on (most objects die
young): a run keeps its records and trace rows until it ends, and a caller keeps the events
it read. So full collections visit the same surviving objects again and again, finding
nothing. Two tools, both for a block of code, both nesting and safe across threads (the
collector's settings come back when the last block that changed them ends):

* :data:`collector_paused` turns the collector off while the event store builds a page of
  events. Event records cannot form reference cycles (JSON data has none, and nothing in them
  points back), so the collector has nothing to find in them; paused, it looks at the new
  objects once, at its next run. This saved a quarter of the time of reading 100 streams of
  1,000 events, two fifths of reading those 100,000 events in global order, and 3 % of
  appending them (``benchmarks/eventstore_bench.py``'s workload, CPU time).
* :data:`fewer_collections` collects the young generation after 2,000 new objects instead of
  700 while a simulation runs (:class:`eventlab.core.budget.Environment`), as Python 3.13
  does by default: garbage cycles still go soon, but a long run's survivors are visited
  about a third as often. A 1M-message Kafka run spent half as long in the collector (1.2 s
  of CPU time before, 0.6 s after).
"""

from __future__ import annotations

import gc
import threading
from types import TracebackType

YOUNG = 2_000  # net new container objects before the young generation is collected (3.13's)


class _Pause:
    """The context manager behind :data:`collector_paused` (a class: a generator-based one
    costs a microsecond more, which a one-event append would notice). The collector is off
    while any pause is in progress, and on again after the last one if it was on before the
    first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pauses = 0  # pauses in progress, in every thread
        self._resume = False  # whether the collector ran when the first of them began

    def __enter__(self) -> None:
        with self._lock:
            if self._pauses == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._pauses += 1

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        with self._lock:
            self._pauses -= 1
            if self._pauses == 0 and self._resume:
                gc.enable()


class _Fewer:
    """The context manager behind :data:`fewer_collections`: the thresholds in force when the
    first block began come back when the last one ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0  # blocks in progress, in every thread
        self._saved = gc.get_threshold()

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._saved = gc.get_threshold()
                if self._saved[0] < YOUNG:
                    gc.set_threshold(YOUNG, *self._saved[1:])
            self._depth += 1

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                gc.set_threshold(*self._saved)


# ``with collector_paused: ...`` runs the block without cyclic garbage collections.
collector_paused = _Pause()
# ``with fewer_collections: ...`` collects the young generation after YOUNG new objects.
fewer_collections = _Fewer()
