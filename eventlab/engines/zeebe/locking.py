"""The locking alternative (the Camunda 7 way): state rows updated in place, optimistic locking.

Each workflow instance is one row with a version. A transaction takes a database connection,
reads the row and its version, works, then writes ``UPDATE ... WHERE version = v``. If
another transaction changed the row meanwhile the update hits no row: an
``OptimisticLockingException``; the work is thrown away and retried after an exponential
backoff with jitter, up to `max_retries` times. Contention on a hot row therefore costs
wasted work, retries and tail latency; the single writer has none of that (but is one thread).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from eventlab.core.errors import check_float, check_int
from eventlab.core.world import World

CONFLICT = "OptimisticLockingException"


class RowStore:
    """Rows with versions: read, then a write that succeeds only if the version is unchanged."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[int, Any]] = {}
        self.writes = 0
        self.conflicts = 0

    def read(self, key: str) -> tuple[int, Any]:
        """(version, value) of `key`; version 0 for a row that does not exist yet."""
        return self.rows.get(key, (0, None))

    def write(self, key: str, expected_version: int, value: Any) -> bool:
        """Write if the row still has `expected_version`; False (a conflict) otherwise."""
        version, _ = self.rows.get(key, (0, None))
        if version != expected_version:
            self.conflicts += 1
            return False
        self.rows[key] = (version + 1, value)
        self.writes += 1
        return True


class LockingEngine:
    """An engine whose state lives in a :class:`RowStore` behind a connection pool."""

    def __init__(self, world: World, *, connections: int = 8, db_roundtrip: float = 0.5,
                 work_time: float = 1.0, backoff: float = 2.0, max_retries: int = 10) -> None:
        self.world = world
        self.connections = check_int("connections", connections, low=1)
        self.db_roundtrip = check_float("db_roundtrip", db_roundtrip, low=0.0)
        self.work_time = check_float("work_time", work_time, low=0.0)
        self.backoff = check_float("backoff", backoff, low=0.0)
        self.max_retries = check_int("max_retries", max_retries, low=0)
        self.store = RowStore()
        self.pool = simpy.Resource(world.env, capacity=connections)
        self.retries = 0
        self.gave_up = 0
        self._rng = world.rng("locking/backoff")

    def execute(self, client: str, key: str,
                value: Any) -> Generator[simpy.Event, Any, tuple[bool, int]]:
        """One command as a transaction with retries; returns (succeeded, attempts)."""
        world, env, trace = self.world, self.world.env, self.world.trace
        attempt = 0
        while True:
            attempt += 1
            with self.pool.request() as connection:
                yield connection
                yield env.timeout(self.db_roundtrip)  # SELECT the row and its version
                version, _ = self.store.read(key)
                yield env.timeout(self.work_time)  # the engine's work on the instance
                yield env.timeout(self.db_roundtrip)  # UPDATE ... WHERE version = ?
                ok = self.store.write(key, version, value)
            if ok:
                trace.record("state", world.now, "database", target=client, entity=key,
                             value=version + 1, detail=f"committed (attempt {attempt})")
                return True, attempt
            trace.record("reject", world.now, "database", target=client, entity=key,
                         value=version, detail=f"{CONFLICT} (attempt {attempt})")
            if attempt > self.max_retries:
                self.gave_up += 1
                return False, attempt
            self.retries += 1
            delay = self.backoff * 2 ** (attempt - 1) * self._rng.uniform(0.5, 1.5)
            yield env.timeout(delay)
