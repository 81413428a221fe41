"""Order fulfilment for the fair fight of the two styles: messages, fates and what happened.

The shop is flowing-retail's (payment, then fetch goods, then ship goods), with what both
styles must handle whatever wires them:

* :data:`FULFILMENT`: the message catalogue, flowing-retail's names plus the ones a reliable
  shop needs (a failed command's reply, goods that are not in stock, an order that is late or
  cancelled, and the compensations' facts);
* :func:`draw_fate`: per order, from its own random stream, how long each service works on it
  and whether the goods are out of stock (the same in both styles, so the styles meet the
  same orders);
* :class:`Effects`: the ground truth, the effects the services really did (a charge, a pick,
  a shipment, their undoing) with their times, so "done once" and "undone only if done"
  are exact checks.

Times are in the world's unit (the styles scenario uses milliseconds, as the Kafka model).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from eventlab.core.catalogue import MessageCatalogue
from eventlab.core.errors import check_float, check_int
from eventlab.core.recording import record
from eventlab.core.world import World, stream_seed

FULFILMENT = MessageCatalogue(
    "order fulfilment",
    commands=["RetrievePaymentCommand", "RefundPaymentCommand", "FetchGoodsCommand",
              "ReturnGoodsCommand", "ShipGoodsCommand"],
    events=["OrderPlacedEvent", "PaymentReceivedEvent", "PaymentRefundedEvent",
            "GoodsFetchedEvent", "GoodsUnavailableEvent", "GoodsReturnedEvent",
            "GoodsShippedEvent", "OrderCompletedEvent", "OrderDelayedEvent",
            "OrderCancelledEvent", "CommandFailedEvent"],
)
STEPS: tuple[str, ...] = ("payment", "inventory", "shipping")
SERVICES = {"payment": "Payment", "inventory": "Inventory", "shipping": "Shipping"}
# Effects a service can do to an order, and the one that undoes each.
EFFECTS: tuple[str, ...] = ("charged", "picked", "shipped", "refunded", "returned")
UNDOES = {"refunded": "charged", "returned": "picked"}


@dataclass(frozen=True, slots=True)
class Fate:
    """What the services will meet for one order, whatever the style."""

    pay: float  # how long Payment works on it
    fetch: float
    ship: float
    out_of_stock: bool

    def duration(self, step: str) -> float:
        """How long `step` (payment, inventory, shipping) takes for this order."""
        return {"payment": self.pay, "inventory": self.fetch, "shipping": self.ship}[step]


def draw_fate(seed: int, number: int, *, pay: float, fetch: float, ship: float,
              out_of_stock: float) -> Fate:
    """Order `number`'s fate from its own stream: exponential service times with the given
    means, out of stock with probability `out_of_stock`."""
    check_int("number", number, low=1)
    for name, mean in (("pay", pay), ("fetch", fetch), ("ship", ship)):
        check_float(name, mean, low=0.0)
    check_float("out_of_stock", out_of_stock, low=0.0, high=1.0)
    rng = random.Random(stream_seed(seed, f"fulfilment/{number}"))

    def draw(mean: float) -> float:
        return rng.expovariate(1.0 / mean) if mean > 0 else 0.0

    return Fate(draw(pay), draw(fetch), draw(ship), rng.random() < out_of_stock)


class Effects:
    """The effects done to each order, in order, with their times (the ground truth)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.rows: list[tuple[float, str, str, str]] = []  # (time, order, effect, service)
        self.count: Counter[tuple[str, str]] = Counter()
        self._first: dict[tuple[str, str], float] = {}

    def do(self, order: str, effect: str, service: str) -> None:
        """Record that `service` did `effect` to `order` now."""
        self.rows.append((self.world.now, order, effect, service))
        self.count[(order, effect)] += 1
        self._first.setdefault((order, effect), self.world.now)
        record(self.world, "state", service, case=None, key=order, entity=effect,
               value=self.count[(order, effect)], detail=f"{effect} {order}")

    def has(self, order: str, effect: str) -> bool:
        """Whether `effect` was done to `order` (at least once)."""
        return self.count[(order, effect)] > 0

    def undone(self, order: str, effect: str) -> bool:
        """Whether the effect that undoes `effect` was done to `order`."""
        undo = next((u for u, done in UNDOES.items() if done == effect), None)
        return undo is not None and self.has(order, undo)

    def duplicates(self) -> int:
        """Effects done more than once to the same order (each extra time counts)."""
        return sum(n - 1 for n in self.count.values() if n > 1)

    def frame(self) -> pd.DataFrame:
        """Every effect: time, order, effect, service."""
        return pd.DataFrame(self.rows, columns=["time", "order", "effect", "service"])

    def first(self, order: str, effect: str) -> float | None:
        """When `effect` was first done to `order` (None: never)."""
        return self._first.get((order, effect))
