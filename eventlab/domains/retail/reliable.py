"""Payment, Inventory and Shipping as their best practitioners build them, in either style.

Each :class:`ReliableService` has

* an idempotent **inbox** (:class:`~eventlab.engines.workflow.inbox.Inbox`): a copy it has seen
  (an event by its id, a command by its ``commandId``) is absorbed; a command it already
  answered gets the stored answer again;
* an **outbox** (:class:`~eventlab.engines.workflow.outbox.Outbox`): what it emits is stored
  with its effect and relayed at least once;
* a table of :class:`Reaction` rows: which message makes it do what, and what it emits. A
  choreographed service reacts to events (``OrderPlacedEvent`` → charge →
  ``PaymentReceivedEvent``); a commanded one serves commands and answers each one.

Its work for a message runs in the background (the inbox row says it is owed, so a service
that restarts picks it up again) and commits at the end: the effect, the inbox row and the
outbox row together, checking the order's state at that moment (a pick that finishes after
the order was cancelled is not made). A message the service cannot process (a poisoned
message: the `broken` test says so) is handled as each style's practitioners do:

* ``style="events"``: retry in place with growing backoff, then **park** the message in its
  dead-letter outbox (relayed to a dead-letter topic the team watches) and forget its inbox
  row, so a replay after the fix is processed;
* ``style="commands"``: answer ``CommandFailedEvent`` at once: the orchestrating engine owns
  retries, backoff and the incident.

Times are in the world's unit.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import simpy

from eventlab.core.errors import ConfigError, check_choice, check_float, check_int, check_text
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.domains.retail.fulfilment import FULFILMENT, Effects, Fate
from eventlab.engines.workflow.inbox import Inbox
from eventlab.engines.workflow.outbox import Outbox, Publisher
from eventlab.engines.workflow.remote import COMMAND_ID

ACTIONS: tuple[str, ...] = ("charge", "refund", "fetch", "return", "ship", "cancel")
STYLES: tuple[str, ...] = ("events", "commands")
MAIN = {"charge": "payment", "fetch": "inventory", "ship": "shipping"}  # the step's own work
FAILED = "CommandFailedEvent"
CANCELLED = "OrderCancelledEvent"


@dataclass(frozen=True, slots=True)
class Reaction:
    """On message `on`, do `do`, then emit `emits` (`unavailable` when the goods are out of
    stock). An action with nothing to do (a refund of nothing) emits nothing in the events
    style and still answers in the commands style."""

    on: str
    do: str
    emits: str | None = None
    unavailable: str | None = None

    def __post_init__(self) -> None:
        check_text("on", self.on)
        check_choice("do", self.do, ACTIONS)
        for name in (self.on, self.emits, self.unavailable):
            if name is not None:
                FULFILMENT.kind(name)


@dataclass(frozen=True, slots=True)
class Retry:
    """Tries of a poisoned message and the waits between them: ``backoff``, then times
    ``factor`` each time (the events style; the engine has its own, the same by default)."""

    tries: int
    backoff: float
    factor: float = 2.0

    def __post_init__(self) -> None:
        check_int("tries", self.tries, low=1, high=100)
        check_float("backoff", self.backoff, low=0.0)
        check_float("factor", self.factor, low=1.0, high=10.0)


class ReliableService:
    """One service with inbox, outbox and reactions (see the module text)."""

    def __init__(self, world: World, name: str, step: str, reactions: Sequence[Reaction], *,
                 style: str, effects: Effects, fates: Mapping[str, Fate],
                 connect: Callable[[], Publisher], retry: Retry, undo_time: float,
                 broken: Callable[[str, Message], bool],
                 dead_letters: Callable[[], Publisher] | None = None) -> None:
        self.world = world
        self.name = check_text("name", name)
        self.step = check_choice("step", step, tuple(MAIN.values()))
        self.style = check_choice("style", style, STYLES)
        self.reactions = {r.on: r for r in reactions}
        if len(self.reactions) != len(reactions):
            raise ConfigError(f"{name}: two reactions to the same message")
        if style == "events" and dead_letters is None:
            raise ConfigError(f"{name} reacts to events: give it dead_letters=... (a "
                              "publisher to a dead-letter topic) for messages it cannot process")
        self.effects, self.fates, self.retry, self.broken = effects, fates, retry, broken
        self.undo_time = check_float("undo_time", undo_time, low=0.0)
        self.inbox = Inbox(world, f"{name} inbox")
        self.outbox = Outbox(world, f"{name} outbox", connect)
        self.dead_letters = None if dead_letters is None else \
            Outbox(world, f"{name} dead letters", dead_letters)
        self.cancelled: dict[str, None] = {}  # orders this service knows are cancelled
        self.parked = 0
        self.failures = 0  # attempts that failed on a poisoned message
        self.first_failure: dict[str, float] = {}  # order -> when it first failed here
        self.up = True
        self._work: dict[str, simpy.Process] = {}  # key -> its work in progress (volatile)

    def __repr__(self) -> str:
        return f"ReliableService({self.name!r}, {self.style}, {'up' if self.up else 'down'})"

    @property
    def consumes(self) -> list[str]:
        """The message types this service reads."""
        return list(self.reactions)

    # -- receiving ----------------------------------------------------------------------------

    def receive(self, message: Message) -> None:
        """A copy of `message` from the transport (the consumer calls this per record)."""
        if not self.up:
            raise ConfigError(f"{self.name} is down: nothing can be delivered to it")
        reaction = self.reactions.get(message.type)
        if reaction is None:
            return  # not ours (a consumer filters by type; this is a safety net)
        key = str(message.payload.get(COMMAND_ID, message.message_id))
        if not self.inbox.receive(key, message):
            reply = self.inbox.reply(key)
            if self.style == "commands" and reply is not None:
                self.outbox.append(reply)  # the sender asked again: same answer, same id
            return
        self._start(key, message)

    def _start(self, key: str, message: Message) -> None:
        self._work[key] = self.world.env.process(self._do(key, message))

    # -- crashing -----------------------------------------------------------------------------

    def crash(self) -> None:
        """The service process dies: work in progress stops, the relay stops; the inbox and
        outbox (its database) keep what was committed."""
        if not self.up:
            raise ConfigError(f"{self.name} is already down")
        self.up = False
        self.world.trace.record("fault", self.world.now, self.name, detail="down")
        for work in list(self._work.values()):
            if work.is_alive:
                work.interrupt("crashed")
        self._work.clear()
        for outbox in self._outboxes():
            if outbox.up:
                outbox.crash()

    def _outboxes(self) -> list[Outbox]:
        return [self.outbox, *([self.dead_letters] if self.dead_letters else [])]

    def restart(self) -> None:
        """Back up: the relay resumes, and the work the inbox says is owed starts again."""
        if self.up:
            raise ConfigError(f"{self.name} is already up")
        self.up = True
        self.world.trace.record("note", self.world.now, self.name, detail="up again")
        for outbox in self._outboxes():
            if not outbox.up:
                outbox.restart()
        for key, message in self.inbox.working():
            if message is not None:
                self._start(key, message)

    # -- working ------------------------------------------------------------------------------

    def _do(self, key: str, message: Message) -> Generator[simpy.Event, Any, None]:
        reaction = self.reactions[message.type]
        order = str(message.key)
        env = self.world.env
        attempt = 0
        try:
            while True:
                attempt += 1
                if reaction.do in MAIN and self.broken(order, message):
                    self.failures += 1
                    self.first_failure.setdefault(order, env.now)
                    self.world.trace.record("fault", env.now, self.name, message=message,
                                            detail=f"cannot process {message.type} "
                                                   f"(attempt {attempt})")
                    if self.style == "commands":
                        self._fail(key, message)
                        return
                    if attempt < self.retry.tries:
                        yield env.timeout(self.retry.backoff * self.retry.factor ** (attempt - 1))
                        continue
                    # Parked and forgotten in one transaction: a replay is a new try.
                    self.inbox.failed(key)
                    self.parked += 1
                    assert self.dead_letters is not None
                    self.dead_letters.append(message)
                    return
                fate = self.fates[order]
                yield env.timeout(fate.duration(self.step) if reaction.do in MAIN
                                  else self.undo_time)
                self._commit(key, reaction, message, fate)
                return
        except simpy.Interrupt:
            return  # crashed: the inbox row stays "working", done again after the restart
        finally:
            if self._work.get(key) is env.active_process:
                del self._work[key]

    def _commit(self, key: str, reaction: Reaction, message: Message, fate: Fate) -> None:
        """The effect, the inbox row and the outbox row, in one transaction."""
        order = str(message.key)
        if message.type == CANCELLED:
            self.cancelled[order] = None
        emit = self._effect(reaction.do, order, fate)
        name = reaction.emits if emit == "done" else \
            reaction.unavailable if emit == "unavailable" else None
        if name is None and self.style == "commands":
            name = reaction.emits  # a command always gets its answer
        reply = None
        if name is not None:
            payload: dict[str, Any] = {"orderId": order}
            if COMMAND_ID in message.payload:
                payload[COMMAND_ID] = message.payload[COMMAND_ID]
            reply = FULFILMENT.make(self.world, name, sender=self.name, key=order,
                                    caused_by=message, payload=payload)
            self.outbox.append(reply)
        self.inbox.done(key, reply)

    def _effect(self, action: str, order: str, fate: Fate) -> str:
        """Do `action` to `order` if the order's state allows it: ``done``, ``unavailable``
        or ``nothing``."""
        effects = self.effects
        if action == "cancel":
            return "nothing"
        if action in ("charge", "fetch", "ship") and order in self.cancelled:
            return "nothing"  # this service knows the order is off: no new effect
        if action == "charge":
            effects.do(order, "charged", self.name)
        elif action == "fetch":
            if fate.out_of_stock:
                return "unavailable"
            effects.do(order, "picked", self.name)
        elif action == "ship":
            effects.do(order, "shipped", self.name)
        elif action == "refund":
            if not effects.has(order, "charged") or effects.has(order, "refunded"):
                return "nothing"
            effects.do(order, "refunded", self.name)
        else:  # return
            if not effects.has(order, "picked") or effects.has(order, "returned"):
                return "nothing"
            effects.do(order, "returned", self.name)
        return "done"

    def _fail(self, key: str, message: Message) -> None:
        """Answer a command that could not be processed; forget it, so a retry is new."""
        self.inbox.failed(key)
        reply = FULFILMENT.make(self.world, FAILED, sender=self.name, key=str(message.key),
                                caused_by=message,
                                payload={"orderId": message.key,
                                         COMMAND_ID: message.payload[COMMAND_ID],
                                         "reason": f"{self.name} cannot process "
                                                   f"{message.type}"})
        self.outbox.append(reply)


def choreography_reactions() -> dict[str, list[Reaction]]:
    """What each service reacts to when nobody orchestrates (per service name): the chain,
    Payment's refund when the goods are missing, and everyone's undo when the process
    tracker cancels an order."""
    return {
        "Payment": [Reaction("OrderPlacedEvent", "charge", "PaymentReceivedEvent"),
                    Reaction("GoodsUnavailableEvent", "refund", "PaymentRefundedEvent"),
                    Reaction(CANCELLED, "refund", "PaymentRefundedEvent")],
        "Inventory": [Reaction("PaymentReceivedEvent", "fetch", "GoodsFetchedEvent",
                               unavailable="GoodsUnavailableEvent"),
                      Reaction(CANCELLED, "return", "GoodsReturnedEvent")],
        "Shipping": [Reaction("GoodsFetchedEvent", "ship", "GoodsShippedEvent"),
                     Reaction(CANCELLED, "cancel")],
    }


def command_reactions() -> dict[str, list[Reaction]]:
    """What each service offers when the Order orchestrates: commands, each answered."""
    return {
        "Payment": [Reaction("RetrievePaymentCommand", "charge", "PaymentReceivedEvent"),
                    Reaction("RefundPaymentCommand", "refund", "PaymentRefundedEvent")],
        "Inventory": [Reaction("FetchGoodsCommand", "fetch", "GoodsFetchedEvent",
                               unavailable="GoodsUnavailableEvent"),
                      Reaction("ReturnGoodsCommand", "return", "GoodsReturnedEvent")],
        "Shipping": [Reaction("ShipGoodsCommand", "ship", "GoodsShippedEvent")],
    }
