"""The one shape every transport has: publish a message, give each subscriber an inbox.

Services written against :class:`Transport` run unchanged on any of the workbook's transports:

* :class:`~eventlab.core.channels.Channel`: in memory, latency, jitter and loss;
* :class:`~eventlab.core.topic.Topic`: a channel whose event copies may come twice or late;
* :class:`~eventlab.core.bus.Bus`: the companion code's single topic, routed by message type;
* :class:`~eventlab.engines.kafka.transport.KafkaTransport`: the Kafka model (partitions,
  offsets, one consumer group per subscribing service);
* the capstone's bus with dual writes or outboxes (``eventlab.scenarios.recap``).

What differs is what a transport promises, and that is data a learner can read and a test can
check (:class:`Guarantees`): how long a copy takes, whether copies get lost or duplicated, and
which order survives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import simpy

from eventlab.core.messages import Message
from eventlab.core.world import World

ORDERINGS: tuple[str, ...] = ("per subscriber", "per key", "none")


@dataclass(frozen=True)
class Guarantees:
    """What a transport promises about each copy it delivers.

    latency: fixed delay of a copy (the transport's time unit); loss: probability that a copy
    disappears; duplicates: probability that a copy comes twice; ordering: which order a
    subscriber sees (``"per subscriber"``: in publish order; ``"per key"``: in publish order
    among messages with the same key; ``"none"``: copies may overtake each other).
    """

    latency: float
    loss: float
    duplicates: float
    ordering: str

    def __post_init__(self) -> None:
        if self.ordering not in ORDERINGS:
            raise ValueError(f"ordering must be one of {', '.join(ORDERINGS)}; "
                             f"got {self.ordering!r}")


@runtime_checkable
class Transport(Protocol):
    """Publish a message; each subscriber reads its copies from its own SimPy inbox."""

    world: World
    name: str

    def publish(self, message: Message) -> None:
        """Send `message` to every subscriber interested in its type."""
        ...

    def subscribe(self, actor: str, types: Iterable[str] | None = None) -> simpy.Store:
        """An inbox for `actor` with the copies of the message `types` (None: every type)."""
        ...

    @property
    def guarantees(self) -> Guarantees:
        """What this transport promises about each copy."""
        ...
