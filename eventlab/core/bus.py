"""A bus like the companion code's single Kafka topic ``flowing-retail``.

Every message goes to one topic; each service receives the message types it listens to (the
companion code routes on the ``messageType`` header), while a monitor or a tracker
subscribes to everything. A publish is one ``send`` row; each copy that arrives is one
``deliver`` row, after `latency` hours plus an exponential `jitter`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import simpy

from eventlab.core.errors import ConfigError, check_float, check_text
from eventlab.core.messages import Message
from eventlab.core.transport import Guarantees
from eventlab.core.world import World


class Bus:
    """One topic that routes each message to the subscribers of its type."""

    def __init__(self, world: World, name: str = "flowing-retail", *, latency: float = 0.0,
                 jitter: float = 0.0) -> None:
        if not isinstance(world, World):
            raise TypeError(f"world must be an eventlab World, got {type(world).__name__}")
        self.world = world
        self.name = check_text("name", name)
        self.latency = check_float("latency", latency, low=0.0)
        self.jitter = check_float("jitter", jitter, low=0.0)
        self._subscribers: list[tuple[str, frozenset[str] | None, simpy.Store]] = []
        self._rng = world.rng(f"bus/{name}")
        self.messages: list[Message] = []  # everything published, in order

    @property
    def guarantees(self) -> Guarantees:
        """What the bus promises: no loss, no duplicates, publish order per subscriber unless
        jitter lets copies overtake each other."""
        return Guarantees(latency=self.latency, loss=0.0, duplicates=0.0,
                          ordering="none" if self.jitter else "per subscriber")

    def subscribe(self, actor: str, types: Iterable[str] | None = None) -> simpy.Store:
        """An inbox for `actor` receiving the message `types` (None: every message)."""
        check_text("actor", actor)
        wanted = None
        if types is not None:
            if isinstance(types, str):
                raise TypeError(f"types must be a list of message types, got {types!r}")
            wanted = frozenset(check_text("message type", t) for t in types)
            if not wanted:
                raise ConfigError(f"{actor} subscribes to no message type; pass None for all")
        inbox = simpy.Store(self.world.env)
        self._subscribers.append((actor, wanted, inbox))
        return inbox

    def listeners(self, message_type: str) -> list[str]:
        """Who receives messages of `message_type`, in subscription order."""
        return [a for a, types, _ in self._subscribers if types is None or message_type in types]

    def publish(self, message: Message) -> None:
        """Send `message`: one send row now, one delivery per interested subscriber later."""
        if not isinstance(message, Message):
            raise TypeError(f"message must be an eventlab Message, got {type(message).__name__}")
        self.messages.append(message)
        env = self.world.env
        self.world.trace.hop("send", env.now, message.sender, None, message, self.name)
        for actor, types, inbox in self._subscribers:
            if types is not None and message.type not in types:
                continue
            delay = self.latency
            if self.jitter:
                delay += self._rng.expovariate(1.0 / self.jitter)
            if delay <= 0.0:
                self._arrive(message, actor, inbox)
            else:
                env.timeout(delay).callbacks.append(self._later(message, actor, inbox))

    def _later(self, message: Message, actor: str,
               inbox: simpy.Store) -> Callable[[simpy.Event], None]:
        return lambda _event: self._arrive(message, actor, inbox)

    def _arrive(self, message: Message, actor: str, inbox: simpy.Store) -> None:
        self.world.trace.hop("deliver", self.world.env.now, actor, message.sender, message,
                             self.name)
        inbox.put(message)
