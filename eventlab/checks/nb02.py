"""Checkers for notebook 02 (persistent state vs persistent change)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from eventlab.checks._core import (
    Caller,
    Feedback,
    failed,
    judge,
    never_raises,
    not_attempted,
    passed,
)
from eventlab.checks._predict import revealer, wrong_prediction
from eventlab.checks._shapes import CENT, as_items, as_number, show
from eventlab.domains.account import INITIAL, cents, dollars, evolve
from eventlab.engines.eventstore.memory import (
    ANY,
    ConcurrencyError,
    InMemoryEventStore,
    fold,
)
from eventlab.engines.eventstore.projections import Projector
from eventlab.engines.eventstore.upcasting import NewEvent, StoredEvent
from eventlab.scenarios import bank
from eventlab.scenarios.bank import clerks
from eventlab.scenarios.bank.counter import LogCounter


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
        ("a fee on an empty account (it goes below zero)",
         [talk[0], _fee(2, 490)], -490),
    ]


@never_raises("2.1")
def exercise_2_1(evolve_with_fees: Any) -> Feedback:
    """Exercise 2.1: extend the fold with a new event type, ``FeeCharged``."""
    logs = _fee_logs()

    def body(call: Caller) -> Feedback:
        for description, events, balance in logs:
            state = dict(INITIAL)
            for event in events:
                before = copy.deepcopy(state)
                after = call(description, state, event)
                if state != before:
                    return failed("2.1", f"for {description} your function changed the state "
                                         f"it was given at {event.type}: return a new dict "
                                         "instead, e.g. {**state, 'balance': ...}")
                state = after
            folded = fold(evolve, dict(INITIAL), events)
            expected = {**folded, "balance": balance}
            if not isinstance(state, dict) or state != expected:
                return failed("2.1", f"for {description} expected the state {show(expected)}, "
                                     f"got {show(state)}")
        return passed("2.1", len(logs))

    return judge("2.1", evolve_with_fees, body)


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


class _ChangedInPlaceError(Exception):
    """The learner's projection changed the model it was given (at this event type)."""


def _untouched(call: Caller, description: str) -> Callable[[Any, StoredEvent], Any]:
    """The learner's projection, refusing to change the model it is given: a read model
    that is edited in place is shared with the projector's checkpoint and its rebuild."""
    def step(model: Any, event: StoredEvent) -> Any:
        before = copy.deepcopy(model)
        after = call(description, model, event)
        if model != before:
            raise _ChangedInPlaceError(event.type)
        return after
    return step


@never_raises("2.2")
def exercise_2_2(spending_by_merchant: Any) -> Feedback:
    """Exercise 2.2: a projection (read model) of card spending per merchant."""
    def body(call: Caller) -> Feedback:
        for description, config in _PROJECTION_RUNS:  # each run is made only when needed
            events = bank.run(config).events()
            empty: dict[str, int] = {}
            want = fold(_reference_by_merchant, empty, events)
            try:
                live, rebuilt = _project(_untouched(call, description), events)
            except _ChangedInPlaceError as where:
                return failed("2.2", f"for {description} your function changed the model it "
                                     f"was given at {where}: return a new dict instead, e.g. "
                                     "{**model, merchant: ...}")
            if not isinstance(live, Mapping):
                return failed("2.2", f"for {description} the read model should be a dict "
                                     f"{{merchant: cents}}, got {type(live).__name__}")
            for merchant in sorted(set(want) | set(live), key=str):
                if live.get(merchant) != want.get(merchant):
                    should = want.get(merchant)
                    money = f" ({dollars(should)})" if should is not None else ""
                    return failed("2.2", f"for {description} {merchant!r} should be "
                                         f"{should!r}{money}, got {show(live.get(merchant))}")
            if live != rebuilt:
                return failed("2.2", f"for {description} the read model caught up in batches "
                                     "differs from a rebuild: does your function depend on "
                                     "anything but (model, event)?")
        return passed("2.2", len(_PROJECTION_RUNS))

    return judge("2.2", spending_by_merchant, body)


@cache
def measured_balances() -> tuple[int, int]:
    """The balance in cents after 3 clerks pay out 1,000 $ each: (with any, with exact)."""
    out = []
    for which in clerks.EXPECTED:
        result = clerks.run(clerks.Config(clerks=3, amount=1000.0, expected=which))
        out.append(int(bank.balance_of(result.events())))
    return out[0], out[1]


@revealer("2.3")
def _reveal_2_3() -> str:
    with_any, with_exact = measured_balances()
    return f"the runs end with {dollars(with_any)} (any) and {dollars(with_exact)} (exact)"


@never_raises("2.3")
def exercise_2_3(predicted_balances: Any) -> Feedback:
    """Exercise 2.3: predict the balance after 3 clerks pay out 1,000 $ each, any vs exact."""
    if predicted_balances is None or predicted_balances is Ellipsis:
        return not_attempted("2.3")
    said = as_items(predicted_balances)
    if said is None or len(said) != 2:
        return failed("2.3", "write two balances in dollars, (with any, with exact), "
                             f"got {show(predicted_balances)}")
    if any(v is None or v is Ellipsis for v in said):
        return not_attempted("2.3")
    numbers = [as_number(v) for v in said]
    for which, value, number in zip(clerks.EXPECTED, said, numbers, strict=True):
        if number is None:
            return failed("2.3", f"the balance with {which} must be a number of dollars, got "
                                 f"{show(value)}")
    # equal within a cent: 2485.01 - 3 * 1000 is -514.9899999999998 in floating point
    known = [number for number in numbers if number is not None]  # all of them, checked above
    if any(abs(number - cents_ / 100) >= CENT
           for number, cents_ in zip(known, measured_balances(), strict=True)):
        return wrong_prediction("2.3", f"({known[0]:.2f}, {known[1]:.2f})",
                                "with 'exact' a clerk whose write conflicts reloads the "
                                "balance and decides again")
    return passed("2.3", 2)


