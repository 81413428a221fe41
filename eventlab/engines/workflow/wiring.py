"""A wiring table: which service does what on which message. It runs, and the view draws it.

A :class:`Wiring` is a list of :class:`~eventlab.engines.workflow.reactions.Rule` rows (made with
``on(...)``), the external sources of messages (``OrderPlacedEvent`` comes from the Checkout),
and, for an orchestration, the orchestrating services with their process definitions. The
same object

* installs the services into a simulation (:meth:`Wiring.install`),
* is drawn by :func:`eventlab.view.wiring.diagram` (who sends what to whom, with delivery
  counts from a trace),
* states each service's contract as text lines (:meth:`Wiring.contracts`), so that two
  wirings can be compared to count the services a change request touches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from eventlab.core.bus import Bus
from eventlab.core.catalogue import MessageCatalogue
from eventlab.core.errors import ConfigError, check_choice, check_text
from eventlab.core.world import World
from eventlab.engines.workflow.definition import Process
from eventlab.engines.workflow.reactions import CARRY, Action, Reactor, Rule, Work


@dataclass(frozen=True)
class Wiring:
    """Rules, message sources and orchestrators of one architecture."""

    name: str
    rules: tuple[Rule, ...]
    sources: Mapping[str, str] = field(default_factory=dict)  # message type -> producer
    orchestrators: Mapping[str, Process] = field(default_factory=dict)  # service -> process
    carry: str = "whole"
    # Which of its message names are commands: declared by the domain, never guessed.
    catalogue: MessageCatalogue = field(kw_only=True)

    def __post_init__(self) -> None:
        check_text("name", self.name)
        if not isinstance(self.catalogue, MessageCatalogue):
            raise TypeError("catalogue must be a MessageCatalogue (it says which names are "
                            f"commands), got {type(self.catalogue).__name__}")
        object.__setattr__(self, "rules", tuple(self.rules))
        for rule in self.rules:
            if not isinstance(rule, Rule):
                raise TypeError(f"rules must be Rule rows (use on(...)), got {rule!r}")
        for service, process in self.orchestrators.items():
            check_text("orchestrator", service)
            if not isinstance(process, Process):
                raise TypeError(f"orchestrator {service!r} needs a Process, got {process!r}")
        check_choice("carry", self.carry, CARRY)
        for rule in self.rules:
            for message_type in rule.on:
                if not self.producers(message_type):
                    raise ConfigError(f"{self.name}: {rule.service} listens to "
                                      f"{message_type!r}, but nobody emits it")
        for message_type in self.message_types():
            self.catalogue.kind(message_type)  # an undeclared name fails here, naming it

    # -- who talks to whom ------------------------------------------------------------------

    @property
    def services(self) -> list[str]:
        """Orchestrators first, then services in the order of the rules."""
        return list(dict.fromkeys([*self.orchestrators, *(r.service for r in self.rules)]))

    def producers(self, message_type: str) -> list[str]:
        """Who emits `message_type`: sources, rules (also on failure), orchestrators."""
        found = [s for t, s in self.sources.items() if t == message_type]
        found += [r.service for r in self.rules
                  if message_type in r.emits or message_type in r.failure]
        found += [s for s, p in self.orchestrators.items()
                  if any(e.message == message_type for e in p.elements
                         if e.kind in ("send", "throw", "end"))]
        return list(dict.fromkeys(found))

    def consumers(self, message_type: str) -> list[str]:
        """Who reacts to `message_type`: rules and orchestrators (start or receive)."""
        found = [r.service for r in self.rules if message_type in r.on]
        found += [s for s, p in self.orchestrators.items()
                  if any(e.message == message_type for e in p.elements
                         if e.kind in ("start", "receive"))]
        return list(dict.fromkeys(found))

    def kind_of(self, message_type: str) -> str:
        """``command`` or ``event``, as the wiring's message catalogue declares it."""
        return self.catalogue.kind(message_type)

    def message_types(self) -> list[str]:
        """Every message type the wiring mentions, in order of first mention."""
        names = list(self.sources)
        for rule in self.rules:
            names += [*rule.on, *rule.emits, *rule.failure]
        for process in self.orchestrators.values():
            names += [e.message for e in process.elements if e.message]
        return list(dict.fromkeys(names))

    def contracts(self) -> dict[str, frozenset[str]]:
        """Per service, the lines that state what it does (a change = a changed line)."""
        lines: dict[str, set[str]] = {s: set() for s in self.services}
        for rule in self.rules:
            lines[rule.service].add(rule.text())
        for service, process in self.orchestrators.items():
            lines[service] |= {f"process {process.id}: {e.kind} {e.name}"
                               f"{' [' + e.message + ']' if e.message else ''}"
                               for e in process.elements}
            lines[service] |= {f"process {process.id}: {f.source} -> {f.target} {f.label}"
                               for f in process.flows}
        return {s: frozenset(v) for s, v in lines.items()}

    def table(self) -> pd.DataFrame:
        """The rules as a table: service, on, when, do, emits, on failure."""
        return pd.DataFrame([{
            "service": r.service, "on": " + ".join(r.on),
            "when": "" if r.when is None else f"{r.when[0]} = {r.when[1]}", "do": r.do,
            "emits": ", ".join(r.emits), "on failure": ", ".join(r.failure)}
            for r in self.rules], columns=["service", "on", "when", "do", "emits", "on failure"])

    # -- running and drawing ----------------------------------------------------------------

    def install(self, world: World, bus: Bus, actions: Mapping[str, Action], *,
                drop: Callable[[Work], bool] | None = None) -> Reactor:
        """Start the rule-driven services on `bus` (orchestrators are run by the scenario)."""
        return Reactor(world, bus, self.rules, actions, catalogue=self.catalogue, drop=drop,
                       carry=self.carry)

    def flows(self) -> list[tuple[str, str, str, str]]:
        """Every message flow: (message type, "event" or "command", producer, consumer)."""
        return [(message_type, self.kind_of(message_type), producer, consumer)
                for message_type in self.message_types()
                for producer in self.producers(message_type)
                for consumer in self.consumers(message_type)]

    def dependencies(self) -> pd.DataFrame:
        """Who depends on whom: one row per (service, the service it knows, why).

        A consumer of an event knows its producer (it subscribes to that producer's fact);
        the sender of a command knows its receiver (it calls that receiver's API). A reply
        event that the command's sender awaits adds no new dependency.
        """
        found: dict[tuple[str, str], list[str]] = {}
        for message_type, kind, producer, consumer in self.flows():
            if producer == consumer:
                continue
            command = kind == "command"
            pair = (producer, consumer) if command else (consumer, producer)
            verb = "sends" if command else "listens to"
            found.setdefault(pair, []).append(f"{verb} {message_type}")
        rows = [{"service": a, "depends on": b, "because it": ", ".join(why)}
                for (a, b), why in found.items()]
        return pd.DataFrame(rows, columns=["service", "depends on", "because it"])
