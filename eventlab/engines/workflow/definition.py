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

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eventlab.core.errors import ConfigError, check_text
from eventlab.engines.workflow.elements import (
    ACTIVITIES,
    BOUNDARIES,
    GATEWAYS,
    KINDS,
    TASKS,
    USER_JOB,
    Element,
    Flow,
    FlowLike,
    boundary,
    catch,
    end,
    error_boundary,
    error_start,
    event_based,
    event_subprocess,
    exclusive,
    parallel,
    receive,
    send,
    service,
    start,
    subprocess,
    throw,
    timer,
    user,
)
from eventlab.engines.workflow.validation import validate

# The palette is re-exported: a definition reads ``from ...definition import Process, start``.
__all__ = ["ACTIVITIES", "BOUNDARIES", "GATEWAYS", "KINDS", "TASKS", "USER_JOB", "Element", "Flow",
           "FlowLike", "Process", "boundary", "catch", "end", "error_boundary", "error_start",
           "event_based", "event_subprocess", "exclusive", "parallel", "receive", "send",
           "service", "start", "subprocess", "throw", "timer", "user"]


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
        elements_, flows_ = _in_scope_order(_as_elements(elements), [_as_flow(f) for f in flows])
        object.__setattr__(self, "elements", elements_)
        object.__setattr__(self, "flows", flows_)
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

    @cached_property
    def _children(self) -> dict[str | None, tuple[Element, ...]]:
        scopes: dict[str | None, list[Element]] = {None: []}
        for e in self.elements:
            if e.kind == "subprocess":
                scopes.setdefault(e.id, [])
        for e in self.elements:
            scopes.setdefault(e.parent, []).append(e)
        return {scope: tuple(found) for scope, found in scopes.items()}

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
        """Boundary events (timers and errors) attached to the element."""
        return self._boundaries[element_id]

    def children(self, scope: str | None = None) -> tuple[Element, ...]:
        """The elements directly inside embedded subprocess `scope` (None: the process's own)."""
        return self._children.get(scope, ())

    def scope_start(self, scope: str | None = None) -> Element:
        """The start event of a scope: the process (None), an embedded subprocess, or an
        event subprocess (its error start event)."""
        return next(e for e in self.children(scope) if e.kind in ("start", "error_start"))

    def event_subprocesses(self, scope: str | None = None) -> tuple[Element, ...]:
        """The event subprocesses directly inside `scope` (None: the process), in order."""
        return tuple(e for e in self.children(scope) if e.triggered_by_event)

    @property
    def start_event(self) -> Element:
        """The (single) start event of the process itself."""
        return self.scope_start(None)

    def jobs(self) -> set[str]:
        """Every worker type the process needs: service jobs, user tasks and compensations."""
        return ({e.job for e in self.elements if e.job}
                | {e.compensation for e in self.elements if e.compensation}
                | ({USER_JOB} if any(e.kind == "user" for e in self.elements) else set()))


def _as_elements(elements: Iterable[Element]) -> list[Element]:
    if isinstance(elements, str | Element) or not isinstance(elements, Iterable):
        raise TypeError(f"elements must be a list of Element, got {elements!r}")
    out = list(elements)
    for e in out:
        if not isinstance(e, Element):
            raise TypeError(f"elements must be Element objects (use start(), service(), ...), "
                            f"got {type(e).__name__} {e!r}")
    return out


def _in_scope_order(elements: list[Element],
                    flows: list[Flow]) -> tuple[tuple[Element, ...], tuple[Flow, ...]]:
    """Elements with each subprocess's contents right after it, flows grouped by scope in
    the same order; the order inside a scope is kept (it gives gateways their priorities).

    One order for one model, however it was listed, so a process read back from BPMN (where
    a subprocess nests its contents) equals the one written. A process without subprocesses
    keeps the order it was given.
    """
    if all(e.parent is None for e in elements):
        return tuple(elements), tuple(flows)
    inside: dict[str | None, list[Element]] = {}
    for e in elements:
        inside.setdefault(e.parent, []).append(e)
    ordered: list[Element] = []
    scopes: list[str | None] = [None]

    def visit(scope: str | None) -> None:
        for e in inside.pop(scope, []):
            ordered.append(e)
            if e.kind == "subprocess":
                scopes.append(e.id)
                visit(e.id)

    visit(None)
    for rest in inside.values():  # parents that are no subprocess: validation names them
        ordered.extend(rest)
    scope_of = {e.id: e.parent for e in elements}
    rank = {scope: i for i, scope in enumerate(scopes)}
    by_scope = sorted(range(len(flows)),
                      key=lambda i: (rank.get(scope_of.get(flows[i].source), len(rank)), i))
    return tuple(ordered), tuple(flows[i] for i in by_scope)


def _as_flow(flow: Any) -> Flow:
    if isinstance(flow, Flow):
        return flow
    if isinstance(flow, tuple) and len(flow) in (2, 3):
        return Flow(*flow)
    raise TypeError(f"a flow must be (source, target) or (source, target, (variable, value)), "
                    f"got {flow!r}")
