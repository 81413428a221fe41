"""Pause Python's cyclic garbage collector while the store builds a page of events.

Reading or appending builds several container objects per event (the row, the decoded data,
its read-only view, the :class:`~eventlab.engines.eventstore.upcasting.StoredEvent`). Every
700 such allocations start a collection, every tenth of those a larger one, and every so
often a *full* collection walks every object the process holds, which for a caller keeping
what it read grows with every page. Pausing the collector saved a quarter of the time of
reading 100 streams of 1,000 events, two fifths of reading those 100,000 events in global
order, and 3 % of appending them (``benchmarks/eventstore_bench.py``'s workload, CPU time).
Event records cannot form reference cycles (JSON data has none, and nothing in them points
back), so the collector has nothing to find in them; paused for the page, it looks at the new
objects once, at its next run.

Pauses nest and may overlap across threads: the collector runs again when the last pause
ends, and only if it was running when the first began.
"""

from __future__ import annotations

import gc
import threading
from types import TracebackType


class _Pause:
    """The context manager behind :data:`collector_paused` (a class: a generator-based one
    costs a microsecond more, which a one-event append would notice)."""

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


# ``with collector_paused: ...`` runs the block without cyclic garbage collections.
collector_paused = _Pause()
