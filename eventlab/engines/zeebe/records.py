"""Records in a partition's log, the workflow state they build, and client requests.

Zeebe keeps commands and events in one log; both are *records*. The stream processor decides
on a command against the current state (:func:`decide`: the invariant check) and the state is
a fold of the events (:func:`evolve`), so replaying a log's events rebuilds the live state
(:func:`replay`). The model's workflow is Zeebe's smallest: start → one service task → end.

``AddItem`` is a conditional write with a business invariant, for the CP/AP experiment: it
adds one item to an instance only while the instance holds fewer than the request's
``limit``. Its event carries the client's timestamp (``at``), which a last-writer-wins merge
compares. ``MergeItems`` and ``ReplaceItems`` are what a reconciliation appends after a
split heals (:mod:`eventlab.engines.zeebe.reconcile`): they bring in writes that were already
acknowledged on the other side, so they skip the limit on purpose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventlab.core.messages import Message

COMMANDS: tuple[str, ...] = ("CreateProcessInstance", "CompleteJob", "UpdateVariables",
                             "PublishMessage", "AddItem", "MergeItems", "ReplaceItems")
# gRPC status codes a client can see (Zeebe's gateway speaks gRPC)
OK, REJECTED, UNAVAILABLE = "OK", "REJECTED", "UNAVAILABLE"
EXHAUSTED, TIMEOUT = "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"
OUTCOMES: tuple[str, ...] = (OK, REJECTED, UNAVAILABLE, EXHAUSTED, TIMEOUT)

State = dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Record:
    """A command, an event or a rejection in the log. `source` is the command's log index."""

    kind: str  # "command", "event" or "rejection"
    type: str
    key: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    source: int = 0
    message: Message | None = None
    request: Request | None = field(default=None, compare=False)


class Request:
    """One client call through the gateway, and what came of it."""

    __slots__ = (
        "admitted_at",
        "client",
        "detail",
        "done_at",
        "gateway",
        "index",
        "message",
        "on_done",
        "outcome",
        "partition",
        "result",
        "segment",
        "sent_at",
    )

    def __init__(self, message: Message, client: str, gateway: str, partition: int,
                 sent_at: float, on_done: Callable[[Request], None] | None = None) -> None:
        self.message = message
        self.client = client
        self.gateway = gateway
        self.partition = partition
        self.sent_at = sent_at
        self.on_done = on_done
        self.outcome: str | None = None
        self.detail = ""
        self.done_at: float | None = None
        self.index: int | None = None  # log index once appended
        self.admitted_at: float | None = None
        self.segment = ""
        self.result: Mapping[str, Any] | None = None  # the instance as the answer saw it

    @property
    def latency(self) -> float | None:
        """Milliseconds from send to answer (None while open)."""
        return None if self.done_at is None else self.done_at - self.sent_at

    def finish(self, now: float, outcome: str, detail: str = "") -> bool:
        """Settle the request once; later answers (a late response after a timeout) are ignored."""
        if self.outcome is not None:
            return False
        self.outcome, self.detail, self.done_at = outcome, detail, now
        if self.on_done is not None:
            self.on_done(self)
        return True


def decide(state: State, command: Record) -> tuple[list[tuple[str, dict[str, Any]]], str]:
    """The invariant check: the events a command leads to, or ``([], reason)`` to reject it."""
    instance, kind = state.get(command.key), command.type
    if kind == "CreateProcessInstance":
        if instance is not None:
            return [], "instance already exists"
        return [("ProcessInstanceCreated", {}), ("JobCreated", {})], ""
    if kind == "CompleteJob":
        if instance is None:
            return [], "no such instance"
        if instance["job"] != "CREATED":
            return [], f"job is {instance['job']}, not CREATED"
        return [("JobCompleted", {}), ("ProcessInstanceCompleted", {})], ""
    if kind == "UpdateVariables":
        if instance is not None and instance["status"] == "COMPLETED":
            return [], "instance is completed"
        return [("VariablesUpdated", {"value": command.payload.get("value")})], ""
    if kind == "PublishMessage":
        return [("MessagePublished", {"correlationKey": command.key})], ""
    if kind == "AddItem":
        items = instance["items"] if instance is not None else ()
        limit = int(command.payload.get("limit", 1_000_000))
        if len(items) >= limit:
            return [], f"limit of {limit} items reached"
        at = command.message.time if command.message is not None else 0.0
        return [("ItemAdded", {"item": command.payload.get("item"), "at": at})], ""
    if kind == "MergeItems":  # acknowledged elsewhere already: no limit check
        have = set(instance["items"]) if instance is not None else set()
        return [("ItemAdded", {"item": item, "at": at})
                for item, at in command.payload.get("items", ()) if item not in have], ""
    if kind == "ReplaceItems":
        return [("ItemsReplaced", {"items": tuple(command.payload.get("items", ())),
                                   "at": command.payload.get("at", 0.0)})], ""
    return [], f"unknown command {kind!r}"


def _new() -> dict[str, Any]:
    return {"status": "ACTIVE", "job": "NONE", "version": 0, "value": None, "items": (),
            "written_at": 0.0}


def evolve(state: State, event_type: str, key: str, payload: Mapping[str, Any]) -> None:
    """Apply one event to `state` in place (the only way state ever changes)."""
    if event_type == "ProcessInstanceCreated":
        state[key] = _new()
        return
    instance = state.setdefault(key, _new())
    instance["version"] += 1
    if event_type == "JobCreated":
        instance["job"] = "CREATED"
    elif event_type == "JobCompleted":
        instance["job"] = "COMPLETED"
    elif event_type == "ProcessInstanceCompleted":
        instance["status"] = "COMPLETED"
    elif event_type == "VariablesUpdated":
        instance["value"] = payload.get("value")
    elif event_type == "ItemAdded":
        instance["items"] = (*instance["items"], payload.get("item"))
        instance["written_at"] = max(instance["written_at"], float(payload.get("at", 0.0)))
    elif event_type == "ItemsReplaced":
        instance["items"] = tuple(payload.get("items", ()))
        instance["written_at"] = float(payload.get("at", 0.0))


def replay(records: Iterable[Any]) -> State:
    """The state a log's events add up to (commands, rejections and no-ops are skipped)."""
    state: State = {}
    for record in records:
        if getattr(record, "kind", "") == "event":
            evolve(state, record.type, record.key, record.payload)
    return state
