"""Notebook 08's checkers accept the reference, reject typical mistakes, and never raise."""

from eventlab import checks
from eventlab.checks import nb08
from eventlab.scenarios import onboarding


def responsible_team(style, sender, receiver):
    return sender if style == "command" else receiver


def kind_of(name):
    words = name.lower() if " " in name else "".join(
        " " + c.lower() if c.isupper() else c for c in name)
    if words.endswith("command"):
        return "command"
    if any(m in words for m in ("required", "needs to", "should be")):
        return "command in disguise"
    last = words.removesuffix(" event").split()[-1]
    return "event" if last.endswith("ed") else "command"


def trusts_the_suffix(name):  # a typical mistake: only "Command" makes a command
    return "command" if name.endswith("Command") else "event"


def stub(*_):
    raise NotImplementedError


def test_exercise_8_1_accepts_the_rule_and_names_the_failing_step():
    assert repr(checks.exercise_8_1(responsible_team)) == "✓ Exercise 8.1 passed (16 cases)"
    assert repr(checks.exercise_8_1(lambda style, sender, receiver: sender)) == (
        "✗ Exercise 8.1: for address check as event: ('event', 'Onboarding', 'AddressCheck') "
        "expected 'AddressCheck', got 'Onboarding'")


def test_exercise_8_2_checks_every_catalogue_name_with_an_expected_kind_and_unseen_names():
    expected = int(onboarding.load_catalogue()["expected"].astype(bool).sum()) + len(nb08.UNSEEN)
    assert repr(checks.exercise_8_2(kind_of)) == f"✓ Exercise 8.2 passed ({expected} cases)"


def test_the_unseen_names_of_exercise_8_2_are_new_and_the_library_agrees_with_them():
    from eventlab.domains.onboarding.disguise import classify
    catalogue = set(onboarding.load_catalogue().index)
    for name, kind in nb08.UNSEEN.items():
        assert name not in catalogue
        assert classify(name).kind == kind, name
    assert repr(checks.exercise_8_2(trusts_the_suffix)) == (
        "✗ Exercise 8.2: for 'CheckAddress' expected 'command', got 'event'")


def test_exercise_8_3_compares_both_predictions_with_20_seeds_of_runs():
    pseudo, send = nb08.measured_waits()
    assert send.mean == send.low == send.high == 0.0
    assert 6 * 14 * 2 * 0.9 < pseudo.mean < 6 * 14 * 2 * 1.1  # senders x days x a day
    assert repr(checks.exercise_8_3((168, 0))) == "✓ Exercise 8.3 passed (2 cases)"
    assert repr(checks.exercise_8_3((168, 168))).startswith(
        "✗ Exercise 8.3: you said (168, 168). Hint: ")
    assert repr(checks.exercise_8_3((168, 168))).startswith(
        "✗ Exercise 8.3: you said (168, 168); the runs: ")
    assert repr(checks.exercise_8_3(6)).startswith("✗ Exercise 8.3: write two numbers")


def test_a_stub_or_nothing_is_not_attempted_yet():
    assert repr(checks.exercise_8_1(stub)) == "Exercise 8.1: not attempted yet"
    assert repr(checks.exercise_8_2(stub)) == "Exercise 8.2: not attempted yet"
    assert repr(checks.exercise_8_3(None)) == "Exercise 8.3: not attempted yet"
    assert repr(checks.exercise_8_3((None, 0))) == "Exercise 8.3: not attempted yet"
