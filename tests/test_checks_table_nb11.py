"""Answer tables for exercises 11.1 to 11.3: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

import pytest
from checktable import assert_accepted, assert_rejected, ids

from eventlab import checks
from eventlab.scenarios import recap

# ---- 11.1: a design that meets the four targets on the bad day --------------------------------
WRONG_11_1 = [
    ("the defaults are good enough (the lag is not)", recap.Config()),
    ("Notification as a command: the Order depends on it",
     recap.Config(partitions=8, notification="command")),
    ("choreography: nobody notices a lost order",
     recap.Config(partitions=8, coordination="choreography")),
    ("a smaller day instead of a better design", recap.Config(partitions=8, orders=20)),
    ("no outbox: messages are lost", recap.Config(partitions=8, outbox=False)),
    ("a dict instead of a Config", {"partitions": 8}),
]
RIGHT_11_1 = [("8 partitions", recap.Config(partitions=8)),
              ("16 partitions", recap.Config(partitions=16))]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_11_1, ids=ids(WRONG_11_1))
def test_exercise_11_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_11_1, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_11_1, ids=ids(RIGHT_11_1))
def test_exercise_11_1_accepts(approach, answer):
    assert_accepted(checks.exercise_11_1, answer)


# ---- 11.2: the lost message no timer can notice ----------------------------------------------
WRONG_11_2 = [
    ("the last command of the flow", "ShipGoodsCommand"),
    ("a reply the Order waits for with a timer", "PaymentReceivedEvent"),
    ("the Order's own final event", "OrderCompletedEvent"),
    ("a side effect's message", "SendNotificationCommand"),
    ("two answers at once", ["OrderPlacedEvent", "GoodsShippedEvent"]),
    ("a description, not a type", "the first one"),
]
RIGHT_11_2 = [("the type", "OrderPlacedEvent"), ("with a stray space", " OrderPlacedEvent ")]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_11_2, ids=ids(WRONG_11_2))
def test_exercise_11_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_11_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_11_2, ids=ids(RIGHT_11_2))
def test_exercise_11_2_accepts(approach, answer):
    assert_accepted(checks.exercise_11_2, answer)


# ---- 11.3: one partition on the bad day -------------------------------------------------------
WRONG_11_3 = [
    ("partitions only add parallelism, not capacity", "as many as with 4 partitions"),
    ("one consumer stops everything", "almost none"),
    ("a number instead of a bucket", 53),
    ("a bucket that does not exist", "most"),
    ("two buckets", ["about half", "almost none"]),
]
RIGHT_11_3 = [("the bucket", "about half"), ("capitalised, with a space", "About half ")]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_11_3, ids=ids(WRONG_11_3))
def test_exercise_11_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_11_3, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_11_3, ids=ids(RIGHT_11_3))
def test_exercise_11_3_accepts(approach, answer):
    assert_accepted(checks.exercise_11_3, answer)
