"""Benchmark: a notebook's headline comparison over 20 seeds, on 1 and 2 workers and on Dask.

    python benchmarks/replications_bench.py [SEEDS] [ROUNDS]     (default 20 seeds, 3 rounds)

The comparison is notebook 05's: every variant of the outbox scenario (dual write in either
order, outbox, outbox with inbox, outbox with a mail idempotency key) replicated over the same
seeds with
``eventlab.core.replications.replicate``, and the paired difference of lost events between
dual write and outbox. It runs in this process (``n_jobs=1``), on two joblib (loky) workers,
and on a Dask ``LocalCluster`` of two single-threaded worker processes through joblib's Dask
backend (``replicate(..., backend="dask")``; needs the ``cluster`` extra). Starting the
workers is timed on its own (a notebook pays it once); the rounds then take turns with the
workers running, and the speed-up is the per-round ratio to the one-worker time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Spread, ratios, take_turns

from eventlab.core.replications import difference, replicate
from eventlab.scenarios import outbox

SEEDS = 20
TARGET_SECONDS = 10.0


def headline(seeds: int = SEEDS, n_jobs: int = 1, backend: str | None = None) -> float:
    """Seconds for notebook 05's headline comparison: every variant over `seeds` seeds."""
    start = time.perf_counter()
    config = outbox.Config()
    reps = {variant: replicate(outbox.run, replace(config, variant=variant), seeds=seeds,
                               n_jobs=n_jobs, backend=backend)
            for variant in outbox.VARIANTS}
    difference(reps["commit_then_publish"], reps["outbox"], "lost events")
    return time.perf_counter() - start


def dask_cluster(workers: int = 2) -> AbstractContextManager[Any]:
    """A Dask LocalCluster with a client (its context closes both), or None if not installed."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return nullcontext(None)

    class Running:
        def __enter__(self) -> Any:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None)
            self.client = Client(self.cluster)
            return self.client

        def __exit__(self, *_exc: object) -> None:
            self.client.close()
            self.cluster.close()

    return Running()


@dataclass(frozen=True)
class Result:
    """Seconds per way of running (median and range of rounds) and the speed-ups."""

    seeds: int
    start_up: dict[str, float]  # first call (starts the workers), seconds
    seconds: dict[str, Spread]
    speed_up: dict[str, Spread]  # one worker / this, round by round


def measure(seeds: int = SEEDS, rounds: int = 3) -> Result:
    """Time the headline comparison serially, on 2 loky workers and on Dask, taking turns."""
    ways: dict[str, Callable[[], float]] = {
        "1 worker (in process)": lambda: headline(seeds, n_jobs=1),
        "2 workers (joblib, loky)": lambda: headline(seeds, n_jobs=2),
    }
    start_up = {name: run() for name, run in ways.items()}  # the first call starts the pool
    with dask_cluster() as client:
        if client is not None:
            name = "2 workers (Dask LocalCluster)"
            start = time.perf_counter()
            ways[name] = lambda: headline(seeds, n_jobs=-1, backend="dask")
            start_up[name] = ways[name]() + time.perf_counter() - start
        seconds = take_turns(ways, rounds)
    serial = seconds["1 worker (in process)"]
    return Result(seeds, start_up, {name: Spread.of(s) for name, s in seconds.items()},
                  {name: ratios(serial, s) for name, s in seconds.items()})


def table(result: Result) -> list[str]:
    """The result as lines of the benchmark table."""
    lines = [f"{'how':<32} {'seconds (range)':>20} {'first call':>11} {'speed-up':>18}"
             f"  target ≤ {TARGET_SECONDS:g} s"]
    for name, spread in result.seconds.items():
        verdict = "met" if spread.median <= TARGET_SECONDS else "NOT MET"
        lines.append(f"{name:<32} {spread.show('.2f', ' s'):>20} "
                     f"{result.start_up[name]:>9.2f} s {result.speed_up[name].show('.2f', '×'):>18}"
                     f"  {verdict}")
    if len(result.seconds) < 3:
        lines.append("Dask: not installed, skipped (pip install -e .[cluster])")
    return lines


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else SEEDS
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    variants = len(outbox.VARIANTS)
    print(f"notebook 05's headline comparison: {variants} outbox variants × {seeds} seeds "
          f"({variants * seeds} runs) and the paired difference of lost events")
    for line in table(measure(seeds, rounds)):
        print(f"  {line}")


if __name__ == "__main__":
    main()
