"""Answer tables for exercises 10.1 to 10.3: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

import pandas as pd
import pytest
from checktable import assert_accepted, assert_rejected, ids, never_returns

from eventlab import checks


# ---- 10.1: who knows whom --------------------------------------------------------------------
def _rule(keep_self=False, command_reversed=False, event_reversed=False):
    def who_knows_whom(flows):
        pairs = set()
        for _, kind, producer, consumer in flows:
            if producer == consumer and not keep_self:
                continue
            forward = (producer, consumer)
            backward = (consumer, producer)
            if kind == "command":
                pairs.add(backward if command_reversed else forward)
            else:
                pairs.add(forward if event_reversed else backward)
        return pairs
    return who_knows_whom


WRONG_10_1 = [
    ("keeps self-flows", _rule(keep_self=True)),
    ("the producer knows the consumer, also for events", _rule(event_reversed=True)),
    ("the receiver of a command knows its sender", _rule(command_reversed=True)),
    ("every flow reversed", _rule(command_reversed=True, event_reversed=True)),
    ("the message types, not the services", lambda flows: {(m, k) for m, k, _, _ in flows}),
    ("no dependencies at all with events", lambda flows: {(p, c) for _, k, p, c in flows
                                                          if k == "command" and p != c}),
    ("never returns", never_returns),
]


def _table(flows):
    rows = [(c, p) if k == "event" else (p, c) for _, k, p, c in flows if p != c]
    return pd.DataFrame(rows, columns=["service", "depends on"]).drop_duplicates()


RIGHT_10_1 = [("a set of pairs", _rule()),
              ("a list with repeats, as lists", lambda flows: [
                  [c, p] if k == "event" else [p, c] for _, k, p, c in flows if p != c]),
              ("a two-column table", _table)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_10_1, ids=ids(WRONG_10_1))
def test_exercise_10_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_10_1, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_10_1, ids=ids(RIGHT_10_1))
def test_exercise_10_1_accepts(approach, answer):
    assert_accepted(checks.exercise_10_1, answer)


# ---- 10.2: what compensation undoes -----------------------------------------------------------
WRONG_10_2 = [
    ("a timer refunds the payment", {"refund payment"}),
    ("undo everything", {"refund payment", "return goods"}),
    ("nothing completed", set()),
    ("the empty answer as None inside", [None]),
    ("a step name, not a compensation", {"fetch goods"}),
    ("a number", 1),
]
RIGHT_10_2 = [("a set", {"return goods"}), ("a single string", "return goods"),
              ("a list, capitalised", ["Return goods"]),
              ("a Series", pd.Series(["return goods"]))]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_10_2, ids=ids(WRONG_10_2))
def test_exercise_10_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_10_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_10_2, ids=ids(RIGHT_10_2))
def test_exercise_10_2_accepts(approach, answer):
    assert_accepted(checks.exercise_10_2, answer)


# ---- 10.3: timers cut both ways -------------------------------------------------------------
WRONG_10_3 = [
    ("nothing is lost, so both deliver", ("Order delivered", "completed")),
    ("the choreography is stuck as well", ("Goods not shipped in time",
                                          "stuck (Payment received)")),
    ("the strike drops the shipment", ("Goods not shipped in time", "dropped by Shipping")),
    ("the wrong timer", ("Goods not fetched in time", "completed")),
    ("the outcomes swapped", ("completed", "Goods not shipped in time")),
    ("the order is canceled", ("Order canceled", "completed")),
    ("one outcome only", "Goods not shipped in time"),
]
RIGHT_10_3 = [("a tuple", ("Goods not shipped in time", "completed")),
              ("a list", ["Goods not shipped in time", "completed"])]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_10_3, ids=ids(WRONG_10_3))
def test_exercise_10_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_10_3, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_10_3, ids=ids(RIGHT_10_3))
def test_exercise_10_3_accepts(approach, answer):
    assert_accepted(checks.exercise_10_3, answer)
