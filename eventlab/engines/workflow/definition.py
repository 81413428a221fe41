"""Process definitions as data: BPMN-like elements joined by sequence flows, checked up front.

A :class:`Process` is a frozen list of :class:`Element` s and :class:`Flow` s. The small
constructors below read like the BPMN palette::

    Process("order", "Order", [
        start("placed", "Order placed", message="OrderPlacedEvent"),
        send("pay", "Retrieve payment", message="RetrievePaymentCommand"),
        receive("paid", "Payment received", message="PaymentReceivedEvent"),
        boundary("late", "20 days", attached_to="paid", hours=480),
        end("delivered", "Order delivered"),
        end("canceled", "Order canceled", compensate=True),
    ], [("placed", "pay"), ("pay", "paid"), ("paid", "delivered"), ("late", "canceled")])

A flow is ``(source, target)`` or ``(source, target, ("vip", True))``: the third part is the
condition of a flow leaving an exclusive gateway (``variables["vip"] == True``); a flow without
one is the gateway's default. Every mistake a learner can make in such a list (an unknown
target, a dangling task, an element no token can reach or one no token can leave) is rejected
when the Process is built (:mod:`eventlab.engines.workflow.validation`), with a message naming the
element. Times are in hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
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


@dataclass(frozen=True, init=False)
class Process:
    """A validated process definition: elements, flows, and fast lookups."""

    id: str
    name: str
    elements: tuple[Element, ...]
    flows: tuple[Flow, ...]

    def __init__(self, process_id: str, name: str, elements: Iterable[Element],
                 flows: Iterable[FlowLike] = ()) -> None:
        object.__setattr__(self, "id", check_text("process id", process_id))
        object.__setattr__(self, "name", check_text("process name", name))
        object.__setattr__(self, "elements", tuple(_as_elements(elements)))
        object.__setattr__(self, "flows", tuple(_as_flow(f) for f in flows))
        from eventlab.engines.workflow.validation import validate  # it reads Process: import late

        validate(self)

    @cached_property
    def by_id(self) -> dict[str, Element]:
        """Elements by id."""
        return {e.id: e for e in self.elements}

    @cached_property
    def _out(self) -> dict[str, tuple[Flow, ...]]:
        return {e.id: tuple(f for f in self.flows if f.source == e.id) for e in self.elements}

    @cached_property
    def _in(self) -> dict[str, tuple[Flow, ...]]:
        return {e.id: tuple(f for f in self.flows if f.target == e.id) for e in self.elements}

    @cached_property
    def _boundaries(self) -> dict[str, tuple[Element, ...]]:
        return {e.id: tuple(b for b in self.elements if b.attached_to == e.id)
                for e in self.elements}

    def element(self, element_id: str) -> Element:
        """The element with this id (ValueError listing the ids if there is none)."""
        found = self.by_id.get(element_id)
        if found is None:
            raise ConfigError(f"process {self.id!r} has no element {element_id!r}; "
                              f"elements: {', '.join(self.by_id)}")
        return found

    def outgoing(self, element_id: str) -> tuple[Flow, ...]:
        """Flows leaving the element, in definition order."""
        return self._out[element_id]

    def incoming(self, element_id: str) -> tuple[Flow, ...]:
        """Flows entering the element."""
        return self._in[element_id]

    def boundaries(self, element_id: str) -> tuple[Element, ...]:
        """Boundary timers attached to the element."""
        return self._boundaries[element_id]

    @property
    def start_event(self) -> Element:
        """The (single) start event."""
        return next(e for e in self.elements if e.kind == "start")

    def jobs(self) -> set[str]:
        """Every worker type the process needs: service jobs and compensations."""
        return ({e.job for e in self.elements if e.job}
                | {e.compensation for e in self.elements if e.compensation})


def _as_elements(elements: Iterable[Element]) -> list[Element]:
    if isinstance(elements, str | Element) or not isinstance(elements, Iterable):
        raise TypeError(f"elements must be a list of Element, got {elements!r}")
    out = list(elements)
    for e in out:
        if not isinstance(e, Element):
            raise TypeError(f"elements must be Element objects (use start(), service(), ...), "
                            f"got {type(e).__name__} {e!r}")
    return out


def _as_flow(flow: Any) -> Flow:
    if isinstance(flow, Flow):
        return flow
    if isinstance(flow, tuple) and len(flow) in (2, 3):
        return Flow(*flow)
    raise TypeError(f"a flow must be (source, target) or (source, target, (variable, value)), "
                    f"got {flow!r}")
