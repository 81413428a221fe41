"""Benchmark: each Zeebe scenario's default widget re-run (simulate, graph, summary).

    python benchmarks/zeebe_bench.py

Prints the best of five runs per scenario in milliseconds of CPU time (target ≤ 50 ms, so a
widget re-run stays ≤ 100 ms) and the trace size. Measurements, not tests: they depend on the
machine and its load.
"""

from __future__ import annotations

import time

from eventlab.scenarios.zeebe import (
    backpressure,
    cp,
    jobs,
    partitions,
    read_models,
    replication,
    single_writer,
)

SCENARIOS = (single_writer, replication, cp, partitions, read_models, backpressure, jobs)
REPEATS = 5


def main() -> None:
    print(f"{'scenario':16s} {'run+graph (ms)':>15s} {'trace rows':>11s}")
    for scenario in SCENARIOS:
        scenario.run()  # warm up imports and caches
        best, rows = float("inf"), 0
        for _ in range(REPEATS):
            start = time.process_time()
            result = scenario.run()
            result.graph()
            result.summary()
            best = min(best, time.process_time() - start)
            rows = len(result.trace)
        name = scenario.__name__.rsplit(".", 1)[-1]
        print(f"{name:16s} {best * 1000:15.1f} {rows:11d}")


if __name__ == "__main__":
    main()
