"""Notebook 04's checkers accept the reference, reject typical mistakes, and never raise."""

from eventlab import checks


def partition_of(key):
    return key >> 51


def truncate_up_to(snapshot_position, exporter_positions):
    return min([snapshot_position, *exporter_positions])


def stub(*_):
    raise NotImplementedError


def test_exercise_4_1_reads_the_high_bits():
    assert repr(checks.exercise_4_1(partition_of)) == "✓ Exercise 4.1 passed (6 cases)"
    assert repr(checks.exercise_4_1(lambda key: key >> 52)) == (
        "✗ Exercise 4.1: for key 2251799813685249 (partition 1, counter 1) expected 1, got 0")
    assert repr(checks.exercise_4_1(stub)) == "Exercise 4.1: not attempted yet"


def test_exercise_4_2_waits_for_the_slowest_exporter():
    assert repr(checks.exercise_4_2(truncate_up_to)) == "✓ Exercise 4.2 passed (7 cases)"
    assert repr(checks.exercise_4_2(lambda snap, exporters: max([snap, *exporters]))) == (
        "✗ Exercise 4.2: for a snapshot at 120 and exporters at [150] expected 120, got 150")
    assert repr(checks.exercise_4_2(lambda snap, exporters: min(exporters))).startswith(
        "✗ Exercise 4.2: for a snapshot at 120 and exporters at [] it raised ValueError")
    assert repr(checks.exercise_4_2(stub)) == "Exercise 4.2: not attempted yet"


def test_exercise_4_3_compares_the_prediction_with_a_run():
    assert repr(checks.exercise_4_3((40, 4))) == "✓ Exercise 4.3 passed (2 cases)"
    assert repr(checks.exercise_4_3((44, 0))).startswith("✗ Exercise 4.3: you said (44, 0). Hint:")
    assert repr(checks.exercise_4_3((40, 0))) == (
        "✗ Exercise 4.3: you said (40, 0); the idempotent run made 40 charges and ignored 4 "
        "repeats")
    assert repr(checks.exercise_4_3(None)) == "Exercise 4.3: not attempted yet"
    assert repr(checks.exercise_4_3(40)).startswith("✗ Exercise 4.3: write a pair")


def next_limit(limit, rtt, dropped):
    return max(1, int(limit * 0.9)) if dropped or rtt > 50 else limit + 1


def test_exercise_4_4_runs_the_rule_under_overload_and_at_a_load_the_partition_can_serve():
    assert repr(checks.exercise_4_4(next_limit)) == "✓ Exercise 4.4 passed (8 cases)"
    assert repr(checks.exercise_4_4(lambda limit, rtt, dropped: limit + 1)).startswith(
        "✗ Exercise 4.4: under 1.5× overload your limit averaged ")
    assert repr(checks.exercise_4_4(lambda limit, rtt, dropped: max(1, limit - 1))).startswith(
        "✗ Exercise 4.4: at 0.8× load, which the partition can serve, your limit averaged ")
    assert repr(checks.exercise_4_4(lambda limit, rtt, dropped: limit)) == (
        "✗ Exercise 4.4: for a fast answer (5 ms) at limit 10 it returned 10: the limit must "
        "grow a little")
    assert repr(checks.exercise_4_4(stub)) == "Exercise 4.4: not attempted yet"
