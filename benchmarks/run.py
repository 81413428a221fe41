"""The benchmark table: how fast the workbook's machinery is on this machine.

    python benchmarks/run.py            (or: python3 tasks.py bench)

It prints, in one run:
1. messages per second through a bare SimPy Store pipe and through eventlab's messaging and
   trace path (a Channel that records every send and delivery), both moving the same pre-made
   messages, and their ratio (target ≤ 3×); then the Channel again with every event made in
   the loop, and with the trace table built at the end;
2. each notebook's default widget re-run: simulate, draw the graph, render the table
   (target ≤ 100 ms);
3. each notebook's execution time in a fresh kernel (target ≤ 10 s);
4. the Kafka model's broker hot path (produce → partition → consumer group → handler) against
   a bare SimPy Store pipe, and one scenario at 10k/100k/1M messages with time and peak memory
   (targets: within 3×; 1M in ≤ 10 s and ≤ 1 GB; linear growth), from eventlab.engines.kafka.bench.
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
from typing import Any

import simpy

from eventlab import World
from eventlab.core.channels import Channel
from eventlab.core.messages import Message
from eventlab.engines.kafka.bench import POOL, bare_pipe, message_pool
from eventlab.scenarios import (
    bank,
    crm,
    fowler,
    merged_store,
    onboarding,
    outbox,
    recap,
    shared_store,
)
from eventlab.scenarios.bank import clerks
from eventlab.scenarios.kafka_transport import groups, ordering
from eventlab.scenarios.retail import choreography
from eventlab.scenarios.retail import orchestration as workflow
from eventlab.scenarios.zeebe import backpressure, cp, jobs, partitions, read_models, single_writer
from eventlab.view.widgets import render

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 100_000


def channel_pipe(n: int, *, create_events: bool = False, build_frame: bool = False) -> float:
    """Seconds for `n` events through a Channel, each send and delivery recorded in the trace.

    The pipe mirrors :func:`eventlab.engines.kafka.bench.bare_pipe` (one publish, then
    ``timeout(1.0)``; a handler counts what arrives) and moves the same pre-made messages, so
    the ratio is the transport's own cost. With `create_events` every message is made by
    ``world.event`` inside the loop instead; with `build_frame` the time also includes turning
    the trace into its DataFrame (done once per run, after the simulation).
    """
    world = World(1)
    pool = message_pool(world)
    channel = Channel(world, "bench")
    inbox = channel.subscribe("consumer")
    env = world.env
    got = [0]

    def handler(_message: Message) -> None:
        got[0] += 1

    def producer():
        publish = channel.publish
        for i in range(n):
            if create_events:
                publish(world.event("OrderPlaced", sender="shop", key=f"order-{i % POOL}",
                                    payload={"item": i % POOL}))
            else:
                publish(pool[i % POOL])
            yield env.timeout(1.0)

    def consumer():
        while True:
            handler((yield inbox.get()))

    start = time.perf_counter()
    env.process(producer())
    env.process(consumer())
    env.run()
    if build_frame:
        world.trace.to_frame()
    elapsed = time.perf_counter() - start
    if got[0] != n:
        raise RuntimeError(f"channel pipe delivered {got[0]} of {n} messages")
    return elapsed


def best_of_alternating(pipes: dict[str, Callable[[], float]], repeats: int = 3
                        ) -> dict[str, float]:
    """Best time of each pipe over `repeats` rounds that run every pipe once, in turn.

    Taking turns spreads the machine's slow moments over all pipes instead of one.
    """
    best = dict.fromkeys(pipes, float("inf"))
    for _ in range(repeats):
        for name, pipe in pipes.items():
            best[name] = min(best[name], pipe())
    return best


# The default widget of each notebook: the run and config its panel starts from. One change of
# a control re-runs the scenario and renders what ``result.panel()`` shows (SVG, PNG, HTML).
WIDGETS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "00_start_here": (fowler.run, fowler.Config()),
    "01_what_is_event_driven": (fowler.run, fowler.Config()),
    "02_persistent_state_vs_change": (bank.run, bank.Config()),
    "02_persistent_state_vs_change (clerks)": (clerks.run, clerks.Config(
        requests=10, amount=300.0, amount_spread=0.5, request_interval=5.0)),
    "03_single_writer_and_replication": (single_writer.run, single_writer.Config()),
    "03_single_writer_and_replication (split and heal)": (cp.run, cp.Config()),
    "04_partitions_and_read_models": (partitions.run, partitions.Config()),
    "04_partitions_and_read_models (read models)": (read_models.run, read_models.Config()),
    "04_partitions_and_read_models (backpressure)": (backpressure.run, backpressure.Config()),
    "04_partitions_and_read_models (job workers)": (jobs.run, jobs.Config()),
    "05_event_store_and_messaging": (outbox.run, outbox.Config()),
    "05_event_store_and_messaging (merged store)": (merged_store.run, merged_store.Config()),
    "05_event_store_and_messaging (shared store)": (shared_store.run, shared_store.Config()),
    "06_kafka_as_transport": (ordering.run, ordering.Config()),
    "06_kafka_as_transport (consumer groups)": (groups.run, groups.Config()),
    "07_notification_vs_state_transfer": (crm.run, crm.Config()),
    "08_commands_vs_events": (onboarding.run, onboarding.Config()),
    "09_event_chains_and_monitoring": (choreography.run,
                                       choreography.Config(tracking=True, orders=40)),
    "10_orchestration_and_balance": (workflow.run, workflow.Config(orders=40)),
    "11_recap": (recap.run, recap.Config(orders=40)),
}


def rerun(name: str) -> None:
    """What the widget called `name` does on each change: simulate, then render its panel."""
    run, config = WIDGETS[name]
    render(run(config).panel())


def widget_times(repeats: int = 15) -> dict[str, float]:
    out = {}
    for name in WIDGETS:
        rerun(name)  # warm up (imports, first dot start)
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            rerun(name)
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
    n = MESSAGES
    best = best_of_alternating({
        "bare": lambda: bare_pipe(n),
        "channel": lambda: channel_pipe(n),
        "created": lambda: channel_pipe(n, create_events=True),
        "table": lambda: channel_pipe(n, create_events=True, build_frame=True),
    })
    bare = best["bare"]
    print(f"\n1. messaging hot path, {n:,} messages (best of 3, taking turns)")
    print(f"   bare SimPy Store pipe                {n / bare:>10,.0f} msg/s")
    print(f"   eventlab Channel, recorded in trace  {n / best['channel']:>10,.0f} msg/s")
    ratio = best["channel"] / bare
    verdict = "ok" if ratio <= 3 else "OVER TARGET"
    print(f"   ratio                                {ratio:>10.2f}×   (target ≤ 3×: {verdict})")
    print(f"   ... making each event in the loop    {n / best['created']:>10,.0f} msg/s "
          f"({best['created'] / bare:.2f}× bare; world.event per message)")
    print(f"   ... plus building the trace table    {n / best['table']:>10,.0f} msg/s "
          f"({best['table'] / bare:.2f}× bare; once per run, after the simulation)")
    print("\n2. default widget re-run (median of 15)")
    for name, seconds in widget_times().items():
        verdict = "ok" if seconds <= 0.1 else "OVER TARGET"
        print(f"   {name:<45} {seconds * 1000:7.1f} ms  (target ≤ 100 ms: {verdict})")
    print("\n3. notebook execution in a fresh kernel")
    for name, seconds in notebook_times().items():
        verdict = "ok" if seconds <= 10 else "OVER TARGET"
        print(f"   {name:<60} {seconds:6.2f} s  (target ≤ 10 s: {verdict})")


def kafka_section() -> None:
    print("\n4. Kafka model: broker hot path and scaling (python -m eventlab.engines.kafka.bench)",
          flush=True)
    done = subprocess.run([sys.executable, "-m", "eventlab.engines.kafka.bench"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    for line in done.stdout.splitlines():
        print(f"   {line}")


if __name__ == "__main__":
    main()
    kafka_section()
