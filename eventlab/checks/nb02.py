"""Checkers for notebook 02 (persistent state vs persistent change)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from eventlab.checks._core import Feedback, failed, not_attempted, passed
from eventlab.domains.account import INITIAL, cents, dollars, evolve
from eventlab.engines.eventstore.memory import InMemoryEventStore, fold
from eventlab.engines.eventstore.projections import Projector
from eventlab.engines.eventstore.upcasting import NewEvent, StoredEvent
from eventlab.scenarios import bank
from eventlab.scenarios.bank import clerks


def _stored(version: int, type_: str, time: float, data: dict[str, Any]) -> StoredEvent:
    return StoredEvent(stream=bank.STREAM, version=version, position=version, type=type_,
                       schema_version=1, data=data, time=time)


def _talk() -> list[StoredEvent]:
    return [_stored(1, "AccountOpened", 0.0, {"account": "12345", "overdraft": 0}),
            _stored(2, "MoneyTransferReceived", 0.0, {"amount": 250_000, "from": "Employer"}),
            _stored(3, "CardPaymentMade", 90.0, {"amount": 1499, "merchant": "Online shop"})]


def _fee(version: int, amount: int) -> StoredEvent:
    return _stored(version, "FeeCharged", 1440.0 * version, {"amount": amount})


def _fee_logs() -> list[tuple[str, list[StoredEvent], int]]:
    talk = _talk()
    return [
        ("the talk's three facts (no fee)", talk, 248_501),
        ("the talk's facts, then a fee of 4.90 $", [*talk, _fee(4, 490)], 248_011),
        ("two fees of 4.90 $ and 1.00 $", [*talk, _fee(4, 490), _fee(5, 100)], 247_911),
        ("a fee, then another card payment of 20.00 $",
         [*talk, _fee(4, 490), _stored(5, "CardPaymentMade", 9000.0,
                                       {"amount": 2000, "merchant": "Bakery"})], 246_011),
        ("a fee on an empty account (facts are facts: it goes below zero)",
         [talk[0], _fee(2, 490)], -490),
    ]


def exercise_2_1(evolve_with_fees: Any) -> Feedback:
    """Exercise 2.1: extend the fold with a new event type, ``FeeCharged``."""
    if evolve_with_fees is None:
        return not_attempted("2.1")
    if not callable(evolve_with_fees):
        return failed("2.1", f"expected a function, got {type(evolve_with_fees).__name__}")
    logs = _fee_logs()
    for description, events, balance in logs:
        state = dict(INITIAL)
        try:
            for event in events:
                before = copy.deepcopy(state)
                after = evolve_with_fees(state, event)
                if state != before:
                    return failed("2.1", f"for {description} your function changed the state "
                                         f"it was given at {event.type}: return a new dict "
                                         "instead, e.g. {**state, 'balance': ...}")
                state = after
        except NotImplementedError:
            return not_attempted("2.1")
        except Exception as err:  # a checker reports, it never raises
            return failed("2.1", f"for {description} it raised {type(err).__name__}: {err}")
        folded = fold(evolve, dict(INITIAL), events)
        expected = {**folded, "balance": balance}
        if not isinstance(state, dict) or state != expected:
            return failed("2.1", f"for {description} expected the state {expected}, got {state!r}")
    return passed("2.1", len(logs))


def _reference_by_merchant(model: dict[str, int], event: StoredEvent) -> dict[str, int]:
    if event.type != "CardPaymentMade":
        return model
    merchant = event.data["merchant"]
    return {**model, merchant: model.get(merchant, 0) + event.data["amount"]}


_PROJECTION_RUNS = (
    ("the talk's three facts", bank.Config(days=0)),
    ("the default 60-day run", bank.Config()),
    ("a 30-day run with seed 7", bank.Config(days=30, seed=7)),
    ("a 90-day run with 4 payments a day (seed 1)",
     bank.Config(days=90, payments_per_day=4.0, mean_payment=10.0, seed=1)),
)


def _project(fn: Callable[[Any, StoredEvent], Any],
             events: Sequence[StoredEvent]) -> tuple[Any, Any]:
    """(model caught up in small batches, model rebuilt in one go) of `fn` over `events`."""
    store = InMemoryEventStore()
    store.append(bank.STREAM, [NewEvent(type=e.type, data=dict(e.data), time=e.time)
                               for e in events], expected=0)
    projector: Projector[Any] = Projector(store, "by merchant", fn, {}, batch_size=7)
    projector.run()
    return projector.model, projector.replay()[0]


def exercise_2_2(spending_by_merchant: Any) -> Feedback:
    """Exercise 2.2: a projection (read model) of card spending per merchant."""
    if spending_by_merchant is None:
        return not_attempted("2.2")
    if not callable(spending_by_merchant):
        return failed("2.2", f"expected a function, got {type(spending_by_merchant).__name__}")
    for description, config in _PROJECTION_RUNS:  # each run is made only when it is needed
        events = bank.run(config).events()
        empty: dict[str, int] = {}
        want = fold(_reference_by_merchant, empty, events)
        try:
            live, rebuilt = _project(spending_by_merchant, events)
        except NotImplementedError:
            return not_attempted("2.2")
        except Exception as err:  # a checker reports, it never raises
            return failed("2.2", f"for {description} it raised {type(err).__name__}: {err}")
        if not isinstance(live, dict):
            return failed("2.2", f"for {description} the read model should be a dict "
                                 f"{{merchant: cents}}, got {type(live).__name__}")
        for merchant in sorted(set(want) | set(live)):
            if live.get(merchant) != want.get(merchant):
                should = want.get(merchant)
                money = f" ({dollars(should)})" if should is not None else ""
                return failed("2.2", f"for {description} {merchant!r} should be "
                                     f"{should!r}{money}, got {live.get(merchant)!r}")
        if live != rebuilt:
            return failed("2.2", f"for {description} the read model caught up in batches differs "
                                 "from a rebuild: does your function depend on anything but "
                                 "(model, event)?")
    return passed("2.2", len(_PROJECTION_RUNS))


def exercise_2_3(predicted_balances: Any) -> Feedback:
    """Exercise 2.3: predict the balance after 3 clerks pay out 1,000 $ each, any vs exact."""
    if predicted_balances is None or predicted_balances is Ellipsis:
        return not_attempted("2.3")
    if isinstance(predicted_balances, str) or not isinstance(predicted_balances, Sequence) \
            or len(predicted_balances) != 2:
        return failed("2.3", "write two balances in dollars, (with any, with exact), "
                             f"got {predicted_balances!r}")
    for which, value in zip(clerks.EXPECTED, predicted_balances, strict=True):
        if value is None or value is Ellipsis:
            return not_attempted("2.3")
        try:
            said = cents(value, f"the balance with {which}")
        except (TypeError, ValueError) as err:
            return failed("2.3", str(err))
        result = clerks.run(clerks.Config(clerks=3, amount=1000.0, expected=which))
        measured = bank.balance_of(result.events())
        if said != measured:
            return failed("2.3", f"with expected={which!r}: you said {dollars(said)}, "
                                 f"the run says {dollars(measured)}")
    return passed("2.3", 2)
