"""The wiring tables of the talk's examples, per architecture and change request.

Retail (flowing-retail): *sequential* choreography is the companion code's event chain
(Payment listens to ``OrderPlacedEvent``, Inventory to ``PaymentReceivedEvent``, Shipping to
``GoodsFetchedEvent``; the whole order travels along). *Parallel* choreography is the
"alternative flow": every service listens to ``OrderPlacedEvent`` itself and joins it with the
event it waits for, so later events stay thin. *Orchestration*: the Order service runs
``order.bpmn`` and commands services that know nothing about orders.

Change requests (talk notes §6 idea 17): ``criminal_check`` (on-boarding gets a criminal
records check), ``vip_fetch_first`` (VIP orders are picked without waiting for the payment)
and ``fetch_first`` (every order is). Fetching first means a pick must be undone when the
payment fails, so somebody must learn about the failure. The on-boarding names are
reconstructed from the InfoWorld article (talk notes §7).
"""

from __future__ import annotations

from typing import Any

from eventlab.core.errors import check_bool, check_choice
from eventlab.domains.onboarding.messages import ONBOARDING
from eventlab.domains.retail.messages import RETAIL
from eventlab.domains.retail.processes import VARIANTS, onboarding_process, order_process
from eventlab.engines.workflow.reactions import Rule, on
from eventlab.engines.workflow.wiring import Wiring

STYLES: tuple[str, ...] = ("sequential", "parallel")
ARCHITECTURES: tuple[str, ...] = ("sequential", "parallel", "orchestration")
CHANGE_REQUESTS: dict[str, str] = {
    "criminal_check": "on-boarding: add a criminal records check",
    "vip_fetch_first": "VIP customers: fetch goods before payment",
    "fetch_first": "everyone: fetch goods before payment",
}
ARCHITECTURE_NAMES = {"sequential": "sequential choreography",
                      "parallel": "parallel choreography", "orchestration": "orchestration"}

_PAY: dict[str, Any] = {"service": "Payment", "do": "retrieve payment",
                        "emit": "PaymentReceivedEvent", "needs": ("orderId", "items")}
_FETCH: dict[str, Any] = {"service": "Inventory", "do": "fetch goods",
                          "emit": "GoodsFetchedEvent", "needs": ("orderId", "items")}
_SHIP: dict[str, Any] = {"service": "Shipping", "do": "ship goods",
                         "emit": ("GoodsShippedEvent", "OrderCompletedEvent"),
                         "needs": ("orderId", "customer", "pickId")}
_BACK: dict[str, Any] = {"service": "Inventory", "do": "return goods",
                         "emit": "GoodsReturnedEvent", "needs": ("orderId",)}
_VIP, _NORMAL = ("vip", True), ("vip", False)


def retail_wiring(style: str = "sequential", variant: str = "baseline") -> Wiring:
    """The choreographed flowing-retail services (see the module text)."""
    check_choice("style", style, STYLES)
    check_choice("variant", variant, VARIANTS)
    fail = () if variant == "baseline" else "PaymentFailedEvent"
    rules: list[Rule] = [on("OrderPlacedEvent", fail=fail, **_PAY)]
    # in the parallel style a service joins OrderPlacedEvent (the data) with its trigger
    ctx: tuple[str, ...] = ("OrderPlacedEvent",) if style == "parallel" else ()
    placed = "OrderPlacedEvent"
    if variant == "baseline":
        rules += [on(*ctx, "PaymentReceivedEvent", **_FETCH),
                  on(*ctx, "GoodsFetchedEvent", **_SHIP)]
    elif variant == "fetch_first":
        rules += [on(placed, **_FETCH), on(*ctx, "PaymentFailedEvent", **_BACK),
                  on(*ctx, "GoodsFetchedEvent", "PaymentReceivedEvent", **_SHIP)]
    else:
        rules += [on(*ctx, "PaymentReceivedEvent", when=_NORMAL, **_FETCH),
                  on(placed, when=_VIP, **_FETCH),
                  on(*ctx, "PaymentFailedEvent", when=_VIP, **_BACK),
                  on(*ctx, "GoodsFetchedEvent", when=_NORMAL, **_SHIP),
                  on(*ctx, "GoodsFetchedEvent", "PaymentReceivedEvent", when=_VIP, **_SHIP)]
    return Wiring(f"{style} choreography ({variant})", tuple(rules),
                  {"OrderPlacedEvent": "Checkout"},
                  carry="whole" if style == "sequential" else "own", catalogue=RETAIL)


