"""Answer tables for exercises 3.1 to 3.3: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from checktable import assert_accepted, assert_rejected, ids, never_returns

from eventlab import checks
from eventlab.engines.zeebe.raft import quorum

# ---- 3.1: the quorum of n brokers -----------------------------------------------------------
WRONG_3_1 = [
    ("half, rounded down: the minority commits too", lambda n: n // 2),
    ("half, rounded up (wrong for even n)", lambda n: math.ceil(n / 2)),
    ("all brokers: one lost broker stops everything", lambda n: n),
    ("a float majority", lambda n: n / 2 + 0.5),
    ("the followers only, not the leader", lambda n: (n - 1) // 2 + 1 - 1 if n > 1 else 1),
    ("one broker is enough", lambda n: 1),
    ("zero: nobody needs to agree", lambda n: 0),
    ("the library's own rule", lambda n: quorum(n)),
    ("never returns", never_returns),
]
RIGHT_3_1 = [
    ("integer division", lambda n: n // 2 + 1),
    ("floor of half plus one, as a float", lambda n: math.floor(n / 2) + 1.0),
    ("a numpy integer", lambda n: np.int64(n // 2 + 1)),
    ("more than half, counted up", lambda n: next(k for k in range(1, n + 1) if 2 * k > n)),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_3_1, ids=ids(WRONG_3_1))
def test_exercise_3_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_3_1, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_3_1, ids=ids(RIGHT_3_1))
def test_exercise_3_1_accepts(approach, answer):
    assert_accepted(checks.exercise_3_1, answer)


# ---- 3.2: when the leader commits -----------------------------------------------------------
def _needed_minus_one(acks):  # quorum len // 2 - 1: right for an even number of followers only
    needed = len(acks) // 2
    return sorted(acks)[needed - 1] if needed else 0.0


def _median(acks):
    return float(statistics.median(acks)) if acks else 0.0


WRONG_3_2 = [
    ("a quorum of len // 2 followers (even counts only)", _needed_minus_one),
    ("waits for every follower", lambda acks: max(acks, default=0.0)),
    ("the fastest follower is enough", lambda acks: min(acks, default=0.0)),
    ("the median follower", _median),
    ("unsorted: the acks in list order", lambda acks: acks[(len(acks) + 1) // 2 - 1]
     if acks else 0.0),
    ("the leader does not count itself", lambda acks: sorted(acks)[len(acks) // 2]
     if acks else 0.0),
    ("never returns", never_returns),
]


def _solution_3_2(acks):
    needed = (len(acks) + 1) // 2
    return sorted(acks)[needed - 1] if needed else 0.0


def _quorum_walk(acks):
    quorum = (len(acks) + 1) // 2 + 1
    times = [0.0, *sorted(acks)]  # the leader has it at 0 ms
    return np.float64(times[quorum - 1])


RIGHT_3_2 = [("needed followers, sorted", _solution_3_2),
             ("walk the sorted times with the leader first", _quorum_walk)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_3_2, ids=ids(WRONG_3_2))
def test_exercise_3_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_3_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_3_2, ids=ids(RIGHT_3_2))
def test_exercise_3_2_accepts(approach, answer):
    assert_accepted(checks.exercise_3_2, answer)


# ---- 3.3: predict the 7-broker split with the leader on the majority side ---------------------
WRONG_3_3 = [
    ("the majority elects a new leader anyway", (0, 2)),
    ("the minority elects its own leader too (no pre-vote)", (0, 3)),
    ("the minority goes on committing (AP)", (37, 2)),
    ("the minority commits with a leader of its own", (5, 1)),
    ("a bool instead of a number", (0, True)),
    ("the old exercise's answer", (0, "yes")),
    ("only the number", 0),
    ("a dict", {"committed": 0, "leaders": 1}),
    ("text", "0, 1"),
]
RIGHT_3_3 = [("a tuple", (0, 1)), ("a list of floats", [0.0, 1.0]),
             ("numpy numbers", (np.int64(0), np.int64(1)))]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_3_3, ids=ids(WRONG_3_3))
def test_exercise_3_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_3_3, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_3_3, ids=ids(RIGHT_3_3))
def test_exercise_3_3_accepts(approach, answer):
    assert_accepted(checks.exercise_3_3, answer)


def test_exercise_3_3_reveals_the_run_on_request():
    assert repr(checks.reveal("3.3")) == ("Exercise 3.3: the run committed 0 requests in the "
                                          "minority and elected 1 leader in all")
