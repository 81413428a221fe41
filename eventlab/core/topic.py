"""An at-least-once, unordered topic: event copies may arrive twice, or late and overtaken.

Real brokers redeliver after a consumer crash or a lost acknowledgement, and a retry or a
rebalance can let a later event overtake an earlier one. :class:`Topic` adds both to a
:class:`~eventlab.core.channels.Channel`, for events only (queries and commands behave as on the
plain channel), and marks such copies in the trace (``detail``: redelivered / held back).
"""

from __future__ import annotations

from collections.abc import Sequence

import simpy

from eventlab.core.channels import Channel
from eventlab.core.errors import ConfigError, check_float, check_probability
from eventlab.core.messages import Message
from eventlab.core.transport import Guarantees
from eventlab.core.world import World


class Topic(Channel):
    """A channel with publish-to-some, duplicates and held-back (reordered) event copies."""

    def __init__(self, world: World, name: str, *, latency: float = 0.0, jitter: float = 0.0,
                 duplicates: float = 0.0, reorder: float = 0.0, late_by: float = 1.0) -> None:
        super().__init__(world, name, latency=latency, jitter=jitter)
        self.duplicates = check_probability("duplicates", duplicates)
        self.reorder = check_probability("reorder", reorder)
        self.late_by = check_float("late_by", late_by, low=0.0)
        # Its own stream: switching duplicates on never changes the jitter of any copy.
        self._late = world.rng(f"late/{name}")

    @property
    def guarantees(self) -> Guarantees:
        """Events may come twice and late: duplicates and reordering are part of the promise."""
        unordered = self.jitter or self.reorder or self.duplicates
        return Guarantees(latency=self.latency, loss=self.loss, duplicates=self.duplicates,
                          ordering="none" if unordered else "per subscriber")

    def publish_to(self, message: Message, actors: Sequence[str]) -> None:
        """Send a copy of `message` to each of `actors` (its subscribers for this type)."""
        self._record_send(message, None)
        for actor in actors:
            inbox = self._inboxes.get(actor)
            if inbox is None:
                raise ConfigError(f"actor {actor!r} is not subscribed to topic {self.name!r}")
            self._transfer(message, actor, inbox)

    def _transfer(self, message: Message, actor: str, inbox: simpy.Store) -> None:
        if message.kind != "event":
            super()._transfer(message, actor, inbox)
            return
        # Both draws happen for every copy, so one knob never shifts the other's draws.
        twice = self._late.random() < self.duplicates
        held = self._late.random() < self.reorder
        delay = self.latency + (self._rng.expovariate(1.0 / self.jitter) if self.jitter else 0.0)
        self._later(delay + (self.late_by if held else 0.0), message, actor, inbox,
                    "held back" if held else None)
        if twice:
            self._later(delay + self.late_by, message, actor, inbox, "redelivered")

    def _later(self, delay: float, message: Message, actor: str, inbox: simpy.Store,
               detail: str | None) -> None:
        timer = self.world.env.timeout(delay)
        timer.callbacks.append(lambda _event: self._deliver(message, actor, inbox, detail))

    def _deliver(self, message: Message, actor: str, inbox: simpy.Store,
                 detail: str | None) -> None:
        if detail is None:
            self._arrive(message, actor, inbox)
            return
        self.world.trace.record("deliver", self.world.now, actor, target=message.sender,
                                message=message, channel=self.name, detail=detail)
        inbox.put(message)
