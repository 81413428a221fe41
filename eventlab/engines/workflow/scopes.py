"""Embedded subprocesses, BPMN errors and compensation: how tokens live in scopes.

* Entering a subprocess opens a :class:`~eventlab.engines.workflow.instance.Scope` with a
  token at its start event; the token that entered waits until the scope's last token ends
  (or a terminating end event ends it), then leaves by the subprocess's outgoing flow.
  Stopping the subprocess (a boundary event fired, the instance terminated) stops every token
  inside it, nested subprocesses included.
* A BPMN error (an error end event, or a worker raising
  :class:`~eventlab.engines.workflow.instance.BpmnError`) is caught as Zeebe catches it, from
  where it was thrown outwards: an error boundary event on the task itself; then, for each
  scope around it (innermost first, the process last), an error event subprocess of that
  scope or an error boundary event on that scope's subprocess. At each level a specific code
  wins over a catch-all, and an event subprocess over a boundary event of the same code (it
  lies inside the scope, nearer the throw). A boundary event stops the activity it sits on
  and the token leaves by it. An error event subprocess is always interrupting: every token
  of its scope stops, a token runs the event subprocess from its error start event, and
  when it completes its scope completes (the instance ends, or the embedded subprocess is
  left by its outgoing flow). A scope is interrupted once: its event subprocesses do not
  catch an error thrown while one of them runs (that error goes on outwards). An error
  nothing catches is an incident (as in Zeebe); resolving it throws the error again (or, for
  a job, runs it again).
* Compensation (a compensation end or throw event) calls the compensation of every task of
  its scope that completed, newest first, each once; a task that never completed (it was
  interrupted, or never reached) is not compensated. In an event subprocess the scope is
  the one the event subprocess belongs to (BPMN's way to undo what was done before the
  error). A compensation *end* event ends only its own token, as in Zeebe (the scope ends
  with its last token); to cancel a flow whose other branches still run, throw compensation
  and then end with a terminate end event, as the fetch-first order models do (such a
  scope ends as "compensated").
"""

from __future__ import annotations

import simpy

from eventlab.engines.workflow.definition import Element, Process
from eventlab.engines.workflow.instance import Instance, Scope, Thrown
from eventlab.engines.workflow.runner import Runner, Steps


def _matching(catchers: list[Element], code: str) -> Element | None:
    """The first of `catchers` with exactly `code`, else the first catch-all (error None)."""
    return next((c for c in catchers if c.error == code), None) or \
        next((c for c in catchers if c.error is None), None)


def catcher(process: Process, host: Element, code: str) -> Element | None:
    """The error boundary event of `host` that catches `code` (an exact code first)."""
    return _matching([b for b in process.boundaries(host.id) if b.kind == "error_boundary"],
                     code)


def scope_catcher(process: Process, scope: Scope, code: str) -> Element | None:
    """What catches `code` at the level of `scope`: the error start event of one of its event
    subprocesses (unless one already interrupted it) or an error boundary event on its
    subprocess; an exact code first, and at equal match the event subprocess."""
    found = [] if scope.interrupted else \
        [process.scope_start(sub.id) for sub in process.event_subprocesses(scope.element)]
    if scope.element is not None:
        found += [b for b in process.boundaries(scope.element) if b.kind == "error_boundary"]
    return _matching(found, code)


def inside(process: Process, element_id: str, scope: Scope) -> bool:
    """Whether the element lies in `scope` (at any depth of subprocesses)."""
    if scope.element is None:
        return True
    parent = process.by_id[element_id].parent
    while parent is not None:
        if parent == scope.element:
            return True
        parent = process.by_id[parent].parent
    return False


