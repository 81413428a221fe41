"""The BPMN palette: elements, sequence flows, and the constructors that make them.

``start``, ``service``, ``send``, ``receive``, ``user``, ``throw``, ``catch``, ``exclusive``,
``parallel``, ``event_based``, ``timer``, ``boundary``, ``error_boundary``, ``subprocess``,
``event_subprocess``, ``error_start`` and ``end`` each return an :class:`Element`; a
:class:`Flow` joins two of them. :class:`~eventlab.engines.workflow.definition.Process` puts
them together and checks the whole. Times are in hours. :mod:`eventlab.engines.workflow.bpmn`
reads and writes them as BPMN 2.0 XML; the docstring of each constructor names the BPMN
element it stands for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eventlab.core.errors import ConfigError, check_choice, check_float, check_int, check_text

KINDS: tuple[str, ...] = ("start", "service", "send", "receive", "throw", "exclusive",
                          "parallel", "timer", "boundary", "end", "user", "catch", "event_based",
                          "error_boundary", "subprocess", "error_start")
TASKS: tuple[str, ...] = ("service", "send", "receive", "user")  # can have a compensation
ACTIVITIES: tuple[str, ...] = (*TASKS, "subprocess")  # what boundary events attach to
GATEWAYS: tuple[str, ...] = ("exclusive", "parallel", "event_based")
BOUNDARIES: tuple[str, ...] = ("boundary", "error_boundary")
WAITS: tuple[str, ...] = ("receive", "catch")  # wait for a message with a correlation key
USER_JOB = "io.camunda.zeebe:userTask"  # the job type of a user task (Zeebe's job-based ones)
_NEEDS = {"service": "job", "receive": "message", "catch": "message", "timer": "hours",
          "boundary": "hours"}
# Zeebe writes expressions as FEEL after "="; the engine evaluates variable paths only.
_PATH = re.compile(r"^=\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")
Mapping_ = tuple[tuple[str, str], ...]


def variable_path(what: str, expression: Any) -> tuple[str, ...]:
    """The variable path of a FEEL expression ``=order.id`` -> ``("order", "id")``.

    The engine evaluates only such paths (no arithmetic, no functions): anything else is a
    ConfigError naming `what`, so a model the engine cannot evaluate is never run half-right.
    """
    check_text(what, expression)
    found = _PATH.match(expression)
    if found is None:
        raise ConfigError(f"{what} must be a FEEL variable path such as '=orderId' or "
                          f"'=order.id' (the engine evaluates nothing else), got {expression!r}")
    return tuple(found.group(1).split("."))


def lookup(variables: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path` in `variables` (None when a part is missing, as FEEL's null)."""
    value: Any = variables
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


