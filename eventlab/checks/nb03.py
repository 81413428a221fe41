"""Checkers for notebook 03 (single writer, replication, Zeebe is CP)."""

from __future__ import annotations

from typing import Any

from eventlab.checks._core import (
    Case,
    Feedback,
    check_function,
    failed,
    never_raises,
    not_attempted,
    passed,
)
from eventlab.checks._predict import revealer, wrong_prediction
from eventlab.checks._shapes import as_int, as_items, as_number, show
from eventlab.scenarios.zeebe import cp

_SIZES = (1, 2, 3, 4, 5, 6, 7, 9)

# (follower ack times in ms, when the entry commits): the leader has it at 0 ms. Odd and
# even follower counts both, because `len // 2` and `len // 2 - 1` agree on one of them only
_ACKS: tuple[tuple[tuple[float, ...], float], ...] = (
    ((), 0.0),
    ((7.0,), 7.0),
    ((3.0, 5.0), 3.0),
    ((9.0, 2.0, 5.0), 5.0),
    ((2.0, 9.0, 4.0, 30.0), 4.0),
    ((8.0, 1.0, 30.0, 3.0, 2.0), 3.0),
    ((6.0, 1.0, 1.0, 50.0, 50.0, 50.0), 6.0),
    ((4.0, 4.0, 400.0, 2.0), 4.0),
)


@never_raises("3.1")
def exercise_3_1(quorum_size: Any) -> Feedback:
    """Exercise 3.1: the quorum of a replication group of n brokers."""
    cases = [Case(f"a replication group of {n} broker{'s' if n > 1 else ''}", (n,), n // 2 + 1)
             for n in _SIZES]
    return check_function("3.1", quorum_size, cases, shape=as_int)


@never_raises("3.2")
def exercise_3_2(commit_time: Any) -> Feedback:
    """Exercise 3.2: when the leader may commit, given its followers' acknowledgement times."""
    cases = [Case(f"{len(acks)} follower{'s' if len(acks) != 1 else ''} acking at "
                  f"{list(acks)} ms", (list(acks),), want) for acks, want in _ACKS]
    return check_function("3.2", commit_time, cases, shape=as_number,
                          same=lambda got, want: abs(got - want) < 1e-9)


def _measured_split() -> tuple[int, str]:
    m = cp.run(cp.Config(cluster_size=7, minority=3, leader_side="minority")).metrics
    return (int(m[cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT]),
            str(m[cp.Metric.LOGS_AGREE_AFTER_HEAL]))


@revealer("3.3")
def _reveal_3_3() -> str:
    committed, agree = _measured_split()
    return f"the run committed {committed} requests in the minority; logs agree: {agree!r}"


@never_raises("3.3")
def exercise_3_3(predicted: Any) -> Feedback:
    """Exercise 3.3: a 7-broker cluster loses 3 brokers, the leader among them: predict."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("3.3")
    pair = as_items(predicted)
    if isinstance(predicted, dict | set) or pair is None or len(pair) != 2:
        return failed("3.3", "write a pair (requests committed in the minority during the "
                             f"split, 'yes' or 'no' for: logs agree after heal), got "
                             f"{show(predicted)}")
    if any(p is None or p is Ellipsis for p in pair):
        return not_attempted("3.3")
    committed = as_int(pair[0])
    agree = pair[1].strip().lower() if isinstance(pair[1], str) else pair[1]
    if committed is None:
        return failed("3.3", f"the first value must be a number of requests, got "
                             f"{show(pair[0])}")
    if agree not in ("yes", "no"):
        return failed("3.3", f"the second value must be 'yes' or 'no', got {show(pair[1])}")
    if (committed, agree) != _measured_split():
        return wrong_prediction("3.3", f"({committed}, {agree!r})",
                                "3 of 7 brokers: can they reach the quorum of 7?")
    return passed("3.3", 2)
