"""The benchmark table: how fast the workbook's machinery is on this machine.

    python benchmarks/run.py            (or: python3 tasks.py bench, which installs the peers)
    python benchmarks/run.py --no-docs  (print only; do not rewrite docs/benchmarks.md)

It prints, in one run, each figure next to its peer or baseline measured in the same run:
1. the messaging hot path: a bare SimPy Store pipe and eventlab's Channel (every send and
   delivery recorded in the trace) moving the same pre-made messages (target ≤ 3×);
2. the Kafka model's hot path (produce → partition → consumer group → handler) against a bare
   SimPy Store pipe at 100k messages (target ≤ 1.3×), and 10k/100k/1M messages in fresh
   processes with peak memory and the garbage collector's share (targets: 1M in ≤ 5 s and
   ≤ 500 MB, linear growth);
3. eventlab's SQLite event store against pyeventsourcing's SQLite recorder, at two durability
   settings (targets: ≥ 1.2× on batched appends, ≥ 1.0× otherwise), and where a batched
   append's time goes inside SQLite;
4. notebook 05's headline comparison over 20 seeds on 1 and 2 workers and on Dask
   (target ≤ 10 s);
5. each notebook's default widget re-run, 30 times: simulate, then render its panel
   (target: 95th percentile ≤ 100 ms);
6. each notebook's execution time in a fresh kernel (target ≤ 10 s).
Contenders take turns within a round (benchmarks/measure.py), and a figure is the median of the
rounds with their range. The table is then written to docs/benchmarks.md with the machine and
the date, above the notes kept there by hand. These are measurements, not tests.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eventstore_bench
import replications_bench
from measure import Spread, percentile, ratios, take_turns

from eventlab import World
from eventlab.core.channels import Channel
from eventlab.core.messages import Message
from eventlab.engines.kafka import bench as kafka_bench
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
from eventlab.scenarios.kafka_transport import groups, ordering, rebalances
from eventlab.scenarios.retail import choreography
from eventlab.scenarios.retail import orchestration as workflow
from eventlab.scenarios.zeebe import backpressure, cp, jobs, partitions, read_models, single_writer
from eventlab.view.widgets import render, settle

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
    "06_kafka_as_transport (rebalances)": (rebalances.run, rebalances.Config()),
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


def widget_times(repeats: int = 30) -> dict[str, list[float]]:
    """Seconds of `repeats` re-runs of every widget, after one warm-up (imports, first dot)."""
    out = {}
    for name in WIDGETS:
        rerun(name)
        settle()  # as every panel does after its first run (the first one in a kernel acts)
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            rerun(name)
            samples.append(time.perf_counter() - start)
        out[name] = samples
    return out


NOTEBOOK_TIMEOUT = 180  # seconds; a kernel that never answers must not stop the table


def notebook_times() -> dict[str, float | str]:
    """Seconds per notebook, each run by tools/run_notebooks.py in its own process and fresh
    kernel; a notebook that fails or hangs gets the reason instead, and the others still run."""
    sys.path.insert(0, str(ROOT / "tools"))
    from run_notebooks import notebook_paths

    times: dict[str, float | str] = {}
    for path in notebook_paths([]):
        name = str(path.relative_to(ROOT))
        try:
            done = subprocess.run([sys.executable, str(ROOT / "tools" / "run_notebooks.py"),
                                   "--no-write", str(path)], capture_output=True, text=True,
                                  cwd=ROOT, timeout=NOTEBOOK_TIMEOUT)
        except subprocess.TimeoutExpired:
            times[name] = f"no answer within {NOTEBOOK_TIMEOUT} s"
            continue
        match = re.search(r"ok\s+([\d.]+) s", done.stdout)
        if done.returncode == 0 and match:
            times[name] = float(match.group(1))
        else:
            lines = (done.stdout + done.stderr).strip().splitlines()
            times[name] = f"failed: {lines[-1] if lines else done.returncode}"
    return times


LINES: list[str] = []  # what this run printed, for docs/benchmarks.md


def say(line: str = "") -> None:
    """Print a line of the table (at once: the whole run takes minutes) and keep it."""
    print(line, flush=True)
    LINES.append(line)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def messaging(n: int = MESSAGES, rounds: int = 5) -> None:
    seconds = take_turns({
        "bare": lambda: bare_pipe(n),
        "channel": lambda: channel_pipe(n),
        "created": lambda: channel_pipe(n, create_events=True),
        "table": lambda: channel_pipe(n, create_events=True, build_frame=True),
    }, rounds)
    bare = seconds["bare"]
    rate = Spread.of([n / s for s in bare])
    say(f"\n1. messaging hot path, {n:,} messages ({rounds} rounds taking turns; median (range))")
    say(f"   bare SimPy Store pipe                {rate.median:>10,.0f} msg/s")
    channel = ratios(seconds["channel"], bare)
    channel_rate = n / statistics.median(seconds["channel"])
    say(f"   eventlab Channel, recorded in trace  {channel_rate:>10,.0f} msg/s  "
        f"{channel.show('.2f', '×')} bare  (target ≤ 3×: {verdict(channel.median <= 3)})")
    say(f"   ... making each event in the loop    "
        f"{n / statistics.median(seconds['created']):>10,.0f} msg/s  "
        f"{ratios(seconds['created'], bare).show('.2f', '×')} bare (world.event per message)")
    say(f"   ... plus building the trace table    "
        f"{n / statistics.median(seconds['table']):>10,.0f} msg/s  "
        f"{ratios(seconds['table'], bare).show('.2f', '×')} bare (once per run, afterwards)")


def widgets(repeats: int = 30) -> None:
    say(f"\n5. default widget re-run: simulate and render the panel, {repeats} re-runs "
        f"(target: 95th percentile ≤ 100 ms)")
    say(f"   {'widget':<50} {'median':>8} {'p95':>8}")
    for name, samples in widget_times(repeats).items():
        p95 = percentile(samples, 95)
        say(f"   {name:<50} {statistics.median(samples) * 1000:6.1f} ms {p95 * 1000:6.1f} ms  "
            f"{verdict(p95 <= 0.1)}")


def notebooks() -> None:
    say("\n6. notebook execution in a fresh kernel (target ≤ 10 s)")
    for name, seconds in notebook_times().items():
        if isinstance(seconds, str):
            say(f"   {name:<66} {seconds}")
        else:
            say(f"   {name:<66} {seconds:6.2f} s  {verdict(seconds <= 10)}")


def kafka(rounds: int = 5, scaling_rounds: int = 3) -> None:
    say("\n2. Kafka model hot path (eventlab.engines.kafka.bench): produce → partition → "
        "consumer group → handler, against a bare SimPy Store pipe")
    measured = kafka_bench.fresh_rounds(100_000, rounds)
    factor = Spread.of([k / b for b, k in measured])
    say(f"   100k messages, {rounds} rounds taking turns in a fresh process: "
        f"{factor.show('.2f', '×')} bare  (target ≤ 1.3×: {verdict(factor.median <= 1.3)})")
    say(f"   {'messages':>10} {'bare s':>8} {'kafka s':>8} {'ratio':>6} {'µs/msg':>7} "
        f"{'of it GC':>9} {'peak MB':>8}   (fresh processes, medians of {scaling_rounds} "
        f"rounds; peak: the highest)")
    table = kafka_bench.scaling(count=scaling_rounds)
    for n, runs in table.items():
        bare_s = statistics.median(r[0] for r in runs)
        kafka_s = statistics.median(r[2] for r in runs)
        gc_share = statistics.median(r[4] / r[2] for r in runs)
        peak = max(r[3] for r in runs)
        say(f"   {n:>10,} {bare_s:>8.2f} {kafka_s:>8.2f} {kafka_s / bare_s:>6.2f} "
            f"{kafka_s / n * 1e6:>7.2f} {gc_share:>8.0%} {peak:>8.0f}")
    million = table.get(1_000_000)
    if million:
        seconds = statistics.median(r[2] for r in million)
        peak = max(r[3] for r in million)
        say(f"   1M messages: {seconds:.2f} s (target ≤ 5 s: {verdict(seconds <= 5)}), "
            f"{peak:.0f} MB peak (target ≤ 500 MB: {verdict(peak <= 500)})")


def event_store(n: int = 100_000, rounds: int = 5) -> None:
    version = eventstore_bench.peer_version()
    say("\n3. SQLite event store: eventlab vs pyeventsourcing's SQLite recorder "
        "(benchmarks/eventstore_bench.py)")
    if version is None:
        say("   eventsourcing is not installed: skipped (python3 tasks.py bench installs it)")
        return
    say(f"   eventsourcing {version}, {n:,} events, both WAL, synchronous as shown (full is this "
        f"SQLite's default); {rounds} rounds taking turns")
    for line in eventstore_bench.table(eventstore_bench.compare(n, rounds)):
        say(f"   {line}")
    say("   inside SQLite, batched inserts of the same rows (synchronous=normal):")
    for name, rate in eventstore_bench.raw_inserts(n, 3).items():
        say(f"     {name:<28} {rate.show(',.0f', ' rows/s')}")


def replications(seeds: int = 20, rounds: int = 3) -> None:
    variants = len(replications_bench.outbox.VARIANTS)
    say(f"\n4. replications: notebook 05's headline comparison, {variants} outbox variants × "
        f"{seeds} seeds and the paired difference (benchmarks/replications_bench.py)")
    for line in replications_bench.table(replications_bench.measure(seeds, rounds)):
        say(f"   {line}")


def machine() -> str:
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, SimPy {simpy.__version__}")


DOCS = ROOT / "docs" / "benchmarks.md"
NOTES = "## Notes"


def write_docs(lines: list[str], today: datetime.date) -> None:
    """Rewrite docs/benchmarks.md: the machine, the date and the table, then the kept notes."""
    kept = ""
    if DOCS.exists():
        text = DOCS.read_text(encoding="utf-8")
        if NOTES in text:
            kept = text[text.index(NOTES):]
    intro = textwrap.fill(
        f"Printed by `python3 tasks.py bench` (`benchmarks/run.py`) on {today.isoformat()}, on "
        "the machine named in its first line. Timings depend on the machine and its load; "
        "contenders take turns within each round and every figure is the median of the rounds "
        "with their range in brackets, so a comparison is made at one moment of the machine. "
        "The event store's own script is `benchmarks/eventstore_bench.py`, the replications' "
        "`benchmarks/replications_bench.py`, the Zeebe-like cluster's "
        "`benchmarks/zeebe_bench.py`.", width=96)
    head = f"# Benchmarks\n\n{intro}\n\n```\n"
    DOCS.write_text(head + "\n".join(lines).strip("\n") + "\n```\n\n" + kept,
                    encoding="utf-8")


def main(argv: list[str]) -> None:
    say(machine())
    # widgets after the others: its panels settle (gc.freeze) this process, as in a kernel;
    # notebooks last: the longest section, and it starts its own kernels.
    for section in (messaging, kafka, event_store, replications, widgets, notebooks):
        try:
            section()
        except Exception as err:  # one broken section must not cost the others' figures
            say(f"   {section.__name__}: stopped by {type(err).__name__}: {err}")
    if "--no-docs" not in argv:
        write_docs(LINES, datetime.date.today())
        print(f"\nwritten to {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
