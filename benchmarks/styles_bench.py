"""Benchmark: the fair fight of notebook 11, both styles over 20 seeds, everything included.

    python benchmarks/styles_bench.py [SEEDS] [ORDERS]       (default 20 seeds, 40 orders)

Times, in one fresh process, what a learner's cell pays: importing the scenario, running both
styles over the same seeds (``styles.compare_styles``, in this process), and building the
scorecard, one interval chart per metric and the verdict sentences. Prints wall-clock and
CPU seconds per part; CPU time is what an idle 2-core laptop would take, wall time also shows
how busy the machine was (its load average is printed too).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace


def measure(seeds: int = 20, orders: int = 40) -> dict[str, tuple[float, float]]:
    """Part -> (wall seconds, CPU seconds)."""
    parts: dict[str, tuple[float, float]] = {}
    wall, cpu = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal wall, cpu
        now_wall, now_cpu = time.perf_counter(), time.process_time()
        parts[name] = (now_wall - wall, now_cpu - cpu)
        wall, cpu = now_wall, now_cpu

    from eventlab.scenarios import styles

    lap("import")
    cmp = styles.compare_styles(replace(styles.Config(), orders=orders), seeds=seeds)
    lap(f"both styles x {seeds} seeds")
    styles.scorecard(cmp)
    charts = styles.charts(cmp)
    styles.verdicts(cmp)
    lap(f"scorecard, {len(charts)} charts, verdicts")
    parts["total"] = (sum(w for w, _ in parts.values()), sum(c for _, c in parts.values()))
    return parts


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    orders = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    parts = measure(seeds, orders)
    print(f"styles: {orders} orders per day, load average {os.getloadavg()[0]:.1f}")
    for name, (wall, cpu) in parts.items():
        print(f"  {name:<40} {wall:6.2f} s wall {cpu:6.2f} s CPU")


if __name__ == "__main__":
    main()
