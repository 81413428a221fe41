"""A message catalogue: which message names are commands and which are events, as declared.

Whether ``CheckAddress`` is a command or an event is a design decision of the domain that owns
the name, not something to guess from how the name ends. A domain declares its names once
(``RETAIL = MessageCatalogue(commands=[...], events=[...])``); engines that send by name (a
reaction rule's ``emit``, an orchestrator's send task) and pictures that colour arrows ask
the catalogue, and a name nobody declared is an error that says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eventlab.core.errors import ConfigError, check_text
from eventlab.core.messages import Command, Event, Message
from eventlab.core.world import World

KINDS: tuple[str, ...] = ("command", "event")


class MessageCatalogue:
    """Declared message names and their kinds (command or event)."""

    def __init__(self, name: str, *, commands: Iterable[str], events: Iterable[str]) -> None:
        self.name = check_text("name", name)
        kinds: dict[str, str] = {}
        for kind, names in (("command", commands), ("event", events)):
            if isinstance(names, str):
                raise TypeError(f"{kind}s must be a list of message names, got {names!r}")
            for message_type in names:
                check_text(f"{kind} name", message_type)
                if message_type in kinds:
                    raise ConfigError(f"{message_type!r} is declared twice in catalogue {name!r}")
                kinds[message_type] = kind
        self._kinds = kinds

    def __contains__(self, message_type: object) -> bool:
        return message_type in self._kinds

    def __repr__(self) -> str:
        return f"MessageCatalogue({self.name!r}, {len(self._kinds)} names)"

    @property
    def names(self) -> list[str]:
        """Every declared name, in declaration order (commands first)."""
        return list(self._kinds)

    def kind(self, message_type: str) -> str:
        """``"command"`` or ``"event"``, as declared; an undeclared name is a ConfigError."""
        found = self._kinds.get(message_type)
        if found is None:
            raise ConfigError(f"{message_type!r} is not in the {self.name} message catalogue; "
                              f"declared: {', '.join(self._kinds)}")
        return found

    def make(self, world: World, message_type: str, *, sender: str, key: str | None = None,
             payload: Mapping[str, Any] | None = None, caused_by: Message | None = None,
             correlation_id: str | None = None) -> Command | Event:
        """A new message of `message_type`, a Command or an Event as declared."""
        make = world.command if self.kind(message_type) == "command" else world.event
        message: Command | Event = make(message_type, sender=sender, key=key, payload=payload,
                                        caused_by=caused_by, correlation_id=correlation_id)
        return message
