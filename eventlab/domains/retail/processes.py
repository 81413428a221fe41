"""The companion code's processes as data (flowing-retail, 2019; times in hours).

* :func:`order_process`: ``order.bpmn``: retrieve payment (20 days), fetch goods (12 h), ship
  goods (24 h), each a send task and a receive task with an interrupting boundary timer; a
  timeout ends the order and compensates "refund payment" if the payment was received. The
  change-request variants fetch goods in parallel with the payment (for VIP customers only,
  or for everyone); then a fetched pick is compensated too ("return goods").
* :func:`payment_process`: ``payment.bpmn``: deduct customer credit (compensated by
  "restore customer credit"), charge the card for the rest, and when the card is declined
  ask the customer to update it and wait up to 7 days. The BPMN uses an error boundary
  event for the declined card; here a gateway reads the worker's ``card_ok``.
* :func:`tracking_process`: ``zeebe-track``'s listen-only model: the same receives as the
  order, with SLA timers that end the tracking instance as "overdue" (nothing is undone).
* :func:`onboarding_process`: the InfoWorld article's on-boarding, optionally with the
  criminal records check (names reconstructed, see talk notes §7).
"""

from __future__ import annotations

from eventlab.core.errors import check_bool, check_choice, check_float
from eventlab.engines.workflow.definition import (
    Element,
    FlowLike,
    Process,
    boundary,
    end,
    exclusive,
    parallel,
    receive,
    send,
    service,
    start,
    throw,
)

DAY = 24.0
VARIANTS: tuple[str, ...] = ("baseline", "vip_fetch_first", "fetch_first")
OUTCOMES: tuple[str, ...] = ("Order delivered", "Order canceled", "Goods not fetched in time",
                             "Goods not shipped in time")
TRACKED_OK = "Order completed"

# (step, send name, command, receive name, event, end name, overdue name, compensation)
_STEPS = {
    "pay": ("Retrieve payment", "RetrievePaymentCommand", "Payment received",
            "PaymentReceivedEvent", "Order canceled", "Payment overdue", "refund-payment"),
    "fetch": ("Fetch goods", "FetchGoodsCommand", "Goods fetched", "GoodsFetchedEvent",
              "Goods not fetched in time", "Fetching goods overdue", "return-goods"),
    "ship": ("Ship goods", "ShipGoodsCommand", "Goods shipped", "GoodsShippedEvent",
             "Goods not shipped in time", "Shipping overdue", None),
}


def duration(hours: float) -> str:
    """How a timer is labelled: ``12 hours``, ``20 days``."""
    return f"{hours / DAY:g} days" if hours >= 2 * DAY else f"{hours:g} hours"


class _Builder:
    def __init__(self, track: bool, hours: dict[str, float], undo_fetch: str | None) -> None:
        self.track, self.hours = track, hours
        self.undo_fetch = undo_fetch  # prefix of the steps whose pick is undone ("": all)
        self.elements: list[Element] = []
        self.flows: list[FlowLike] = []

    def step(self, step: str, prefix: str = "") -> tuple[str, str]:
        """Append one step (send + receive + boundary timer + end); return (first, last) ids."""
        send_name, command, recv_name, event, end_name, overdue, undo = _STEPS[step]
        if step == "fetch" and (self.undo_fetch is None or not prefix.startswith(self.undo_fetch)):
            undo = None
        p = prefix + step
        if not self.track:
            self.elements.append(send(f"{p}_send", send_name, message=command))
        recv = receive(f"{p}_received", recv_name, message=event,
                       compensation=None if self.track else undo)
        stop = end(f"{p}_overdue", overdue, terminate=True) if self.track else \
            end(f"{p}_failed", end_name, compensate=True)
        self.elements += [recv, boundary(f"{p}_timeout", duration(self.hours[step]),
                                         attached_to=recv.id, hours=self.hours[step]), stop]
        self.flows.append((f"{p}_timeout", stop.id))
        if self.track:
            return recv.id, recv.id
        self.flows.append((f"{p}_send", recv.id))
        return f"{p}_send", recv.id

    def chain(self, source: str, steps: list[str], prefix: str = "") -> str:
        for step in steps:
            first, last = self.step(step, prefix)
            self.flows.append((source, first))
            source = last
        return source

    def fork(self, source: str, prefix: str, when: tuple[str, bool] | None = None) -> str:
        """Payment and fetching in parallel; returns the join."""
        fork, join = parallel(f"{prefix}fork"), parallel(f"{prefix}join")
        self.elements += [fork, join]
        self.flows.append((source, fork.id) if when is None else (source, fork.id, when))
        for step in ("pay", "fetch"):
            self.flows.append((self.chain(fork.id, [step], prefix), join.id))
        return join.id


