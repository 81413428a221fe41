"""An inbox: an idempotent receiver's durable table of what it has received.

At-least-once delivery (an outbox relay that crashed after sending, a consumer that died
before committing, an engine that sent a command again after a job timeout) hands a
receiver some messages twice. The receiver keeps a row per message key (the message id for
an event, the command id for a command) in the same transaction as the effect: a key it
already has is *absorbed* (no second effect). A row is ``working`` while the effect is in
progress (the inbox is durable, so a receiver that restarts finds the work it still owes)
and ``done`` after it, with the reply that was sent, so a command sent twice gets the same
answer twice. A failed attempt removes its row: the next copy is a new try.
"""

from __future__ import annotations

from eventlab.core.errors import check_text
from eventlab.core.messages import Message
from eventlab.core.world import World

WORKING, DONE = "working", "done"


class Inbox:
    """Keys received, their state, and the replies sent for them."""

    def __init__(self, world: World, name: str) -> None:
        if not isinstance(world, World):
            raise TypeError(f"world must be an eventlab World, got {type(world).__name__}")
        self.world = world
        self.name = check_text("name", name)
        self.rows: dict[str, str] = {}  # key -> working | done (durable, in arrival order)
        self.replies: dict[str, Message] = {}
        self.messages: dict[str, Message] = {}  # what each working key came with (durable)
        self.delivered = 0  # copies received, first ones and duplicates
        self.absorbed = 0  # duplicates that caused nothing

    def __repr__(self) -> str:
        return (f"Inbox({self.name!r}, {len(self.rows)} keys, {self.absorbed} duplicates "
                "absorbed)")

    def receive(self, key: str, message: Message | None = None) -> bool:
        """True for a key seen the first time (now ``working``); False for a duplicate."""
        check_text("key", key)
        self.delivered += 1
        if key in self.rows:
            self.absorbed += 1
            self.world.trace.record("note", self.world.now, self.name, message=message,
                                    entity=key, value=self.rows[key],
                                    detail=f"{key} already {self.rows[key]}: absorbed")
            return False
        self.rows[key] = WORKING
        if message is not None:
            self.messages[key] = message
        return True

    def done(self, key: str, reply: Message | None = None) -> None:
        """The effect of `key` is stored (with the `reply` sent for it, if any)."""
        self.rows[key] = DONE
        self.messages.pop(key, None)
        if reply is not None:
            self.replies[key] = reply

    def failed(self, key: str) -> None:
        """The attempt for `key` failed and changed nothing: a later copy is tried anew."""
        self.rows.pop(key, None)
        self.messages.pop(key, None)

    def reply(self, key: str) -> Message | None:
        """The reply sent for `key` (None if none was, or it is not done)."""
        return self.replies.get(key)

    def working(self) -> list[tuple[str, Message | None]]:
        """Keys whose effect is still owed, with their messages: what a restarted receiver
        picks up again."""
        return [(k, self.messages.get(k)) for k, state in self.rows.items() if state == WORKING]
