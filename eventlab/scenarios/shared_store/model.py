"""The simulation of the year: refactorings, public changes, consumers that break and adapt."""

from __future__ import annotations

from collections.abc import Generator
from enum import StrEnum
from functools import partial
from typing import Any

import simpy

from eventlab.core.world import World
from eventlab.scenarios.shared_store.config import (
    INTERNAL,
    PUBLIC,
    PUBLIC_OF,
    REFACTORINGS,
    SERVICE,
    TEAMS,
    TRANSLATOR,
    Config,
)


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    INTERNAL_REFACTORINGS = "internal refactorings"
    TRANSLATION_UPDATES = "translation updates"
    PUBLIC_CONTRACT_CHANGES = "public contract changes"
    CONSUMER_BREAKAGES = "consumer breakages"
    BROKEN_CONSUMER_DAYS = "broken-consumer-days"
    DAYS_WITH_CONSUMER_BROKEN = "days with a consumer broken"


class Model:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.world = world = World(config.seed)
        self.consumers = list(TEAMS[: config.consumers])
        self.uses = uses(config)
        self.fixed_at = dict.fromkeys(self.consumers, -1.0)  # > now while the consumer is broken
        self.since: dict[str, float] = {}
        self.intervals: list[tuple[float, float]] = []
        self.counts = {"refactorings": 0, "public": 0, "breakages": 0}
        world.env.process(self.refactorings())
        if config.mode == "transport":
            world.env.process(self.public_changes())

    def refactorings(self) -> Generator[simpy.Event, Any, None]:
        world, config = self.world, self.config
        rng = world.rng("refactorings")
        if config.refactorings_per_month <= 0.0:
            return
        while True:
            yield world.env.timeout(rng.expovariate(config.refactorings_per_month / 30.0))
            event, how = rng.choice(INTERNAL), rng.choice(REFACTORINGS)
            self.counts["refactorings"] += 1
            change = f"{event}: {how}"
            world.trace.record("note", world.now, SERVICE, entity="refactoring", value=event,
                               detail=change)
            if config.mode == "shared":
                self.break_all(event, change, public=False)
            else:  # the translation absorbs it, in the same release
                world.trace.state(world.now, TRANSLATOR, "mapping version",
                                  self.counts["refactorings"] + 1, detail=change)

    def public_changes(self) -> Generator[simpy.Event, Any, None]:
        world, config = self.world, self.config
        rng = world.rng("public changes")
        if config.public_changes_per_year <= 0.0:
            return
        while True:
            yield world.env.timeout(rng.expovariate(config.public_changes_per_year / 365.0))
            event = rng.choice(PUBLIC)
            self.counts["public"] += 1
            change = f"public {event}: new contract version"
            world.trace.record("note", world.now, TRANSLATOR, entity="public change",
                               value=event, detail=change)
            self.break_all(event, change, public=True)

    def break_all(self, event: str, change: str, *, public: bool) -> None:
        """Every consumer that reads `event` (internal, or public if `public`) breaks."""
        world = self.world
        for consumer in self.consumers:
            reads = [PUBLIC_OF[u] for u in self.uses[consumer]] if public \
                else self.uses[consumer]
            if event not in reads:
                continue
            delay = world.rng(f"fix/{consumer}").expovariate(1.0 / self.config.fix_days)
            self.counts["breakages"] += 1
            world.trace.record("fault", world.now, consumer, value=delay, detail=change)
            if self.fixed_at[consumer] <= world.now:
                self.since[consumer] = world.now
                world.trace.state(world.now, consumer, "broken", True)
            if world.now + delay <= self.fixed_at[consumer]:
                continue  # the release already planned adapts to this change too
            self.fixed_at[consumer] = world.now + delay
            timer = world.env.timeout(delay)
            timer.callbacks.append(partial(self.fix, consumer, self.fixed_at[consumer]))

    def fix(self, consumer: str, at: float, _event: simpy.Event | None = None) -> None:
        if self.fixed_at[consumer] != at:
            return  # a later change pushed the fix further out
        self.intervals.append((self.since.pop(consumer), at))
        self.world.trace.state(at, consumer, "broken", False)

    def metrics(self) -> dict[str, Any]:
        end = float(self.config.days)
        spans = self.intervals + [(start, end) for start in self.since.values()]
        spans = [(a, min(b, end)) for a, b in spans]
        transport = self.config.mode == "transport"
        return {
            Metric.INTERNAL_REFACTORINGS: self.counts["refactorings"],
            Metric.TRANSLATION_UPDATES: self.counts["refactorings"] if transport else "—",
            Metric.PUBLIC_CONTRACT_CHANGES: self.counts["public"] if transport else "—",
            Metric.CONSUMER_BREAKAGES: self.counts["breakages"],
            Metric.BROKEN_CONSUMER_DAYS: round(sum(b - a for a, b in spans), 1),
            Metric.DAYS_WITH_CONSUMER_BROKEN: round(_union(spans), 1),
        }


def _union(spans: list[tuple[float, float]]) -> float:
    total, reach = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop <= reach:
            continue
        total += stop - max(start, reach)
        reach = stop
    return total


def uses(config: Config) -> dict[str, list[str]]:
    """Which internal event types each consumer reads (drawn from the run's own stream)."""
    rng = World(config.seed).rng("teams")
    return {c: sorted(rng.sample(INTERNAL, config.events_used), key=INTERNAL.index)
            for c in TEAMS[: config.consumers]}