def _hours(payment_hours: float, fetch_hours: float, ship_hours: float) -> dict[str, float]:
    return {"pay": check_float("payment_hours", payment_hours, low=0.0, low_open=True),
            "fetch": check_float("fetch_hours", fetch_hours, low=0.0, low_open=True),
            "ship": check_float("ship_hours", ship_hours, low=0.0, low_open=True)}


def _order(variant: str, hours: dict[str, float], track: bool) -> Process:
    check_choice("variant", variant, VARIANTS)
    undo = {"baseline": None, "fetch_first": "", "vip_fetch_first": "vip_"}[variant]
    b = _Builder(track, hours, undo_fetch=undo)
    b.elements.append(start("placed", "Order placed", message="OrderPlacedEvent"))
    if variant == "baseline":
        before_ship = b.chain("placed", ["pay", "fetch"])
    elif variant == "fetch_first":
        before_ship = b.fork("placed", "")
    else:
        vip, merge = exclusive("vip", "VIP customer?"), exclusive("merge")
        b.elements += [vip, merge]
        b.flows.append(("placed", vip.id))
        b.flows.append((b.fork(vip.id, "vip_", ("vip", True)), merge.id))
        b.flows.append((b.chain(vip.id, ["pay", "fetch"]), merge.id))
        before_ship = merge.id
    last = b.chain(before_ship, ["ship"])
    ok = end("completed", TRACKED_OK, terminate=True) if track else \
        end("delivered", "Order delivered", message="OrderCompletedEvent")
    b.elements.append(ok)
    b.flows.append((last, ok.id))
    if track:
        return Process("order-tracking", "Order tracking", b.elements, b.flows)
    return Process("order", "Order", b.elements, b.flows)


def order_process(variant: str = "baseline", *, payment_hours: float = 20 * DAY,
                  fetch_hours: float = 12.0, ship_hours: float = 24.0) -> Process:
    """The order fulfilment flow of ``order.bpmn`` (or a change-request variant)."""
    return _order(variant, _hours(payment_hours, fetch_hours, ship_hours), track=False)


def tracking_process(variant: str = "baseline", *, payment_hours: float = 20 * DAY,
                     fetch_hours: float = 12.0, ship_hours: float = 24.0) -> Process:
    """Process tracking in listen-only mode: the order's receives with SLA timers."""
    return _order(variant, _hours(payment_hours, fetch_hours, ship_hours), track=True)


def payment_process(*, card_update_hours: float = 7 * DAY) -> Process:
    """Payment's local long-running flow (``payment.bpmn``)."""
    hours = check_float("card_update_hours", card_update_hours, low=0.0, low_open=True)
    return Process("payment", "Payment", [
        start("requested", "Payment retrieval requested"),
        service("deduct", "Deduct existing customer credit", job="deduct-credit",
                compensation="restore-credit"),
        throw("credit_used", "Customer credit used", message="CustomerCreditUsedEvent"),
        exclusive("complete", "Payment complete?"),
        service("charge", "Charge credit card", job="charge-card"),
        exclusive("charged", "Card charged?"),
        throw("card_charged", "Credit card charged", message="CreditCardChargedEvent"),
        exclusive("paid"),
        end("received", "Payment received", message="PaymentReceivedEvent"),
        send("ask", "Ask customer to update credit card", message="UpdateCreditCardCommand"),
        receive("updated", "Wait for customer to update credit card",
                message="CreditCardUpdated"),
        boundary("update_timeout", duration(hours), attached_to="updated", hours=hours),
        end("failed", "Payment failed", compensate=True),
    ], [("requested", "deduct"), ("deduct", "credit_used"), ("credit_used", "complete"),
        ("complete", "paid", ("paid_in_full", True)), ("complete", "charge"),
        ("charge", "charged"), ("charged", "card_charged", ("card_ok", True)),
        ("charged", "ask"), ("card_charged", "paid"), ("paid", "received"), ("ask", "updated"),
        ("updated", "charge"), ("update_timeout", "failed")])


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
