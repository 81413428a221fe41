"""Notebook 03's checkers accept the reference, reject typical mistakes, and never raise."""

from eventlab import checks


def quorum_size(n):
    return n // 2 + 1


def commit_time(follower_acks):
    needed = (len(follower_acks) + 1) // 2  # quorum minus the leader itself
    return sorted(follower_acks)[needed - 1] if needed else 0.0


def stub(*_):
    raise NotImplementedError


def test_exercise_3_1_accepts_the_majority_and_rejects_half():
    assert repr(checks.exercise_3_1(quorum_size)) == "✓ Exercise 3.1 passed (8 cases)"
    assert repr(checks.exercise_3_1(lambda n: n // 2)) == (
        "✗ Exercise 3.1: for a replication group of 1 broker expected 1, got 0")
    assert repr(checks.exercise_3_1(stub)) == "Exercise 3.1: not attempted yet"


def test_exercise_3_2_wants_the_median_follower_not_the_slowest():
    assert repr(checks.exercise_3_2(commit_time)) == "✓ Exercise 3.2 passed (8 cases)"
    assert repr(checks.exercise_3_2(lambda acks: max(acks, default=0.0))) == (
        "✗ Exercise 3.2: for 2 followers acking at [3.0, 5.0] ms expected 3, got 5")
    assert repr(checks.exercise_3_2(stub)) == "Exercise 3.2: not attempted yet"


def test_exercise_3_2_reports_a_crash_instead_of_raising():
    assert repr(checks.exercise_3_2(lambda acks: acks[0])).startswith(
        "✗ Exercise 3.2: for 0 followers acking at [] ms it raised IndexError")


def test_exercise_3_3_compares_the_prediction_with_a_run():
    assert repr(checks.exercise_3_3((0, "yes"))) == "✓ Exercise 3.3 passed (2 cases)"
    assert repr(checks.exercise_3_3((3, "no"))).startswith(
        "✗ Exercise 3.3: you said (3, 'no'). Hint: ")
    assert repr(checks.exercise_3_3((0, "no"))) == (
        "✗ Exercise 3.3: you said (0, 'no'); the run committed 0 requests in the minority; "
        "logs agree: 'yes'")
    assert repr(checks.exercise_3_3(None)) == "Exercise 3.3: not attempted yet"
    assert "must be 'yes' or 'no'" in repr(checks.exercise_3_3((0, True)))