# Non-critical side effects: they react to the Order's fact, the Order does not know them.
SIDE_EFFECTS: tuple[Rule, ...] = (
    on("OrderCompletedEvent", service="Notification", do="notify customer",
       needs=("orderId",)),
    on("OrderCompletedEvent", service="Loyalty", do="add loyalty points", needs=("orderId",)),
)


def command_rules(variant: str = "baseline") -> tuple[Rule, ...]:
    """What the services the Order commands offer (each knows nothing about orders)."""
    check_choice("variant", variant, VARIANTS)
    rules = [
        on("RetrievePaymentCommand", service="Payment", do="retrieve payment",
           emit="PaymentReceivedEvent", needs=("refId", "amount")),
        on("RefundPaymentCommand", service="Payment", do="refund payment",
           emit="PaymentRefundedEvent", needs=("refId",)),
        on("FetchGoodsCommand", service="Inventory", do="fetch goods",
           emit="GoodsFetchedEvent", needs=("refId", "items")),
        on("ShipGoodsCommand", service="Shipping", do="ship goods", emit="GoodsShippedEvent",
           needs=("refId", "pickId", "recipientName", "recipientAddress")),
    ]
    if variant != "baseline":
        rules.append(on("ReturnGoodsCommand", service="Inventory", do="return goods",
                        emit="GoodsReturnedEvent", needs=("refId", "pickId")))
    return tuple(rules)


def orchestrated_wiring(variant: str = "baseline", *, side_effects: bool = False) -> Wiring:
    """The Order orchestrator (``order.bpmn`` or a variant) and the services it commands;
    with `side_effects`, Notification and Loyalty react to its ``OrderCompletedEvent``."""
    check_choice("variant", variant, VARIANTS)
    check_bool("side_effects", side_effects)
    sources = {"OrderPlacedEvent": "Checkout", "RefundPaymentCommand": "Order"}
    if variant != "baseline":
        sources["ReturnGoodsCommand"] = "Order"  # sent by the compensation "return goods"
    rules = command_rules(variant) + (SIDE_EFFECTS if side_effects else ())
    name = f"orchestration ({variant})" + (" + side effects by events" if side_effects else "")
    return Wiring(name, rules, sources, {"Order": order_process(variant)}, catalogue=RETAIL)


_CHECKS = [("AddressCheck", "check address", "CheckAddress", "AddressChecked"),
           ("CreditCheck", "check credit", "CheckCredit", "CreditChecked")]
_CRIMINAL = ("CriminalCheck", "check criminal record", "CheckCriminalRecord",
             "CriminalRecordChecked")


def onboarding_wiring(architecture: str = "sequential", *,
                      criminal_check: bool = False) -> Wiring:
    """Customer on-boarding (InfoWorld) as a chain, as parallel checks, or orchestrated."""
    check_choice("architecture", architecture, ARCHITECTURES)
    check_bool("criminal_check", criminal_check)
    checks = [*_CHECKS, _CRIMINAL] if criminal_check else list(_CHECKS)
    sources = {"RegistrationRequested": "Customer"}
    label = f"on-boarding, {ARCHITECTURE_NAMES[architecture]}"
    if architecture == "orchestration":
        rules = tuple(on(command, service=service, do=do, emit=event)
                      for service, do, command, event in checks)
        return Wiring(label, rules, sources,
                      {"Onboarding": onboarding_process(criminal_check=criminal_check)},
                      catalogue=ONBOARDING)
    created: dict[str, Any] = {"service": "Customer", "do": "create customer",
                               "emit": "CustomerCreated"}
    if architecture == "parallel":
        rules_ = [on("RegistrationRequested", service=s, do=d, emit=e) for s, d, _, e in checks]
        rules_.append(on(*(e for *_, e in checks), **created))
        return Wiring(label, tuple(rules_), sources, catalogue=ONBOARDING)
    chain, previous = [], "RegistrationRequested"
    for service, do, _, event in checks:
        chain.append(on(previous, service=service, do=do, emit=event))
        previous = event
    chain.append(on(previous, **created))
    return Wiring(label, tuple(chain), sources, catalogue=ONBOARDING)


def design(case: str, architecture: str, *, changed: bool = False) -> Wiring:
    """The wiring before (or, with `changed`, after) change request `case`."""
    check_choice("case", case, tuple(CHANGE_REQUESTS))
    check_choice("architecture", architecture, ARCHITECTURES)
    check_bool("changed", changed)
    if case == "criminal_check":
        return onboarding_wiring(architecture, criminal_check=changed)
    variant = case if changed else "baseline"
    if architecture == "orchestration":
        return orchestrated_wiring(variant)
    return retail_wiring(architecture, variant)
