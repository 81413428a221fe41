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
from eventlab.scenarios.retail import choreography
from eventlab.scenarios.retail import orchestration as workflow
from eventlab.scenarios.bank import clerks
from eventlab.scenarios.zeebe import backpressure, jobs, read_models

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


def _show(items: tuple[object, ...]) -> None:
    """Render what an explore panel displays: SVG for graphs, HTML for tables."""
    for item in items:
        svg = getattr(item, "svg", None)
        if svg is not None:
            svg()
        else:
            item.to_html()  # type: ignore[attr-defined]


def rerun_outbox() -> None:
    """Notebook 05's outbox panel: 100 commands with crashes everywhere, graph and summary."""
    _show(outbox.view(outbox.run(outbox.Config())))


def rerun_merged_store() -> None:
    """Notebook 05's merged-store panel: 200 sign-ups against a lagging view."""
    _show(merged_store.view(merged_store.run(merged_store.Config())))


def rerun_shared_store() -> None:
    """Notebook 05's shared-store panel: one year of refactorings."""
    _show(shared_store.view(shared_store.run(shared_store.Config())))


def rerun_ordering() -> None:
    """Notebook 06's ordering panel: 6 orders, 3 partitions, 3 members."""
    from eventlab.scenarios.kafka_transport import ordering

    _show(ordering.view(ordering.run(ordering.Config())))


def rerun_groups() -> None:
    """Notebook 06's consumer-group panel: three phases of scaling, two tables."""
    from eventlab.scenarios.kafka_transport import groups

    _show(groups.view(groups.run(groups.Config())))


def rerun_single_writer() -> None:
    """Notebook 03's locking-vs-single-writer panel: 16 clients, graph and summary."""
    from eventlab.scenarios.zeebe import single_writer, views

    _show(views.summary_view(single_writer.run(single_writer.Config())))


def rerun_cp() -> None:
    """Notebook 03's split-and-heal panel: 5 brokers, 2 cut off."""
    from eventlab.scenarios.zeebe import cp, views

    _show(views.summary_view(cp.run(cp.Config())))


def rerun_partitions() -> None:
    """Notebook 04's partitions panel: 3 brokers, 24 partitions, two tables."""
    from eventlab.scenarios.zeebe import partitions, views

    _show(views.partitions_view(partitions.run(partitions.Config())))


def rerun_zeebe(scenario: Any) -> Callable[[], None]:
    """Notebook 04's other panels: run the default config, draw the graph and the summary."""
    def rerun() -> None:
        from eventlab.scenarios.zeebe import views

        _show(views.summary_view(scenario.run(scenario.Config())))
    return rerun


# The default widget of each notebook: the work one change of a control triggers.
WIDGETS: dict[str, Callable[[], None]] = {
    "00_start_here": rerun_fowler,
    "01_what_is_event_driven": rerun_fowler,
    "02_persistent_state_vs_change": rerun_bank,
    "02_persistent_state_vs_change (clerks)": rerun_clerks,
    "03_single_writer_and_replication": rerun_single_writer,
    "03_single_writer_and_replication (split and heal)": rerun_cp,
    "04_partitions_and_read_models": rerun_partitions,
    "04_partitions_and_read_models (read models)": rerun_zeebe(read_models),
    "04_partitions_and_read_models (backpressure)": rerun_zeebe(backpressure),
    "04_partitions_and_read_models (job workers)": rerun_zeebe(jobs),
    "05_event_store_and_messaging": rerun_outbox,
    "05_event_store_and_messaging (merged store)": rerun_merged_store,
    "05_event_store_and_messaging (shared store)": rerun_shared_store,
    "06_kafka_as_transport": rerun_ordering,
    "06_kafka_as_transport (consumer groups)": rerun_groups,
    # Newer scenario packages carry their panel's re-run as `rerun` (simulate, draw, render).
    "07_notification_vs_state_transfer": crm.rerun,
    "08_commands_vs_events": onboarding.rerun,
    "09_event_chains_and_monitoring": choreography.rerun,
    "10_orchestration_and_balance": workflow.rerun,
    "11_recap": recap.rerun,
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
    done = subprocess.run([sys.executable, "-m", "eventlab.engines.kafka.bench"], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    for line in done.stdout.splitlines():
        print(f"   {line}")


if __name__ == "__main__":
    main()
    kafka_section()
