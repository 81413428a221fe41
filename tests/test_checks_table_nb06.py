"""Answer tables for exercises 6.1 to 6.3: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest
from checktable import assert_accepted, assert_rejected, ids, never_returns

from eventlab import checks
from eventlab.core import partitioner
from eventlab.engines import kafka

# ---- 6.1: Kafka's default partitioner -------------------------------------------------------
WRONG_6_1 = [
    ("abs instead of to_positive", lambda key, n: abs(kafka.murmur2(key.encode())) % n),
    ("Python's own hash", lambda key, n: hash(key) % n),
    ("the key's length", lambda key, n: len(key) % n),
    ("md5 of the key", lambda key, n: int(hashlib.md5(key.encode()).hexdigest(), 16) % n),
    ("modulo before to_positive", lambda key, n: kafka.to_positive(kafka.murmur2(key.encode())
                                                                   % n)),
    ("calls the library's partitioner", lambda key, n: kafka.partition_for(key, n)),
    ("calls it by another import", lambda key, n: partitioner.partition_for(key, n)),
    ("never returns", never_returns),
]


def _by_hand(key, n):
    return (kafka.murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % n


RIGHT_6_1 = [
    ("murmur2, to_positive, modulo", lambda key, n: kafka.to_positive(
        kafka.murmur2(key.encode())) % n),
    ("the sign bit cleared by hand", _by_hand),
    ("a numpy integer", lambda key, n: np.int64(kafka.to_positive(
        kafka.murmur2(key.encode())) % n)),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_6_1, ids=ids(WRONG_6_1))
def test_exercise_6_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_6_1, answer)


def test_exercise_6_1_names_the_forbidden_call():
    feedback = assert_rejected(checks.exercise_6_1, lambda key, n: kafka.partition_for(key, n))
    assert re.search(r"it called \S*partition_for, which gives the answer away", repr(feedback))


@pytest.mark.parametrize(("approach", "answer"), RIGHT_6_1, ids=ids(RIGHT_6_1))
def test_exercise_6_1_accepts(approach, answer):
    assert_accepted(checks.exercise_6_1, answer)


# ---- 6.2: predict loss and duplicates ----------------------------------------------------------
WRONG_6_2 = [
    ("section 3's batch of 5", {"lost": 5, "duplicates": 5}),
    ("the whole partition", {"lost": 12, "duplicates": 12}),
    ("one record per crash", {"lost": 1, "duplicates": 1}),
    ("at-least-once loses, at-most-once duplicates", {"lost": 0, "duplicates": 4}),
    ("nothing goes wrong", {"lost": 0, "duplicates": 0}),
    ("a pair instead of a dict", (4, 4)),
    ("misspelt keys", {"loss": 4, "duplicate": 4}),
]
RIGHT_6_2 = [
    ("a dict", {"lost": 4, "duplicates": 4}),
    ("floats", {"duplicates": 4.0, "lost": 4.0}),
    ("a pandas Series", pd.Series({"lost": 4, "duplicates": 4})),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_6_2, ids=ids(WRONG_6_2))
def test_exercise_6_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_6_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_6_2, ids=ids(RIGHT_6_2))
def test_exercise_6_2_accepts(approach, answer):
    assert_accepted(checks.exercise_6_2, answer)


# ---- 6.3: fold a compacted topic ---------------------------------------------------------------
def _ignores_tombstones(records):
    return {r.key: r.value.payload["address"] for r in records if r.value is not None}


def _first_wins(records):
    state = {}
    for r in records:
        if r.value is None:
            state.pop(r.key, None)
        else:
            state.setdefault(r.key, r.value.payload["address"])
    return state


def _tombstone_as_none(records):
    return {r.key: None if r.value is None else r.value.payload["address"] for r in records}


def _tombstone_deletes_for_good(records):
    state, deleted = {}, set()
    for r in records:
        if r.value is None:
            deleted.add(r.key)
        elif r.key not in deleted:
            state[r.key] = r.value.payload["address"]
    return {k: v for k, v in state.items() if k not in deleted}


def _by_offset_order_reversed(records):
    state = {}
    for r in sorted(records, key=lambda r: -r.offset):
        if r.value is not None and r.key not in state:
            state[r.key] = r.value.payload["address"]
    return state


WRONG_6_3 = [
    ("ignores tombstones", _ignores_tombstones),
    ("the first address wins", _first_wins),
    ("a tombstone kept as None", _tombstone_as_none),
    ("a deleted key can never come back", _tombstone_deletes_for_good),
    ("newest value per key, tombstones skipped", _by_offset_order_reversed),
    ("a list of addresses", lambda records: [r.value.payload["address"] for r in records
                                             if r.value is not None]),
    ("never returns", never_returns),
]


def _solution_6_3(records):
    state = {}
    for r in records:
        if r.value is None:
            state.pop(r.key, None)
        else:
            state[r.key] = r.value.payload["address"]
    return state


def _pandas(records):
    if not records:
        return {}
    frame = pd.DataFrame({"key": [r.key for r in records],
                          "address": [None if r.value is None else r.value.payload["address"]
                                      for r in records]})
    last = frame.groupby("key", sort=False)["address"].last()
    last = frame.drop_duplicates("key", keep="last").set_index("key")["address"]
    return last.dropna()


RIGHT_6_3 = [("a dict fold", _solution_6_3), ("pandas: last per key, as a Series", _pandas)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_6_3, ids=ids(WRONG_6_3))
def test_exercise_6_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_6_3, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_6_3, ids=ids(RIGHT_6_3))
def test_exercise_6_3_accepts(approach, answer):
    assert_accepted(checks.exercise_6_3, answer)


# ---- 6.4: asynchronous processing and a slow handler ------------------------------------------
WRONG_6_4 = [
    ("a slow handler always gets the member kicked out", {"kicked out": 20, "handled twice": True}),
    ("workers make every duplicate go away", {"kicked out": 0, "handled twice": False}),
    ("kicked out, so its commits are refused", {"kicked out": 20, "handled twice": False}),
    ("kicked out once in all", {"kicked out": 1, "handled twice": True}),
    ("a yes instead of True", {"kicked out": 0, "handled twice": "yes"}),
    ("a count where True or False goes", {"kicked out": 0, "handled twice": 1}),
    ("kicked out as True", {"kicked out": False, "handled twice": True}),
    ("a pair instead of a dict", (0, True)),
    ("misspelt keys", {"kicked": 0, "twice": True}),
]
RIGHT_6_4 = [
    ("a dict", {"kicked out": 0, "handled twice": True}),
    ("a float and numpy's bool", {"handled twice": np.bool_(True), "kicked out": 0.0}),
    ("a pandas Series", pd.Series({"kicked out": 0, "handled twice": True}, dtype=object)),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_6_4, ids=ids(WRONG_6_4))
def test_exercise_6_4_rejects(misconception, answer):
    assert_rejected(checks.exercise_6_4, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_6_4, ids=ids(RIGHT_6_4))
def test_exercise_6_4_accepts(approach, answer):
    assert_accepted(checks.exercise_6_4, answer)
