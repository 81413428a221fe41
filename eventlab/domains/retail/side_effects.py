"""Notification and Loyalty: the shop's side effects, and what they did per order.

The notification mail and the loyalty points are not the Order's responsibility: in the
talk's balance they react to ``OrderCompletedEvent`` on their own (notebook 10), and in the
capstone a learner may also command them (notebook 11). Either way the work is the same, so
one class does it and counts it, and both scenarios read the same counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Iterable
from typing import Any

import simpy

from eventlab.core.errors import ConfigError, check_float
from eventlab.core.world import World
from eventlab.engines.workflow.reactions import Action, Outcome, Work

# What each side-effect service does (the `do` of its rule, whatever triggers it).
NOTIFY = "notify customer"
LOYALTY = "add loyalty points"
SIDE_EFFECT_WORK: tuple[str, ...] = (NOTIFY, LOYALTY)
HOURS = 0.1  # six minutes to send a mail or book the points


class SideEffects:
    """The side-effect services' work: each action waits `hours` and counts one per order."""

    def __init__(self, world: World, work: Iterable[str] = SIDE_EFFECT_WORK, *,
                 hours: float = HOURS) -> None:
        if not isinstance(world, World):
            raise TypeError(f"world must be a World, got {type(world).__name__}")
        names = [str(w) for w in work]
        if not names:
            raise ConfigError("work must name at least one side effect, e.g. "
                             f"{', '.join(repr(w) for w in SIDE_EFFECT_WORK)}")
        self.world = world
        self.hours = check_float("hours", hours, low=0.0, high=1000.0)
        self.done: dict[str, Counter[str]] = {name: Counter() for name in names}

    def actions(self) -> dict[str, Action]:
        """The work by name, for a rule table (:class:`~eventlab.engines.workflow.reactions.Reactor`
        or a :class:`~eventlab.engines.workflow.wiring.Wiring`)."""
        return {name: self._action(name) for name in self.done}

    def total(self, work: str) -> int:
        """How often `work` was done, over all orders (a repeat for one order counts again)."""
        if work not in self.done:
            raise ConfigError(f"work must be one of {', '.join(repr(w) for w in self.done)}; "
                             f"got {work!r}")
        return sum(self.done[work].values())

    def _action(self, work: str) -> Action:
        def act(job: Work) -> Generator[simpy.Event, Any, Outcome]:
            yield self.world.env.timeout(self.hours)
            # an event names the order (orderId), a command refers to it (refId)
            order = job.payload.get("orderId", job.payload.get("refId", job.cause.key))
            self.done[work][str(order)] += 1
            return Outcome(True, {})
        return act
