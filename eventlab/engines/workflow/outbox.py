"""An outbox: messages written with the state change that causes them, sent at least once.

A service that changes its state and then sends a message can crash in between: the change
is stored, the message never leaves (the dual write of the outbox notebook). The outbox
stores the message in the same transaction as the change (:meth:`Outbox.append` is that
transaction: the rows are durable at once) and a *relay* sends the rows in order, then
saves how far it got (the checkpoint). A crash before the send loses nothing: the relay
starts again from the checkpoint. A crash after the send and before the checkpoint sends
those rows again, so receivers must be idempotent (:mod:`~eventlab.engines.workflow.inbox`).

A workflow engine is its own outbox: the command a send task issues is a record in the
engine's durable log, written with the token's move, and sent from there at least once.

The relay sends through a *publisher* the owner supplies (``connect()`` gives one per relay
start, as a restarted process opens a new connection): a generator that sends a batch, waits
for the transport's acknowledgement and returns how many rows, from the first, were
acknowledged. Nothing here knows Kafka; the scenario connects a Kafka producer.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

import simpy

from eventlab.core.errors import ConfigError, check_float, check_int, check_text
from eventlab.core.messages import Message
from eventlab.core.world import World

Publisher = Callable[[Sequence[Message]], Generator[simpy.Event, Any, int]]


class Outbox:
    """Durable rows to send and a relay that sends them in order, at least once."""

    def __init__(self, world: World, name: str, connect: Callable[[], Publisher], *,
                 batch: int = 100, retry_after: float = 1.0) -> None:
        if not isinstance(world, World):
            raise TypeError(f"world must be an eventlab World, got {type(world).__name__}")
        if not callable(connect):
            raise TypeError(f"connect must be a function that returns a publisher, "
                            f"got {connect!r}")
        self.world = world
        self.name = check_text("name", name)
        self.connect = connect
        self.batch = check_int("batch", batch, low=1, high=100_000)
        self.retry_after = check_float("retry_after", retry_after, low=0.0, low_open=True)
        self.rows: list[Message] = []  # durable: every message ever appended, in order
        self.checkpoint = 0  # durable: rows before it are known to be sent
        self.up = True
        self.sends: dict[str, int] = {}  # message id -> times handed to the transport
        self.crashes = 0
        self._armed = False
        self._wake: simpy.Event | None = None
        self._sent: dict[int, list[simpy.Event]] = {}  # row -> events told once it is sent
        self._down: list[simpy.Event] = []  # told at the next crash
        self._relay = world.env.process(self._run(connect()))

    def __repr__(self) -> str:
        state = "up" if self.up else "down"
        return f"Outbox({self.name!r}, {state}, {self.pending} pending of {len(self.rows)})"

    @property
    def pending(self) -> int:
        """Rows not yet known to be sent."""
        return len(self.rows) - self.checkpoint

    @property
    def resent(self) -> int:
        """Sends of rows that had been sent before (the duplicates a crash causes)."""
        return sum(n - 1 for n in self.sends.values())

    def append(self, *messages: Message) -> None:
        """Store `messages` (in the transaction of the state change that causes them)."""
        for message in messages:
            if not isinstance(message, Message):
                raise TypeError(f"an outbox stores messages, got {type(message).__name__}")
            self.rows.append(message)
            self.world.trace.state(self.world.now, self.name, "outbox rows", len(self.rows),
                                   message=message)
        self._poke()

    def sent(self, message: Message) -> simpy.Event:
        """An event that fires once `message` (appended before) is known to be sent."""
        row = next((i for i in range(len(self.rows) - 1, -1, -1)
                    if self.rows[i] is message), None)
        if row is None:
            raise ConfigError(f"{message.message_id} was never appended to {self.name}")
        event = self.world.env.event()
        if row < self.checkpoint:
            event.succeed()
        else:
            self._sent.setdefault(row, []).append(event)
        return event

    def next_crash(self) -> simpy.Event:
        """An event that fires when the relay next goes down."""
        event = self.world.env.event()
        self._down.append(event)
        return event

    def crash(self) -> None:
        """The relay dies now: what it was sending may or may not have left."""
        if not self.up:
            raise ConfigError(f"{self.name} is already down")
        self._die("crashed")
        if self._relay.is_alive and self.world.env.active_process is not self._relay:
            self._relay.interrupt("crashed")

    def crash_after_publish(self) -> None:
        """Arm a crash right after the relay's next send and before its checkpoint: the
        moment that makes an outbox send a message twice."""
        self._armed = True

    def restart(self) -> None:
        """The relay comes back and sends again from the saved checkpoint."""
        if self.up:
            raise ConfigError(f"{self.name} is already up")
        self.up = True
        self.world.trace.record("note", self.world.now, self.name,
                                detail=f"restarted at checkpoint {self.checkpoint}")
        self._relay = self.world.env.process(self._run(self.connect()))

    def _die(self, why: str) -> None:
        self.up = False
        self.crashes += 1
        self._wake = None
        self.world.trace.record("fault", self.world.now, self.name, detail=why)
        waiting, self._down = self._down, []
        for event in waiting:
            event.succeed()

    def _poke(self) -> None:
        wake = self._wake
        if wake is not None and not wake.triggered:
            self._wake = None
            wake.succeed()

    def _run(self, publish: Publisher) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        try:
            while True:
                if self.checkpoint >= len(self.rows):
                    self._wake = env.event()
                    yield self._wake
                    continue
                batch = self.rows[self.checkpoint:self.checkpoint + self.batch]
                for message in batch:
                    self.sends[message.message_id] = self.sends.get(message.message_id, 0) + 1
                acknowledged = yield from publish(batch)
                if self._armed:
                    self._armed = False
                    self._die("crashed after sending, before saving its checkpoint")
                    return
                self.checkpoint += max(0, min(int(acknowledged), len(batch)))
                for row in [r for r in self._sent if r < self.checkpoint]:
                    for event in self._sent.pop(row):
                        event.succeed()
                self.world.trace.state(env.now, self.name, "checkpoint", self.checkpoint)
                if acknowledged < len(batch):  # the transport refused some: later, in order
                    yield env.timeout(self.retry_after)
        except simpy.Interrupt:
            return
