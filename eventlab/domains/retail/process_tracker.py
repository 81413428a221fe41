"""A process tracker that acts: choreography's own answer to "who sees a stuck order?".

The tracker of the InfoWorld article, grown up: it reads every event of the shop (through an
idempotent inbox, so a redelivered event counts once), keeps one row per order (placed, the
last step seen, finished or not), and every `period` it looks at the open orders:

* an order open for `sla` gets an ``OrderDelayedEvent`` (an escalation: customer service
  hears of it; the work goes on);
* an order open for `deadline` gets an ``OrderCancelledEvent`` ("cancel the registration
  after 4 hours, wherever the flow is"): every service undoes its own part on that event,
  which is how a choreography compensates.

It acts only through events, sent from its own outbox (a crash between deciding and sending
re-sends after the restart). An order is finished for the tracker when its goods are shipped,
missing (``GoodsUnavailableEvent``) or it was cancelled. Because it looks every `period`, it
sees a late order at most one period after its SLA ran out (plus any time it was down).
Times are in the world's unit.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import simpy

from eventlab.core.errors import ConfigError, check_float, check_text
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.domains.retail.fulfilment import FULFILMENT
from eventlab.engines.workflow.inbox import Inbox
from eventlab.engines.workflow.outbox import Outbox, Publisher

FINISHING = {"GoodsShippedEvent": "delivered", "GoodsUnavailableEvent": "out of stock",
             "OrderCancelledEvent": "cancelled"}


@dataclass
class Tracked:
    """What the tracker knows of one order."""

    order: str
    trace: str
    placed: float
    last: str = "OrderPlacedEvent"
    finished: str | None = None
    finished_at: float | None = None
    escalated_at: float | None = None
    cancel_sent_at: float | None = None


class ProcessTracker:
    """Reads every event, escalates late orders and cancels overdue ones, through events."""

    def __init__(self, world: World, connect: Callable[[], Publisher], *, sla: float,
                 deadline: float, period: float, name: str = "Tracking") -> None:
        self.world = world
        self.name = check_text("name", name)
        self.sla = check_float("sla", sla, low=0.0, low_open=True)
        self.deadline = check_float("deadline", deadline, low=0.0, low_open=True)
        if self.deadline <= self.sla:
            raise ConfigError(f"deadline ({deadline}) must be later than the sla ({sla}): "
                              "an order is escalated before it is cancelled")
        self.period = check_float("period", period, low=0.0, low_open=True)
        self.inbox = Inbox(world, f"{name} inbox")
        self.outbox = Outbox(world, f"{name} outbox", connect)
        self.orders: dict[str, Tracked] = {}  # durable: the tracking table
        self._open: dict[str, Tracked] = {}  # the rows not finished yet (what a look reads)
        self.up = True
        self.checks = 0
        world.env.process(self._watch())

    def receive(self, message: Message) -> None:
        """A copy of an event from the transport."""
        if not self.up:
            raise ConfigError(f"{self.name} is down: nothing can be delivered to it")
        if not self.inbox.receive(message.message_id, message):
            return
        self.inbox.done(message.message_id)
        order = str(message.key)
        row = self.orders.get(order)
        if message.type == "OrderPlacedEvent":
            if row is None:  # the checkout's time is when the customer's clock started
                row = Tracked(order, str(message.correlation_id), message.time)
                self.orders[order] = self._open[order] = row
            return
        if row is None:
            return  # an event about an order placed before tracking began
        row.last = message.type
        finished = FINISHING.get(message.type)
        if finished is not None and row.finished is None:
            row.finished, row.finished_at = finished, self.world.now
            self._open.pop(order, None)

    def crash(self) -> None:
        """The tracker's process dies: it looks at nothing and sends nothing until restart."""
        if not self.up:
            raise ConfigError(f"{self.name} is already down")
        self.up = False
        self.world.trace.record("fault", self.world.now, self.name, detail="down")
        if self.outbox.up:
            self.outbox.crash()

    def restart(self) -> None:
        """Back up, with its durable tracking table and outbox."""
        if self.up:
            raise ConfigError(f"{self.name} is already up")
        self.up = True
        self.world.trace.record("note", self.world.now, self.name, detail="up again")
        if not self.outbox.up:
            self.outbox.restart()

    def _watch(self) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        while True:
            yield env.timeout(self.period)
            if self.up:
                self.check()

    def check(self) -> None:
        """Look at every open order once: escalate the late, cancel the overdue."""
        self.checks += 1
        now = self.world.now
        for row in list(self._open.values()):
            age = now - row.placed
            if age >= self.sla and row.escalated_at is None:
                row.escalated_at = now
                self._send("OrderDelayedEvent", row, f"open for {age:g}, SLA {self.sla:g}")
            if age >= self.deadline and row.cancel_sent_at is None:
                row.cancel_sent_at = now
                self._send("OrderCancelledEvent", row, f"open for {age:g}, deadline "
                                                       f"{self.deadline:g}")

    def _send(self, message_type: str, row: Tracked, why: str) -> None:
        message = FULFILMENT.make(self.world, message_type, sender=self.name, key=row.order,
                                  correlation_id=row.trace,
                                  payload={"orderId": row.order, "reason": why})
        self.outbox.append(message)

    def table(self) -> pd.DataFrame:
        """One row per tracked order: placed, last event, finished how and when, escalated
        and cancelled when."""
        columns = ["order", "trace", "placed", "last", "finished", "finished_at",
                   "escalated_at", "cancel_sent_at"]
        return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in self.orders.values()],
                            columns=columns)
