"""Records in a partition's log, the workflow state they build, and client requests.

Zeebe keeps commands and events in one log; both are *records*. The stream processor decides
on a command against the current state (:func:`decide`: the invariant check) and the state is
a fold of the events (:func:`evolve`), so replaying a log's events rebuilds the live state
(:func:`replay`). The model's workflow is Zeebe's smallest: start → one service task → end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventlab.core.messages import Message

COMMANDS: tuple[str, ...] = ("CreateProcessInstance", "CompleteJob", "UpdateVariables",
                             "PublishMessage")
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
    return [], f"unknown command {kind!r}"


def _new() -> dict[str, Any]:
    return {"status": "ACTIVE", "job": "NONE", "version": 0, "value": None}


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


def replay(records: Iterable[Any]) -> State:
    """The state a log's events add up to (commands, rejections and no-ops are skipped)."""
    state: State = {}
    for record in records:
        if getattr(record, "kind", "") == "event":
            evolve(state, record.type, record.key, record.payload)
    return state
