"""What the token mixins (:mod:`~eventlab.engines.workflow.scopes`,
:mod:`~eventlab.engines.workflow.events`) use of the token runner they are mixed into.

A protocol, so each mixin can call the others' methods with full type checking while no
module imports the one that puts them together
(:class:`~eventlab.engines.workflow.tokens.TokenRunner`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Protocol

import simpy

from eventlab.core.world import World
from eventlab.engines.workflow.buffer import MessageBuffer
from eventlab.engines.workflow.definition import Element
from eventlab.engines.workflow.instance import Instance, Scope

Steps = Generator[simpy.Event, Any, Any]


class Runner(Protocol):
    """The token runner as its mixins see it."""

    world: World
    env: simpy.Environment
    buffer: MessageBuffer
    _waits: dict[tuple[str, str], list[tuple[simpy.Event, Instance, int]]]

    def _spawn(self, inst: Instance, element_id: str, scope: Scope | None = None) -> None: ...
    def _rec(self, kind: str, inst: Instance, value: str, detail: str,
             entity: str | None = None) -> None: ...
    def _incident(self, inst: Instance, el: Element, reason: str) -> Steps: ...
    def _job(self, inst: Instance, el: Element, job: str, compensation: bool) -> Steps: ...
    def _correlation(self, inst: Instance, el: Element) -> Steps: ...
    def _forget(self, work: simpy.Event, key: tuple[str, str]) -> None: ...
    def _stop_scope(self, inst: Instance, scope: Scope, cause: str) -> None: ...
    def _caught(self, inst: Instance, host: Element, catcher: Element, code: str) -> str: ...
    def _escalate(self, inst: Instance, scope: Scope, code: str) -> bool: ...
    def _interrupt(self, inst: Instance, scope: Scope, start: Element, code: str) -> None: ...
    def _enter(self, inst: Instance, el: Element, scope: Scope) -> Scope: ...
    def _finish(self, inst: Instance, scope: Scope, el: Element, how: str) -> None: ...
