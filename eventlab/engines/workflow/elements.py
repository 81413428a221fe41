"""The BPMN-like palette: elements, sequence flows, and the constructors that make them.

``start``, ``service``, ``send``, ``receive``, ``throw``, ``exclusive``, ``parallel``,
``timer``, ``boundary`` and ``end`` each return an :class:`Element`; a :class:`Flow` joins
two of them. :class:`~eventlab.engines.workflow.definition.Process` puts them together and
checks the whole. Times are in hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eventlab.core.errors import ConfigError, check_choice, check_float, check_int, check_text

KINDS: tuple[str, ...] = ("start", "service", "send", "receive", "throw", "exclusive",
                          "parallel", "timer", "boundary", "end")
TASKS: tuple[str, ...] = ("service", "send", "receive")  # what boundary timers attach to
GATEWAYS: tuple[str, ...] = ("exclusive", "parallel")
_NEEDS = {"service": "job", "send": "message", "receive": "message", "throw": "message",
          "timer": "hours", "boundary": "hours"}


@dataclass(frozen=True, slots=True)
class Element:
    """One node of a process. Use the constructors (:func:`service`, :func:`end`, ...)."""

    id: str
    kind: str
    name: str = ""
    message: str | None = None  # start/receive: awaited; send/throw/end: sent
    job: str | None = None  # service task: the worker type that does the work
    hours: float | None = None  # timer and boundary timer: duration
    attached_to: str | None = None  # boundary timer: the task it watches
    compensation: str | None = None  # task: worker type that undoes it once it completed
    retries: int = 3  # service task: attempts before an incident (Zeebe's default)
    compensate: bool = False  # end: undo the completed tasks, then end as "compensated"
    terminate: bool = False  # end: stop the instance's other tokens (implied by compensate)

    def __post_init__(self) -> None:
        check_text("element id", self.id)
        check_choice(f"kind of element {self.id!r}", self.kind, KINDS)
        if not isinstance(self.name, str):
            raise TypeError(f"name of element {self.id!r} must be a string, got {self.name!r}")
        if not self.name.strip():
            object.__setattr__(self, "name", self.id)
        needed = _NEEDS.get(self.kind)
        if needed and getattr(self, needed) is None:
            raise ConfigError(f"{self.kind} element {self.id!r} needs {needed}=...")
        if self.hours is not None:
            check_float(f"hours of element {self.id!r}", self.hours, low=0.0, low_open=True)
        check_int(f"retries of element {self.id!r}", self.retries, low=1, high=100)
        for name in ("message", "job", "attached_to", "compensation"):
            value = getattr(self, name)
            if value is not None:
                check_text(f"{name} of element {self.id!r}", value)
        if self.compensation is not None and self.kind not in TASKS:
            raise ConfigError(f"only tasks ({', '.join(TASKS)}) can have a compensation; "
                              f"element {self.id!r} is a {self.kind}")
        for flag in ("compensate", "terminate"):
            if getattr(self, flag) and self.kind != "end":
                raise ConfigError(f"{flag}=True is for end events; {self.id!r} is a {self.kind}")
        if (self.attached_to is None) != (self.kind != "boundary"):
            raise ConfigError(f"attached_to is required for boundary timers and only for them "
                              f"(element {self.id!r})")


@dataclass(frozen=True, slots=True)
class Flow:
    """A sequence flow; `when` = (variable, value) makes it a condition of an exclusive gateway."""

    source: str
    target: str
    when: tuple[str, Any] | None = None

    def __post_init__(self) -> None:
        check_text("flow source", self.source)
        check_text("flow target", self.target)
        if self.when is not None and not (isinstance(self.when, tuple) and len(self.when) == 2
                                          and isinstance(self.when[0], str)):
            raise TypeError(f"condition of flow {self.source} -> {self.target} must be "
                            f"(variable, value), got {self.when!r}")

    @property
    def label(self) -> str:
        """How the diagram labels the flow: ``vip = True``, or empty."""
        return "" if self.when is None else f"{self.when[0]} = {self.when[1]}"

    def matches(self, variables: Mapping[str, Any]) -> bool:
        """Whether the condition holds for `variables` (a flow without one always matches)."""
        if self.when is None:
            return True
        name, value = self.when
        return name in variables and variables[name] == value


def start(element_id: str, name: str = "", *, message: str | None = None) -> Element:
    """The start event; with `message` a new instance starts when that message arrives."""
    return Element(element_id, "start", name, message=message)


def service(element_id: str, name: str = "", *, job: str, retries: int = 3,
            compensation: str | None = None) -> Element:
    """A service task done by the worker of type `job` (retried, then an incident)."""
    return Element(element_id, "service", name, job=job, retries=retries,
                   compensation=compensation)


def send(element_id: str, name: str = "", *, message: str,
         compensation: str | None = None) -> Element:
    """A send task: publishes `message` (built by the engine's sender) and moves on."""
    return Element(element_id, "send", name, message=message, compensation=compensation)


def receive(element_id: str, name: str = "", *, message: str,
            compensation: str | None = None) -> Element:
    """A receive task: waits for `message` with the instance's correlation id."""
    return Element(element_id, "receive", name, message=message, compensation=compensation)


def throw(element_id: str, name: str = "", *, message: str) -> Element:
    """An intermediate message throw event: publishes `message`, takes no time."""
    return Element(element_id, "throw", name, message=message)


def exclusive(element_id: str, name: str = "") -> Element:
    """An exclusive gateway: the first outgoing flow whose condition holds (else the default)."""
    return Element(element_id, "exclusive", name)


def parallel(element_id: str, name: str = "") -> Element:
    """A parallel gateway: forks to every outgoing flow, joins all incoming ones."""
    return Element(element_id, "parallel", name)


def timer(element_id: str, name: str = "", *, hours: float) -> Element:
    """An intermediate timer event: the token waits `hours`."""
    return Element(element_id, "timer", name, hours=hours)


def boundary(element_id: str, name: str = "", *, attached_to: str, hours: float) -> Element:
    """An interrupting boundary timer: if task `attached_to` runs `hours`, leave it here."""
    return Element(element_id, "boundary", name, hours=hours, attached_to=attached_to)


def end(element_id: str, name: str = "", *, message: str | None = None,
        compensate: bool = False, terminate: bool = False) -> Element:
    """An end event; `message` is published, `compensate` undoes completed tasks first,
    `terminate` (implied by `compensate`) stops the instance's other tokens."""
    return Element(element_id, "end", name, message=message, compensate=compensate,
                   terminate=terminate)


FlowLike = Flow | tuple[str, str] | tuple[str, str, tuple[str, Any]]
