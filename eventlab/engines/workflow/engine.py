"""A small workflow engine: tokens walk a :class:`~eventlab.engines.workflow.definition.Process`.

It runs inside a :class:`~eventlab.core.world.World` (every token is a SimPy process; times are
hours) and writes what it does to the world's trace, tagged with the instance's correlation
id (see :mod:`eventlab.core.recording`):

* ``state`` rows: a token entered an element (entity = instance id, value = element id) and
  instance status changes (entity = ``<instance id>:status``);
* ``timer``: a timer or boundary timer fired; ``fault``: a worker failed (retries left);
* ``reject``: an incident (retries used up, or no gateway condition held); ``drop``: a message
  arrived that no instance waits for (discarded, like the companion code's listener does).

Workers do the service tasks (``engine.worker("charge-card", handler)``). A handler gets a
:class:`~eventlab.engines.workflow.instance.Job` and returns a dict of variables, or is a generator
that yields SimPy events first (its duration). Raising :class:`JobFailed` means "technical
failure": the engine retries after `retry_backoff` hours (times `backoff_factor` after each
further failure, or the worker's own ``JobFailed(..., backoff=...)``) and raises an incident
when the element's retries are used up (``on_incident`` is told; :meth:`Engine.incidents`
lists every incident per instance); ``resolve(instance)`` gives it more tries and the instance
continues. With `job_timeout`, a worker that has not answered after that long is given up
and the job is activated again (a crashed worker never answers), without spending a retry.

Messages: :meth:`Engine.deliver` correlates by the message's correlation id or a given `key`;
a message nobody waits for is kept for its time to live (`message_ttl`,
:mod:`~eventlab.engines.workflow.buffer`) and a message id is correlated once. A worker that
waits for a reply uses :meth:`Engine.wait_for` (how :mod:`~eventlab.engines.workflow.remote`
does service tasks over a transport).

A compensating end event runs the compensation of every completed compensable task of its
scope once, in reverse order of completion, and ends its own token (as in Zeebe: the other
tokens run on, and the scope ends with its last token); a compensation throw event
compensates and goes on; a terminating end stops the other tokens (after a compensation
throw in its scope, it ends the scope as "compensated"). Embedded subprocesses, BPMN
errors (:class:`BpmnError`, error end and boundary events, error event subprocesses) and
compensation scopes are in :mod:`~eventlab.engines.workflow.scopes`; event-based gateways,
correlation keys and non-interrupting boundary timers in
:mod:`~eventlab.engines.workflow.events`. A timer start
event starts an instance `hours` after :meth:`Engine.deploy` (and again, `repeat` times).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

import pandas as pd
import simpy

from eventlab.core.errors import ConfigError, check_float, check_int, check_text
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.engines.workflow.buffer import MessageBuffer
from eventlab.engines.workflow.definition import Element, Process
from eventlab.engines.workflow.instance import (
    BpmnError,
    Handler,
    Instance,
    Job,
    JobFailed,
    Sender,
)
from eventlab.engines.workflow.tokens import TokenRunner


class Engine(TokenRunner):
    """Deploys process definitions and runs their instances inside one world."""

    def __init__(self, world: World, name: str = "Engine", *, sender: Sender | None = None,
                 retry_backoff: float = 0.5, backoff_factor: float = 1.0,
                 job_timeout: float | None = None, message_ttl: float = 0.0,
                 record_discards: bool = True,
                 on_incident: Callable[[Instance, Element], None] | None = None) -> None:
        if not isinstance(world, World):
            raise TypeError(f"world must be an eventlab World, got {type(world).__name__}")
        self.world, self.env = world, world.env
        self.name = check_text("name", name)
        self.retry_backoff = check_float("retry_backoff", retry_backoff, low=0.0)
        self.backoff_factor = check_float("backoff_factor", backoff_factor, low=1.0, high=10.0)
        self.job_timeout = None if job_timeout is None else \
            check_float("job_timeout", job_timeout, low=0.0, low_open=True)
        self.message_ttl = check_float("message_ttl", message_ttl, low=0.0)
        self.buffer = MessageBuffer(self.env, on_expire=self._expired)
        self._worker_waits: dict[simpy.Event, list[tuple[str, str]]] = {}
        self.duplicates = 0  # messages received again (same id): absorbed
        self.record_discards = record_discards
        self.sender = sender
        self.on_incident = on_incident  # called when an incident opens (an operator's pager)
        self.processes: dict[str, Process] = {}
        self.instances: list[Instance] = []
        self._workers: dict[str, Handler] = {}
        self._waits: dict[tuple[str, str], list[tuple[simpy.Event, Instance, int]]] = {}
        self._passed: Counter[tuple[str, str]] = Counter()
        self._tokens = 0

    # -- set up ---------------------------------------------------------------------------

    def deploy(self, process: Process) -> None:
        """Make `process` startable (by :meth:`start` or by its start message)."""
        if not isinstance(process, Process):
            raise TypeError(f"process must be a Process, got {type(process).__name__}")
        self.processes[process.id] = process
        if process.start_event.hours is not None:
            self.env.process(self._timer_starts(process))

    def worker(self, job: str, handler: Handler) -> None:
        """Register the `handler` that does every job of type `job`."""
        check_text("job", job)
        if not callable(handler):
            raise TypeError(f"handler for job {job!r} must be callable, got {handler!r}")
        self._workers[job] = handler

    # -- running --------------------------------------------------------------------------

    def start(self, process_id: str, *, correlation_id: str, key: str | None = None,
              variables: Mapping[str, Any] | None = None) -> Instance:
        """Start an instance of a deployed process now; its token begins at the start event."""
        process = self.processes.get(process_id)
        if process is None:
            raise ConfigError(f"process_id {process_id!r} is not deployed on {self.name}; "
                              f"deployed: {', '.join(self.processes) or 'none'}")
        check_text("correlation_id", correlation_id)
        missing = sorted(process.jobs() - set(self._workers))
        if missing:
            raise ConfigError(f"{self.name} has no worker for job type(s) {missing} of process "
                              f"{process_id!r}; register them with engine.worker(...)")
        if self.sender is None and any(e.message and e.job is None for e in process.elements
                                       if e.kind in ("send", "throw", "end")):
            raise ConfigError(f"process {process_id!r} sends messages: give {self.name} a "
                              "sender=... that publishes them")
        inst = Instance(self.world.new_id(f"wf-{process.id}"), process, correlation_id, key,
                        dict(variables or {}), self.world.now, self.env.event())
        self.instances.append(inst)
        self._status(inst, "active", f"started {process.name}")
        self._spawn(inst, process.start_event.id)
        return inst

    def deliver(self, message: Message, *, key: str | None = None,
                ttl: float | None = None) -> str:
        """Hand a message to the engine: ``started``, ``correlated``, ``buffered``,
        ``duplicate`` or ``discarded``.

        A message whose type is a start message starts a new instance; otherwise the oldest
        token (or worker, see :meth:`wait_for`) waiting for that type with the correlation
        `key` (default: the message's correlation id) receives it. If nobody waits, the
        message is kept for `ttl` (default: the engine's `message_ttl`; 0 discards it) and
        the first wait that opens for it takes it (:mod:`~eventlab.engines.workflow.buffer`).
        A message whose id was already used is a ``duplicate`` and changes nothing.
        """
        if not isinstance(message, Message):
            raise TypeError(f"message must be an eventlab Message, got {type(message).__name__}")
        if key is not None:
            check_text("key", key)
        ttl = self.message_ttl if ttl is None else check_float("ttl", ttl, low=0.0)
        if self.buffer.seen(message):
            self.duplicates += 1
            self.world.trace.record("note", self.world.now, self.name, message=message,
                                    detail=f"{message.message_id} already received: "
                                           "not correlated again")
            return "duplicate"
        starts = [p for p in self.processes.values() if p.start_event.message == message.type]
        corr = key or message.correlation_id or message.message_id
        for process in starts:
            self.start(process.id, correlation_id=corr, key=message.key,
                       variables=message.payload)
        if starts:
            self.buffer.remember(message)
            return "started"
        waits = self._waits.get((message.type, corr), [])
        while waits:
            event, _, _ = waits.pop(0)
            if not event.triggered:
                self.buffer.remember(message)
                event.succeed(message)
                return "correlated"
        if ttl > 0.0:
            self.buffer.hold(message, corr, ttl)
            self.world.trace.record("note", self.world.now, self.name, message=message,
                                    detail=f"nobody waits for it yet: buffered for {ttl:g}")
            return "buffered"
        if self.record_discards:
            self.world.trace.record("drop", self.world.now, self.name, message=message,
                                    detail="no instance waits for it: discarded")
        return "discarded"

    def wait_for(self, instance: Instance, types: Sequence[str], key: str) -> simpy.Event:
        """An event that a worker of `instance` yields to wait for the first message of one
        of `types` correlated by `key` (a reply to the command it sent); a buffered message
        is taken at once. Call :meth:`forget` when the worker stops waiting."""
        if not isinstance(instance, Instance) or instance not in self.instances:
            raise ConfigError(f"instance {instance!r} does not belong to engine {self.name}")
        if isinstance(types, str) or not types:
            raise TypeError(f"types must be a non-empty list of message types, got {types!r}")
        check_text("key", key)
        event = self.env.event()
        for message_type in types:
            found = self.buffer.take(check_text("message type", message_type), key)
            if found is not None:
                event.succeed(found)
                return event
        keys = [(t, key) for t in types]
        for wait in keys:
            self._waits.setdefault(wait, []).append((event, instance, -1))
        self._worker_waits[event] = keys
        return event

    def forget(self, event: simpy.Event) -> None:
        """Stop the wait `event` of :meth:`wait_for` (a worker that gave up or crashed): a
        message that comes later is buffered or discarded as if nobody had waited."""
        for wait in self._worker_waits.pop(event, []):
            self._forget(event, wait)

    def _expired(self, message: Message, key: str) -> None:
        self.world.trace.record("drop", self.world.now, self.name, message=message,
                                detail=f"buffered for {key}, nobody took it in time: "
                                       "discarded")

    def resolve(self, instance: Instance, *, retries: int = 1,
                variables: Mapping[str, Any] | None = None) -> None:
        """Resolve the instance's open incidents: update variables, give `retries` more tries."""
        if not isinstance(instance, Instance) or instance not in self.instances:
            raise ConfigError(f"instance {instance!r} does not belong to engine {self.name}")
        check_int("retries", retries, low=1, high=100)
        if not instance.open_incidents:
            raise ConfigError(f"instance {instance.id} has no open incident to resolve")
        instance.variables.update(variables or {})
        for wake in list(instance.open_incidents):
            wake.succeed(retries)

    def incidents(self) -> pd.DataFrame:
        """One row per incident of any instance: where, why, when it opened and ended, and
        how (``resolved``, ``cancelled``, or open)."""
        rows = [{"instance": i.id, "correlation_id": i.correlation_id, "key": i.key,
                 "element": r.element, "reason": r.reason, "opened": r.opened,
                 "ended": r.ended, "how": r.how or "open"}
                for i in self.instances for r in i.incident_log]
        columns = ["instance", "correlation_id", "key", "element", "reason", "opened", "ended",
                   "how"]
        return pd.DataFrame(rows, columns=columns)

    def _timer_starts(self, process: Process) -> Generator[simpy.Event, Any, None]:
        """A timer start event: a new instance every `hours` after deployment, `repeat`
        times; each gets a counter correlation id (``<process>-timer-0001``)."""
        first = process.start_event
        for _ in range(first.repeat or 1):
            yield self.env.timeout(first.hours or 0.0)
            if self.processes.get(process.id) is not process:
                return  # a newer version was deployed: its own timer takes over
            self.start(process.id, correlation_id=self.world.new_id(f"{process.id}-timer"))

    # -- reading --------------------------------------------------------------------------

    def table(self) -> pd.DataFrame:
        """One row per instance: status, outcome, times, incidents, compensated steps."""
        rows = [{"instance": i.id, "process": i.process.id, "correlation_id": i.correlation_id,
                 "key": i.key, "status": i.status, "outcome": i.outcome, "started": i.started,
                 "ended": i.ended, "duration": i.duration, "incidents": i.incidents,
                 "completed steps": ",".join(i.completed),
                 "compensated steps": ",".join(i.compensated)} for i in self.instances]
        columns = ["instance", "process", "correlation_id", "key", "status", "outcome",
                   "started", "ended", "duration", "incidents", "completed steps",
                   "compensated steps"]
        return pd.DataFrame(rows, columns=columns)

    def token_counts(self, process_id: str) -> dict[str, tuple[int, int]]:
        """Element id -> (tokens that passed, tokens there now) for one process."""
        here: Counter[str] = Counter()
        for inst in self.instances:
            if inst.process.id == process_id and inst.finished_as is None:
                here.update(inst.positions.values())
        process = self.processes.get(process_id)
        if process is None:
            raise ConfigError(f"process_id {process_id!r} is not deployed on {self.name}")
        return {e.id: (self._passed[(process_id, e.id)], here[e.id]) for e in process.elements}


__all__ = ["BpmnError", "Engine", "Handler", "Instance", "Job", "JobFailed", "Sender"]
