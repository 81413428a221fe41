"""Waiting for events: message correlation keys, the event-based gateway, and
non-interrupting boundary timers (mixed into the token runner).

* A receive task or message catch event waits for its message with the instance's
  correlation id, or with the value of its ``correlation_key`` variable (Zeebe's
  ``zeebe:subscription correlationKey="=orderId"``); a key variable without a value is an
  incident, as in Zeebe.
* An event-based gateway waits for every event its flows lead to (message catch events and
  timers); the first one wins, the others stop waiting, and the token moves on through the
  winner without waiting again.
* A non-interrupting boundary timer leaves its activity running: when it fires, a new token
  starts at the boundary event (every `hours`, `repeat` times) while the activity goes on; it
  stops counting when the activity ends.
"""

from __future__ import annotations

import simpy

from eventlab.engines.workflow.definition import Element
from eventlab.engines.workflow.elements import lookup
from eventlab.engines.workflow.instance import Instance, Scope
from eventlab.engines.workflow.runner import Runner, Steps


class EventRunner:
    """Correlation, event-based gateways and non-interrupting timers."""

    def _correlation(self: Runner, inst: Instance, el: Element) -> Steps:
        """The key a message for `el` must carry as its correlation id."""
        path = el.variable_key
        if path is None:
            return inst.correlation_id
        while True:
            value = lookup(inst.variables, path)
            if value is not None:
                return str(value)
            yield from self._incident(inst, el, f"correlation key {el.correlation_key} of "
                                                f"'{el.name}' has no value")

    def _forget(self: Runner, work: simpy.Event, key: tuple[str, str]) -> None:
        waits = self._waits.get(key, [])
        waits[:] = [w for w in waits if w[0] is not work]

    def _race(self: Runner, inst: Instance, el: Element, token: int) -> Steps:
        """An event-based gateway: the target whose event happens first."""
        options: list[tuple[Element, simpy.Event, tuple[str, str] | None]] = []
        for flow in inst.process.outgoing(el.id):
            target = inst.process.by_id[flow.target]
            if target.kind == "timer":
                options.append((target, self.env.timeout(target.hours or 0.0), None))
                continue
            wait = (target.message or "", str((yield from self._correlation(inst, target))))
            event = self.env.event()
            kept = self.buffer.take(*wait)  # a message that came first wins at once
            if kept is not None:
                event.succeed(kept)
            else:
                self._waits.setdefault(wait, []).append((event, inst, token))
            options.append((target, event, wait))
        race = simpy.AnyOf(self.env, [event for _, event, _ in options])
        inst.work[token] = race
        try:
            yield race
        finally:
            inst.work.pop(token, None)
            for _, event, pending in options:  # stop waiting for the others (all, if stopped)
                if pending is not None and not event.triggered:
                    self._forget(event, pending)
        winner, won, message_wait = next(
            o for o in options if (o[1].triggered if o[2] is not None else o[1].processed))
        inst.fired[token] = won.value if message_wait is not None else True
        return winner.id

    def _keep_time(self: Runner, inst: Instance, timer: Element, scope: Scope) -> Steps:
        """A non-interrupting boundary timer: a new token every `hours`, `repeat` times."""
        host = inst.process.by_id[timer.attached_to or ""]
        try:
            for _ in range(timer.repeat or 1):
                yield self.env.timeout(timer.hours or 0.0)
                self._rec("timer", inst, timer.id, f"non-interrupting boundary timer "
                          f"'{timer.name}' on '{host.name}' fired")
                self._spawn(inst, timer.id, scope)
        except simpy.Interrupt:
            return