# -- 2.4: the clerk's write step, run in real races ---------------------------------------------

class _Wrong(Exception):  # noqa: N818 - a verdict, not an error of the program
    """A payout the learner's function served wrongly: the check stops with this reason."""


class _WatchedCounter:
    """The counter the learner's function gets: the race's own, watched. It remembers what
    each append expected and on which balance the appended events were decided."""

    def __init__(self, counter: LogCounter) -> None:
        self._counter = counter
        self.clerk, self.amount = counter.clerk, counter.amount
        self.decided: dict[int, int] = {}  # id of the events list -> balance decided on
        self.appends: list[tuple[Any, int | None, int]] = []  # (expected, balance, version)

    def load(self) -> tuple[dict[str, Any], int]:
        """Read the account now: (state, version)."""
        return self._counter.load()

    def decide(self, state: dict[str, Any]) -> list[NewEvent]:
        """The events of paying out the amount on `state`, or clerks.Refused."""
        events = self._counter.decide(state)
        self.decided[id(events)] = int(state["balance"])
        return events

    def append(self, events: Any, expected: Any = None) -> None:
        """Write the events, expecting the stream at `expected` (a version, or clerks.ANY)."""
        if expected is None:
            raise TypeError("append needs expected=...: the version you read")
        store = self._counter.store
        version = store.version(bank.STREAM)
        self.appends.append((expected, self.decided.get(id(events)), version))
        self._counter.append(events, expected=expected)


_RACES = (
    ("the 2,000 $ race at 09:00", clerks.Config(expected="exact")),
    ("three clerks paying 1,000 $ at 09:00", clerks.Config(clerks=3, amount=1000.0,
                                                            expected="exact")),
    *((f"a busy morning, {n} clerks (seed {seed}, {backend})",
       clerks.Config(clerks=n, requests=10, amount=300.0, amount_spread=0.5,
                     request_interval=5.0, expected="exact", backend=backend, seed=seed))
      for n, seed, backend in ((2, 1, "memory"), (3, 2, "memory"), (4, 3, "memory"),
                               (2, 4, "sqlite"), (3, 5, "memory"), (4, 6, "memory"))),
)


class UncaughtConflictError(Exception):
    """The learner's function let a ConcurrencyError escape (said in a short line)."""


class UncaughtRefusalError(Exception):
    """The learner's function let the overdraft rule's refusal escape."""


def _guarded(pay_out: Any) -> Any:
    """The learner's function, with the two errors it should catch named briefly (the
    store's own messages are longer than a verdict line)."""
    def call(counter: Any, state: Any, version: int) -> Any:
        try:
            return pay_out(counter, state, version)
        except ConcurrencyError:
            raise UncaughtConflictError("catch clerks.ConcurrencyError, reload and decide "
                                        "again") from None
        except clerks.Refused:
            raise UncaughtRefusalError("catch clerks.Refused: the overdraft rule said no, "
                                       "return 'refused'") from None
    return call


def _served(description: str, watched: _WatchedCounter, outcome: Any, store: Any,
            before: int, limit: int) -> None:
    """Raise _Wrong if one payout was served wrongly (the learner's function has returned)."""
    amount = dollars(watched.amount)
    added = store.version(bank.STREAM) - before
    if any(expected == ANY for expected, _, _ in watched.appends):
        raise _Wrong(f"for {description} an append expected ANY: a decision on a stale read "
                     "can slip in; pass the version you read")
    if outcome not in ("paid", "refused"):
        raise _Wrong(f"for {description} your function returned {show(outcome)}: return "
                     "'paid' or 'refused'")
    if outcome == "paid" and added != 1:
        raise _Wrong(f"for {description} it returned 'paid' for {amount} but appended "
                     f"{added} events")
    if outcome == "refused" and added:
        raise _Wrong(f"for {description} it returned 'refused' but appended {added} events")
    balance = bank.balance_of(store.read_stream(bank.STREAM))
    if outcome == "refused" and balance - watched.amount >= -limit:
        raise _Wrong(f"for {description} {watched.clerk} refused {amount} though the account "
                     f"held {dollars(balance)}: after a conflict, reload and decide again")
    if outcome == "paid":
        _, decided_on, at = [a for a in watched.appends if a[2] == before][-1]
        shown = bank.balance_of(e for e in store.read_stream(bank.STREAM) if e.version <= at)
        if decided_on is not None and decided_on != shown:
            raise _Wrong(f"for {description} {watched.clerk}'s payout was decided on "
                         f"{dollars(decided_on)} but appended where the balance was "
                         f"{dollars(shown)}: decide again on what you reload")


@never_raises("2.4")
def exercise_2_4(pay_out: Any) -> Feedback:
    """Exercise 2.4: the clerk's write step (decide, append with the version read, on a
    conflict reload and decide again), run for every payout of real races."""
    guarded = _guarded(pay_out)

    def body(call: Caller) -> Feedback:
        for description, config in _RACES:
            def hook(counter: Any, state: dict[str, Any], version: int,
                     description: str = description,
                     limit: int = cents(config.overdraft)) -> str:
                watched = _WatchedCounter(counter)
                store = counter.store
                before = store.version(bank.STREAM)
                outcome = call.within(description, guarded, watched, state, version)
                _served(description, watched, outcome, store, before, limit)
                return str(outcome)

            race = clerks.Race(config, pay_out=hook)
            try:
                race.world.env.run()
            except _Wrong as wrong:
                return failed("2.4", str(wrong))
        return passed("2.4", len(_RACES))

    return judge("2.4", pay_out, body, forbidden=(clerks.pay_out,))