@dataclass(frozen=True, slots=True)
class Element:
    """One node of a process. Use the constructors (:func:`service`, :func:`end`, ...)."""

    id: str
    kind: str
    name: str = ""
    message: str | None = None  # start/receive/catch: awaited; send/throw/end: sent
    job: str | None = None  # service task (and send/throw/end done by a worker): job type
    hours: float | None = None  # timer, boundary timer and timer start: duration
    attached_to: str | None = None  # boundary event: the activity it watches
    compensation: str | None = None  # task: worker type that undoes it once it completed
    retries: int = 3  # service task: attempts before an incident (Zeebe's default)
    compensate: bool = False  # end/throw: undo the completed tasks (end: then end the scope)
    terminate: bool = False  # end: stop the scope's other tokens
    interrupting: bool = True  # boundary timer: False leaves the task running, adds a token
    error: str | None = None  # end: error code thrown; error boundary: code caught (None: any)
    repeat: int | None = None  # timer start, non-interrupting boundary timer: how many times
    parent: str | None = None  # the embedded subprocess it lives in (None: the process)
    correlation_key: str | None = None  # receive/catch: "=variable"; None: the correlation id
    triggered_by_event: bool = False  # subprocess: an event subprocess (no flows in or out)
    inputs: Mapping_ = ()  # zeebe:input (source "=path", target): what the job sees
    outputs: Mapping_ = ()  # zeebe:output (source "=path", target): what the process keeps

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
        for name in ("message", "job", "attached_to", "compensation", "error", "parent"):
            value = getattr(self, name)
            if value is not None:
                check_text(f"{name} of element {self.id!r}", value)
        self._check_kind_fields()
        self._check_mappings()

    def _check_kind_fields(self) -> None:
        kind, where = self.kind, f"element {self.id!r}"
        if self.compensation is not None and kind not in TASKS:
            raise ConfigError(f"only tasks ({', '.join(TASKS)}) can have a compensation; "
                              f"{where} is a {kind}")
        if self.compensate and kind not in ("end", "throw"):
            raise ConfigError(f"compensate=True is for end events and throw events; {self.id!r} "
                              f"is a {kind}")
        if self.terminate and kind != "end":
            raise ConfigError(f"terminate=True is for end events; {self.id!r} is a {kind}")
        if (self.attached_to is None) != (kind not in BOUNDARIES):
            raise ConfigError(f"attached_to is required for boundary events and only for them "
                              f"({where})")
        if kind in ("send", "throw") and not (self.message or self.job or self.compensate):
            raise ConfigError(f"{kind} element {self.id!r} needs message=... (or job=... for "
                              "a worker that sends it)")
        if self.compensate and (self.message or self.error or self.job):
            raise ConfigError(f"{where}: a compensation event throws nothing else "
                              "(no message, error or job)")
        if self.job is not None and kind not in ("service", "send", "throw", "end"):
            raise ConfigError(f"job=... is for service tasks and message send/throw/end "
                              f"events; {where} is a {kind}")
        if self.error is not None and kind not in ("end", "error_boundary", "error_start"):
            raise ConfigError(f"error=... is for error end, boundary and start events; "
                              f"{where} is a {kind}")
        if kind == "end" and self.error is not None and (self.message or self.terminate):
            raise ConfigError(f"error end event {self.id!r} throws an error only (no message, "
                              "no terminate)")
        if self.triggered_by_event and kind != "subprocess":
            raise ConfigError(f"triggered_by_event=True is for (event) subprocesses; {where} "
                              f"is a {kind}")
        if not self.interrupting and kind != "boundary":
            raise ConfigError(f"interrupting=False is for boundary timers; {where} is a {kind}")
        if kind == "start" and self.message is not None and self.hours is not None:
            raise ConfigError(f"start event {self.id!r} has a message or a timer, not both")
        if self.hours is not None and kind not in ("timer", "boundary", "start"):
            raise ConfigError(f"hours=... is for timers; {where} is a {kind}")
        if self.message is not None and kind not in ("start", "send", "receive", "throw",
                                                     "catch", "end"):
            raise ConfigError(f"message=... is for message events and tasks; {where} is a "
                              f"{kind}")
        if self.repeat is not None:
            check_int(f"repeat of element {self.id!r}", self.repeat, low=1, high=1000)
            if not ((kind == "start" and self.hours is not None)
                    or (kind == "boundary" and not self.interrupting)):
                raise ConfigError(f"repeat=... is for timer start events and non-interrupting "
                                  f"boundary timers; {where} is not one")

    def _check_mappings(self) -> None:
        where = f"element {self.id!r}"
        if self.correlation_key is not None:
            if self.kind not in WAITS:
                raise ConfigError(f"correlation_key is for receive tasks and message catch "
                                  f"events; {where} is a {self.kind}")
            variable_path(f"correlation_key of {where}", self.correlation_key)
        for side in ("inputs", "outputs"):
            pairs = getattr(self, side)
            if not isinstance(pairs, tuple) or not all(
                    isinstance(p, tuple) and len(p) == 2 for p in pairs):
                raise TypeError(f"{side} of {where} must be a tuple of (source, target) pairs, "
                                f"got {pairs!r}")
            for source, target in pairs:
                variable_path(f"{side} source of {where}", source)
                if not isinstance(target, str) or not _NAME.match(target):
                    raise ConfigError(f"{side} target of {where} must be a variable name, "
                                      f"got {target!r}")
        if self.inputs and not (self.kind in ("service", "user") or self.job is not None):
            raise ConfigError(f"inputs are for jobs (service and user tasks); {where} is a "
                              f"{self.kind}")
        if self.outputs and not (self.kind in ("service", "user", *WAITS)
                                 or self.job is not None):
            raise ConfigError(f"outputs are for jobs and message waits; {where} is a "
                              f"{self.kind}")

    @property
    def variable_key(self) -> tuple[str, ...] | None:
        """The variable path of the correlation key (None: the instance's correlation id)."""
        if self.correlation_key is None:
            return None
        return variable_path("correlation_key", self.correlation_key)


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


