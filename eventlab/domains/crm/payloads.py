"""Customer data, the changes made to it, and the event designs that announce them.

A *design* decides the event type and payload of every change: ``notification`` sends only
the id (``AddressChanged{customerId}``); the four designs of the slide carry data:

=================== ==================================================== ==================
design              address change (move or correction)                  status change
=================== ==================================================== ==================
address_delta       ``AddressChanged{customerId, oldAddress, newAddress}`` ``StatusChanged``
address_full        ``AddressChanged{customerId, address}``              ``StatusChanged``
customer_changed    ``CustomerChanged{customerId, name, status, address, …}`` (every change)
customer_moved      ``CustomerMoved`` / ``AddressCorrected{…, old, new}``  ``StatusChanged``
=================== ==================================================== ==================

Addresses are unique over a run (the house number is a counter), so a consumer can tell two
address values apart by their text alone; statuses repeat (A, B, C).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eventlab.core.errors import check_choice

DESIGNS: tuple[str, ...] = ("notification", "address_delta", "address_full",
                            "customer_changed", "customer_moved")
DELTA_DESIGNS: tuple[str, ...] = ("address_delta", "customer_moved")  # carry the old address
KINDS: tuple[str, ...] = ("move", "correction", "status")
FIELD_OF: dict[str, str] = {"move": "address", "correction": "address", "status": "status"}

EVENT_TYPES: dict[str, dict[str, str]] = {
    "notification": {"move": "AddressChanged", "correction": "AddressChanged",
                     "status": "StatusChanged"},
    "address_delta": {"move": "AddressChanged", "correction": "AddressChanged",
                      "status": "StatusChanged"},
    "address_full": {"move": "AddressChanged", "correction": "AddressChanged",
                     "status": "StatusChanged"},
    "customer_changed": {"move": "CustomerChanged", "correction": "CustomerChanged",
                         "status": "CustomerChanged"},
    "customer_moved": {"move": "CustomerMoved", "correction": "AddressCorrected",
                       "status": "StatusChanged"},
}
LABELS: dict[str, str] = {
    "notification": "AddressChanged{customerId}",
    "address_delta": "AddressChanged{customerId, oldAddress, newAddress}",
    "address_full": "AddressChanged{customerId, address}",
    "customer_changed": "CustomerChanged{customerId, status, address, …}",
    "customer_moved": "CustomerMoved{customerId, oldAddress, newAddress}",
}

_FIRST = ("Ada", "Bernd", "Chiara", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro", "Ines",
          "Jonas")
_LAST = ("Lovelace", "Weber", "Rossi", "Petrov", "Okafor", "Haddad", "Hopper", "Tanaka",
         "Silva", "Berg")
_STREETS = ("Zossener Strasse", "Hauptstrasse", "Marktplatz", "Ringstrasse", "Bahnhofstrasse",
            "Königsallee", "Lindenweg")
_CITIES = ("Berlin", "Potsdam", "Leipzig", "Wien", "Zürich", "Düsseldorf")
STATUSES: tuple[str, ...] = ("A", "B", "C")


@dataclass(frozen=True, slots=True)
class Change:
    """One change the CRM accepted: which customer, what kind, old and new value."""

    customer: int
    kind: str  # move, correction or status
    old: str
    new: str
    version: int  # of this field of this customer: 1 for its first change
    time: float  # when the CRM accepted it

    @property
    def field(self) -> str:
        """The field the change is about: ``address`` or ``status``."""
        return FIELD_OF[self.kind]


def key_of(customer: int) -> str:
    """The message key (and trace entity prefix) of customer `customer`."""
    return f"customer-{customer:02d}"


def address(number: int) -> str:
    """The address with house number `number` (street and city follow from it)."""
    return f"{_STREETS[number % len(_STREETS)]} {number}, {_CITIES[number // 7 % len(_CITIES)]}"


def corrected(old: str, number: int) -> str:
    """`old` with its house number fixed to `number`: same street, same city."""
    street_and_number, city = old.rsplit(", ", 1)
    street = street_and_number.rsplit(" ", 1)[0]
    return f"{street} {number}, {city}"


def record(customer: int) -> dict[str, str]:
    """Customer `customer`'s data at the start: everything ``CustomerChanged`` carries."""
    first, last = _FIRST[customer % len(_FIRST)], _LAST[customer * 3 % len(_LAST)]
    return {"name": f"{first} {last}", "status": STATUSES[customer % len(STATUSES)],
            "address": address(customer + 1),
            "email": f"{first.lower()}.{last.lower()}{customer}@example.com",
            "phone": f"+49 30 5550 {customer:04d}", "segment": "private",
            "since": f"201{customer % 10}-0{customer % 9 + 1}-15"}


def event_type(design: str, kind: str) -> str:
    """The event type `design` uses for a change of `kind`."""
    check_choice("design", design, DESIGNS)
    return EVENT_TYPES[design][check_choice("kind", kind, KINDS)]


def payload(design: str, change: Change, after: Mapping[str, str]) -> dict[str, str | int]:
    """The payload `design` sends for `change`; `after` is the whole record after it."""
    check_choice("design", design, DESIGNS)
    head: dict[str, str | int] = {"customerId": change.customer}
    if design == "notification":
        return head
    if design == "customer_changed":
        return {**head, **after}
    if change.field == "status":
        return {**head, "status": change.new}
    if design == "address_full":
        return {**head, "address": change.new}
    return {**head, "oldAddress": change.old, "newAddress": change.new}


def subscriptions(design: str, cares_about: tuple[str, ...]) -> tuple[str, ...]:
    """The event types a consumer that cares about `cares_about` subscribes to."""
    check_choice("design", design, DESIGNS)
    types = {EVENT_TYPES[design][k]: None for k in KINDS if FIELD_OF[k] in cares_about}
    return tuple(types)


def carried(design: str, event_type_: str) -> tuple[str, ...]:
    """The fields an event of this type tells a consumer about (after a callback, if thin)."""
    if design == "customer_changed":
        return ("address", "status")
    return ("status",) if event_type_ == "StatusChanged" else ("address",)


def delta_decision(copy: str, data: Mapping[str, object]) -> str:
    """What a consumer holding `copy` does with a delta ``{oldAddress, newAddress}``.

    ``duplicate``: it already holds the new address (a redelivery); ``apply``: the old
    address is its copy, so this is the next change; ``out of order``: neither, so an
    earlier change is missing: it parks the event until the gap is filled.
    """
    if data.get("newAddress") == copy:
        return "duplicate"
    if data.get("oldAddress") == copy:
        return "apply"
    return "out of order"


def believes_move(design: str, event_type_: str) -> bool:
    """Does a consumer take this address event for a move? Only CustomerMoved says so."""
    if design == "customer_moved":
        return event_type_ == "CustomerMoved"
    return True  # AddressChanged and CustomerChanged cannot tell a move from a typo fix
