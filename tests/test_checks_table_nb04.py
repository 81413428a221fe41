"""Answer tables for exercises 4.1 to 4.3: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from checktable import assert_accepted, assert_rejected, ids, never_returns

from eventlab import checks

# ---- 4.1: the partition id in the high bits of a key ----------------------------------------
WRONG_4_1 = [
    ("shifts by 52 bits", lambda key: key >> 52),
    ("shifts by 50 bits", lambda key: key >> 50),
    ("the low bits (the counter)", lambda key: key & ((1 << 51) - 1)),
    ("a modulo, as Kafka does", lambda key: key % 8),
    ("a float division", lambda key: key / 2**51),
    ("never returns", never_returns),
]
RIGHT_4_1 = [
    ("a shift", lambda key: key >> 51),
    ("integer division", lambda key: key // 2**51),
    ("divmod, as a numpy integer", lambda key: np.int64(divmod(key, 1 << 51)[0])),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_4_1, ids=ids(WRONG_4_1))
def test_exercise_4_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_4_1, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_4_1, ids=ids(RIGHT_4_1))
def test_exercise_4_1_accepts(approach, answer):
    assert_accepted(checks.exercise_4_1, answer)


# ---- 4.2: how far the log may be truncated ---------------------------------------------------
WRONG_4_2 = [
    ("the snapshot alone decides", lambda snap, exporters: snap),
    ("the slowest exporter alone decides", lambda snap, exporters: min(exporters, default=snap)),
    ("the fastest exporter", lambda snap, exporters: min(snap, max(exporters, default=snap))),
    ("the furthest position of all", lambda snap, exporters: max([snap, *exporters])),
    ("the exporters' average", lambda snap, exporters: min(snap, sum(exporters)
                                                           // max(len(exporters), 1))
     if exporters else snap),
    ("one before the minimum", lambda snap, exporters: min([snap, *exporters]) - 1),
    ("never returns", never_returns),
]
RIGHT_4_2 = [
    ("min of a list", lambda snap, exporters: min([snap, *exporters])),
    ("min with a default", lambda snap, exporters: min(snap, min(exporters, default=snap))),
    ("numpy", lambda snap, exporters: np.min(np.array([snap, *exporters]))),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_4_2, ids=ids(WRONG_4_2))
def test_exercise_4_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_4_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_4_2, ids=ids(RIGHT_4_2))
def test_exercise_4_2_accepts(approach, answer):
    assert_accepted(checks.exercise_4_2, answer)


# ---- 4.3: predict the idempotent job run -----------------------------------------------------
WRONG_4_3 = [
    ("idempotency changes nothing", (44, 0)),
    ("ignored, yet still counted as charges", (44, 4)),
    ("charges ignored but not counted", (40, 0)),
    ("idempotency prevents the crashes", (40, 0.0)),
    ("the workers' count, not the jobs'", (3, 4)),
    ("the two swapped", (4, 40)),
    ("one number", 40),
    ("text", "40, 4"),
]
RIGHT_4_3 = [
    ("a tuple", (40, 4)),
    ("a list of floats", [40.0, 4.0]),
    ("a pandas Series", pd.Series({"charges": 40, "ignored": 4})),
    ("numpy integers", (np.int64(40), np.int64(4))),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_4_3, ids=ids(WRONG_4_3))
def test_exercise_4_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_4_3, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_4_3, ids=ids(RIGHT_4_3))
def test_exercise_4_3_accepts(approach, answer):
    assert_accepted(checks.exercise_4_3, answer)


# ---- 4.4: an AIMD limit rule, run under overload and under a load the partition can serve ------
def _aimd(limit, rtt, dropped):
    if dropped or rtt > 50:
        return max(1, int(limit * 0.9))
    return limit + 1


WRONG_4_4 = [
    ("never shrinks: no backpressure at all", lambda limit, rtt, dropped: limit + 1),
    ("inverted: shrinks on fast answers", lambda limit, rtt, dropped:
     limit + 1 if rtt > 50 else max(1, int(limit * 0.9))),
    ("always shrinks: the limit ends at 1", lambda limit, rtt, dropped: max(1, int(limit * 0.9))),
    ("a fixed limit is not adaptive", lambda limit, rtt, dropped: limit),
    ("multiplicative increase overshoots", lambda limit, rtt, dropped:
     max(1, int(limit * 0.9)) if rtt > 50 else limit * 2),
    ("slow means slower than the clients' deadline", lambda limit, rtt, dropped:
     max(1, int(limit * 0.9)) if rtt > 100 else limit + 1),
    ("additive decrease is too slow", lambda limit, rtt, dropped:
     max(1, limit - 1) if rtt > 50 else limit + 1),
    ("halving can reach zero", lambda limit, rtt, dropped:
     limit // 2 if rtt > 50 else limit + 1),
    ("a dropped request counts as fast", lambda limit, rtt, dropped:
     max(1, int(limit * 0.9)) if rtt > 50 else limit + 1),
    ("returns text", lambda limit, rtt, dropped: "more"),
    ("never returns", never_returns),
]
RIGHT_4_4 = [
    ("AIMD with a 0.9 backoff", _aimd),
    ("AIMD halving, at least 1", lambda limit, rtt, dropped:
     max(1, limit // 2) if dropped or rtt > 50 else limit + 1),
    ("floats", lambda limit, rtt, dropped:
     max(1.0, limit * 0.9) if dropped or rtt > 50 else limit + 1.0),
    ("numpy", lambda limit, rtt, dropped:
     np.maximum(1, np.floor(limit * 0.8)) if dropped or rtt > 50 else np.int64(limit + 1)),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_4_4, ids=ids(WRONG_4_4))
def test_exercise_4_4_rejects(misconception, answer):
    assert_rejected(checks.exercise_4_4, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_4_4, ids=ids(RIGHT_4_4))
def test_exercise_4_4_accepts(approach, answer):
    assert_accepted(checks.exercise_4_4, answer)
