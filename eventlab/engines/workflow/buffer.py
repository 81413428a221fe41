"""The engine's message buffer: a message that comes before anyone waits for it is kept for its
time to live, and a message id is correlated once.

Zeebe publishes a message with a name, a correlation key, a time to live and an optional
message id. If no subscription waits for (name, key) the message is *buffered* until its time
to live runs out, and the first subscription that opens for it takes it. A second message
with an id the engine already holds is rejected, so a sender that publishes at least once
(an outbox, a Kafka consumer that was redelivered a record) never correlates the same message
twice. Here the ids of every message that started an instance or was correlated are kept for
the whole run (the model's memory is cheap), and a buffered message's id as long as it is
buffered; a message that was discarded, or expired in the buffer, is forgotten as Zeebe
forgets it, so a copy sent again later still counts.

Why it matters: a reply can overtake the engine's own bookkeeping (the service answers while
the worker that sent the command is still waiting for Kafka's acknowledgement, or while the
engine restarts). Without a buffer that reply is discarded and the instance waits for it in
vain; with one it is waiting when the token arrives.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from eventlab.core.errors import check_float
from eventlab.core.messages import Message

Key = tuple[str, str]  # (message type, correlation key)


class MessageBuffer:
    """Buffered messages by (type, correlation key), oldest first, and the ids already used."""

    def __init__(self, env: simpy.Environment,
                 on_expire: Callable[[Message, str], None] | None = None) -> None:
        self.env = env
        self.on_expire = on_expire  # told when a buffered message's time to live runs out
        self._held: dict[Key, list[tuple[float, Message]]] = {}
        self._ids: dict[str, None] = {}  # ids that started or were correlated (ordered set)
        self._held_ids: dict[str, None] = {}  # ids waiting in the buffer
        self.buffered = 0  # messages that waited in the buffer (taken or expired)
        self.expired = 0

    def __len__(self) -> int:
        return sum(len(held) for held in self._held.values())

    def seen(self, message: Message) -> bool:
        """Whether a message with this id was already correlated or is buffered."""
        return message.message_id in self._ids or message.message_id in self._held_ids

    def remember(self, message: Message) -> None:
        """Note that `message` was used (it started an instance or was correlated)."""
        self._ids[message.message_id] = None

    def hold(self, message: Message, key: str, ttl: float) -> None:
        """Keep `message` for `ttl` time units, for the first wait on (its type, `key`)."""
        check_float("ttl", ttl, low=0.0, low_open=True)
        self._held_ids[message.message_id] = None
        self.buffered += 1
        expires = self.env.now + ttl
        self._held.setdefault((message.type, key), []).append((expires, message))
        timer = self.env.timeout(ttl)
        timer.callbacks.append(lambda _event: self._expire(message, key))

    def take(self, message_type: str, key: str) -> Message | None:
        """The oldest message still alive for (`message_type`, `key`), removed; else None."""
        held = self._held.get((message_type, key))
        if not held:
            return None
        now = self.env.now
        for i, (expires, message) in enumerate(held):
            if expires > now:  # one that runs out right now is left to its timer
                del held[i]
                if not held:
                    del self._held[(message_type, key)]
                self._held_ids.pop(message.message_id, None)
                self.remember(message)
                return message
        return None

    def _expire(self, message: Message, key: str) -> None:
        held = self._held.get((message.type, key), [])
        for i, (_, kept) in enumerate(held):
            if kept is message:
                del held[i]
                if not held:
                    del self._held[(message.type, key)]
                self.expired += 1
                self._held_ids.pop(message.message_id, None)
                if self.on_expire is not None:
                    self.on_expire(message, key)
                return
