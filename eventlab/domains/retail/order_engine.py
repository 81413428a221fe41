"""The Order service as the talk means orchestration: a workflow engine with its strengths on.

:func:`fulfilment_process` is the order flow in BPMN terms: an embedded subprocess "Fulfil
order" with three service tasks (retrieve payment, fetch goods, ship goods), each a job done
by a service over the transport and each compensable once it completed (refund the payment,
return the goods), and three boundary events on the subprocess:

* a **non-interrupting** SLA timer: when the order is late, a token leaves it and sends
  ``OrderDelayedEvent`` (an escalation) while the work goes on;
* an **interrupting** deadline timer: the order is cancelled wherever it is, and the steps
  that completed are compensated, newest first (a step that never completed is not);
* an **error** boundary for ``OUT_OF_STOCK`` (Inventory answered ``GoodsUnavailableEvent``):
  cancel and compensate the same way.

:class:`OrderEngine` runs it: its commands go out from the engine's durable log (an
:class:`~eventlab.engines.workflow.outbox.Outbox`: at least once, re-sent after a crash), its
workers are :class:`~eventlab.engines.workflow.remote.RemoteJobs` (retries with growing
backoff, then an incident per instance that :meth:`resolve` lets continue; a job nobody
answered is activated again after ``job_timeout``), and replies are correlated by command
id with a message buffer (``message_ttl``) and message-id deduplication. Times are in the
world's unit.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from eventlab.core.errors import ConfigError, check_float, check_int
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.domains.retail.fulfilment import FULFILMENT
from eventlab.engines.workflow.definition import (
    Element,
    Process,
    boundary,
    end,
    error_boundary,
    send,
    service,
    start,
    subprocess,
)
from eventlab.engines.workflow.engine import Engine
from eventlab.engines.workflow.instance import Instance, Job
from eventlab.engines.workflow.outbox import Outbox, Publisher
from eventlab.engines.workflow.remote import COMMAND_ID, Remote, RemoteJobs

OUT_OF_STOCK = "OUT_OF_STOCK"
DELIVERED, CANCELLED, NO_STOCK = "Order delivered", "Order cancelled", "Order cancelled: " \
                                                                        "out of stock"
# The step each service task stands for, and the job type of each task and compensation.
TASK_STEPS = {"pay": "payment", "fetch": "inventory", "ship": "shipping"}
FAILED = "CommandFailedEvent"


def fulfilment_process(*, sla: float, deadline: float, retries: int = 3) -> Process:
    """The orchestrated order flow (see the module text); `sla` and `deadline` in the world's
    unit, `retries` per service task before an incident."""
    sla = check_float("sla", sla, low=0.0, low_open=True)
    deadline = check_float("deadline", deadline, low=0.0, low_open=True)
    if deadline <= sla:
        raise ConfigError(f"deadline ({deadline}) must be later than the sla ({sla})")
    retries = check_int("retries", retries, low=1, high=100)
    inner = "fulfil"
    return Process("fulfilment", "Order fulfilment", [
        start("placed", "Order placed", message="OrderPlacedEvent"),
        subprocess(inner, "Fulfil order"),
        start("fulfil_start", "Fulfil", parent=inner),
        service("pay", "Retrieve payment", job="retrieve-payment", retries=retries,
                compensation="refund-payment", parent=inner),
        service("fetch", "Fetch goods", job="fetch-goods", retries=retries,
                compensation="return-goods", parent=inner),
        service("ship", "Ship goods", job="ship-goods", retries=retries, parent=inner),
        end("fulfilled", "Fulfilled", parent=inner),
        boundary("sla", "SLA", attached_to=inner, hours=sla, interrupting=False),
        send("escalate", "Tell customer service", message="OrderDelayedEvent"),
        end("escalated", "Escalated"),
        boundary("deadline", "Deadline", attached_to=inner, hours=deadline),
        end("cancelled", CANCELLED, compensate=True),
        error_boundary("no_stock", "Out of stock", attached_to=inner, error=OUT_OF_STOCK),
        end("no_stock_end", NO_STOCK, compensate=True),
        end("delivered", DELIVERED, message="OrderCompletedEvent"),
    ], [("placed", inner), ("fulfil_start", "pay"), ("pay", "fetch"), ("fetch", "ship"),
        ("ship", "fulfilled"), (inner, "delivered"), ("sla", "escalate"),
        ("escalate", "escalated"), ("deadline", "cancelled"), ("no_stock", "no_stock_end")])


def _order(job: Job) -> dict[str, object]:
    return {"orderId": job.instance.key}


REMOTES: dict[str, Remote] = {
    "retrieve-payment": Remote("RetrievePaymentCommand", "PaymentReceivedEvent", FAILED,
                               payload=_order),
    "fetch-goods": Remote("FetchGoodsCommand", "GoodsFetchedEvent", FAILED,
                          errors={"GoodsUnavailableEvent": OUT_OF_STOCK}, payload=_order),
    "ship-goods": Remote("ShipGoodsCommand", "GoodsShippedEvent", FAILED, payload=_order),
    "refund-payment": Remote("RefundPaymentCommand", "PaymentRefundedEvent", FAILED,
                             payload=_order),
    "return-goods": Remote("ReturnGoodsCommand", "GoodsReturnedEvent", FAILED, payload=_order),
}


class OrderEngine:
    """The Order service: the fulfilment process on its own engine, talking by commands."""

    def __init__(self, world: World, connect: Callable[[], Publisher], process: Process, *,
                 retry_backoff: float, backoff_factor: float, job_timeout: float,
                 message_ttl: float,
                 on_incident: Callable[[Instance, Element], None] | None = None) -> None:
        self.world = world
        self.outbox = Outbox(world, "Order log", connect)
        self.engine = Engine(world, "Order", sender=self._send, retry_backoff=retry_backoff,
                             backoff_factor=backoff_factor, job_timeout=job_timeout,
                             message_ttl=message_ttl, on_incident=on_incident)
        self.engine.deploy(process)
        self.remote = RemoteJobs(self.engine, self.outbox, FULFILMENT, sender="Order")
        for job_type, remote in REMOTES.items():
            self.remote.register(job_type, remote)
        self.up = True
        self.by_order: dict[str, Instance] = {}

    @property
    def consumes(self) -> list[str]:
        """What the Order reads: the start message and every reply."""
        names = ["OrderPlacedEvent"]
        for remote in REMOTES.values():
            names += [n for n in remote.replies if n not in names]
        return names

    def receive(self, message: Message) -> str:
        """A copy of a message from the transport: a reply is correlated by its command id."""
        if not self.up:
            raise ConfigError("the Order service is down: nothing can be delivered to it")
        key = message.payload.get(COMMAND_ID)
        outcome = self.engine.deliver(message, key=None if key is None else str(key))
        if outcome == "started":
            self.by_order[str(message.key)] = self.engine.instances[-1]
        return outcome

    def _send(self, inst: Instance, el: Element) -> None:
        self.outbox.append(FULFILMENT.make(self.world, str(el.message), sender="Order",
                                           key=inst.key, correlation_id=inst.correlation_id,
                                           payload={"orderId": inst.key}))

    def resolve(self, inst: Instance, *, retries: int) -> None:
        """An operator fixed the cause: give the instance's incident `retries` more tries."""
        self.engine.resolve(inst, retries=retries)

    def crash(self) -> None:
        """The Order service's process dies: its log's relay stops (the engine's state is
        durable: instances, timers, subscriptions and the log survive)."""
        if not self.up:
            raise ConfigError("the Order service is already down")
        self.up = False
        self.world.trace.record("fault", self.world.now, "Order", detail="down")
        if self.outbox.up:
            self.outbox.crash()

    def restart(self) -> None:
        """Back up: the relay sends what the log holds from its checkpoint."""
        if self.up:
            raise ConfigError("the Order service is already up")
        self.up = True
        self.world.trace.record("note", self.world.now, "Order", detail="up again")
        if not self.outbox.up:
            self.outbox.restart()

    def table(self) -> pd.DataFrame:
        """One row per instance (the engine's table)."""
        return self.engine.table()