class ScopeRunner:
    """Subprocess scopes, error propagation and compensation (mixed into the token runner)."""

    def _enter(self: Runner, inst: Instance, el: Element, scope: Scope) -> Scope:
        """Open the subprocess `el` below `scope` and put a token at its start event."""
        child = Scope(el.id, scope, ended=self.env.event(), thrown=self.env.event())
        self._spawn(inst, inst.process.scope_start(el.id).id, child)
        return child

    def _stop_scope(self: Runner, inst: Instance, scope: Scope, cause: str) -> None:
        """Stop every token of `scope` (their own subprocesses stop with them)."""
        scope.finishing = True
        for token in list(scope.tokens):
            proc = inst.tokens.get(token)
            if proc is not None and proc.is_alive and proc is not self.env.active_process:
                proc.interrupt(cause)

    def _stop_others(self: Runner, inst: Instance, scope: Scope, token: int,
                     cause: str) -> None:
        for other in list(scope.tokens):
            proc = inst.tokens.get(other)
            if other != token and proc is not None and proc.is_alive:
                proc.interrupt(cause)

    def _caught(self: Runner, inst: Instance, host: Element, catcher: Element,
                code: str) -> str:
        self._rec("fault", inst, catcher.id,
                  f"error '{code}' caught by '{catcher.name}' on '{host.name}'")
        return catcher.id

    def _escalate(self: Runner, inst: Instance, scope: Scope, code: str) -> bool:
        """Hand the error to the innermost scope around the throw that catches it: by an
        error event subprocess, or by an error boundary event on its subprocess."""
        while True:
            found = scope_catcher(inst.process, scope, code)
            if found is not None and found.kind == "error_start":
                self._interrupt(inst, scope, found, code)
                return True
            if found is not None and scope.thrown is not None and not scope.thrown.triggered:
                scope.thrown.succeed((found, code))
                return True
            if scope.parent is None:
                return False
            scope = scope.parent

    def _interrupt(self: Runner, inst: Instance, scope: Scope, start: Element,
                   code: str) -> None:
        """An error start event caught `code`: stop the scope's tokens, run its event
        subprocess (a token at the event subprocess, as at an embedded subprocess)."""
        sub = inst.process.by_id[start.parent or ""]
        scope.interrupted = True
        self._rec("fault", inst, start.id, f"error '{code}' caught by '{start.name}' of "
                                           f"event subprocess '{sub.name}'")
        self._stop_scope(inst, scope, f"interrupted by {sub.name}")
        self._spawn(inst, sub.id, scope)

    def _event_subprocess(self: Runner, inst: Instance, el: Element, scope: Scope) -> Steps:
        """Run the event subprocess `el` to its end, then end its scope with it (the
        instance closes with the end event the event subprocess reached)."""
        child = self._enter(inst, el, scope)
        try:
            how = yield child.ended or self.env.event()
        except simpy.Interrupt:
            self._stop_scope(inst, child, f"left {el.name}")
            raise
        self._finish(inst, scope, child.closed_by or el, how)

    def _error(self: Runner, inst: Instance, el: Element, scope: Scope,
               thrown: Thrown) -> Steps:
        """A job of `el` threw a BPMN error: the boundary event to leave by, "" when a
        subprocess around it caught it, None after an incident (run the job again)."""
        own = catcher(inst.process, el, thrown.code)
        if own is not None:
            return self._caught(inst, el, own, thrown.code)
        if self._escalate(inst, scope, thrown.code):
            return ""
        yield from self._incident(inst, el, f"error '{thrown.code}' is not caught "
                                            f"({thrown.detail})")
        return None

    def _throw_from_end(self: Runner, inst: Instance, el: Element, scope: Scope) -> Steps:
        code = el.error or ""
        while not self._escalate(inst, scope, code):
            yield from self._incident(inst, el, f"error '{code}' thrown at '{el.name}' is "
                                                "not caught")

    def _compensate(self: Runner, inst: Instance, scope: Scope) -> Steps:
        scope.compensation_thrown = True
        if scope.element is not None and scope.parent is not None and \
                inst.process.by_id[scope.element].triggered_by_event:
            scope = scope.parent  # an event subprocess undoes the work of its scope
        for element_id in reversed(list(inst.completed)):
            if element_id in inst.compensated or not inside(inst.process, element_id, scope):
                continue
            el = inst.process.by_id[element_id]
            self._rec("state", inst, f"undo {el.id}",
                      f"compensating '{el.name}' with {el.compensation}")
            yield from self._job(inst, el, el.compensation or "", True)
            inst.compensated.append(element_id)
