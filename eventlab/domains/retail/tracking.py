"""Process tracking: a workflow engine in listen-only mode, fed by every event on the bus.

This is flowing-retail's ``zeebe-track`` (and the InfoWorld article's "process tracking"):
the tracker sends nothing and changes nothing; it starts a tracking instance on each
``OrderPlacedEvent``, correlates the later events by traceId, and its SLA timers (goods
fetched within 12 hours, shipped within 24 hours, ...) end an instance as *overdue* the moment
an order stops moving. That is the first baby step towards orchestration: the flow is
visible, and a stuck order is detected, but still nobody acts on it. Because its model knows
what comes next, it also notices a milestone that arrives when its order's instance does not
wait for it (a duplicate, a step out of order): :meth:`Tracker.unexpected`. Times are hours.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pandas as pd
import simpy

from eventlab.core.bus import Bus
from eventlab.core.errors import check_text
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.domains.retail.processes import TRACKED_OK, tracking_process
from eventlab.engines.workflow.definition import Process
from eventlab.engines.workflow.engine import Engine
from eventlab.engines.workflow.instance import Instance


class Tracker:
    """A listen-only engine on the bus: one tracking instance per order."""

    def __init__(self, world: World, bus: Bus, process: Process | None = None, *,
                 name: str = "Tracking") -> None:
        self.name = check_text("name", name)
        self.process = process or tracking_process()
        if not isinstance(self.process, Process):
            raise TypeError(f"process must be a Process, got {type(self.process).__name__}")
        self.engine = Engine(world, self.name, record_discards=False)
        self.engine.deploy(self.process)
        self.world = world
        # the milestones the model waits for: only these can arrive "unexpectedly"
        self.milestones = frozenset(str(e.message) for e in self.process.elements
                                    if e.kind in ("start", "receive") and e.message)
        self._open: dict[str, Instance] = {}  # case -> its tracking instance
        self._unexpected: list[tuple[float, str, str]] = []
        world.env.process(self._listen(bus.subscribe(self.name)))

    def _listen(self, inbox: simpy.Store) -> Generator[simpy.Event, Any, None]:
        while True:
            message: Message = yield inbox.get()
            handled = self.engine.deliver(message)
            case = str(message.correlation_id)
            if handled == "started":
                self._open[case] = self.engine.instances[-1]
            # a milestone nobody waits for now, or one received again (the engine absorbs
            # the repeat, the tracker still reports that it came)
            elif handled in ("discarded", "duplicate") and message.type in self.milestones:
                inst = self._open.get(case)
                if inst is not None and inst.finished_as is None:  # it waits for another one
                    self._unexpected.append((self.world.now, case, message.type))
                    self.world.trace.record("note", self.world.now, self.name,
                                            message=message, value="unexpected",
                                            detail=f"{message.type} not expected now")

    def unexpected(self) -> pd.DataFrame:
        """Milestones that arrived while their order's instance waited for another one."""
        return pd.DataFrame(self._unexpected, columns=["time", "traceId", "message type"])

    def table(self) -> pd.DataFrame:
        """One row per tracked case: outcome, and when (if ever) it was detected as overdue."""
        table = self.engine.table()
        overdue = table["outcome"].notna() & (table["outcome"] != TRACKED_OK)
        return pd.DataFrame({
            "traceId": table["correlation_id"], "order": table["key"],
            "tracked outcome": table["outcome"].fillna(table["status"]),
            "detected": overdue, "detected at": table["ended"].where(overdue),
        })