def start(element_id: str, name: str = "", *, message: str | None = None,
          hours: float | None = None, repeat: int | None = None,
          parent: str | None = None) -> Element:
    """The start event (``bpmn:startEvent``). With `message` a new instance starts when that
    message arrives; with `hours` the engine starts one `hours` after deployment (and again
    every `hours`, `repeat` times in all: a ``timeCycle R<repeat>/...``)."""
    return Element(element_id, "start", name, message=message, hours=hours, repeat=repeat,
                   parent=parent)


def service(element_id: str, name: str = "", *, job: str, retries: int = 3,
            compensation: str | None = None, inputs: Mapping_ = (), outputs: Mapping_ = (),
            parent: str | None = None) -> Element:
    """A service task (``bpmn:serviceTask`` with ``zeebe:taskDefinition type``) done by the
    worker of type `job` (retried, then an incident)."""
    return Element(element_id, "service", name, job=job, retries=retries,
                   compensation=compensation, inputs=inputs, outputs=outputs, parent=parent)


def user(element_id: str, name: str = "", *, compensation: str | None = None,
         inputs: Mapping_ = (), outputs: Mapping_ = (), parent: str | None = None) -> Element:
    """A user task (``bpmn:userTask``): a job of type :data:`USER_JOB` that a worker standing
    in for people completes, as Zeebe's job-based user tasks are."""
    return Element(element_id, "user", name, compensation=compensation, inputs=inputs,
                   outputs=outputs, parent=parent)


def send(element_id: str, name: str = "", *, message: str | None = None,
         job: str | None = None, compensation: str | None = None,
         parent: str | None = None) -> Element:
    """A send task (``bpmn:sendTask``): publishes `message` (built by the engine's sender) and
    moves on; with `job` a worker of that type sends it, as in Zeebe."""
    return Element(element_id, "send", name, message=message, job=job,
                   compensation=compensation, parent=parent)


def receive(element_id: str, name: str = "", *, message: str,
            compensation: str | None = None, correlation_key: str | None = None,
            outputs: Mapping_ = (), parent: str | None = None) -> Element:
    """A receive task (``bpmn:receiveTask``): waits for `message` with the instance's
    correlation id (or the value of the variable `correlation_key`, e.g. ``"=orderId"``)."""
    return Element(element_id, "receive", name, message=message, compensation=compensation,
                   correlation_key=correlation_key, outputs=outputs, parent=parent)


def catch(element_id: str, name: str = "", *, message: str,
          correlation_key: str | None = None, outputs: Mapping_ = (),
          parent: str | None = None) -> Element:
    """An intermediate message catch event (``bpmn:intermediateCatchEvent`` with a
    ``messageEventDefinition``): like a receive task, but an event (no boundary events)."""
    return Element(element_id, "catch", name, message=message,
                   correlation_key=correlation_key, outputs=outputs, parent=parent)


