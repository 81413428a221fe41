"""The companion code's processes (flowing-retail, 2019; times in hours), as BPMN files.

The order, tracking and payment flows ship as BPMN 2.0 files in ``eventlab/resources/``
(open them in Camunda Modeler, or with :func:`eventlab.engines.workflow.bpmn.read`); the
functions below read them and set their timers:

* :func:`order_process`: ``order.bpmn``: retrieve payment (20 days), fetch goods (12 h), ship
  goods (24 h), each a send task and a receive task with an interrupting boundary timer; a
  timeout ends the order and compensates "refund payment" if the payment was received. The
  change-request variants (``order-vip-fetch-first.bpmn``, ``order-fetch-first.bpmn``) fetch
  goods in parallel with the payment (for VIP customers only, or for everyone); then a
  fetched pick is compensated too ("return goods").
* :func:`payment_process`: ``payment.bpmn``: deduct customer credit (compensated by
  "restore customer credit"), charge the card for the rest, and when the card is declined
  ask the customer to update it and wait up to 7 days. The companion's BPMN uses an error
  boundary event for the declined card; here a gateway reads the worker's ``card_ok``.
* :func:`tracking_process`: ``zeebe-track``'s listen-only model (``order-tracking*.bpmn``):
  the same receives as the order, with SLA timers that end the tracking instance as
  "overdue" (nothing is undone).
* :func:`onboarding_process`: the InfoWorld article's on-boarding, optionally with the
  criminal records check (names reconstructed, see talk notes §7).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from eventlab.core.errors import check_bool, check_choice, check_float
from eventlab.core.resources import resource
from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.definition import (
    Element,
    FlowLike,
    Process,
    end,
    receive,
    send,
    start,
)

DAY = 24.0
VARIANTS: tuple[str, ...] = ("baseline", "vip_fetch_first", "fetch_first")
OUTCOMES: tuple[str, ...] = ("Order delivered", "Order canceled", "Goods not fetched in time",
                             "Goods not shipped in time")
TRACKED_OK = "Order completed"
# The file of each variant: order.bpmn, order-vip-fetch-first.bpmn, ...
_SUFFIX = {"baseline": "", "vip_fetch_first": "-vip-fetch-first", "fetch_first": "-fetch-first"}


def duration(hours: float) -> str:
    """How a timer is labelled: ``12 hours``, ``20 days``."""
    return f"{hours / DAY:g} days" if hours >= 2 * DAY else f"{hours:g} hours"


@cache
def load(name: str) -> Process:
    """The process in the package's BPMN file `name` (read once, then shared: a Process
    cannot change)."""
    return bpmn.read(resource(name))


def with_timers(process: Process, hours: dict[str, float]) -> Process:
    """`process` with its boundary timers set: `hours` maps a step (the timer's id without
    ``_timeout`` and any variant prefix: ``pay``, ``fetch``, ``ship``, ``update``) to hours;
    each timer is named after its duration (``20 days``)."""
    def timed(e: Element) -> Element:
        step = e.id.removesuffix("_timeout").rsplit("_", 1)[-1]
        if e.kind != "boundary" or step not in hours or hours[step] == e.hours:
            return e
        return replace(e, hours=hours[step], name=duration(hours[step]))

    elements = [timed(e) for e in process.elements]
    if elements == list(process.elements):
        return process
    return Process(process.id, process.name, elements, process.flows)


def _hours(payment_hours: float, fetch_hours: float, ship_hours: float) -> dict[str, float]:
    return {"pay": check_float("payment_hours", payment_hours, low=0.0, low_open=True),
            "fetch": check_float("fetch_hours", fetch_hours, low=0.0, low_open=True),
            "ship": check_float("ship_hours", ship_hours, low=0.0, low_open=True)}


def order_process(variant: str = "baseline", *, payment_hours: float = 20 * DAY,
                  fetch_hours: float = 12.0, ship_hours: float = 24.0) -> Process:
    """The order fulfilment flow of ``order.bpmn`` (or a change-request variant)."""
    check_choice("variant", variant, VARIANTS)
    hours = _hours(payment_hours, fetch_hours, ship_hours)
    return with_timers(load(f"order{_SUFFIX[variant]}.bpmn"), hours)


def tracking_process(variant: str = "baseline", *, payment_hours: float = 20 * DAY,
                     fetch_hours: float = 12.0, ship_hours: float = 24.0) -> Process:
    """Process tracking in listen-only mode: the order's receives with SLA timers."""
    check_choice("variant", variant, VARIANTS)
    hours = _hours(payment_hours, fetch_hours, ship_hours)
    return with_timers(load(f"order-tracking{_SUFFIX[variant]}.bpmn"), hours)


def payment_process(*, card_update_hours: float = 7 * DAY) -> Process:
    """Payment's local long-running flow (``payment.bpmn``)."""
    hours = check_float("card_update_hours", card_update_hours, low=0.0, low_open=True)
    return with_timers(load("payment.bpmn"), {"update": hours})


def onboarding_process(*, criminal_check: bool = False) -> Process:
    """Customer on-boarding as an orchestration: one command per check, then wait for it."""
    check_bool("criminal_check", criminal_check)
    checks = [("address", "Check address", "CheckAddress", "Address checked", "AddressChecked"),
              ("credit", "Check credit", "CheckCredit", "Credit checked", "CreditChecked")]
    if criminal_check:
        checks.append(("criminal", "Check criminal record", "CheckCriminalRecord",
                       "Criminal record checked", "CriminalRecordChecked"))
    elements: list[Element] = [start("requested", "Registration requested",
                                     message="RegistrationRequested")]
    flows: list[FlowLike] = []
    source = "requested"
    for key, send_name, command, recv_name, event in checks:
        elements += [send(f"{key}_send", send_name, message=command),
                     receive(f"{key}_received", recv_name, message=event)]
        flows += [(source, f"{key}_send"), (f"{key}_send", f"{key}_received")]
        source = f"{key}_received"
    elements.append(end("created", "Customer created", message="CustomerCreated"))
    flows.append((source, "created"))
    return Process("onboarding", "Customer on-boarding", elements, flows)
