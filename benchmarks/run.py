"""The benchmark table: how fast the workbook's machinery is on this machine.

    python benchmarks/run.py            (or: python3 tasks.py bench)

It prints, in one run:
1. messages per second through a bare SimPy Store pipe and through eventlab's messaging and
   trace path (a Channel that records every send and delivery), and their ratio (target ≤ 3×);
2. each notebook's default widget re-run: simulate, draw the graph, render the table
   (target ≤ 100 ms);
3. each notebook's execution time in a fresh kernel (target ≤ 10 s);
4. the Kafka model's broker hot path (produce → partition → consumer group → handler) against
   a bare SimPy Store pipe, and one scenario at 10k/100k/1M messages with time and peak memory
   (targets: within 3×; 1M in ≤ 10 s and ≤ 1 GB; linear growth), from eventlab.kafka.bench.
These are measurements, not tests: timings depend on the machine and its load.
"""

from __future__ import annotations

import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import simpy

from eventlab import World, bank, clerks, fowler
from eventlab.channels import Channel

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 100_000


def bare_pipe(n: int) -> float:
    """Seconds to push `n` items through a SimPy Store from one process to another."""
    env = simpy.Environment()
    store = simpy.Store(env)

    def producer():
        for i in range(n):
            yield env.timeout(1)
            store.put(i)

    def consumer():
        for _ in range(n):
            yield store.get()

    start = time.perf_counter()
    env.process(producer())
    env.process(consumer())
    env.run()
    return time.perf_counter() - start


def eventlab_pipe(n: int, *, build_frame: bool = False) -> float:
    """Seconds for `n` events through a Channel, each send and delivery recorded in the trace.

    With `build_frame`, the time also includes turning the trace into its DataFrame (done
    once per run, after the simulation).
    """
    world = World(1)
    channel = Channel(world, "bench")
    inbox = channel.subscribe("consumer")
    env = world.env

    def producer():
        for i in range(n):
            yield env.timeout(1)
            channel.publish(world.event("Ticked", sender="producer", key=f"k{i % 16}",
                                        payload={"n": i}))

    def consumer():
        for _ in range(n):
            yield inbox.get()

    start = time.perf_counter()
    env.process(producer())
    env.process(consumer())
    env.run()
    if build_frame:
        world.trace.to_frame()
    return time.perf_counter() - start


def best_of(fn: Callable[[], float], repeats: int = 3) -> float:
    return min(fn() for _ in range(repeats))


def rerun_fowler() -> None:
    """What the explore panel of notebooks 00 and 01 does on each change."""
    graph, summary = fowler.view(fowler.run(fowler.Config()))
    graph.svg()
    summary.to_html()


def rerun_bank() -> None:
    """What notebook 02's time-travel panel does on each change: 60 days, two tables."""
    moment, before = bank.view(bank.run(bank.Config()))
    moment.to_html()
    before.to_html()


def rerun_clerks() -> None:
    """What notebook 02's clerks panel does on each change (its busy morning)."""
    busy = clerks.Config(requests=10, amount=300.0, amount_spread=0.5, request_interval=5.0)
    graph, summary = clerks.view(clerks.run(busy))
    graph.svg()
    summary.to_html()


# The default widget of each notebook: the work one change of a control triggers.
WIDGETS: dict[str, Callable[[], None]] = {
    "00_start_here": rerun_fowler,
    "01_what_is_event_driven": rerun_fowler,
    "02_persistent_state_vs_change": rerun_bank,
    "02_persistent_state_vs_change (clerks)": rerun_clerks,
}


def widget_times(repeats: int = 15) -> dict[str, float]:
    out = {}
    for name, rerun in WIDGETS.items():
        rerun()  # warm up (imports, first dot start)
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            rerun()
            samples.append(time.perf_counter() - start)
        out[name] = statistics.median(samples)
    return out


def notebook_times() -> dict[str, float]:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "run_notebooks.py"), "--no-write"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    times = {}
    for line in done.stdout.splitlines():
        match = re.match(r"ok\s+([\d.]+) s\s+(\S+)", line)
        if match:
            times[match.group(2)] = float(match.group(1))
    return times


def main() -> None:
    print(f"machine: {platform.machine()}, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}, SimPy {simpy.__version__}")
    bare = best_of(lambda: bare_pipe(MESSAGES))
    ours = best_of(lambda: eventlab_pipe(MESSAGES))
    whole = best_of(lambda: eventlab_pipe(MESSAGES, build_frame=True))
    print(f"\n1. messaging hot path, {MESSAGES:,} messages (best of 3)")
    print(f"   bare SimPy Store pipe                {MESSAGES / bare:>10,.0f} msg/s")
    print(f"   eventlab Channel, recorded in trace  {MESSAGES / ours:>10,.0f} msg/s")
    verdict = "ok" if ours / bare <= 3 else "OVER TARGET"
    print(f"   ratio                                {ours / bare:>10.2f}×   "
          f"(target ≤ 3×: {verdict})")
    print(f"   ... plus building the trace table    {MESSAGES / whole:>10,.0f} msg/s "
          f"({whole / bare:.2f}× bare; once per run, after the simulation)")
    print("\n2. default widget re-run (median of 15)")
    for name, seconds in widget_times().items():
        verdict = "ok" if seconds <= 0.1 else "OVER TARGET"
        print(f"   {name:<45} {seconds * 1000:7.1f} ms  (target ≤ 100 ms: {verdict})")
    print("\n3. notebook execution in a fresh kernel")
    for name, seconds in notebook_times().items():
        verdict = "ok" if seconds <= 10 else "OVER TARGET"
        print(f"   {name:<60} {seconds:6.2f} s  (target ≤ 10 s: {verdict})")


def kafka_section() -> None:
    print("\n4. Kafka model: broker hot path and scaling (python -m eventlab.kafka.bench)",
          flush=True)
    done = subprocess.run([sys.executable, "-m", "eventlab.kafka.bench"], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    for line in done.stdout.splitlines():
        print(f"   {line}")


if __name__ == "__main__":
    main()
    kafka_section()
