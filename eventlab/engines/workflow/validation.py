"""The structural checks every :class:`~eventlab.engines.workflow.definition.Process` passes when
built.

Each check raises :class:`~eventlab.core.errors.ConfigError` naming the process, the element and
what to do: unknown flow ends, dangling elements, several starts or no end, splits outside
gateways, conditions outside exclusive gateways, boundary timers on non-tasks, elements no
token can reach, and elements from which no path leads to an end (a token would be stuck).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from eventlab.core.errors import ConfigError
from eventlab.engines.workflow.elements import GATEWAYS, TASKS, Element, Flow


class Process(Protocol):
    """What the checks read of a :class:`~eventlab.engines.workflow.definition.Process` (a
    protocol, so that the definition can run these checks when it is built)."""

    @property
    def id(self) -> str: ...
    @property
    def elements(self) -> tuple[Element, ...]: ...
    @property
    def flows(self) -> tuple[Flow, ...]: ...

    @property
    def by_id(self) -> dict[str, Element]: ...
    @property
    def start_event(self) -> Element: ...
    def outgoing(self, element_id: str) -> tuple[Flow, ...]: ...
    def incoming(self, element_id: str) -> tuple[Flow, ...]: ...
    def boundaries(self, element_id: str) -> tuple[Element, ...]: ...


def validate(process: Process) -> None:
    """Raise ConfigError for the first structural mistake (names the element and the fix)."""
    ids = [e.id for e in process.elements]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"process {process.id!r}: duplicate element id(s) {dupes}")
    known = set(ids)
    for f in process.flows:
        for side, name in (("source", f.source), ("target", f.target)):
            if name not in known:
                raise ConfigError(f"process {process.id!r}: flow {f.source} -> {f.target} has "
                                  f"unknown {side} {name!r}; elements: {', '.join(ids)}")
    kinds = [e.kind for e in process.elements]
    if kinds.count("start") != 1:
        raise ConfigError(f"process {process.id!r} needs exactly one start event, "
                          f"found {kinds.count('start')}")
    if "end" not in kinds:
        raise ConfigError(f"process {process.id!r} needs at least one end event")
    for e in process.elements:
        _check_element(process, e, known)
    _check_reachable(process)


def _check_element(process: Process, e: Element, known: set[str]) -> None:
    out, inc = process.outgoing(e.id), process.incoming(e.id)
    where = f"process {process.id!r}: {e.kind} {e.id!r}"
    if e.kind in ("start", "boundary") and inc:
        raise ConfigError(f"{where} cannot have incoming flows (from {inc[0].source!r})")
    if e.kind == "end" and out:
        raise ConfigError(f"{where} cannot have outgoing flows (to {out[0].target!r})")
    if e.kind != "end" and not out:
        raise ConfigError(f"{where} is dangling: it has no outgoing flow; add one or use an "
                          "end event")
    if e.kind not in GATEWAYS and len(out) > 1:
        raise ConfigError(f"{where} has {len(out)} outgoing flows; only gateways may split "
                          "(add an exclusive or parallel gateway)")
    conditional = [f for f in out if f.when is not None]
    if conditional and e.kind != "exclusive":
        raise ConfigError(f"{where}: only flows leaving an exclusive gateway can have "
                          f"conditions ({conditional[0].label!r})")
    if e.kind == "exclusive" and len(out) - len(conditional) > 1:
        raise ConfigError(f"{where} has more than one default flow (flows without condition)")
    if e.kind == "boundary":
        host = process.by_id.get(e.attached_to or "")
        if e.attached_to not in known or host is None or host.kind not in TASKS:
            raise ConfigError(f"{where} must be attached to a task ({', '.join(TASKS)}) of "
                              f"this process, got attached_to={e.attached_to!r}")


def _successors(process: Process, element_id: str) -> list[str]:
    nxt = [f.target for f in process.outgoing(element_id)]
    return nxt + [b.id for b in process.boundaries(element_id)]


def _check_reachable(process: Process) -> None:
    seen = _closure([process.start_event.id], lambda i: _successors(process, i))
    unreachable = [e.id for e in process.elements if e.id not in seen]
    if unreachable:
        raise ConfigError(f"process {process.id!r}: no token can reach {unreachable}; connect "
                          "them to the flow or remove them")
    preds: dict[str, list[str]] = {e.id: [] for e in process.elements}
    for e in process.elements:
        for s in _successors(process, e.id):
            preds[s].append(e.id)
    live = _closure([e.id for e in process.elements if e.kind == "end"], lambda i: preds[i])
    stuck = [e.id for e in process.elements if e.id not in live]
    if stuck:
        raise ConfigError(f"process {process.id!r}: from {stuck} no path leads to an end "
                          "event; a token there would be stuck forever")


def _closure(first: Sequence[str], step: Callable[[str], Iterable[str]]) -> set[str]:
    seen, todo = set(first), list(first)
    while todo:
        for nxt in step(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