def throw(element_id: str, name: str = "", *, message: str | None = None,
          job: str | None = None, compensate: bool = False,
          parent: str | None = None) -> Element:
    """An intermediate throw event: publishes `message` and takes no time; with
    ``compensate=True`` it undoes the scope's completed tasks (newest first) and goes on."""
    return Element(element_id, "throw", name, message=message, job=job, compensate=compensate,
                   parent=parent)


def exclusive(element_id: str, name: str = "", *, parent: str | None = None) -> Element:
    """An exclusive gateway: the first outgoing flow whose condition holds (else the default)."""
    return Element(element_id, "exclusive", name, parent=parent)


def parallel(element_id: str, name: str = "", *, parent: str | None = None) -> Element:
    """A parallel gateway: forks to every outgoing flow, joins all incoming ones."""
    return Element(element_id, "parallel", name, parent=parent)


def event_based(element_id: str, name: str = "", *, parent: str | None = None) -> Element:
    """An event-based gateway: waits for the events its flows lead to (message catch and timer
    events); the first that happens wins and the others stop waiting."""
    return Element(element_id, "event_based", name, parent=parent)


def timer(element_id: str, name: str = "", *, hours: float,
          parent: str | None = None) -> Element:
    """An intermediate timer event: the token waits `hours`."""
    return Element(element_id, "timer", name, hours=hours, parent=parent)


def boundary(element_id: str, name: str = "", *, attached_to: str, hours: float,
             interrupting: bool = True, repeat: int | None = None,
             parent: str | None = None) -> Element:
    """A boundary timer on activity `attached_to`. Interrupting: if the activity runs `hours`,
    stop it and leave here. Non-interrupting: the activity keeps running and a new token
    leaves here (every `hours`, `repeat` times)."""
    return Element(element_id, "boundary", name, hours=hours, attached_to=attached_to,
                   interrupting=interrupting, repeat=repeat, parent=parent)


def error_boundary(element_id: str, name: str = "", *, attached_to: str,
                   error: str | None = None, parent: str | None = None) -> Element:
    """An error boundary event: when activity `attached_to` (or anything inside it) throws the
    BPMN error `error` (None: any error), stop the activity and leave here."""
    return Element(element_id, "error_boundary", name, attached_to=attached_to, error=error,
                   parent=parent)


def subprocess(element_id: str, name: str = "", *, parent: str | None = None) -> Element:
    """An embedded subprocess: the elements whose ``parent`` is its id run inside it, from its
    own start event; it completes when its last token ends."""
    return Element(element_id, "subprocess", name, parent=parent)


def event_subprocess(element_id: str, name: str = "", *, parent: str | None = None) -> Element:
    """An event subprocess (``bpmn:subProcess triggeredByEvent="true"``) of the process or of
    the embedded subprocess `parent`: no flow enters or leaves it; its start event (an
    :func:`error_start`) starts it when a BPMN error thrown in that scope reaches it. It
    interrupts the scope, and when it completes the scope completes."""
    return Element(element_id, "subprocess", name, parent=parent, triggered_by_event=True)


def error_start(element_id: str, name: str = "", *, error: str | None = None,
                parent: str) -> Element:
    """The error start event of event subprocess `parent` (``bpmn:startEvent`` with an
    ``errorEventDefinition``): catches the BPMN error `error` (None: any error). Always
    interrupting, as BPMN requires of error start events."""
    return Element(element_id, "error_start", name, error=error, parent=parent)


def end(element_id: str, name: str = "", *, message: str | None = None,
        compensate: bool = False, terminate: bool = False, error: str | None = None,
        job: str | None = None, parent: str | None = None) -> Element:
    """An end event; `message` is published, `error` throws a BPMN error, `compensate` undoes
    the scope's completed tasks first, `terminate` stops the scope's other tokens (a
    compensation end event ends only its own token, as in Zeebe; the scope ends with its
    last token)."""
    return Element(element_id, "end", name, message=message, compensate=compensate,
                   terminate=terminate, error=error, job=job, parent=parent)


FlowLike = Flow | tuple[str, str] | tuple[str, str, tuple[str, Any]]
