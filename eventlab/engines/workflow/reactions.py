"""Services that react to messages, run from a table of rules.

A :class:`Rule` says "service S, on message X (and Y), when the payload says so, does Z and
emits W (or V when Z fails)". The same rows drive the simulation (:class:`Reactor`) and the
pictures and change counts of :mod:`eventlab.scenarios.retail.choreography`, so a diagram cannot
disagree with
what ran. Choreographed services are rules on events; the services an orchestrator commands
are rules on commands.

A rule with several messages waits for all of them per correlation id (the service keeps
state for the join). What the emitted message carries depends on `carry`: ``"whole"`` passes
everything received on, plus what the service added (the companion code's choreography, bad
smell 4: "the whole order flows through payment"); ``"own"`` sends only the ids in `keep`
plus the service's own data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpy

from eventlab.core.bus import Bus
from eventlab.core.catalogue import MessageCatalogue
from eventlab.core.errors import ConfigError, check_choice, check_text
from eventlab.core.messages import Message
from eventlab.core.world import World

CARRY: tuple[str, ...] = ("whole", "own")


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of a wiring table. Build it with :func:`on`."""

    service: str
    on: tuple[str, ...]
    do: str
    emits: tuple[str, ...] = ()
    when: tuple[str, Any] | None = None
    failure: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # payload fields the service really uses

    def __post_init__(self) -> None:
        check_text("service", self.service)
        check_text("do", self.do)
        if not self.on:
            raise ConfigError(f"rule of {self.service} must react to at least one message")
        for name in (*self.on, *self.emits, *self.failure, *self.needs):
            check_text(f"message or field name in the rule of {self.service}", name)
        if len(set(self.on)) != len(self.on):
            raise ConfigError(f"rule of {self.service} lists a message twice: {self.on}")
        if self.when is not None and not (isinstance(self.when, tuple) and len(self.when) == 2
                                          and isinstance(self.when[0], str)):
            raise TypeError(f"when must be (field, value), got {self.when!r}")

    def matches(self, payload: Mapping[str, Any]) -> bool:
        """Whether the rule's condition holds for `payload` (no condition: always)."""
        if self.when is None:
            return True
        name, value = self.when
        return name in payload and payload[name] == value

    def text(self) -> str:
        """The row as one line: ``on A + B if vip = True: do → C (fails → D)``."""
        cond = "" if self.when is None else f" if {self.when[0]} = {self.when[1]}"
        out = f" → {', '.join(self.emits)}" if self.emits else ""
        fail = f" (fails → {', '.join(self.failure)})" if self.failure else ""
        return f"on {' + '.join(self.on)}{cond}: {self.do}{out}{fail}"


def _names(value: str | Sequence[str], what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Sequence):
        raise TypeError(f"{what} must be a message type or a list of them, got {value!r}")
    return tuple(value)


def on(*messages: str, service: str, do: str, emit: str | Sequence[str] = (),
       when: tuple[str, Any] | None = None, fail: str | Sequence[str] = (),
       needs: Sequence[str] = ()) -> Rule:
    """``on("OrderPlacedEvent", service="Payment", do="retrieve payment",
    emit="PaymentReceivedEvent")``: one row of a wiring table."""
    return Rule(service, tuple(messages), do, _names(emit, "emit"), when, _names(fail, "fail"),
                tuple(needs))


@dataclass(frozen=True, slots=True)
class Work:
    """What an action gets: who it is, which rule fired, the message(s) and their payload."""

    world: World
    service: str
    rule: Rule
    messages: tuple[Message, ...]
    payload: Mapping[str, Any]

    @property
    def cause(self) -> Message:
        """The message that completed the trigger (the emitted messages' causation)."""
        return self.messages[-1]

    @property
    def correlation_id(self) -> str:
        """The business case (traceId)."""
        return self.cause.correlation_id or self.cause.message_id


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action reports: success or failure, and the fields it adds to the payload."""

    ok: bool = True
    adds: Mapping[str, Any] = field(default_factory=dict)


Action = Callable[[Work], Generator[simpy.Event, Any, Outcome | None]]


class Reactor:
    """Runs a table of rules: each service gets an inbox on the bus and reacts to it."""

    def __init__(self, world: World, bus: Bus, rules: Iterable[Rule],
                 actions: Mapping[str, Action], *, catalogue: MessageCatalogue,
                 drop: Callable[[Work], bool] | None = None,
                 carry: str = "whole", keep: Sequence[str] = ("orderId",)) -> None:
        if not isinstance(catalogue, MessageCatalogue):
            raise TypeError("catalogue must be a MessageCatalogue (it says which names are "
                            f"commands), got {type(catalogue).__name__}")
        self.world, self.bus, self.catalogue = world, bus, catalogue
        self.rules = tuple(rules)
        for rule in self.rules:
            if not isinstance(rule, Rule):
                raise TypeError(f"rules must be Rule rows (use on(...)), got {rule!r}")
        missing = sorted({r.do for r in self.rules} - set(actions))
        if missing:
            raise ConfigError(f"no action for {missing}; actions: {', '.join(actions)}")
        self.actions, self.drop = actions, drop
        self.carry = check_choice("carry", carry, CARRY)
        self.keep = tuple(keep)
        self.counts: Counter[tuple[str, str]] = Counter()  # (service, handled/dropped/failed)
        self._pending: dict[tuple[int, str], dict[str, Message]] = {}
        services = dict.fromkeys(r.service for r in self.rules)
        for service in services:
            types = {t for r in self.rules if r.service == service for t in r.on}
            inbox = bus.subscribe(service, sorted(types))
            world.env.process(self._serve(service, inbox))

    def _serve(self, service: str, inbox: simpy.Store) -> Generator[simpy.Event, Any, None]:
        while True:
            message: Message = yield inbox.get()
            for index, rule in enumerate(self.rules):
                if rule.service != service or message.type not in rule.on:
                    continue
                if len(rule.on) == 1:
                    if rule.matches(message.payload):
                        self._fire(rule, (message,))
                    continue
                key = (index, message.correlation_id or message.message_id)
                seen = self._pending.setdefault(key, {})
                seen.setdefault(message.type, message)
                if len(seen) == len(rule.on):
                    del self._pending[key]
                    got = tuple(seen[t] for t in rule.on)
                    if rule.matches(_merge(got)):
                        self._fire(rule, got)

    def _fire(self, rule: Rule, messages: tuple[Message, ...]) -> None:
        work = Work(self.world, rule.service, rule, messages, _merge(messages))
        if self.drop is not None and self.drop(work):
            self.counts[(rule.service, "dropped")] += 1
            self.world.trace.record("fault", self.world.now, rule.service, message=work.cause,
                                    detail=f"silently dropped while doing '{rule.do}'")
            return
        self.world.env.process(self._run(rule, work))

    def _run(self, rule: Rule, work: Work) -> Generator[simpy.Event, Any, None]:
        outcome = (yield from self.actions[rule.do](work)) or Outcome()
        self.counts[(rule.service, "handled" if outcome.ok else "failed")] += 1
        base = dict(work.payload) if self.carry == "whole" else \
            {k: work.payload[k] for k in self.keep if k in work.payload}
        payload = {**base, **outcome.adds}
        for message_type in rule.emits if outcome.ok else rule.failure:
            self.bus.publish(self.catalogue.make(self.world, message_type,
                                                 sender=rule.service, key=work.cause.key,
                                                 caused_by=work.cause, payload=payload))


def _merge(messages: Iterable[Message]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for message in messages:
        merged.update(message.payload)
    return merged
