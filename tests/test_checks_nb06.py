"""Notebook 06's checkers accept the reference, reject typical mistakes, and never raise."""

from eventlab import checks
from eventlab.engines import kafka


def partition_of(key, partitions):
    return kafka.to_positive(kafka.murmur2(key.encode())) % partitions


def with_abs(key, partitions):  # abs is not Kafka's toPositive
    return abs(kafka.murmur2(key.encode())) % partitions


def latest_state(records):
    state = {}
    for record in records:
        if record.value is None:
            state.pop(record.key, None)
        else:
            state[record.key] = record.value.payload["address"]
    return state


def ignores_tombstones(records):
    return {r.key: r.value.payload["address"] for r in records if r.value is not None}


def stub(*_):
    raise NotImplementedError


def test_exercise_6_1_accepts_the_partitioner_and_rejects_abs():
    assert repr(checks.exercise_6_1(partition_of)) == "✓ Exercise 6.1 passed (32 cases)"
    assert repr(checks.exercise_6_1(with_abs)).startswith("✗ Exercise 6.1: for key")
    assert "raised TypeError" in repr(checks.exercise_6_1(lambda key, n: kafka.murmur2(key) % n))


def test_exercise_6_2_compares_both_predictions_with_the_runs():
    assert repr(checks.exercise_6_2({"lost": 4, "duplicates": 4})) == (
        "✓ Exercise 6.2 passed (2 cases)")
    assert repr(checks.exercise_6_2({"lost": 5, "duplicates": 4})).startswith(
        "✗ Exercise 6.2: you said 5 lost, 4 duplicates. Hint: ")
    assert repr(checks.exercise_6_2({"lost": 4, "duplicates": 0})) == (
        "✗ Exercise 6.2: you said 4 lost, 0 duplicates; the runs: 4 lost, 4 duplicates")


def test_exercise_6_3_accepts_a_fold_with_tombstones_and_names_the_case_without():
    assert repr(checks.exercise_6_3(latest_state)) == "✓ Exercise 6.3 passed (7 cases)"
    assert repr(checks.exercise_6_3(ignores_tombstones)) == (
        "✗ Exercise 6.3: for a customer deleted by a tombstone expected {}, got "
        "{'customer-1': 'Marktplatz 7'}")


def test_exercise_6_4_compares_both_predictions_with_twenty_runs():
    assert repr(checks.exercise_6_4({"kicked out": 0, "handled twice": True})) == (
        "✓ Exercise 6.4 passed (2 cases)")
    assert repr(checks.exercise_6_4({"kicked out": 20, "handled twice": True})).startswith(
        "✗ Exercise 6.4: you said kicked out 20 times, handled twice: True. Hint: ")
    assert repr(checks.exercise_6_4({"kicked out": 20, "handled twice": False})) == (
        "✗ Exercise 6.4: you said kicked out 20 times, handled twice: False; in 20 runs "
        "member-1 was kicked out 0 times, and some records were handled twice")
    assert repr(checks.exercise_6_4({"kicked out": None, "handled twice": None})) == (
        "Exercise 6.4: not attempted yet")
    assert "is True or False" in repr(checks.exercise_6_4({"kicked out": 0,
                                                            "handled twice": "yes"}))


def test_unfinished_or_malformed_answers_are_reported_not_raised():
    assert repr(checks.exercise_6_1(None)) == "Exercise 6.1: not attempted yet"
    assert repr(checks.exercise_6_1(stub)) == "Exercise 6.1: not attempted yet"
    assert repr(checks.exercise_6_3(stub)) == "Exercise 6.3: not attempted yet"
    assert repr(checks.exercise_6_2(None)) == "Exercise 6.2: not attempted yet"
    assert repr(checks.exercise_6_2({"lost": None, "duplicates": None})) == (
        "Exercise 6.2: not attempted yet")
    assert "write a dict {'lost': ..., 'duplicates': ...}" in repr(checks.exercise_6_2((4, 4)))
