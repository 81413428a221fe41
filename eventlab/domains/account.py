"""Bank account #12345 from the talk: its events, its fold and its rules.

The slide "Persistent state vs persistent change" shows one account two ways: an RDBMS
row ``Account #12345, Balance 2,485.01 $`` and an append-only log (*bank account created*,
*+2,500 $ transferred*, *-14.99 $ paid by credit card*). This module holds the log's side:

* the facts as data (:func:`new_event` builds the
  :class:`~eventlab.engines.eventstore.memory.NewEvent` of each type), the state as a fold
  (:func:`evolve`, :data:`INITIAL`), and the decisions (:func:`decide`), which enforce the
  overdraft rule;
* the "persistent state" model, a row updated in place beside its history table, lives in
  :mod:`eventlab.domains.account_row`.

Money is integer cents everywhere (no float drift) and shown as dollars by :func:`dollars`.
Time is simulated minutes since the account was opened, 2019-04-16 11:00 (:func:`when`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from eventlab.core.errors import ConfigError, EventlabError, check_float, check_int, check_text
from eventlab.engines.eventstore.memory import fold
from eventlab.engines.eventstore.upcasting import NewEvent, StoredEvent

ACCOUNT = "12345"
STREAM = f"account-{ACCOUNT}"
OPENED_AT = datetime(2019, 4, 16, 11, 0)  # t = 0 of every bank simulation
MINUTES_PER_DAY = 24 * 60

# What each event type does to the balance: its "amount" (cents) times this sign.
# A TransactionCorrected carries a signed amount: what it gives back (+) or takes (-).
EFFECT: dict[str, int] = {
    "MoneyTransferReceived": +1,
    "CardPaymentMade": -1,
    "MoneyTransferSent": -1,
    "CashWithdrawn": -1,
    "TransactionCorrected": +1,
    "InterestCredited": +1,
}
EVENT_TYPES: tuple[str, ...] = ("AccountOpened", *EFFECT)
DEBITS: tuple[str, ...] = tuple(t for t, sign in EFFECT.items() if sign < 0)
_DETAIL = {"MoneyTransferReceived": "from", "CardPaymentMade": "merchant",
           "MoneyTransferSent": "to", "CashWithdrawn": "clerk", "TransactionCorrected": "reason",
           "InterestCredited": "by"}

# The state every fold starts from: a closed account with nothing in it.
INITIAL: dict[str, Any] = {"open": False, "balance": 0, "overdraft": 0}

Event = NewEvent | StoredEvent


# -- money and time ---------------------------------------------------------------------------

def cents(dollars_amount: Any, name: str = "amount") -> int:
    """Dollars (``14.99``) as integer cents (``1499``), exactly: no float drift."""
    check_float(name, dollars_amount)
    try:
        value = Decimal(str(dollars_amount)) * 100
    except InvalidOperation as exc:  # pragma: no cover - check_float let only numbers through
        raise ConfigError(f"{name} must be an amount in dollars, got {dollars_amount!r}") from exc
    if value != value.to_integral_value():
        raise ConfigError(f"{name} must have at most 2 decimals (cents), got {dollars_amount!r}")
    return int(value)


def dollars(amount_cents: int) -> str:
    """Cents as the talk writes money: ``248501`` -> ``'2,485.01 $'``, ``-1499`` -> ``'-14.99 $'``.
    """
    check_int("amount_cents", amount_cents)
    units, rest = divmod(abs(amount_cents), 100)
    return f"{'-' if amount_cents < 0 else ''}{units:,}.{rest:02d} $"


def when(minutes: float, *, seconds: bool = False) -> str:
    """Simulated minutes as a date: ``0`` -> ``'2019-04-16 11:00'``."""
    check_float("minutes", minutes)
    moment = OPENED_AT + timedelta(minutes=minutes)
    if seconds:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    # Round to the minute, so 59.99999 shows as 12:00 and not 11:59.
    return (OPENED_AT + timedelta(minutes=round(minutes))).strftime("%Y-%m-%d %H:%M")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$")


def minutes_at(moment: str | float) -> float:
    """A moment as simulated minutes: ``'2019-05-01 12:00'``, ``'2019-05-01'`` or minutes."""
    if isinstance(moment, int | float) and not isinstance(moment, bool):
        return check_float("moment", moment)
    text = check_text("moment", moment).strip()
    if not _DATE.match(text):
        raise ConfigError(f"moment must look like '2019-05-01 12:00' or '2019-05-01', "
                          f"got {moment!r}")
    parsed = datetime.strptime(text, "%Y-%m-%d %H:%M" if " " in text else "%Y-%m-%d")
    return (parsed - OPENED_AT).total_seconds() / 60


def month(minutes: float) -> str:
    """The calendar month of a moment: ``'2019-04'``."""
    return when(minutes)[:7]


# -- facts and their fold ---------------------------------------------------------------------

def new_event(type_: str, time: float, **data: Any) -> NewEvent:
    """A fact about the account, as data: ``new_event("CardPaymentMade", 0, amount=1499, ...)``."""
    if type_ not in EVENT_TYPES:
        raise ConfigError(f"type must be one of {', '.join(EVENT_TYPES)}; got {type_!r}")
    if type_ in EFFECT:
        check_int("amount", data.get("amount"))
    return NewEvent(type=type_, data=data, time=time, sender="Account #12345")


def evolve(state: dict[str, Any], event: Event) -> dict[str, Any]:
    """The account after one more fact (a new dict; `state` is left as it was)."""
    if event.type == "AccountOpened":
        return {**state, "open": True, "overdraft": int(event.data.get("overdraft", 0))}
    sign = EFFECT.get(event.type)
    if sign is None:  # a type this version does not know changes nothing (tolerant reader)
        return dict(state)
    return {**state, "balance": state["balance"] + sign * int(event.data["amount"])}


def balance_of(events: Iterable[Event]) -> int:
    """The balance in cents: the fold of `events` from :data:`INITIAL`."""
    return int(fold(evolve, dict(INITIAL), events)["balance"])


def balance_as_of(events: Iterable[Event], moment: str | float) -> int:
    """Time travel: the balance in cents folded from the events up to `moment`."""
    until = minutes_at(moment)
    return balance_of(e for e in events if e.time <= until)


def signed_amount(event: Event) -> int:
    """What the event did to the balance, in cents (0 for AccountOpened)."""
    return EFFECT.get(event.type, 0) * int(event.data.get("amount", 0))


def party_of(event: Event) -> str:
    """Who paid or was paid (employer, merchant, landlord, clerk...): the event's detail."""
    key = _DETAIL.get(event.type)
    return "" if key is None else str(event.data.get(key, ""))


