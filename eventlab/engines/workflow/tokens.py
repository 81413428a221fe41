"""How tokens move: the part of the :class:`~eventlab.engines.workflow.engine.Engine` that runs.

Every token is a SimPy process walking the elements of its instance's process; see the
engine's module text for what each element does and which trace rows it writes.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Generator
from typing import Any

import simpy

from eventlab.core.messages import Message
from eventlab.core.recording import record
from eventlab.core.world import World
from eventlab.engines.workflow.definition import Element
from eventlab.engines.workflow.instance import Handler, Instance, Job, JobFailed, Sender

Steps = Generator[simpy.Event, Any, Any]


class TokenRunner:
    """Token execution; :class:`~eventlab.engines.workflow.engine.Engine` sets these attributes."""

    world: World
    env: simpy.Environment
    name: str
    retry_backoff: float
    sender: Sender | None
    on_incident: Callable[[Instance, Element], None] | None
    _workers: dict[str, Handler]
    _waits: dict[tuple[str, str], list[tuple[simpy.Event, Instance, int]]]
    _passed: Counter[tuple[str, str]]
    _tokens: int

    def _spawn(self, inst: Instance, element_id: str) -> None:
        self._tokens += 1
        inst.tokens[self._tokens] = self.env.process(self._run(inst, element_id, self._tokens))

    def _run(self, inst: Instance, element_id: str, token: int) -> Steps:
        current: str | None = element_id
        try:
            while current is not None:
                element = inst.process.by_id[current]
                inst.positions[token] = element.id
                self._passed[(inst.process.id, element.id)] += 1
                self._rec("state", inst, element.id, f"token at {element.name}")
                current = yield from self._step(inst, element, token)
        except simpy.Interrupt as stop:
            self._rec("state", inst, "cancelled", f"token stopped: {stop.cause}")
        finally:
            inst.tokens.pop(token, None)
            inst.positions.pop(token, None)

    def _step(self, inst: Instance, el: Element, token: int) -> Steps:
        kind = el.kind
        if kind == "end":
            yield from self._end(inst, el, token)
            return None
        if kind == "exclusive":
            return (yield from self._choose(inst, el))
        if kind == "parallel":
            return (yield from self._gateway(inst, el, token))
        if kind in ("send", "throw"):
            self._emit(inst, el)
        elif kind == "timer":
            yield self.env.timeout(el.hours or 0.0)
            self._rec("timer", inst, el.id, f"timer '{el.name}' fired")
        elif kind in ("service", "receive"):
            escaped = yield from self._task(inst, el, token)
            if escaped is not None:
                return escaped
        if el.compensation is not None:
            inst.completed.append(el.id)
        return inst.process.outgoing(el.id)[0].target

    def _task(self, inst: Instance, el: Element, token: int) -> Steps:
        """Run a service task or wait for a message; a boundary timer may cut it short."""
        if el.kind == "service":
            work: simpy.Event = self.env.process(self._job(inst, el, el.job or "", False))
        else:
            work = self.env.event()
            key = (el.message or "", inst.correlation_id)
            self._waits.setdefault(key, []).append((work, inst, token))
        inst.work[token] = work
        timers = [(b, self.env.timeout(b.hours or 0.0)) for b in inst.process.boundaries(el.id)]
        try:
            yield simpy.AnyOf(self.env, [work, *(t for _, t in timers)]) if timers else work
        except simpy.Interrupt:
            self._stop(inst, el, work)
            raise
        finally:
            inst.work.pop(token, None)
        if work.triggered:  # done (a message that arrived at the same moment still counts)
            value = work.value
            inst.variables.update(value.payload if isinstance(value, Message) else value or {})
            return None
        fired = next(b for b, t in timers if t.processed)
        self._rec("timer", inst, fired.id, f"boundary timer '{fired.name}' on '{el.name}' fired")
        self._stop(inst, el, work)
        return fired.id

    def _stop(self, inst: Instance, el: Element, work: simpy.Event) -> None:
        if isinstance(work, simpy.Process):
            if work.is_alive:
                work.interrupt(f"left {el.name}")
        else:
            waits = self._waits.get((el.message or "", inst.correlation_id), [])
            waits[:] = [w for w in waits if w[0] is not work]

    def _job(self, inst: Instance, el: Element, job: str, compensation: bool) -> Steps:
        """Call the worker until it succeeds; incident when the retries are used up."""
        handler, retries, attempt = self._workers[job], el.retries, 0
        try:
            while True:
                attempt += 1
                try:
                    out = handler(Job(self, inst, el, attempt, compensation))
                    if inspect.isgenerator(out):
                        out = yield from out
                    return dict(out or {})
                except JobFailed as err:
                    retries -= 1
                    self._rec("fault", inst, el.id, f"{job} failed (attempt {attempt}): {err}; "
                              f"{retries} retries left")
                    if retries > 0:
                        yield self.env.timeout(self.retry_backoff)
                    else:
                        retries = yield from self._incident(inst, el, f"{job}: {err}")
        except simpy.Interrupt:
            return None

    def _incident(self, inst: Instance, el: Element, reason: str) -> Steps:
        inst.incidents += 1
        wake = self.env.event()
        inst.open_incidents.append(wake)
        self._rec("reject", inst, el.id, f"incident at '{el.name}': {reason}")
        self._status(inst, "incident", reason)
        if self.on_incident is not None:
            self.on_incident(inst, el)
        try:
            retries = yield wake
        finally:
            inst.open_incidents.remove(wake)
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

    def _gateway(self, inst: Instance, el: Element, token: int) -> Steps:
        incoming = len(inst.process.incoming(el.id))
        if incoming > 1:
            inst.joins[el.id] += 1
            if inst.joins[el.id] < incoming:
                if len(inst.tokens) > 1:
                    return None  # this token waits in the join; another one will carry on
                yield from self._incident(inst, el, "join can never complete: no other token")
            inst.joins[el.id] = 0
        flows = inst.process.outgoing(el.id)
        for flow in flows[1:]:
            self._spawn(inst, flow.target)
        return flows[0].target

    def _end(self, inst: Instance, el: Element, token: int) -> Steps:
        if inst.finishing:
            return
        if el.message:
            self._emit(inst, el)
        if el.compensate or el.terminate:
            inst.finishing = True
            for other, proc in list(inst.tokens.items()):
                if other != token and proc.is_alive:
                    proc.interrupt(f"instance ends at {el.name}")
            if el.compensate:
                yield from self._compensate(inst)
            self._close(inst, el, "compensated" if el.compensate else "completed")
        elif len(inst.tokens) <= 1:
            inst.finishing = True
            self._close(inst, el, "completed")

    def _compensate(self, inst: Instance) -> Steps:
        for element_id in reversed(list(inst.completed)):
            if element_id in inst.compensated:
                continue
            el = inst.process.by_id[element_id]
            self._rec("state", inst, f"undo {el.id}",
                      f"compensating '{el.name}' with {el.compensation}")
            yield from self._job(inst, el, el.compensation or "", True)
            inst.compensated.append(element_id)

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
