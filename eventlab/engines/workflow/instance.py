"""What the engine keeps per running process: instances, jobs, and the failure a worker raises."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import simpy

from eventlab.core.world import World
from eventlab.engines.workflow.definition import Element, Process


class EngineView(Protocol):
    """What a job shows a worker of the engine that runs it (an
    :class:`~eventlab.engines.workflow.engine.Engine`): its name and its world's clock."""

    @property
    def name(self) -> str: ...
    @property
    def world(self) -> World: ...


STATUSES: tuple[str, ...] = ("active", "incident", "completed", "compensated")


class JobFailed(Exception):  # noqa: N818  # the name says what happened, like Zeebe's "fail job"
    """Raised by a worker for a technical failure: the engine retries, then raises an incident."""


@dataclass(eq=False)
class Instance:
    """One run of a process for one business case (its `correlation_id`, e.g. the traceId)."""

    id: str
    process: Process
    correlation_id: str
    key: str | None
    variables: dict[str, Any]
    started: float
    done: simpy.Event = field(repr=False)  # triggered when the instance ends
    outcome: str | None = None  # name of the end event that closed it
    ended: float | None = None
    finished_as: str | None = None  # "completed" or "compensated"
    completed: list[str] = field(default_factory=list)  # compensable tasks, in completion order
    compensated: list[str] = field(default_factory=list)  # in the order they were undone
    incidents: int = 0  # incidents raised so far (resolved or not)
    open_incidents: list[simpy.Event] = field(default_factory=list, repr=False)
    tokens: dict[int, simpy.Process] = field(default_factory=dict, repr=False)
    positions: dict[int, str] = field(default_factory=dict, repr=False)
    joins: Counter[str] = field(default_factory=Counter, repr=False)
    work: dict[int, simpy.Event] = field(default_factory=dict, repr=False)
    finishing: bool = field(default=False, repr=False)

    @property
    def status(self) -> str:
        """active, incident (a token waits for someone to resolve it), completed, compensated."""
        if self.finished_as is not None:
            return self.finished_as
        return "incident" if self.open_incidents else "active"

    @property
    def duration(self) -> float | None:
        """Hours from start to end (None while it runs)."""
        return None if self.ended is None else self.ended - self.started


@dataclass(frozen=True, slots=True)
class Job:
    """What a worker gets: the instance, the task, which attempt this is, and whether it undoes."""

    engine: EngineView
    instance: Instance
    element: Element
    attempt: int
    compensation: bool

    @property
    def variables(self) -> dict[str, Any]:
        """The instance's variables (a worker returns a dict to add to them)."""
        return self.instance.variables


Handler = Callable[[Job], Any]  # a worker: returns a dict of variables, or a generator first
Sender = Callable[[Instance, Element], None]  # publishes the message of a send/throw/end
