"""Notebook 07's checkers accept the reference, reject typical mistakes, and never raise."""

from eventlab import checks
from eventlab.scenarios import crm


def delta_step(copy, data):
    if data["newAddress"] == copy:
        return "duplicate"
    if data["oldAddress"] == copy:
        return "apply"
    return "out of order"


def applies_everything(copy, data):  # a typical mistake: a delta is just a new value
    return "duplicate" if data["newAddress"] == copy else "apply"


def callbacks_per_change(kind, consumers):
    field = "status" if kind == "status" else "address"
    return sum(field in c.cares_about for c in crm.CONSUMERS[:consumers])


def stub(*_):
    raise NotImplementedError


def test_exercise_7_1_accepts_the_delta_rule_and_names_the_case_it_misses():
    assert repr(checks.exercise_7_1(delta_step)) == "✓ Exercise 7.1 passed (9 cases)"
    assert repr(checks.exercise_7_1(applies_everything)) == (
        "✗ Exercise 7.1: for a move that skips one you have not seen yet expected "
        "'out of order', got 'apply'")


def test_exercise_7_2_compares_the_prediction_with_runs_of_every_design():
    assert repr(checks.exercise_7_2(["customer_changed", "address_full"])) == \
        "✓ Exercise 7.2 passed (1 case)"
    assert repr(checks.exercise_7_2(["address_full"])).startswith(
        "✗ Exercise 7.2: you said address_full. Hint: ")
    assert repr(checks.exercise_7_2(["address_full"])) == (
        "✗ Exercise 7.2: you said address_full; the runs left stale copies with "
        "address_full, customer_changed")
    assert repr(checks.exercise_7_2(["AddressChanged"])).startswith(
        "✗ Exercise 7.2: 'AddressChanged' is not a design")
    assert repr(checks.exercise_7_2(3)).startswith("✗ Exercise 7.2: write a list")


def test_exercise_7_3_sums_the_learners_answer_over_the_changes_of_real_runs():
    assert repr(checks.exercise_7_3(callbacks_per_change)) == "✓ Exercise 7.3 passed (4 cases)"
    wrong = repr(checks.exercise_7_3(lambda kind, consumers: consumers))
    assert wrong.startswith("✗ Exercise 7.3: with consumers=1 (seed 1; changes: ")
    assert "expected 19 callbacks, got 36" in wrong
    crashing = repr(checks.exercise_7_3(lambda kind, consumers: {}[kind]))
    assert crashing.startswith("✗ Exercise 7.3: for kind='move', consumers=1 it raised KeyError")


def test_a_stub_or_nothing_is_not_attempted_yet():
    assert repr(checks.exercise_7_1(stub)) == "Exercise 7.1: not attempted yet"
    assert repr(checks.exercise_7_2(None)) == "Exercise 7.2: not attempted yet"
    assert repr(checks.exercise_7_3(stub)) == "Exercise 7.3: not attempted yet"
    assert repr(checks.exercise_7_3(None)) == "Exercise 7.3: not attempted yet"
    assert repr(checks.exercise_7_3(3)).startswith("✗ Exercise 7.3: expected a function")
