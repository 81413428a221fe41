"""Notebook 03's checkers accept the reference, reject typical mistakes, and never raise."""

from eventlab import checks


def quorum_size(n):
    return n // 2 + 1


def commit_time(follower_acks):
    needed = (len(follower_acks) + 1) // 2  # quorum minus the leader itself
    return sorted(follower_acks)[needed - 1] if needed else 0.0


def stub(*_):
    raise NotImplementedError


def test_exercise_3_1_runs_the_rule_in_split_clusters_and_names_what_went_wrong():
    assert repr(checks.exercise_3_1(quorum_size)) == "✓ Exercise 3.1 passed (14 cases)"
    assert repr(checks.exercise_3_1(lambda n: n // 2)).startswith(
        "✗ Exercise 3.1: with your rule the 1 cut-off broker of 3 still committed ")
    assert repr(checks.exercise_3_1(lambda n: n // 2)).endswith("split brain")
    assert repr(checks.exercise_3_1(lambda n: n)) == (
        "✗ Exercise 3.1: with your rule the 2 brokers of the majority of 3 committed nothing "
        "during the split: losing a few brokers stopped the whole cluster")
    assert repr(checks.exercise_3_1(lambda n: (n + 1) // 2)) == (
        "✗ Exercise 3.1: the splits ran well, but for a replication group of 2 brokers "
        "expected 2, got 1 (two halves of an even group could both commit)")
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
    assert repr(checks.exercise_3_3((0, 1))) == "✓ Exercise 3.3 passed (2 cases)"
    assert repr(checks.exercise_3_3((0, 2))).startswith(
        "✗ Exercise 3.3: you said (0, 2). Hint: ")
    assert repr(checks.exercise_3_3((0, 3))) == (
        "✗ Exercise 3.3: you said (0, 3); the run committed 0 requests in the minority and "
        "elected 1 leader in all")
    assert repr(checks.exercise_3_3(None)) == "Exercise 3.3: not attempted yet"
    assert "write two whole numbers" in repr(checks.exercise_3_3((0, "yes")))
