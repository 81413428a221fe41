"""Answer tables for exercises 2.1 to 2.4: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from checktable import (
    assert_accepted,
    assert_not_attempted,
    assert_rejected,
    ids,
    never_returns,
)

from eventlab import checks
from eventlab.checks._predict import forget_tries
from eventlab.scenarios import bank
from eventlab.scenarios.bank import clerks


# ---- 2.1: extend the fold with FeeCharged --------------------------------------------------
def _adds_fee(state, event):
    if event.type == "FeeCharged":
        return {**state, "balance": state["balance"] + event.data["amount"]}
    return bank.evolve(state, event)


def _edits_in_place(state, event):
    if event.type == "FeeCharged":
        state["balance"] -= event.data["amount"]
        return state
    return bank.evolve(state, event)


def _fee_in_dollars(state, event):
    if event.type == "FeeCharged":
        return {**state, "balance": state["balance"] - event.data["amount"] / 100}
    return bank.evolve(state, event)


def _never_below_zero(state, event):
    if event.type == "FeeCharged":
        return {**state, "balance": max(0, state["balance"] - event.data["amount"])}
    return bank.evolve(state, event)


def _only_balance(state, event):
    if event.type == "FeeCharged":
        return {"balance": state["balance"] - event.data["amount"]}
    return bank.evolve(state, event)


WRONG_2_1 = [
    ("adds the fee instead of taking it", _adds_fee),
    ("edits the state it was given", _edits_in_place),
    ("the fee in dollars, the balance in cents", _fee_in_dollars),
    ("a fee cannot take the balance below zero", _never_below_zero),
    ("returns only the balance, dropping the other fields", _only_balance),
    ("forgets FeeCharged (the tolerant reader ignores it)", bank.evolve),
    ("never returns", never_returns),
]


def _solution_2_1(state, event):
    if event.type == "FeeCharged":
        return {**state, "balance": state["balance"] - event.data["amount"]}
    return bank.evolve(state, event)


def _copy_then_edit(state, event):
    if event.type != "FeeCharged":
        return bank.evolve(state, event)
    new = dict(state)
    new["balance"] = new["balance"] - int(event.data["amount"])
    return new


RIGHT_2_1 = [("a new dict with **state", _solution_2_1), ("a copy, then edit it", _copy_then_edit)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_2_1, ids=ids(WRONG_2_1))
def test_exercise_2_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_2_1, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_2_1, ids=ids(RIGHT_2_1))
def test_exercise_2_1_accepts(approach, answer):
    assert_accepted(checks.exercise_2_1, answer)


# ---- 2.2: card spending per merchant -------------------------------------------------------
def _counts(model, event):
    if event.type != "CardPaymentMade":
        return model
    m = event.data["merchant"]
    return {**model, m: model.get(m, 0) + 1}


def _mutates(model, event):
    if event.type == "CardPaymentMade":
        m = event.data["merchant"]
        model[m] = model.get(m, 0) + event.data["amount"]
    return model


def _last_amount(model, event):
    if event.type != "CardPaymentMade":
        return model
    return {**model, event.data["merchant"]: event.data["amount"]}


def _every_amount(model, event):
    if "merchant" not in event.data and "from" not in event.data:
        return model
    who = event.data.get("merchant", event.data.get("from"))
    return {**model, who: model.get(who, 0) + event.data["amount"]}


_SEEN: set[str] = set()


def _remembers_outside(model, event):  # a set outside (model, event): a rebuild differs
    if event.type != "CardPaymentMade":
        return model
    m = event.data["merchant"]
    if m in _SEEN and m not in model:
        return model
    _SEEN.add(m)
    return {**model, m: model.get(m, 0) + event.data["amount"]}


def _dollars(model, event):
    if event.type != "CardPaymentMade":
        return model
    m = event.data["merchant"]
    return {**model, m: model.get(m, 0) + event.data["amount"] / 100}


WRONG_2_2 = [
    ("counts payments instead of adding amounts", _counts),
    ("edits the model in place (2.1 rejects this too)", _mutates),
    ("keeps only the last amount per merchant", _last_amount),
    ("adds money received as well as money spent", _every_amount),
    ("depends on a list outside (model, event)", _remembers_outside),
    ("amounts in dollars, not cents", _dollars),
    ("never returns", never_returns),
]


def _solution_2_2(model, event):
    if event.type != "CardPaymentMade":
        return model
    m = event.data["merchant"]
    return {**model, m: model.get(m, 0) + event.data["amount"]}


def _counter(model, event):
    if event.type != "CardPaymentMade":
        return model
    return dict(Counter(model) + Counter({event.data["merchant"]: event.data["amount"]}))


def _defaultdict_copy(model, event):
    new = defaultdict(int, model)
    if event.type == "CardPaymentMade":
        new[event.data["merchant"]] += event.data["amount"]
    return dict(new)


RIGHT_2_2 = [("a new dict with **model", _solution_2_2), ("Counter addition", _counter),
             ("a defaultdict copy", _defaultdict_copy)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_2_2, ids=ids(WRONG_2_2))
def test_exercise_2_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_2_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_2_2, ids=ids(RIGHT_2_2))
def test_exercise_2_2_accepts(approach, answer):
    assert_accepted(checks.exercise_2_2, answer)


# ---- 2.3: predict the balances (any, exact) ------------------------------------------------
WRONG_2_3 = [
    ("exact protects nothing either", (-514.99, -514.99)),
    ("any behaves like exact", (485.01, 485.01)),
    ("the first payout only", (1485.01, 1485.01)),
    ("exact refuses every clerk after the first", (-514.99, 1485.01)),
    ("the balance before the payouts", (2485.01, 2485.01)),
    ("in cents, not dollars", (-51499, 48501)),
    ("the two swapped", (485.01, -514.99)),
    ("one number only", -514.99),
    ("a text", "-514.99, 485.01"),
]
RIGHT_2_3 = [
    ("the worked solution", (-514.99, 485.01)),
    ("float arithmetic", [2485.01 - 3 * 1000, 2485.01 - 2 * 1000]),
    ("Decimal", (Decimal("-514.99"), Decimal("485.01"))),
    ("a numpy array", np.array([-514.99, 485.01])),
    ("a pandas Series", pd.Series({"any": -514.99, "exact": 485.01})),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_2_3, ids=ids(WRONG_2_3))
def test_exercise_2_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_2_3, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_2_3, ids=ids(RIGHT_2_3))
def test_exercise_2_3_accepts(approach, answer):
    assert_accepted(checks.exercise_2_3, answer)


def test_exercise_2_3_shows_the_runs_only_on_the_second_wrong_try():
    forget_tries()
    first = repr(checks.exercise_2_3((0, 0)))
    second = repr(checks.exercise_2_3((0, 0)))
    assert "Hint:" in first
    assert "514.99" not in first
    assert second.endswith("the runs end with -514.99 $ (any) and 485.01 $ (exact)")


# ---- 2.4: the clerk's write step, run in real races ----------------------------------------
def _solution_2_4(counter, state, version):
    while True:
        try:
            events = counter.decide(state)
        except clerks.Refused:
            return "refused"
        try:
            counter.append(events, expected=version)
            return "paid"
        except clerks.ConcurrencyError:
            state, version = counter.load()


def _recursive(counter, state, version):
    try:
        events = counter.decide(state)
    except clerks.Refused:
        return "refused"
    try:
        counter.append(events, expected=version)
    except clerks.ConcurrencyError:
        return _recursive(counter, *counter.load())
    return "paid"


def _bounded_retries(counter, state, version):
    for _ in range(5):  # one retry is always enough: nobody writes between reload and retry
        try:
            events = counter.decide(state)
        except clerks.Refused:
            return "refused"
        try:
            counter.append(events, expected=version)
            return "paid"
        except clerks.ConcurrencyError:
            state, version = counter.load()
    return "refused"


def _append_with_any(counter, state, version):
    try:
        events = counter.decide(state)
    except clerks.Refused:
        return "refused"
    counter.append(events, expected=clerks.ANY)
    return "paid"


def _retry_the_append_not_the_decision(counter, state, version):
    try:
        events = counter.decide(state)
    except clerks.Refused:
        return "refused"
    while True:
        try:
            counter.append(events, expected=version)
            return "paid"
        except clerks.ConcurrencyError:
            _, version = counter.load()


def _conflict_means_refused(counter, state, version):
    try:
        events = counter.decide(state)
    except clerks.Refused:
        return "refused"
    try:
        counter.append(events, expected=version)
        return "paid"
    except clerks.ConcurrencyError:
        return "refused"


def _reloads_but_decides_on_the_old_state(counter, state, version):
    while True:
        try:
            events = counter.decide(state)
        except clerks.Refused:
            return "refused"
        try:
            counter.append(events, expected=version)
            return "paid"
        except clerks.ConcurrencyError:
            _fresh, version = counter.load()


def _retries_without_reloading(counter, state, version):
    while True:
        try:
            events = counter.decide(state)
        except clerks.Refused:
            return "refused"
        try:
            counter.append(events, expected=version)
            return "paid"
        except clerks.ConcurrencyError:
            pass


def _forgets_the_refusal(counter, state, version):
    while True:
        events = counter.decide(state)
        try:
            counter.append(events, expected=version)
            return "paid"
        except clerks.ConcurrencyError:
            state, version = counter.load()


def _returns_nothing(counter, state, version):
    counter.append(counter.decide(state), expected=version)


def _expects_the_next_version(counter, state, version):
    try:
        events = counter.decide(state)
    except clerks.Refused:
        return "refused"
    counter.append(events, expected=version + 1)
    return "paid"


WRONG_2_4 = [
    ("no version check: append with ANY", _append_with_any),
    ("retry the append with the new version, not the decision",
     _retry_the_append_not_the_decision),
    ("a conflict means the payout is refused", _conflict_means_refused),
    ("reload after a conflict, but decide on the old state", _reloads_but_decides_on_the_old_state),
    ("retry without reloading", _retries_without_reloading),
    ("the overdraft rule never says no", _forgets_the_refusal),
    ("no answer returned", _returns_nothing),
    ("expected is the version about to be written", _expects_the_next_version),
    ("the library's own pay_out", clerks.pay_out),
    ("never returns", never_returns),
]
RIGHT_2_4 = [("a loop until paid or refused", _solution_2_4),
             ("recursion on the reloaded state", _recursive),
             ("a bounded number of retries", _bounded_retries)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_2_4, ids=ids(WRONG_2_4))
def test_exercise_2_4_rejects(misconception, answer):
    assert_rejected(checks.exercise_2_4, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_2_4, ids=ids(RIGHT_2_4))
def test_exercise_2_4_accepts(approach, answer):
    assert_accepted(checks.exercise_2_4, answer)


def test_exercise_2_4_runs_races_where_clerks_really_conflict_and_get_refused():
    conflicted, refused = [], []

    def watching(counter, state, version):
        outcome = _solution_2_4(counter, state, version)
        conflicted.append(counter._counter.conflicts)
        refused.append(outcome == "refused")
        return outcome

    assert_accepted(checks.exercise_2_4, watching)
    assert sum(conflicted) > 10
    assert sum(refused) > 3


def test_exercise_2_4_template_is_not_attempted():
    def pay_out(counter, state, version):
        raise NotImplementedError  # decide, append expecting the version read; on a conflict
    assert_not_attempted(checks.exercise_2_4, pay_out)
