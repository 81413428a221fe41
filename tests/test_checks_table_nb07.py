"""Answer tables for exercises 7.1 to 7.3: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

import pandas as pd
import pytest
from checktable import assert_accepted, assert_rejected, ids, never_returns

from eventlab import checks
from eventlab.scenarios import crm


# ---- 7.1: what a consumer does with a delta ---------------------------------------------------
def _substring(copy, data):
    if copy in data["newAddress"]:
        return "duplicate"
    if data["oldAddress"] in copy:
        return "apply"
    return "out of order"


def _apply_first(copy, data):
    if data["oldAddress"] == copy:
        return "apply"
    if data["newAddress"] == copy:
        return "duplicate"
    return "out of order"


def _always_apply(copy, data):
    return "duplicate" if data["newAddress"] == copy else "apply"


def _old_is_out_of_order(copy, data):
    if data["newAddress"] == copy:
        return "duplicate"
    return "out of order" if data["oldAddress"] == copy else "apply"


def _case_insensitive_prefix(copy, data):
    if data["newAddress"].lower().startswith(copy.lower()):
        return "duplicate"
    if copy.lower().startswith(data["oldAddress"].lower()):
        return "apply"
    return "out of order"


WRONG_7_1 = [
    ("a substring match instead of equality", _substring),
    ("a prefix match", _case_insensitive_prefix),
    ("applies every change it has not seen", _always_apply),
    ("swaps apply and out of order", _old_is_out_of_order),
    ("a True/False instead of the decision", lambda copy, data: data["oldAddress"] == copy),
    ("never returns", never_returns),
]
RIGHT_7_1 = [
    ("duplicate first, then apply", lambda c, d: "duplicate" if d["newAddress"] == c
     else "apply" if d["oldAddress"] == c else "out of order"),
    ("a lookup table, capitalised", lambda c, d: {(True, False): "Duplicate",
                                                  (False, True): "Apply",
                                                  (True, True): "Duplicate"}.get(
        (d["newAddress"] == c, d["oldAddress"] == c), "Out of order")),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_7_1, ids=ids(WRONG_7_1))
def test_exercise_7_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_7_1, answer)


def test_apply_first_differs_only_when_old_equals_new():
    # a delta whose old and new address are the same never happens, so this order is fine too
    assert_accepted(checks.exercise_7_1, _apply_first)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_7_1, ids=ids(RIGHT_7_1))
def test_exercise_7_1_accepts(approach, answer):
    assert_accepted(checks.exercise_7_1, answer)


# ---- 7.2: which designs stay stale -----------------------------------------------------------
WRONG_7_2 = [
    ("every state transfer design", ["address_delta", "address_full", "customer_changed",
                                     "customer_moved"]),
    ("the deltas, because they park events", ["address_delta", "customer_moved"]),
    ("only the biggest event", ["customer_changed"]),
    ("notification as well", ["notification", "address_full", "customer_changed"]),
    ("none at all", []),
    ("a design that does not exist", ["address_version"]),
    ("a number", 2),
]
RIGHT_7_2 = [
    ("a list", ["address_full", "customer_changed"]),
    ("a set", {"customer_changed", "address_full"}),
    ("a pandas Series", pd.Series(["customer_changed", "address_full"])),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_7_2, ids=ids(WRONG_7_2))
def test_exercise_7_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_7_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_7_2, ids=ids(RIGHT_7_2))
def test_exercise_7_2_accepts(approach, answer):
    assert_accepted(checks.exercise_7_2, answer)


# ---- 7.3: callbacks per change ---------------------------------------------------------------
def _solution_7_3(kind, consumers):
    field = "status" if kind == "status" else "address"
    return sum(field in c.cares_about for c in crm.CONSUMERS[:consumers])


def _every_consumer(kind, consumers):
    return consumers


def _corrections_ignored(kind, consumers):
    return 0 if kind == "correction" else _solution_7_3(kind, consumers)


def _all_consumers_not_first(kind, consumers):
    field = "status" if kind == "status" else "address"
    return sum(field in c.cares_about for c in crm.CONSUMERS)


def _returns_none(kind, consumers):
    _solution_7_3(kind, consumers)


def _by_kind_name(kind, consumers):
    return sum(kind in c.cares_about for c in crm.CONSUMERS[:consumers])


WRONG_7_3 = [
    ("every consumer calls back for every change", _every_consumer),
    ("a typo fix causes no callback", _corrections_ignored),
    ("all consumers, not the first ones", _all_consumers_not_first),
    ("the kind name is the field name", _by_kind_name),
    ("forgets to return", _returns_none),
    ("one callback per change", lambda kind, consumers: 1),
    ("never returns", never_returns),
]


def _by_table(kind, consumers):
    listening = crm.CONSUMERS[:consumers]
    wanted = {"move": "address", "correction": "address", "status": "status"}[kind]
    return len([c for c in listening if wanted in c.cares_about])


RIGHT_7_3 = [("count the consumers that care", _solution_7_3), ("a mapping of kinds", _by_table)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_7_3, ids=ids(WRONG_7_3))
def test_exercise_7_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_7_3, answer)


def test_exercise_7_3_blames_a_missing_return_not_the_checker():
    feedback = assert_rejected(checks.exercise_7_3, _returns_none)
    assert "it returned None: return a whole number" in repr(feedback)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_7_3, ids=ids(RIGHT_7_3))
def test_exercise_7_3_accepts(approach, answer):
    assert_accepted(checks.exercise_7_3, answer)
