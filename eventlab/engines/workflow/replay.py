"""Where the tokens were: per-element counts of a recorded run, for playing it back on a model.

A process engine's operations tool (Camunda's Operate, Cockpit before it) shows on the model how
many instances are *active* in each element, how many *completed* it, how many were *canceled*
there and where *incidents* wait. This module reads the same from a trace the engine wrote (see
:mod:`eventlab.engines.workflow.engine` for its rows), at every moment something changed::

    frames = replay(order_process(), trace, engine="Order")
    frames[-1].counts["charge"]      # ElementCount(active=0, completed=94, instances=88, ...)
    path(trace, "wf-order-0007")     # the elements that instance entered, in order

The trace has one row per token entering an element, not per token leaving it; a token leaves
its element when it enters the next one along a sequence flow (or when a boundary event on the
element interrupts it, or when its instance ends). With parallel branches the instance holds
several tokens, and the flow tells which one moved. An event subprocess has no flow out: it
completes with its scope (the instance ending completed, or the embedded subprocess around it
left by its flow), and is canceled when a boundary event interrupts that subprocess.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from eventlab.core.errors import ConfigError, check_int, check_text

ENDED = ("completed", "compensated", "terminated", "cancelled", "canceled")  # instance status


class ProcessLike(Protocol):
    """What replay needs of a process: its elements and its flows' ends."""

    @property
    def elements(self) -> tuple[Any, ...]: ...

    @property
    def flows(self) -> tuple[Any, ...]: ...


@dataclass(frozen=True)
class ElementCount:
    """One element at one moment: tokens in it now, tokens that completed it (and how many
    distinct instances those were), tokens canceled in it, open incidents in it."""

    active: int = 0
    completed: int = 0
    instances: int = 0
    canceled: int = 0
    incidents: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"active": self.active, "completed": self.completed,
                "instances": self.instances, "canceled": self.canceled,
                "incidents": self.incidents}


@dataclass(frozen=True)
class ReplayFrame:
    """The counts of every element that has any, after everything that happened at `time`."""

    time: float
    caption: str
    counts: Mapping[str, ElementCount] = field(repr=False)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {element: count.as_dict() for element, count in self.counts.items()}


@dataclass
class _State:
    active: Counter[str] = field(default_factory=Counter)
    completed: Counter[str] = field(default_factory=Counter)
    finishers: dict[str, set[str]] = field(default_factory=dict)  # element -> instances
    canceled: Counter[str] = field(default_factory=Counter)
    incidents: Counter[str] = field(default_factory=Counter)
    tokens: dict[str, list[str]] = field(default_factory=dict)  # instance -> its elements
    open_incidents: dict[str, list[str]] = field(default_factory=dict)

    def complete(self, instance: str, element: str) -> None:
        self.active[element] -= 1
        self.completed[element] += 1
        self.finishers.setdefault(element, set()).add(instance)

    def snapshot(self, elements: list[str]) -> dict[str, ElementCount]:
        out = {}
        for element in elements:
            count = ElementCount(self.active[element], self.completed[element],
                                 len(self.finishers.get(element, ())), self.canceled[element],
                                 self.incidents[element])
            if count != ElementCount():
                out[element] = count
        return out


