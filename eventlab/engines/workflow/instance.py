"""What the engine keeps per running process: instances, their scopes, jobs, and the two ways a
worker can fail (a technical :class:`JobFailed`, a business :class:`BpmnError`)."""

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
    """Raised by a worker for a technical failure: the engine retries, then raises an incident.

    `backoff` (hours, optional) is how long the engine waits before the next try, as Zeebe's
    ``retryBackOff`` on the fail-job command; without it the engine's own backoff applies."""

    def __init__(self, message: str = "", *, backoff: float | None = None) -> None:
        super().__init__(message)
        if backoff is not None and (isinstance(backoff, bool)
                                    or not isinstance(backoff, int | float) or backoff < 0):
            raise TypeError(f"backoff must be a number of hours >= 0 or None, got {backoff!r}")
        self.backoff = None if backoff is None else float(backoff)


class BpmnError(Exception):  # BPMN's own name (Zeebe's "throw error" command)
    """Raised by a worker for a business failure with an error `code` ("CARD_DECLINED"): an
    error boundary event on the task (or on a subprocess around it) catches it; when none
    does, the engine raises an incident. Never retried: the business said no."""

    def __init__(self, code: str, message: str = "") -> None:
        if not isinstance(code, str) or not code.strip():
            raise TypeError(f"a BpmnError needs an error code (a non-empty string), got {code!r}")
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Thrown:
    """What a job that raised :class:`BpmnError` ends with (the engine looks for a catcher)."""

    code: str
    detail: str


@dataclass(eq=False)
class Incident:
    """One incident of an instance: where and why it opened, and when (and how) it ended.

    `how` is ``"resolved"`` (someone gave it more retries) or ``"cancelled"`` (the token it
    held was stopped, by a boundary timer or a terminating end); None while it is open."""

    element: str
    reason: str
    opened: float
    ended: float | None = None
    how: str | None = None


@dataclass(eq=False)
class Scope:
    """Where tokens run: the instance itself (`element` None) or one activation of an embedded
    subprocess. A scope ends when its last token reaches an end event (or a terminating one
    does); `ended` then tells the token that waits on the subprocess, and `thrown` tells it
    that an error inside wants one of its error boundary events. `interrupted` is set once
    an error event subprocess of the scope has started (a scope is interrupted once: its
    event subprocesses catch no further error), `closed_by` is the end event that ended it."""

    element: str | None
    parent: Scope | None
    ended: simpy.Event | None = field(default=None, repr=False)  # None for the instance
    thrown: simpy.Event | None = field(default=None, repr=False)
    tokens: dict[int, None] = field(default_factory=dict, repr=False)  # ordered set of tokens
    joins: Counter[str] = field(default_factory=Counter, repr=False)
    finishing: bool = field(default=False, repr=False)
    interrupted: bool = field(default=False, repr=False)
    closed_by: Element | None = field(default=None, repr=False)
    # compensation was thrown in this scope: a terminate end then ends it as "compensated"
    # (the "throw compensation, then terminate" way to cancel a flow with parallel branches)
    compensation_thrown: bool = field(default=False, repr=False)


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
    incident_log: list[Incident] = field(default_factory=list, repr=False)  # opened, in order
    tokens: dict[int, simpy.Process] = field(default_factory=dict, repr=False)  # every scope's
    positions: dict[int, str] = field(default_factory=dict, repr=False)
    work: dict[int, simpy.Event] = field(default_factory=dict, repr=False)
    root: Scope = field(default_factory=lambda: Scope(None, None), repr=False)
    fired: dict[int, Any] = field(default_factory=dict, repr=False)  # event-based gateway wins

    @property
    def joins(self) -> Counter[str]:
        """Tokens waiting in each parallel join of the process's own scope."""
        return self.root.joins

    @property
    def finishing(self) -> bool:
        """Whether an end event is closing the instance (no token may start another end)."""
        return self.root.finishing

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
    local: dict[str, Any] = field(default_factory=dict)  # the task's input mappings

    @property
    def variables(self) -> dict[str, Any]:
        """The instance's variables, with the task's input mappings on top (a worker returns a
        dict to add to them)."""
        if not self.local:
            return self.instance.variables
        return {**self.instance.variables, **self.local}


Handler = Callable[[Job], Any]  # a worker: returns a dict of variables, or a generator first
Sender = Callable[[Instance, Element], None]  # publishes the message of a send/throw/end
