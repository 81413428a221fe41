"""Exercise checkers accept the reference, reject typical mistakes, and never raise."""

import pytest

from eventlab import checks
from eventlab.checks._predict import forget_tries
from eventlab.scenarios import fowler


def current_address(events):
    address = ""
    for event in events:
        if event.type == "AddressChanged":
            address = event.payload["address"]
    return address


def first_address(events):  # a typical mistake: keeps the first move, not the last
    for event in events:
        if event.type == "AddressChanged":
            return event.payload["address"]
    return ""


def crashes_on_other_types(events):  # forgets that other event types exist
    address = ""
    for event in events:
        address = event.payload["address"]
    return address


def stub(events):
    raise NotImplementedError


def which_pattern(m):
    if m[fowler.Metric.CALLBACKS]:
        return "notification"
    if m[fowler.Metric.EVENTS_TO_OTHER_SERVICES]:
        return "state_transfer"
    event_sourced = m[fowler.Metric.REPLAY_EQUALS_LIVE_STATE] != "—"
    if m[fowler.Metric.STALE_READS] != "—":
        return "cqrs_event_sourced" if event_sourced else "cqrs"
    return "event_sourcing"


def test_exercise_1_1_accepts_a_correct_fold():
    feedback = checks.exercise_1_1(current_address)
    assert feedback.passed
    assert repr(feedback) == "✓ Exercise 1.1 passed (5 cases)"


def test_exercise_1_1_names_the_failing_case_for_a_wrong_fold():
    feedback = checks.exercise_1_1(first_address)
    assert not feedback.passed
    assert repr(feedback) == ("✗ Exercise 1.1: for moves to Berlin, then Potsdam "
                              "expected 'Potsdam', got 'Berlin'")


def test_exercise_1_1_reports_an_exception_instead_of_raising_it():
    feedback = checks.exercise_1_1(crashes_on_other_types)
    assert repr(feedback).startswith("✗ Exercise 1.1: for CustomerCreated, then a move to Wien "
                                     "it raised KeyError")


def test_a_stub_or_nothing_is_not_attempted_yet():
    assert repr(checks.exercise_1_1(stub)) == "Exercise 1.1: not attempted yet"
    assert repr(checks.exercise_1_2(None)) == "Exercise 1.2: not attempted yet"
    assert repr(checks.exercise_1_3(None)) == "Exercise 1.3: not attempted yet"
    assert repr(checks.exercise_1_1(42)).startswith("✗ Exercise 1.1: expected a function")


def test_exercise_1_2_compares_the_prediction_with_a_real_run():
    measured = fowler.run(fowler.Config(pattern="notification", consumers=4, changes=5)) \
        .metrics["callbacks to the CRM"]
    forget_tries()
    assert checks.exercise_1_2(measured).passed
    first = repr(checks.exercise_1_2(4))
    assert first.startswith("✗ Exercise 1.2: you said 4. Hint:")
    assert repr(checks.exercise_1_2(4)) == ("✗ Exercise 1.2: you said 4; the run made "
                                            f"{measured} callbacks to the CRM")


def test_exercise_1_3_accepts_a_classifier_that_reads_the_measurements():
    assert checks.exercise_1_3(which_pattern).passed
    wrong = checks.exercise_1_3(lambda m: "notification")
    assert repr(wrong).startswith("✗ Exercise 1.3: for run 1 of state_transfer")


def test_feedback_is_the_same_line_every_time():
    assert repr(checks.exercise_1_1(first_address)) == repr(checks.exercise_1_1(first_address))


def test_a_checker_is_found_by_its_notebook_number_and_unknown_ones_are_named():
    assert checks.exercise_7_1 is __import__("eventlab.checks.nb07", fromlist=["x"]).exercise_7_1
    with pytest.raises(AttributeError, match="notebook 99 has no exercises"):
        checks.exercise_99_1  # noqa: B018
    with pytest.raises(AttributeError, match=r"'exercise_1_9' in eventlab\.checks\.nb01"):
        checks.exercise_1_9  # noqa: B018
