"""The structural checks every :class:`~eventlab.engines.workflow.definition.Process` passes when
built.

Each check raises :class:`~eventlab.core.errors.ConfigError` naming the process, the element and
what to do: unknown flow ends, dangling elements, several starts or no end, splits outside
gateways, conditions outside exclusive gateways, boundary events on non-activities, flows
between different subprocesses, elements no token can reach, and elements from which no
path leads to an end (a token would be stuck). An embedded subprocess is checked like a
process of its own: one plain start event, at least one end, everything reachable. An event
subprocess too, but its one start event is an error start event (the only kind it may have),
no flow enters or leaves it, nothing attaches to it, and no two event subprocesses of a
scope catch the same error code; an error start event anywhere else is a mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from eventlab.core.errors import ConfigError
from eventlab.engines.workflow.elements import ACTIVITIES, BOUNDARIES, GATEWAYS, Element, Flow


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
    def children(self, scope: str | None = None) -> tuple[Element, ...]: ...


def validate(process: Process) -> None:
    """Raise ConfigError for the first structural mistake (names the element and the fix)."""
    ids = [e.id for e in process.elements]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"process {process.id!r}: duplicate element id(s) {dupes}")
    known = set(ids)
    for e in process.elements:
        if e.parent is not None and (e.parent not in known
                                     or process.by_id[e.parent].kind != "subprocess"):
            raise ConfigError(f"process {process.id!r}: element {e.id!r} has parent="
                              f"{e.parent!r}, which is no subprocess of this process")
    for f in process.flows:
        for side, name in (("source", f.source), ("target", f.target)):
            if name not in known:
                raise ConfigError(f"process {process.id!r}: flow {f.source} -> {f.target} has "
                                  f"unknown {side} {name!r}; elements: {', '.join(ids)}")
        if process.by_id[f.source].parent != process.by_id[f.target].parent:
            raise ConfigError(f"process {process.id!r}: flow {f.source} -> {f.target} crosses "
                              "the border of a subprocess; a flow joins elements of one scope")
    for f in process.flows:
        _check_not_event_subprocess(process, f)
    scopes = [None, *(e.id for e in process.elements if e.kind == "subprocess")]
    for scope in scopes:
        _check_scope(process, scope)
    for scope in scopes:
        _check_error_codes(process, scope)
    for e in process.elements:
        _check_element(process, e, known)
    for scope in [None, *(e.id for e in process.elements if e.kind == "subprocess")]:
        _check_reachable(process, scope)


def _is_event_subprocess(process: Process, element_id: str | None) -> bool:
    return element_id is not None and process.by_id[element_id].triggered_by_event


def _check_not_event_subprocess(process: Process, f: Flow) -> None:
    """An event subprocess is started by its event, never by a token arriving on a flow."""
    for side, name in (("enters", f.target), ("leaves", f.source)):
        if _is_event_subprocess(process, name):
            raise ConfigError(f"process {process.id!r}: event subprocess {name!r} cannot have "
                              f"sequence flows (flow {f.source} -> {f.target} {side} it); its "
                              "error start event starts it")


def _check_scope(process: Process, scope: str | None) -> None:
    inside = process.children(scope)
    kinds = [e.kind for e in inside]
    event = _is_event_subprocess(process, scope)
    where = f"process {process.id!r}" if scope is None else \
        f"process {process.id!r}: {'event ' if event else ''}subprocess {scope!r}"
    misplaced = next((e for e in inside if e.kind == "error_start"), None)
    if misplaced is not None and not event:
        raise ConfigError(f"{where}: error start event {misplaced.id!r} can only start an "
                          "event subprocess; put it into one (event_subprocess(...), "
                          "parent=...) or use an error boundary event")
    starts = [e for e in inside if e.kind in ("start", "error_start")]
    if len(starts) != 1:
        raise ConfigError(f"{where} needs exactly one start event, found {len(starts)}")
    if "end" not in kinds:
        raise ConfigError(f"{where} needs at least one end event")
    if event:
        if starts[0].kind != "error_start":
            raise ConfigError(f"{where}: its start event {starts[0].id!r} must be an error "
                              "start event (the engine runs error event subprocesses only, "
                              "not message or timer ones)")
    elif scope is not None:
        first = next(e for e in inside if e.kind == "start")
        if first.message is not None or first.hours is not None:
            raise ConfigError(f"{where}: its start event {first.id!r} must be a plain one (no "
                              "message, no timer): the subprocess starts when a token enters")


def _check_error_codes(process: Process, scope: str | None) -> None:
    """Two event subprocesses of one scope catching the same code: which one runs would be
    arbitrary (Zeebe rejects such a model too)."""
    seen: dict[str | None, str] = {}
    for sub in process.children(scope):
        if not sub.triggered_by_event:
            continue
        first = next(e for e in process.children(sub.id) if e.kind == "error_start")
        if first.error in seen:
            what = f"error {first.error!r}" if first.error is not None else "every error"
            raise ConfigError(f"process {process.id!r}: event subprocesses {seen[first.error]!r} "
                              f"and {sub.id!r} both catch {what} in the same scope; keep one")
        seen[first.error] = sub.id


def _check_element(process: Process, e: Element, known: set[str]) -> None:
    out, inc = process.outgoing(e.id), process.incoming(e.id)
    where = f"process {process.id!r}: {e.kind} {e.id!r}"
    if e.kind in ("start", "error_start", *BOUNDARIES) and inc:
        raise ConfigError(f"{where} cannot have incoming flows (from {inc[0].source!r})")
    if e.kind == "end" and out:
        raise ConfigError(f"{where} cannot have outgoing flows (to {out[0].target!r})")
    if e.kind != "end" and not out and not e.triggered_by_event:
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
    if e.kind == "event_based":
        if len(out) < 2:
            raise ConfigError(f"{where} needs at least two outgoing flows (it waits for "
                              "whichever event comes first)")
        for f in out:
            target = process.by_id[f.target]
            if target.kind not in ("catch", "timer") or len(process.incoming(target.id)) != 1:
                raise ConfigError(f"{where}: flow to {f.target!r} must lead to a message catch "
                                  "or timer event that no other flow enters")
    if e.kind in BOUNDARIES:
        host = process.by_id.get(e.attached_to or "")
        if e.attached_to not in known or host is None or host.kind not in ACTIVITIES:
            raise ConfigError(f"{where} must be attached to a task ({', '.join(ACTIVITIES)}) "
                              f"of this process, got attached_to={e.attached_to!r}")
        if host.triggered_by_event:
            raise ConfigError(f"{where} is attached to event subprocess {host.id!r}, which "
                              "cannot have boundary events; attach it to a task or an "
                              "embedded subprocess")
        if host.parent != e.parent:
            raise ConfigError(f"{where} must be in the same scope as {host.id!r} "
                              f"(parent={host.parent!r})")

def _successors(process: Process, element_id: str) -> list[str]:
    nxt = [f.target for f in process.outgoing(element_id)]
    return nxt + [b.id for b in process.boundaries(element_id)]


def _check_reachable(process: Process, scope: str | None) -> None:
    # An event subprocess is reached by its event, not by flows: it is checked on its own.
    inside = [e for e in process.children(scope) if not e.triggered_by_event]
    first = next(e for e in inside if e.kind in ("start", "error_start"))
    seen = _closure([first.id], lambda i: _successors(process, i))
    unreachable = [e.id for e in inside if e.id not in seen]
    if unreachable:
        raise ConfigError(f"process {process.id!r}: no token can reach {unreachable}; connect "
                          "them to the flow or remove them")
    preds: dict[str, list[str]] = {e.id: [] for e in inside}
    for e in inside:
        for s in _successors(process, e.id):
            preds[s].append(e.id)
    live = _closure([e.id for e in inside if e.kind == "end"], lambda i: preds[i])
    stuck = [e.id for e in inside if e.id not in live]
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
