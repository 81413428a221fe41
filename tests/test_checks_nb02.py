"""Notebook 02's checkers accept the reference, reject typical mistakes, and never raise."""

from eventlab import checks
from eventlab.scenarios import bank


def evolve_with_fees(state, event):
    if event.type == "FeeCharged":
        return {**state, "balance": state["balance"] - event.data["amount"]}
    return bank.evolve(state, event)


def adds_the_fee(state, event):  # a typical sign mistake
    if event.type == "FeeCharged":
        return {**state, "balance": state["balance"] + event.data["amount"]}
    return bank.evolve(state, event)


def edits_in_place(state, event):  # changes the state it was given
    if event.type == "FeeCharged":
        state["balance"] -= event.data["amount"]
        return state
    return bank.evolve(state, event)


def spending_by_merchant(model, event):
    if event.type != "CardPaymentMade":
        return model
    merchant = event.data["merchant"]
    return {**model, merchant: model.get(merchant, 0) + event.data["amount"]}


def counts_payments(model, event):  # counts payments instead of adding their amounts
    if event.type != "CardPaymentMade":
        return model
    merchant = event.data["merchant"]
    return {**model, merchant: model.get(merchant, 0) + 1}


def stub(*_):
    raise NotImplementedError


def test_exercise_2_1_accepts_a_fold_that_handles_the_new_event_type():
    assert repr(checks.exercise_2_1(evolve_with_fees)) == "✓ Exercise 2.1 passed (5 cases)"


def test_exercise_2_1_names_the_case_for_a_wrong_sign_or_a_forgotten_type():
    assert repr(checks.exercise_2_1(adds_the_fee)) == (
        "✗ Exercise 2.1: for the talk's facts, then a fee of 4.90 $ expected the state "
        "{'open': True, 'balance': 248011, 'overdraft': 0}, got "
        "{'open': True, 'balance': 248991, 'overdraft': 0}")
    assert repr(checks.exercise_2_1(bank.evolve)).startswith(
        "✗ Exercise 2.1: for the talk's facts, then a fee of 4.90 $ expected")


def test_exercise_2_1_rejects_a_fold_that_edits_the_state_it_was_given():
    assert "changed the state it was given at FeeCharged" in repr(
        checks.exercise_2_1(edits_in_place))


def test_exercise_2_2_accepts_a_projection_that_sums_card_payments_per_merchant():
    assert repr(checks.exercise_2_2(spending_by_merchant)) == "✓ Exercise 2.2 passed (4 cases)"


def test_exercise_2_2_names_the_merchant_that_differs():
    assert repr(checks.exercise_2_2(counts_payments)) == (
        "✗ Exercise 2.2: for the talk's three facts 'Online shop' should be 1499 (14.99 $), "
        "got 1")


def test_exercise_2_2_reports_a_crashing_projection_instead_of_raising():
    feedback = repr(checks.exercise_2_2(lambda model, event: model[event.data["merchant"]]))
    assert feedback.startswith("✗ Exercise 2.2: for the talk's three facts it raised KeyError")


def test_exercise_2_3_compares_both_predictions_with_real_runs():
    assert repr(checks.exercise_2_3((-514.99, 485.01))) == "✓ Exercise 2.3 passed (2 cases)"
    assert repr(checks.exercise_2_3((-1514.99, 485.01))).startswith(
        "✗ Exercise 2.3: you said (-1514.99, 485.01). Hint: ")
    assert repr(checks.exercise_2_3([-514.99, -514.99])) == (
        "✗ Exercise 2.3: you said (-514.99, -514.99); the runs end with -514.99 $ (any) and "
        "485.01 $ (exact)")
    assert repr(checks.exercise_2_3(485.01)).startswith("✗ Exercise 2.3: write two balances")


def test_a_stub_or_nothing_is_not_attempted_yet():
    assert repr(checks.exercise_2_1(stub)) == "Exercise 2.1: not attempted yet"
    assert repr(checks.exercise_2_2(stub)) == "Exercise 2.2: not attempted yet"
    assert repr(checks.exercise_2_3(None)) == "Exercise 2.3: not attempted yet"
    assert repr(checks.exercise_2_3((None, None))) == "Exercise 2.3: not attempted yet"
    assert repr(checks.exercise_2_1(None)) == "Exercise 2.1: not attempted yet"
