"""Trace rows that belong to a business case even when no message is involved.

The trace's ``correlation_id`` and ``key`` columns are filled from a message. A token moving,
a timer firing or an incident have no message, yet they belong to one order. :func:`record`
writes such a row with its case and key, so ``trace.case(table, "trace-0007")`` on the
run's trace table shows the messages *and* the workflow steps of order 7.
"""

from __future__ import annotations

from typing import Any

from eventlab.core.world import World


def record(world: World, kind: str, actor: str, *, case: str | None, key: str | None = None,
           **fields: Any) -> None:
    """Append one trace row (see :meth:`~eventlab.core.trace.Recorder.record`) tagged with a
    case."""
    world.trace.record(kind, world.now, actor, correlation_id=case, key=key, **fields)