def audit(events: Sequence[StoredEvent]) -> pd.DataFrame:
    """The audit table: every fact, when, its amount and the balance right after it."""
    rows, state = [], dict(INITIAL)
    for event in events:
        state = evolve(state, event)
        detail = party_of(event)
        if event.type == "TransactionCorrected":
            detail = f"corrects v{event.data['corrects']}: {detail}"
        rows.append((event.version, when(event.time), event.type,
                     dollars(signed_amount(event)) if event.type in EFFECT else "",
                     dollars(state["balance"]), detail))
    return pd.DataFrame(rows, columns=["version", "when", "event", "amount", "balance after",
                                       "detail"])


# -- decisions ---------------------------------------------------------------------------------

class CommandRejectedError(EventlabError):
    """A command the account refuses (closed account, overdraft rule): nothing is written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """What someone asks the account to do. `amount` in cents, `time` in minutes."""

    type: str
    time: float = 0.0
    amount: int = 0
    party: str = ""  # who pays or is paid: employer, merchant, landlord, clerk
    overdraft: int = 0  # for OpenAccount: how far (cents) the balance may go below zero

    def __post_init__(self) -> None:
        allowed = tuple(COMMANDS)
        if self.type not in allowed:
            raise ConfigError(f"type must be one of {', '.join(allowed)}; got {self.type!r}")
        check_float("time", self.time, low=0.0)
        check_int("amount", self.amount, low=0 if self.type == "OpenAccount" else 1)
        check_int("overdraft", self.overdraft, low=0)


# Command type -> (event type, name of the party field in the event).
COMMANDS: dict[str, tuple[str, str]] = {
    "OpenAccount": ("AccountOpened", ""),
    "ReceiveTransfer": ("MoneyTransferReceived", "from"),
    "PayByCard": ("CardPaymentMade", "merchant"),
    "SendTransfer": ("MoneyTransferSent", "to"),
    "WithdrawCash": ("CashWithdrawn", "clerk"),
    "CreditInterest": ("InterestCredited", "by"),
}


def decide(state: Mapping[str, Any], command: Command) -> list[NewEvent]:
    """The events `command` leads to, or :class:`CommandRejectedError` (then nothing is written).

    The overdraft rule: a debit may not take the balance below ``-overdraft``.
    """
    if not isinstance(command, Command):
        raise TypeError(f"command must be an account.Command, got {type(command).__name__}")
    event_type, party = COMMANDS[command.type]
    if command.type == "OpenAccount":
        if state["open"]:
            raise CommandRejectedError(f"account #{ACCOUNT} is already open")
        return [new_event("AccountOpened", command.time, account=ACCOUNT,
                          overdraft=command.overdraft)]
    if not state["open"]:
        raise CommandRejectedError(f"account #{ACCOUNT} is not open")
    if event_type in DEBITS and state["balance"] - command.amount < -state["overdraft"]:
        raise CommandRejectedError(
            f"{command.type} of {dollars(command.amount)} refused: the balance would be "
            f"{dollars(state['balance'] - command.amount)}, below the overdraft limit "
            f"of {dollars(-state['overdraft'])}")
    return [new_event(event_type, command.time, amount=command.amount,
                      **{party: command.party})]


def correction(original: StoredEvent, time: float, reason: str) -> NewEvent:
    """The event that undoes `original` in the log: the original stays, this one is added."""
    check_text("reason", reason)
    if original.type not in EFFECT:
        raise ConfigError(f"version must point at a transaction; v{original.version} is a "
                          f"{original.type}")
    return new_event("TransactionCorrected", time, amount=-signed_amount(original),
                     corrects=original.version, reason=reason)


# -- read model: monthly spending ----------------------------------------------------------------

def monthly_spending(model: Mapping[str, int], event: Event) -> dict[str, int]:
    """A read model: cents spent per month (card payments, transfers sent, cash), corrected."""
    if event.type in DEBITS:
        spent = int(event.data["amount"])
    elif event.type == "TransactionCorrected":
        spent = -int(event.data["amount"])  # money given back lowers that month's spending
    else:
        return dict(model)
    key = month(event.time)
    return {**model, key: model.get(key, 0) + spent}


def balance_sql() -> str:
    """The fold written as SQL over the event store's ``events`` table (stream, time)."""
    cases = "\n".join(f"        WHEN '{t}' THEN {'+' if s > 0 else '-'}"
                      "json_extract(data, '$.amount')" for t, s in EFFECT.items())
    return ("SELECT COALESCE(SUM(CASE type\n" + cases + "\n        ELSE 0 END), 0) "
            "AS balance_cents\nFROM events\nWHERE stream = ? AND time <= ?")


BALANCE_SQL = balance_sql()
