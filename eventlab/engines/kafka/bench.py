"""Benchmark: the Kafka model's hot path against a bare SimPy ``Store`` pipe, in the same run.

Both pipes move `n` messages from one producer process (one send, then ``timeout(1.0)``) to one
handler that counts them. The bare pipe is ``store.put(message)`` / ``yield store.get()``. The
Kafka pipe is the full model with its normal trace recording: ``Producer.send`` (partitioner,
idempotent ``acks=all`` request) → leader append (a ``send`` row) → high watermark → one
consumer-group member polling batches (a ``deliver`` row per record) → handler, with
auto-commit. The topic has 3 partitions on a 3-broker cluster with replication factor 1 (so no
follower fetch timers), and the member long-polls (``fetch_min_records=100``,
``fetch_max_wait=100``): fetching in batches is what Kafka consumers do. Messages come from a
pool of 100 made before the clock starts, the same pool for both pipes.

    python -m eventlab.engines.kafka.bench     # ratio, then 10k / 100k / 1M in fresh processes

The ratio comes from rounds in which the two pipes take turns (who goes first alternates), so
both meet the same moments of a machine whose speed drifts. Each row of the table runs each
pipe in its own interpreter (after a 1000-message warm-up of the same pipe), so the peak
memory shown is that run's own.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from collections.abc import Generator
from typing import Any

import simpy

from eventlab.core.budget import budget
from eventlab.core.errors import check_int
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.engines.kafka.broker import Cluster
from eventlab.engines.kafka.group import ConsumerGroup
from eventlab.engines.kafka.log import Record
from eventlab.engines.kafka.producer import Producer

POOL = 100
SIZES = (10_000, 100_000, 1_000_000)
WARM_UP = 1000
MAX_N = 10_000_000
TOPIC = "orders"
BENCH_SECONDS = 3600.0  # the run budget inside a benchmark process (see main)
BENCH_MEGABYTES = 16_000.0


def message_pool(world: World) -> list[Message]:
    """The messages every pipe moves, made before its clock starts (keys order-0..order-99)."""
    return [world.event("OrderPlaced", sender="shop", key=f"order-{i}", payload={"item": i})
            for i in range(POOL)]


def bare_pipe(n: int) -> float:
    """Seconds to move `n` messages through a bare SimPy Store (producer, store, consumer)."""
    check_int("n", n, low=1, high=MAX_N)
    world = World(1)
    pool = message_pool(world)
    got = [0]

    def handler(_message: Message) -> None:
        got[0] += 1

    start = time.perf_counter()
    env = world.env
    store = simpy.Store(env)

    def produce() -> Generator[simpy.Event, Any, None]:
        for i in range(n):
            store.put(pool[i % POOL])
            yield env.timeout(1.0)

    def consume() -> Generator[simpy.Event, Any, None]:
        while True:
            handler((yield store.get()))

    env.process(produce())
    env.process(consume())
    env.run()
    elapsed = time.perf_counter() - start
    if got[0] != n:
        raise RuntimeError(f"bare pipe delivered {got[0]} of {n} messages")
    return elapsed


def kafka_pipe(n: int) -> float:
    """Seconds to move `n` messages through producer → partitions → consumer group → handler."""
    check_int("n", n, low=1, high=MAX_N)
    world = World(1)
    pool = message_pool(world)
    got = [0]

    def handler(_record: Record) -> None:
        got[0] += 1

    start = time.perf_counter()
    env = world.env
    cluster = Cluster(world, brokers=3)
    cluster.create_topic(TOPIC, partitions=3, replication_factor=1)
    producer = Producer(cluster, "shop")
    group = ConsumerGroup(cluster, "billing", TOPIC, auto_offset_reset="earliest")
    group.join("billing-1", handler, fetch_min_records=100, fetch_max_wait=100.0)

    def produce() -> Generator[simpy.Event, Any, None]:
        send = producer.send
        for i in range(n):
            send(TOPIC, pool[i % POOL])
            yield env.timeout(1.0)

    env.process(produce())
    env.run()
    elapsed = time.perf_counter() - start
    if got[0] != n or len(producer.acknowledged) != n:
        raise RuntimeError(f"kafka pipe delivered {got[0]} and acknowledged "
                           f"{len(producer.acknowledged)} of {n} messages")
    if len(world.trace) < 2 * n:
        raise RuntimeError("kafka pipe recorded fewer than a send and a deliver row per message")
    return elapsed


def rounds(n: int = 100_000, count: int = 5) -> list[tuple[float, float]]:
    """(bare seconds, kafka seconds) of `count` rounds; the pipes take turns within a round,
    and which goes first alternates, so both meet the same moments of the machine.

    After each pipe's clock stops, its garbage is collected (:func:`tidy`): the bare pipe's
    objects go as soon as it returns, but the Kafka model's world (cluster, topics, consumers)
    refers to itself, so without this the next round's Kafka run would pay for freeing the
    previous run's 100,000 records in one of its own collections.
    """
    check_int("count", count, low=1, high=50)
    out = []
    for r in range(count):
        if r % 2 == 0:
            bare = tidy(bare_pipe(n))
            kafka = tidy(kafka_pipe(n))
        else:
            kafka = tidy(kafka_pipe(n))
            bare = tidy(bare_pipe(n))
        out.append((bare, kafka))
    return out


def tidy(seconds: float) -> float:
    """Collect the garbage a pipe left (after its clock stopped); return its seconds."""
    gc.collect()
    return seconds


def ratio(n: int = 100_000, repeats: int = 5) -> tuple[float, float, float]:
    """(bare seconds, kafka seconds, kafka / bare): the round with the median ratio."""
    measured = sorted(rounds(n, repeats), key=lambda r: r[1] / r[0])
    bare, kafka = measured[len(measured) // 2]
    return bare, kafka, kafka / bare


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (NaN where the platform cannot tell).

    On Linux it is VmHWM, the high-water mark of this program's own memory: getrusage's
    maxrss of a process started by a big parent keeps the parent's size from the fork.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10  # kB
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes vs KiB


class GcClock:
    """Seconds the garbage collector spent in collections while it is installed (a profile of
    the one cost that grows with everything a long run keeps: records and trace rows)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self._tick)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._tick)

    def _tick(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start


def one(pipe: str, n: int) -> tuple[float, float, float]:
    """Run one pipe in a fresh interpreter: (seconds, peak MB, seconds of them in the GC)."""
    out = subprocess.run([sys.executable, "-m", "eventlab.engines.kafka.bench", "--one", pipe,
                          str(n)], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


Scaled = tuple[float, float, float, float, float]  # bare s, bare MB, kafka s, kafka MB, kafka GC s


def scaling(sizes: tuple[int, ...] = SIZES, count: int = 3) -> dict[int, list[Scaled]]:
    """Per size, `count` rounds of (bare s, bare peak MB, kafka s, kafka peak MB, kafka GC s),
    each pipe in a fresh interpreter, taking turns (which goes first alternates)."""
    out: dict[int, list[Scaled]] = {n: [] for n in sizes}
    for r in range(count):
        for n in sizes:
            if r % 2 == 0:
                bare, bare_mb, _ = one("bare", n)
                kafka, kafka_mb, kafka_gc = one("kafka", n)
            else:
                kafka, kafka_mb, kafka_gc = one("kafka", n)
                bare, bare_mb, _ = one("bare", n)
            out[n].append((bare, bare_mb, kafka, kafka_mb, kafka_gc))
    return out


def fresh_rounds(n: int = 100_000, count: int = 5) -> list[tuple[float, float]]:
    """:func:`rounds` in a fresh interpreter that loaded only the Kafka model: what the model
    costs, not what else a process holds (a bigger heap makes each full garbage collection,
    and so the side that keeps a million records, slower)."""
    out = subprocess.run([sys.executable, "-m", "eventlab.engines.kafka.bench", "--rounds",
                          str(n), str(count)], capture_output=True, text=True,
                         check=True).stdout.split()
    return [(float(out[i]), float(out[i + 1])) for i in range(0, len(out), 2)]


def main(argv: list[str]) -> None:
    """Print the ratio and the 10k/100k/1M table (``--one PIPE N`` runs a single pipe,
    ``--rounds N COUNT`` prints the seconds of each round's bare and kafka pipe)."""
    if argv[:1] == ["--rounds"]:
        tidy(bare_pipe(WARM_UP))
        tidy(kafka_pipe(WARM_UP))
        with budget(seconds=BENCH_SECONDS, megabytes=BENCH_MEGABYTES):
            measured = rounds(int(argv[1]), int(argv[2]))
        for bare, kafka in measured:
            print(f"{bare:.4f} {kafka:.4f}")
        return
    if argv[:1] == ["--one"]:
        pipe = {"bare": bare_pipe, "kafka": kafka_pipe}[argv[1]]
        tidy(pipe(WARM_UP))  # a fresh interpreter runs its first thousand messages slowly
        # The run budget protects a learner's kernel; a 1M-message run on a busy machine
        # may take longer than it allows, and the benchmark is there to time it anyway.
        with budget(seconds=BENCH_SECONDS, megabytes=BENCH_MEGABYTES), GcClock() as clock:
            seconds = pipe(int(argv[2]))
        print(f"{seconds:.4f} {peak_rss_mb():.1f} {clock.seconds:.4f}")
        return
    measured = fresh_rounds()
    factors = sorted(k / b for b, k in measured)
    print(f"100k messages, {len(measured)} rounds taking turns: Kafka model / bare SimPy Store "
          f"median {factors[len(factors) // 2]:.2f}x (range {factors[0]:.2f}-{factors[-1]:.2f})")
    print(f"{'messages':>10} {'bare s':>8} {'kafka s':>8} {'ratio':>6} {'kafka msgs/s':>13} "
          f"{'kafka peak MB':>14}  (medians of rounds, fresh processes)")
    for n, runs in scaling().items():
        bare_s = sorted(r[0] for r in runs)[len(runs) // 2]
        kafka_s = sorted(r[2] for r in runs)[len(runs) // 2]
        peak = max(r[3] for r in runs)
        print(f"{n:>10,} {bare_s:>8.2f} {kafka_s:>8.2f} {kafka_s / bare_s:>6.2f} "
              f"{n / kafka_s:>13,.0f} {peak:>14.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
