"""The shop every retail scenario shares: the orders, each order's fate, and the money.

Choreography and orchestration must face the *same* customers to be compared, so nothing
here depends on how the services are wired:

* :func:`make_orders` draws arrivals, items and VIP flags from the run's ``arrivals`` stream;
* :func:`draw_fate` decides per order (from its own stream ``fate/<n>``) how long each
  service takes, whether the card is declined and when the customer updates it, how often the
  card service fails technically, and which service silently drops the order's message; an
  explicit :class:`Fault` schedule overrides those draws (that is what property tests vary);
* :class:`Ledger` moves money in integer cents between accounts, so "money is conserved"
  is an exact check.

Times are hours (a day is 24).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from eventlab.core.config import Scenario, param, seed_param
from eventlab.core.errors import ConfigError, check_choice, check_float, check_int
from eventlab.core.recording import record
from eventlab.core.world import World, stream_seed

STEPS: tuple[str, ...] = ("payment", "inventory", "shipping")
FAULT_KINDS: tuple[str, ...] = ("drop", "slow", "decline", "error")
PRICES: dict[str, int] = {"article1": 1999, "article2": 499, "article3": 8900, "article4": 250}
ADDRESSES = ("Zossener Strasse 55, 10961 Berlin, Germany", "Hauptstrasse 1, 14467 Potsdam",
             "Marktplatz 7, 04109 Leipzig", "Ringstrasse 12, 1010 Wien")
MERCHANT = "merchant"
CARD_LIMIT = 10**9  # cents on every customer's card: the bank never says no
MAX_DECLINES = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class ShopParams(Scenario):
    """What every retail scenario shares (times in hours)."""

    orders: int = param(100, low=1, high=2000, help="orders placed at the checkout")
    interarrival: float = param(1.0, low=0.01, high=240.0, step=0.01,
                                help="mean hours between two orders")
    vip_share: float = param(0.2, low=0.0, high=1.0, step=0.05, help="share of VIP customers")
    credit_share: float = param(0.3, low=0.0, high=1.0, step=0.05,
                                help="share of customers whose credit pays the whole order")
    p_card: float = param(0.1, low=0.0, high=1.0, step=0.01,
                          help="probability that one card charge is declined")
    p_update: float = param(0.8, low=0.0, high=1.0, step=0.05,
                            help="probability that a customer updates a declined card")
    update_hours: float = param(48.0, low=0.1, high=1000.0, step=1.0,
                                help="mean hours a customer needs to update the card")
    card_update_timer: float = param(168.0, low=1.0, high=2000.0, step=1.0,
                                     help="hours payment waits for a card update (7 days)")
    p_error: float = param(0.0, low=0.0, high=0.9, step=0.05,
                           help="probability that one call to the card service fails")
    payment_hours: float = param(0.1, low=0.0, high=100.0, step=0.1,
                                 help="mean hours payment needs per charge")
    pick_hours: float = param(2.0, low=0.0, high=100.0, step=0.5,
                              help="mean hours inventory needs to fetch the goods")
    ship_hours: float = param(6.0, low=0.0, high=100.0, step=0.5,
                              help="mean hours shipping needs")
    drop_payment: float = param(0.01, low=0.0, high=1.0, step=0.01,
                                help="probability that payment silently drops an order")
    drop_inventory: float = param(0.01, low=0.0, high=1.0, step=0.01,
                                  help="probability that inventory silently drops an order")
    drop_shipping: float = param(0.01, low=0.0, high=1.0, step=0.01,
                                 help="probability that shipping silently drops an order")
    operator_hours: float = param(24.0, low=0.0, high=2000.0, step=1.0,
                                  help="hours until an operator resolves an incident "
                                       "(0: nobody does)")
    latency: float = param(0.005, low=0.0, high=10.0, step=0.005,
                           help="hours a message needs on the bus")
    seed: int = seed_param()

    def declined_charges(self) -> float:
        """Declined charges one order meets on average: declined with p_card, updated with
        p_update and charged again, up to MAX_DECLINES (as draw_fate draws them). Each one is
        more messages, timers and rows in a run, which the scenarios' cost estimates count."""
        return sum(self.p_card ** k * self.p_update ** (k - 1)
                   for k in range(1, MAX_DECLINES + 1))

    def card_errors(self) -> float:
        """Failed card-service calls one order meets on average (p_error, up to 10 in a row,
        as draw_fate draws them); each one is a retry in a run."""
        return sum(self.p_error ** k for k in range(1, 11))


@dataclass(frozen=True, slots=True)
class Fault:
    """One scheduled fault: order `order` (1, 2, ...) meets `kind` at service `step`.

    drop: the service silently loses the order's message; slow: it takes `value` hours;
    decline (payment): the card is declined once and the customer updates it after `value`
    hours (0 = never); error (payment): the card service fails `value` times in a row.
    """

    order: int
    step: str
    kind: str
    value: float = 0.0

    def __post_init__(self) -> None:
        check_int("order", self.order, low=1)
        check_choice("step", self.step, STEPS)
        check_choice("kind", self.kind, FAULT_KINDS)
        check_float("value", self.value, low=0.0, high=10_000.0)
        if self.kind in ("decline", "error") and self.step != "payment":
            raise ConfigError(f"kind {self.kind!r} is a payment fault; got step={self.step!r}")


@dataclass(frozen=True, slots=True)
class Order:
    """One order as the checkout places it (amounts in cents)."""

    number: int
    order_id: str
    trace_id: str
    customer: str
    vip: bool
    items: tuple[tuple[str, int], ...]
    credit: int
    placed_at: float

    @property
    def total(self) -> int:
        """What the order costs, in cents."""
        return total_of(self.items)

    def payload(self) -> dict[str, object]:
        """The ``OrderPlacedEvent`` payload: the whole order, as the checkout sends it."""
        return {"orderId": self.order_id, "vip": self.vip,
                "customer": {"name": self.customer,
                             "address": ADDRESSES[self.number % len(ADDRESSES)]},
                "items": [{"articleId": a, "amount": n} for a, n in self.items]}


