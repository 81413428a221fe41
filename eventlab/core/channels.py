"""Channels: how messages travel between actors, with latency, jitter and loss.

A :class:`Channel` is the simplest transport: publish-subscribe (every subscriber gets its own
copy, like a topic with one consumer group per service) or point-to-point (``send(to=...)``).
Each send and each delivery becomes a trace row, so a learner can see a message leave, travel
and arrive. Kafka-like partitions and offsets build on this in :mod:`eventlab.engines.kafka`.
"""

from __future__ import annotations

from collections.abc import Iterable

import simpy

from eventlab.core.errors import ConfigError, check_float, check_probability, check_text
from eventlab.core.messages import Message
from eventlab.core.transport import Guarantees
from eventlab.core.world import World


class Channel:
    """A named transport between actors inside one :class:`~eventlab.core.world.World`.

    latency: fixed delay of every message; jitter: mean of an extra exponential delay;
    loss: probability that a copy silently disappears (recorded as a ``drop`` row).
    """

    def __init__(
        self, world: World, name: str, *, latency: float = 0.0, jitter: float = 0.0,
        loss: float = 0.0,
    ) -> None:
        self.world = world
        self.name = check_text("name", name)
        self.latency = check_float("latency", latency, low=0.0)
        self.jitter = check_float("jitter", jitter, low=0.0)
        self.loss = check_probability("loss", loss)
        self._inboxes: dict[str, simpy.Store] = {}
        self._types: dict[str, frozenset[str]] = {}  # actors that want only some types
        # One stream per channel: a lossy channel never changes another channel's draws.
        self._rng = world.rng(f"channel/{name}")

    @property
    def subscribers(self) -> list[str]:
        """Subscribed actors, in the order they subscribed."""
        return list(self._inboxes)

    @property
    def guarantees(self) -> Guarantees:
        """What this channel promises: its latency and loss, no duplicates, and publish order
        per subscriber unless jitter lets copies overtake each other."""
        return Guarantees(latency=self.latency, loss=self.loss, duplicates=0.0,
                          ordering="none" if self.jitter else "per subscriber")

    def subscribe(self, actor: str, types: Iterable[str] | None = None) -> simpy.Store:
        """Register `actor` for the message `types` (None: every message); returns its inbox
        (``yield inbox.get()`` waits for a message)."""
        check_text("actor", actor)
        if actor in self._inboxes:
            raise ConfigError(f"actor {actor!r} is already subscribed to channel {self.name!r}")
        if types is not None:
            if isinstance(types, str):
                raise TypeError(f"types must be a list of message types, got {types!r}")
            wanted = frozenset(check_text("message type", t) for t in types)
            if not wanted:
                raise ConfigError(f"{actor} subscribes to no message type; pass None for all")
            self._types[actor] = wanted
        inbox = self._inboxes[actor] = simpy.Store(self.world.env)
        return inbox

    def publish(self, message: Message) -> None:
        """Send a copy of `message` to every subscriber of its type (one send row, one row
        per copy)."""
        hop = self.world.trace.hop
        now = self.world.env.now
        sender = message.sender
        hop("send", now, sender, None, message, self.name)
        inboxes = self._inboxes.items() if not self._types else [
            (actor, inbox) for actor, inbox in self._inboxes.items()
            if message.type in self._types.get(actor, (message.type,))]
        if self.loss or self.jitter or self.latency > 0.0:
            for actor, inbox in inboxes:
                self._transfer(message, actor, inbox)
            return
        # No loss and no delay: every copy arrives now (what _transfer and _arrive would do,
        # inlined because this is the hot path of most simulations).
        for actor, inbox in inboxes:
            hop("deliver", now, actor, sender, message, self.name)
            inbox.put(message)

    def send(self, message: Message, *, to: str) -> None:
        """Send `message` to the single subscriber `to`."""
        inbox = self._inboxes.get(to)
        if inbox is None:
            known = ", ".join(self._inboxes) or "none yet"
            raise ConfigError(f"to={to!r} is not subscribed to channel {self.name!r}; "
                              f"subscribers: {known}")
        self._record_send(message, to)
        self._transfer(message, to, inbox)

    def _record_send(self, message: Message, to: str | None) -> None:
        self.world.trace.hop("send", self.world.env.now, message.sender, to, message, self.name)

    def _transfer(self, message: Message, actor: str, inbox: simpy.Store) -> None:
        if self.loss and self._rng.random() < self.loss:
            self.world.trace.record("drop", self.world.now, actor, target=message.sender,
                                    message=message, channel=self.name, detail="lost in transit")
            return
        delay = self.latency
        if self.jitter:
            delay += self._rng.expovariate(1.0 / self.jitter)
        if delay <= 0.0:
            self._arrive(message, actor, inbox)
            return
        # A timeout with a callback is far cheaper than one SimPy process per message.
        timer = self.world.env.timeout(delay)
        timer.callbacks.append(lambda _event: self._arrive(message, actor, inbox))

    def _arrive(self, message: Message, actor: str, inbox: simpy.Store) -> None:
        self.world.trace.hop("deliver", self.world.env.now, actor, message.sender, message,
                             self.name)
        inbox.put(message)