def replay(process: ProcessLike, trace: pd.DataFrame, *, engine: str,
           max_frames: int = 400) -> list[ReplayFrame]:
    """The element counts after each moment at which `engine`'s tokens moved (evenly thinned
    to at most `max_frames`, always keeping the last)."""
    if not isinstance(trace, pd.DataFrame):
        raise TypeError(f"trace must be a pandas DataFrame, got {type(trace).__name__}")
    check_text("engine", engine)
    check_int("max_frames", max_frames, low=2, high=10_000)
    kinds = {el.id: el.kind for el in process.elements}
    order = list(kinds)
    into: dict[str, set[str]] = {}
    for flow in process.flows:
        into.setdefault(flow.target, set()).add(flow.source)
    attached = {el.id: (el.attached_to, bool(getattr(el, "interrupting", True)))
                for el in process.elements if getattr(el, "attached_to", None)}
    events: dict[str | None, list[str]] = {}  # scope -> its event subprocesses
    for el in process.elements:
        if getattr(el, "triggered_by_event", False):
            events.setdefault(getattr(el, "parent", None), []).append(el.id)
    rows = trace[(trace["actor"] == engine) & trace["kind"].isin(["state", "reject"])]
    if rows.empty:
        known = ", ".join(str(a) for a in trace["actor"].dropna().unique()[:8])
        raise ConfigError(f"engine {engine!r} wrote nothing to this trace; actors: {known}")
    state = _State()
    frames: list[ReplayFrame] = []
    last_time: float | None = None
    caption = ""
    for row in rows.itertuples(index=False):
        time = float(row.time)  # type: ignore[arg-type]
        if last_time is not None and time != last_time:
            frames.append(ReplayFrame(last_time, caption, state.snapshot(order)))
        last_time = time
        entity, value, detail = (x if isinstance(x, str) else ""
                                 for x in (row.entity, row.value, row.detail))
        if entity.endswith(":status"):
            instance = entity.removesuffix(":status")
            caption = f"t={time:g}: {instance} {value}"
            if value in ENDED:
                done = events.get(None, []) if value in ("completed", "compensated") else []
                _end(state, instance, done)
            elif detail.endswith("resolved") and state.open_incidents.get(instance):
                state.incidents[state.open_incidents[instance].pop(0)] -= 1
            continue
        if row.kind == "reject" and value in kinds:
            state.incidents[value] += 1
            state.open_incidents.setdefault(entity, []).append(value)
            caption = f"t={time:g}: incident at {value} ({entity})"
            continue
        if value not in kinds:  # "cancelled", "undo x": not a token entering an element
            continue
        _enter(state, entity, value, kinds, into.get(value, set()), attached.get(value),
               events)
        caption = f"t={time:g}: {entity} enters {value}"
    if last_time is not None:
        frames.append(ReplayFrame(last_time, caption, state.snapshot(order)))
    if len(frames) > max_frames:
        picks = sorted({round(i * (len(frames) - 1) / (max_frames - 1))
                        for i in range(max_frames)})
        frames = [frames[i] for i in picks]
    return frames


def _enter(state: _State, instance: str, element: str, kinds: Mapping[str, str],
           sources: set[str], boundary: tuple[str, bool] | None,
           events: Mapping[str | None, list[str]]) -> None:
    tokens = state.tokens.setdefault(instance, [])
    if boundary is not None:
        task, interrupting = boundary
        if interrupting and task in tokens:
            tokens.remove(task)
            state.active[task] -= 1
            state.canceled[task] += 1
            _leave_events(state, instance, events.get(task, []), completed=False)
    else:
        came_from = next((t for t in tokens if t in sources), None)
        if came_from is not None:
            tokens.remove(came_from)
            state.complete(instance, came_from)
            _leave_events(state, instance, events.get(came_from, []), completed=True)
            if kinds.get(came_from) == "parallel":
                # a join: the other branches' tokens that waited there merged into this one
                while came_from in tokens:
                    tokens.remove(came_from)
                    state.active[came_from] -= 1
    tokens.append(element)
    state.active[element] += 1
    if kinds.get(element) == "end":  # an end event completes as it is reached
        tokens.remove(element)
        state.complete(instance, element)


def _leave_events(state: _State, instance: str, events: list[str], *, completed: bool) -> None:
    """The scope of these event subprocesses ended: one that ran completed or was canceled
    with it."""
    tokens = state.tokens.get(instance, [])
    for element in events:
        while element in tokens:
            tokens.remove(element)
            if completed:
                state.complete(instance, element)
            else:
                state.active[element] -= 1
                state.canceled[element] += 1


def _end(state: _State, instance: str, done: list[str]) -> None:
    """The instance ended: an event subprocess of the process that ran (`done`) completed
    with it; tokens still in other elements were canceled there."""
    _leave_events(state, instance, done, completed=True)
    for element in state.tokens.pop(instance, []):
        state.active[element] -= 1
        state.canceled[element] += 1
    for element in state.open_incidents.pop(instance, []):
        state.incidents[element] -= 1


def path(trace: pd.DataFrame, instance: str) -> list[str]:
    """The elements `instance` entered, in order (an element entered twice appears twice)."""
    if not isinstance(trace, pd.DataFrame):
        raise TypeError(f"trace must be a pandas DataFrame, got {type(trace).__name__}")
    check_text("instance", instance)
    rows = trace[(trace["entity"] == instance) & (trace["kind"] == "state")]
    if rows.empty:
        raise ConfigError(f"instance {instance!r} is not in the trace")
    return [str(v) for v, d in zip(rows["value"], rows["detail"], strict=True)
            if isinstance(d, str) and d.startswith("token at")]


def instances(trace: pd.DataFrame, *, engine: str) -> list[str]:
    """The instances `engine` started, in the order it started them."""
    check_text("engine", engine)
    rows = trace[(trace["actor"] == engine) & (trace["kind"] == "state")]
    status = rows[rows["entity"].fillna("").str.endswith(":status") & (rows["value"] == "active")]
    return list(dict.fromkeys(str(e).removesuffix(":status") for e in status["entity"]))
