"""Job workers: competing consumers with lock timeouts, so delivery is at-least-once.

A :class:`JobStore` holds a partition's jobs and their state machine (WF-6):

    ACTIVATABLE --activate--> ACTIVATED --complete--> COMPLETED
                                  |--lock timed out--> ACTIVATABLE (another worker may take it)
                                  |--fail, retries left--> ACTIVATABLE
                                  '--fail, no retries--> INCIDENT

Workers pull activatable jobs in turn (the first idle worker gets the next job). Each
activation locks the job for `lock_timeout` ms; a ``CompleteJob`` from a worker whose lock
has expired is rejected. A worker that crashes after its side effect but before completing
leaves the job to time out, and the next worker repeats the side effect: a duplicate, unless
the :class:`SideEffects` target is idempotent (it remembers job keys it has seen).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from eventlab.core.errors import ConfigError, check_bool, check_float, check_int, check_text
from eventlab.core.world import World

ACTIVATABLE, ACTIVATED, COMPLETED, INCIDENT = "ACTIVATABLE", "ACTIVATED", "COMPLETED", "INCIDENT"
LEGAL: frozenset[tuple[str, str]] = frozenset({
    (ACTIVATABLE, ACTIVATED), (ACTIVATED, COMPLETED), (ACTIVATED, ACTIVATABLE),
    (ACTIVATED, INCIDENT)})


class Job:
    """One job and who holds its lock."""

    __slots__ = ("activation", "completed_at", "created_at", "deadline", "key", "retries",
                 "state", "worker")

    def __init__(self, key: str, created_at: float, retries: int) -> None:
        self.key = key
        self.state = ACTIVATABLE
        self.worker: str | None = None
        self.activation = 0
        self.deadline = 0.0
        self.retries = retries
        self.created_at = created_at
        self.completed_at: float | None = None


class JobStore:
    """The jobs of one partition, handed to workers one activation at a time."""

    def __init__(self, world: World, *, lock_timeout: float = 100.0, retries: int = 3) -> None:
        self.world = world
        self.lock_timeout = check_float("lock_timeout", lock_timeout, low=0.0, low_open=True)
        self.retries = check_int("retries", retries, low=0)
        self.jobs: dict[str, Job] = {}
        self.queue = simpy.Store(world.env)
        self.transitions: list[tuple[float, str, str, str]] = []
        self.timeouts = 0
        self.rejected = 0

    def _move(self, job: Job, to: str, why: str) -> None:
        if (job.state, to) not in LEGAL:
            raise ConfigError(f"illegal job transition {job.state} -> {to} for {job.key}")
        self.transitions.append((self.world.now, job.key, job.state, to))
        job.state = to
        self.world.trace.state(self.world.now, "job store", job.key, to,
                               target=job.worker, detail=why)

    def create(self, key: str) -> Job:
        """A new activatable job."""
        check_text("key", key)
        if key in self.jobs:
            raise ConfigError(f"job {key!r} already exists")
        job = self.jobs[key] = Job(key, self.world.now, self.retries)
        self.world.trace.state(self.world.now, "job store", key, ACTIVATABLE, detail="created")
        self.queue.put(key)
        return job

    def activate(self, worker: str) -> Generator[simpy.Event, Any, tuple[Job, int]]:
        """Wait for the next activatable job; lock it for `worker`. Returns (job, activation)."""
        while True:
            key = yield self.queue.get()
            job = self.jobs[key]
            if job.state == ACTIVATABLE:
                break
        job.worker, job.activation = worker, job.activation + 1
        job.deadline = self.world.now + self.lock_timeout
        self._move(job, ACTIVATED, f"locked until {job.deadline:g}")
        timer = self.world.env.timeout(self.lock_timeout)
        activation = job.activation
        timer.callbacks.append(lambda _e: self._expire(job, activation))
        return job, activation

    def _expire(self, job: Job, activation: int) -> None:
        if job.state == ACTIVATED and job.activation == activation:
            self.timeouts += 1
            self.world.trace.record("timer", self.world.now, "job store", target=job.worker,
                                    entity=job.key, detail="lock timed out")
            self._move(job, ACTIVATABLE, "lock timed out")
            job.worker = None
            self.queue.put(job.key)

    def complete(self, key: str, worker: str, activation: int) -> bool:
        """CompleteJob: accepted only from the worker holding the current lock."""
        job = self.jobs[key]
        if job.state != ACTIVATED or job.activation != activation:
            self.rejected += 1
            self.world.trace.record("reject", self.world.now, "job store", target=worker,
                                    entity=key, value=job.state,
                                    detail="CompleteJob rejected: lock expired or job done")
            return False
        job.completed_at = self.world.now
        self._move(job, COMPLETED, f"completed by {worker}")
        return True

    def fail(self, key: str, worker: str, activation: int) -> bool:
        """FailJob: back to activatable while retries are left, else an incident."""
        job = self.jobs[key]
        if job.state != ACTIVATED or job.activation != activation:
            self.rejected += 1
            return False
        job.retries -= 1
        if job.retries > 0:
            self._move(job, ACTIVATABLE, f"failed by {worker}, {job.retries} retries left")
            self.queue.put(key)
        else:
            self._move(job, INCIDENT, f"failed by {worker}, no retries left")
        return True


class SideEffects:
    """What workers do to the outside world (e.g. charge a credit card), optionally idempotent."""

    def __init__(self, world: World, name: str = "payment service", *,
                 idempotent: bool = False) -> None:
        self.world = world
        self.name = check_text("name", name)
        self.idempotent = check_bool("idempotent", idempotent)
        self.effects: list[tuple[float, str, str]] = []
        self.ignored = 0
        self._seen: set[str] = set()

    def apply(self, key: str, worker: str) -> None:
        """Do the side effect for job `key` (skipped when idempotent and already done)."""
        now = self.world.now
        if self.idempotent and key in self._seen:
            self.ignored += 1
            self.world.trace.record("note", now, self.name, target=worker, entity=key,
                                    detail="duplicate ignored (idempotent)")
            return
        self._seen.add(key)
        self.effects.append((now, key, worker))
        self.world.trace.state(now, self.name, key, "charged", target=worker)

    @property
    def duplicates(self) -> int:
        """Side effects beyond the first per job."""
        return len(self.effects) - len({key for _, key, _ in self.effects})


def worker(world: World, store: JobStore, effects: SideEffects, name: str, *,
           work_time: float, crash_probability: float,
           restart_delay: float) -> Generator[simpy.Event, Any, None]:
    """A worker: activate, work, side effect, maybe crash, then CompleteJob; forever."""
    check_float("crash_probability", crash_probability, low=0.0, high=1.0)
    rng = world.rng(f"worker/{name}")
    while True:
        job, activation = yield from store.activate(name)
        yield world.env.timeout(rng.expovariate(1.0 / work_time) if work_time else 0.0)
        effects.apply(job.key, name)
        if rng.random() < crash_probability:
            world.trace.record("fault", world.now, name, entity=job.key,
                               detail="crashed after the side effect, before CompleteJob")
            yield world.env.timeout(restart_delay)
            continue
        store.complete(job.key, name, activation)
