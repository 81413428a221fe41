"""The world a scenario runs in: a SimPy clock, seeded random streams, counter ids, a trace.

Determinism rules, enforced here so scenarios cannot forget them:

* one seed per run; every random source asks for its own named stream, so adding a new
  source (or drawing more from one) never shifts the numbers another source sees;
* stream seeds come from SHA-256 of ``"<seed>/<name>"``: the same on every machine and in
  every Python process (``hash()`` would change with ``PYTHONHASHSEED``);
* ids are counters per prefix (``msg-0001``), never uuid4 and never the wall clock.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

import simpy

from eventlab.core.budget import Environment
from eventlab.core.config import MAX_SEED
from eventlab.core.errors import check_int, check_text
from eventlab.core.messages import Command, Event, Message, Query
from eventlab.core.trace import Recorder


def stream_seed(seed: int, name: str) -> int:
    """The seed of the random stream `name` within a run seeded with `seed`."""
    digest = hashlib.sha256(f"{seed}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class World:
    """One simulation run's shared plumbing. Scenarios create exactly one per `run()`."""

    def __init__(self, seed: int) -> None:
        check_int("seed", seed, low=0, high=MAX_SEED)
        self.seed = seed
        # SimPy's clock plus the run-budget guard (stops a run that outgrows the budget).
        self.env: simpy.Environment = Environment()
        self.trace = Recorder()
        self._streams: dict[str, random.Random] = {}
        self._counters: dict[str, int] = {}

    @property
    def now(self) -> float:
        """Current simulated time."""
        return float(self.env.now)

    def rng(self, name: str) -> random.Random:
        """The independent random stream called `name` (created on first use)."""
        stream = self._streams.get(name)
        if stream is None:
            check_text("stream name", name)
            stream = self._streams[name] = random.Random(stream_seed(self.seed, name))
        return stream

    def new_id(self, prefix: str) -> str:
        """Next counter id for `prefix`: ``msg-0001``, ``msg-0002``, ..."""
        count = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = count
        return f"{prefix}-{count:04d}"

    def _message(
        self, cls: type[Message], type_: str, sender: str, key: str | None,
        payload: Mapping[str, Any] | None, caused_by: Message | None,
        correlation_id: str | None,
    ) -> Any:
        # Inlined counter (same ids as new_id("msg")): this runs for every message of a run.
        count = self._counters.get("msg", 0) + 1
        self._counters["msg"] = count
        message_id = f"msg-{count:04d}"
        causation_id = None
        if caused_by is not None:
            # Follow-up messages inherit the business case and point at their cause.
            correlation_id = correlation_id or caused_by.correlation_id
            causation_id = caused_by.message_id
        return cls(
            message_id=message_id, type=type_, sender=sender, time=float(self.env.now), key=key,
            correlation_id=correlation_id or message_id, causation_id=causation_id,
            payload=payload if payload is not None else {},
        )

    def event(
        self, type_: str, *, sender: str, key: str | None = None,
        payload: Mapping[str, Any] | None = None, caused_by: Message | None = None,
        correlation_id: str | None = None,
    ) -> Event:
        """A new event stamped with the current time and the next message id."""
        msg: Event = self._message(Event, type_, sender, key, payload, caused_by, correlation_id)
        return msg

    def command(
        self, type_: str, *, sender: str, key: str | None = None,
        payload: Mapping[str, Any] | None = None, caused_by: Message | None = None,
        correlation_id: str | None = None,
    ) -> Command:
        """A new command stamped with the current time and the next message id."""
        msg: Command = self._message(Command, type_, sender, key, payload, caused_by,
                                     correlation_id)
        return msg

    def query(
        self, type_: str, *, sender: str, key: str | None = None,
        payload: Mapping[str, Any] | None = None, caused_by: Message | None = None,
        correlation_id: str | None = None,
    ) -> Query:
        """A new query (a request for current state, such as a callback)."""
        msg: Query = self._message(Query, type_, sender, key, payload, caused_by, correlation_id)
        return msg