@dataclass(frozen=True, slots=True)
class Fate:
    """What will happen to one order, whatever the architecture."""

    pay_hours: float
    pick_hours: float
    ship_hours: float
    declines: tuple[float, ...]  # per declined charge: hours until the card update (inf: never)
    errors: int  # technical failures of the card service before a call works
    drops: frozenset[str]  # services that silently lose this order's message


def total_of(items: Iterable[Any]) -> int:
    """Cents for a list of (article, amount) pairs or ``{"articleId", "amount"}`` dicts."""
    total = 0
    for item in items:
        article, amount = (item["articleId"], item["amount"]) if isinstance(item, Mapping) \
            else item
        total += PRICES[str(article)] * int(amount)
    return total


def make_orders(params: ShopParams) -> list[Order]:
    """The checkout's orders: same seed, same orders, whatever the architecture."""
    rng = random.Random(stream_seed(params.seed, "arrivals"))
    orders, now = [], 0.0
    for n in range(1, params.orders + 1):
        now += rng.expovariate(1.0 / params.interarrival)
        articles = rng.sample(sorted(PRICES), rng.randint(1, 3))
        items = tuple((a, rng.randint(1, 10)) for a in articles)
        total = total_of(items)
        credit = total if rng.random() < params.credit_share else rng.randint(0, total - 1)
        orders.append(Order(n, f"order-{n:04d}", f"trace-{n:04d}", f"customer-{n:04d}",
                            rng.random() < params.vip_share, items, credit, round(now, 6)))
    return orders


def draw_fate(params: ShopParams, number: int, faults: Iterable[Fault] = ()) -> Fate:
    """Order `number`'s fate from its own random stream, then the scheduled faults."""
    rng = random.Random(stream_seed(params.seed, f"fate/{number}"))

    def hours(mean: float) -> float:
        return rng.expovariate(1.0 / mean) if mean > 0 else 0.0

    pay, pick, ship = hours(params.payment_hours), hours(params.pick_hours), \
        hours(params.ship_hours)
    declines: list[float] = []
    while len(declines) < MAX_DECLINES and rng.random() < params.p_card:
        updates = rng.random() < params.p_update
        declines.append(rng.expovariate(1.0 / params.update_hours) if updates else math.inf)
        if not updates:
            break
    errors = 0
    while errors < 10 and rng.random() < params.p_error:
        errors += 1
    drop_p = {"payment": params.drop_payment, "inventory": params.drop_inventory,
              "shipping": params.drop_shipping}
    drops = {s for s in STEPS if rng.random() < drop_p[s]}
    for f in faults:
        if f.order != number:
            continue
        if f.kind == "drop":
            drops.add(f.step)
        elif f.kind == "slow":
            pay, pick, ship = (f.value if f.step == s else h
                               for s, h in zip(STEPS, (pay, pick, ship), strict=True))
        elif f.kind == "decline":
            declines = [f.value if f.value > 0 else math.inf]
        else:
            errors = int(f.value)
    return Fate(pay, pick, ship, tuple(declines), errors, frozenset(drops))


class Ledger:
    """Accounts in cents; every transfer is a row (and a trace row on the merchant)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.balances: dict[str, int] = {MERCHANT: 0}
        self.rows: list[dict[str, object]] = []
        self._opened = 0

    def open(self, account: str, cents: int) -> None:
        """A new account holding `cents`."""
        check_int("cents", cents, low=0)
        if account in self.balances:
            raise ConfigError(f"account {account!r} is already open")
        self.balances[account] = cents
        self._opened += cents

    @property
    def conserved(self) -> bool:
        """Whether the accounts together still hold exactly what was put in."""
        return sum(self.balances.values()) == self._opened

    def transfer(self, source: str, target: str, cents: int, *, order: Order,
                 reason: str) -> None:
        """Move `cents` from `source` to `target` (never below zero)."""
        check_int("cents", cents, low=0)
        if self.balances[source] < cents:
            raise ConfigError(f"{source} holds {self.balances[source]} cents, cannot pay {cents}")
        self.balances[source] -= cents
        self.balances[target] += cents
        self.rows.append({"time": self.world.now, "order": order.order_id, "from": source,
                          "to": target, "cents": cents, "reason": reason})
        record(self.world, "state", "Payment", case=order.trace_id, key=order.order_id,
               entity=MERCHANT, value=self.balances[MERCHANT],
               detail=f"{reason}: {cents / 100:.2f} from {source} to {target}")

    def held_for(self, order: Order) -> dict[str, int]:
        """Per customer account: cents the merchant still holds for `order`."""
        held: dict[str, int] = {}
        for row in self.rows:
            if row["order"] != order.order_id:
                continue
            cents = int(str(row["cents"]))
            if row["to"] == MERCHANT:
                held[str(row["from"])] = held.get(str(row["from"]), 0) + cents
            elif row["from"] == MERCHANT:
                held[str(row["to"])] = held.get(str(row["to"]), 0) - cents
        return held

    def net_charge(self, order: Order) -> int:
        """Cents the merchant keeps for `order` (charged minus refunded)."""
        return sum(self.held_for(order).values())

    def frame(self) -> pd.DataFrame:
        """Every transfer: time, order, from, to, cents, reason."""
        return pd.DataFrame(self.rows, columns=["time", "order", "from", "to", "cents",
                                                "reason"])
