"""How tokens move: the part of the :class:`~eventlab.engines.workflow.engine.Engine` that runs.

Every token is a SimPy process walking the elements of its instance's process, inside a
:class:`~eventlab.engines.workflow.instance.Scope` (the instance, or an embedded subprocess);
see the engine's module text for what each element does and which trace rows it writes.
Embedded subprocesses and BPMN errors are in :mod:`~eventlab.engines.workflow.scopes`, the
event-based gateway, message waits and non-interrupting timers in
:mod:`~eventlab.engines.workflow.events`.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Generator
from typing import Any, cast

import simpy

from eventlab.core.messages import Message
from eventlab.core.recording import record
from eventlab.core.world import World
from eventlab.engines.workflow.buffer import MessageBuffer
from eventlab.engines.workflow.definition import USER_JOB, Element
from eventlab.engines.workflow.elements import lookup, variable_path
from eventlab.engines.workflow.events import EventRunner
from eventlab.engines.workflow.instance import (
    BpmnError,
    Handler,
    Incident,
    Instance,
    Job,
    JobFailed,
    Scope,
    Sender,
    Thrown,
)
from eventlab.engines.workflow.scopes import ScopeRunner

Steps = Generator[simpy.Event, Any, Any]
_JOBS = ("service", "user")  # tasks a worker does (send/throw/end too when they have a job)
_ABANDONED = object()  # what a worker's activation returns when its job timed out


class TokenRunner(ScopeRunner, EventRunner):
    """Token execution; :class:`~eventlab.engines.workflow.engine.Engine` sets these attributes."""

    world: World
    env: simpy.Environment
    name: str
    retry_backoff: float
    backoff_factor: float
    job_timeout: float | None
    sender: Sender | None
    on_incident: Callable[[Instance, Element], None] | None
    buffer: MessageBuffer
    _workers: dict[str, Handler]
    _waits: dict[tuple[str, str], list[tuple[simpy.Event, Instance, int]]]
    _passed: Counter[tuple[str, str]]
    _tokens: int

    def _spawn(self, inst: Instance, element_id: str, scope: Scope | None = None) -> None:
        self._tokens += 1
        where = scope or inst.root
        where.tokens[self._tokens] = None
        inst.tokens[self._tokens] = self.env.process(
            self._run(inst, element_id, self._tokens, where))

    def _run(self, inst: Instance, element_id: str, token: int, scope: Scope) -> Steps:
        current: str | None = element_id
        try:
            while current is not None:
                element = inst.process.by_id[current]
                inst.positions[token] = element.id
                self._passed[(inst.process.id, element.id)] += 1
                self._rec("state", inst, element.id, f"token at {element.name}")
                current = yield from self._step(inst, element, token, scope)
        except simpy.Interrupt as stop:
            self._rec("state", inst, "cancelled", f"token stopped: {stop.cause}")
        finally:
            inst.tokens.pop(token, None)
            inst.positions.pop(token, None)
            scope.tokens.pop(token, None)
            inst.fired.pop(token, None)

    def _step(self, inst: Instance, el: Element, token: int, scope: Scope) -> Steps:
        kind = el.kind
        if kind == "end":
            yield from self._end(inst, el, token, scope)
            return None
        if kind == "exclusive":
            return (yield from self._choose(inst, el))
        if kind == "parallel":
            return (yield from self._gateway(inst, el, token, scope))
        if kind == "event_based":
            return (yield from self._race(inst, el, token))
        if el.triggered_by_event:  # an error started it; its end is its scope's end
            yield from self._event_subprocess(inst, el, scope)
            return None
        if kind in ("send", "throw") and el.job is None:
            if el.compensate:
                yield from self._compensate(inst, scope)
            else:
                self._emit(inst, el)
        elif kind == "timer":
            if inst.fired.pop(token, None) is None:  # not already fired at an event gateway
                yield self.env.timeout(el.hours or 0.0)
            self._rec("timer", inst, el.id, f"timer '{el.name}' fired")
        elif kind in ("service", "receive", "user", "catch", "subprocess", "send", "throw"):
            escaped = yield from self._task(inst, el, token, scope)
            if escaped is not None:
                return escaped or None  # "" : the error left the scope, this token is done
        if el.compensation is not None:
            inst.completed.append(el.id)
        return inst.process.outgoing(el.id)[0].target

    def _task(self, inst: Instance, el: Element, token: int, scope: Scope) -> Steps:
        """Run a job, wait for a message or run a subprocess; a boundary event may cut it
        short. Returns None when done, else the boundary event the token leaves by ("" when
        an error escaped to a subprocess around it)."""
        while True:
            if el.kind == "catch" and token in inst.fired:  # won at an event-based gateway
                self._take(inst, el, inst.fired.pop(token))
                return None
            child: Scope | None = None
            key: tuple[str, str] | None = None
            if el.kind in (*_JOBS, "send", "throw"):
                work: simpy.Event = self.env.process(self._job(inst, el, _job_type(el), False))
            elif el.kind == "subprocess":
                child = self._enter(inst, el, scope)
                work = child.ended or self.env.event()
            else:
                key = (el.message or "", (yield from self._correlation(inst, el)))
                work = self.env.event()
                kept = self.buffer.take(*key)  # it came before the token: take it now
                if kept is not None:
                    work.succeed(kept)
                else:
                    self._waits.setdefault(key, []).append((work, inst, token))
            inst.work[token] = work
            boundaries = inst.process.boundaries(el.id)
            timers = [(b, self.env.timeout(b.hours or 0.0)) for b in boundaries
                      if b.kind == "boundary" and b.interrupting]
            watchers = [self.env.process(self._keep_time(inst, b, scope)) for b in boundaries
                        if b.kind == "boundary" and not b.interrupting]
            waits = [work, *(t for _, t in timers)]
            if child is not None and child.thrown is not None:
                waits.append(child.thrown)
            try:
                yield simpy.AnyOf(self.env, waits) if len(waits) > 1 else work
            except simpy.Interrupt:
                self._stop(inst, el, work, child, key)
                raise
            finally:
                inst.work.pop(token, None)
                for watcher in watchers:
                    if watcher.is_alive:
                        watcher.interrupt(f"{el.name} is over")
            if child is not None and child.thrown is not None and child.thrown.triggered:
                caught, code = cast(tuple[Element, str], child.thrown.value)
                self._stop(inst, el, work, child)
                return self._caught(inst, el, caught, code)
            if work.triggered:  # done (a message that arrived at the same moment still counts)
                value = work.value
                if not isinstance(value, Thrown):
                    if child is None:  # a subprocess's tokens have set their variables
                        self._take(inst, el, value)
                    return None
                escaped = yield from self._error(inst, el, scope, value)
                if escaped is not None:
                    return escaped
                continue  # the incident was resolved: do the job again
            fired = next(b for b, t in timers if t.processed)
            self._rec("timer", inst, fired.id,
                      f"boundary timer '{fired.name}' on '{el.name}' fired")
            self._stop(inst, el, work, child, key)
            return fired.id

    def _take(self, inst: Instance, el: Element, value: Any) -> None:
        """Keep what a job returned or a message carried (through the output mappings)."""
        found = value.payload if isinstance(value, Message) else value or {}
        if not el.outputs:
            inst.variables.update(found)
            return
        for source, target in el.outputs:
            inst.variables[target] = lookup(found, variable_path("output", source))

    def _stop(self, inst: Instance, el: Element, work: simpy.Event,
              child: Scope | None = None, key: tuple[str, str] | None = None) -> None:
        if child is not None:
            self._stop_scope(inst, child, f"left {el.name}")
        elif isinstance(work, simpy.Process):
            if work.is_alive:
                work.interrupt(f"left {el.name}")
        elif key is not None:
            self._forget(work, key)

    def _job(self, inst: Instance, el: Element, job: str, compensation: bool) -> Steps:
        """Call the worker until it succeeds; incident when the retries are used up. A
        BpmnError ends the job with :class:`Thrown` (the token looks for a catcher)."""
        handler, retries, attempt = self._workers[job], el.retries, 0
        local = {} if compensation else \
            {target: lookup(inst.variables, variable_path("input", source))
             for source, target in el.inputs}
        try:
            while True:
                attempt += 1
                try:
                    out = handler(Job(self, inst, el, attempt, compensation, local))
                    if inspect.isgenerator(out):
                        if self.job_timeout is None:
                            out = yield from out
                        else:
                            out = yield from self._in_time(inst, el, job, cast(Steps, out))
                            if out is _ABANDONED:
                                attempt -= 1  # activated again: a timeout spends no retry
                                continue
                    return dict(out or {})
                except BpmnError as err:
                    if not compensation:
                        return Thrown(err.code, str(err))
                    retries = yield from self._failed(inst, el, job, attempt, retries, err)
                except JobFailed as err:
                    retries = yield from self._failed(inst, el, job, attempt, retries, err)
        except simpy.Interrupt:
            return None

    def _in_time(self, inst: Instance, el: Element, job: str, work: Steps) -> Steps:
        """Run one activation of a worker; if it has not answered after `job_timeout`, stop
        waiting for it and return :data:`_ABANDONED` (Zeebe makes the job activatable again:
        a crashed worker never answers, so another activation does the job, at least once)."""
        activation = self.env.process(_guarded(work))
        deadline = self.env.timeout(self.job_timeout or 0.0)
        try:
            yield activation | deadline
        except simpy.Interrupt:
            if activation.is_alive:
                activation.interrupt("the token left")
            raise
        if activation.triggered:
            value = activation.value
            if isinstance(value, _Raised):
                raise value.error  # the worker's own exception object, with its fields
            return value
        activation.interrupt("job timed out")
        self._rec("timer", inst, el.id, f"{job} timed out after {self.job_timeout:g}: "
                  "activated again")
        return _ABANDONED

    def _failed(self, inst: Instance, el: Element, job: str, attempt: int, retries: int,
                err: Exception) -> Steps:
        retries -= 1
        self._rec("fault", inst, el.id, f"{job} failed (attempt {attempt}): {err}; "
                  f"{retries} retries left")
        if retries > 0:
            asked = err.backoff if isinstance(err, JobFailed) else None
            # Each failure waits longer (backoff_factor > 1): a service that is down gets
            # time to come back instead of a burst of calls.
            wait = asked if asked is not None else \
                self.retry_backoff * self.backoff_factor ** (attempt - 1)
            yield self.env.timeout(wait)
            return retries
        return (yield from self._incident(inst, el, f"{job}: {err}"))

    def _incident(self, inst: Instance, el: Element, reason: str) -> Steps:
        inst.incidents += 1
        wake = self.env.event()
        inst.open_incidents.append(wake)
        record = Incident(el.id, reason, self.world.now)
        inst.incident_log.append(record)
        self._rec("reject", inst, el.id, f"incident at '{el.name}': {reason}")
        self._status(inst, "incident", reason)
        if self.on_incident is not None:
            self.on_incident(inst, el)
        try:
            retries = yield wake
        except simpy.Interrupt:
            record.ended, record.how = self.world.now, "cancelled"
            raise
        finally:
            inst.open_incidents.remove(wake)
        record.ended, record.how = self.world.now, "resolved"
        self._status(inst, inst.status, f"incident at '{el.name}' resolved")
        return retries

    def _choose(self, inst: Instance, el: Element) -> Steps:
        flows = inst.process.outgoing(el.id)
        while True:
            chosen = next((f for f in flows if f.when is not None and f.matches(inst.variables)),
                          None) or next((f for f in flows if f.when is None), None)
            if chosen is not None:
                return chosen.target
            yield from self._incident(inst, el, "no condition matched and no default flow")

    def _gateway(self, inst: Instance, el: Element, token: int, scope: Scope) -> Steps:
        incoming = len(inst.process.incoming(el.id))
        if incoming > 1:
            scope.joins[el.id] += 1
            if scope.joins[el.id] < incoming:
                if len(scope.tokens) > 1:
                    return None  # this token waits in the join; another one will carry on
                yield from self._incident(inst, el, "join can never complete: no other token")
            scope.joins[el.id] = 0
        flows = inst.process.outgoing(el.id)
        for flow in flows[1:]:
            self._spawn(inst, flow.target, scope)
        return flows[0].target

    def _end(self, inst: Instance, el: Element, token: int, scope: Scope) -> Steps:
        if scope.finishing:
            return
        if el.job is not None:
            yield from self._job(inst, el, el.job, False)
        elif el.message:
            self._emit(inst, el)
        if el.error is not None:
            yield from self._throw_from_end(inst, el, scope)
            return
        if el.terminate:
            scope.finishing = True
            self._stop_others(inst, scope, token, f"instance ends at {el.name}"
                              if scope is inst.root else f"subprocess ends at {el.name}")
            if el.compensate:
                yield from self._compensate(inst, scope)
            undone = el.compensate or scope.compensation_thrown
            self._finish(inst, scope, el, "compensated" if undone else "completed")
        elif el.compensate:
            # As in Zeebe: undo the scope's completed tasks, then end this token only; the
            # scope ends with its last token (a terminate end stops the others)
            yield from self._compensate(inst, scope)
            if len(scope.tokens) <= 1 and not scope.finishing:
                scope.finishing = True
                self._finish(inst, scope, el, "compensated")
        elif len(scope.tokens) <= 1:
            scope.finishing = True
            self._finish(inst, scope, el, "completed")

    def _finish(self, inst: Instance, scope: Scope, el: Element, how: str) -> None:
        scope.closed_by = el
        if scope is inst.root:
            self._close(inst, el, how)
        elif scope.ended is not None:
            scope.ended.succeed(how)

    def _close(self, inst: Instance, el: Element, how: str) -> None:
        inst.finished_as, inst.outcome, inst.ended = how, el.name, self.world.now
        self._status(inst, how, el.name)
        inst.done.succeed(inst)

    def _emit(self, inst: Instance, el: Element) -> None:
        assert self.sender is not None  # checked in start()
        self.sender(inst, el)

    def _status(self, inst: Instance, status: str, detail: str) -> None:
        self._rec("state", inst, status, detail, entity=f"{inst.id}:status")

    def _rec(self, kind: str, inst: Instance, value: str, detail: str,
             entity: str | None = None) -> None:
        record(self.world, kind, self.name, case=inst.correlation_id, key=inst.key,
               entity=entity or inst.id, value=value, detail=detail)


class _Raised:
    """A worker's JobFailed or BpmnError, carried out of its process as a value: SimPy
    re-creates an exception from its args when it crosses processes, which would lose a
    BpmnError's code and a JobFailed's backoff."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def _guarded(work: Steps) -> Steps:
    """A worker's activation as a process of its own: stopped, it ends quietly (a stopped
    worker has nothing more to say); its failures go to the token that waits for it."""
    try:
        return (yield from work)
    except simpy.Interrupt:
        return _ABANDONED
    except (JobFailed, BpmnError) as error:
        return _Raised(error)


def _job_type(el: Element) -> str:
    return USER_JOB if el.kind == "user" else el.job or ""
