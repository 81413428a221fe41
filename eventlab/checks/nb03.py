"""Checkers for notebook 03 (single writer, replication, Zeebe is CP)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventlab.checks._core import Case, Feedback, check_function, failed, not_attempted, passed
from eventlab.scenarios.zeebe import cp

_SIZES = (1, 2, 3, 4, 5, 6, 7, 9)

# (follower ack times in ms, when the entry commits): the leader has it at 0 ms
_ACKS: tuple[tuple[tuple[float, ...], float], ...] = (
    ((), 0.0),
    ((3.0, 5.0), 3.0),
    ((2.0, 9.0, 4.0, 30.0), 4.0),
    ((6.0, 1.0, 1.0, 50.0, 50.0, 50.0), 6.0),
    ((4.0, 4.0, 400.0, 2.0), 4.0),
)


def exercise_3_1(quorum_size: Any) -> Feedback:
    """Exercise 3.1: the quorum of a replication group of n brokers."""
    cases = [Case(f"a replication group of {n} broker{'s' if n > 1 else ''}", (n,), n // 2 + 1)
             for n in _SIZES]
    return check_function("3.1", quorum_size, cases)


def exercise_3_2(commit_time: Any) -> Feedback:
    """Exercise 3.2: when the leader may commit, given its followers' acknowledgement times."""
    cases = [Case(f"{len(acks)} follower{'s' if len(acks) != 1 else ''} acking at "
                  f"{list(acks)} ms", (list(acks),), want) for acks, want in _ACKS]
    return check_function("3.2", commit_time, cases,
                          same=lambda got, want: abs(float(got) - want) < 1e-9)


def exercise_3_3(predicted: Any) -> Feedback:
    """Exercise 3.3: a 7-broker cluster loses 3 brokers, the leader among them: predict."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("3.3")
    if isinstance(predicted, str) or not isinstance(predicted, Sequence) or len(predicted) != 2:
        return failed("3.3", "write a pair (requests committed in the minority during the "
                             f"split, 'yes' or 'no' for: logs agree after heal), got {predicted!r}")
    committed, agree = predicted
    if agree not in ("yes", "no"):
        return failed("3.3", f"the second value must be 'yes' or 'no', got {agree!r}")
    m = cp.run(cp.Config(cluster_size=7, minority=3, leader_side="minority")).metrics
    if committed != m[cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT]:
        return failed("3.3", f"committed in the minority: you said {committed!r}, the run says "
                             f"{m[cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT]!r}")
    if agree != m[cp.Metric.LOGS_AGREE_AFTER_HEAL]:
        return failed("3.3", f"logs agree after heal: you said {agree!r}, the run says "
                             f"{m[cp.Metric.LOGS_AGREE_AFTER_HEAL]!r}")
    return passed("3.3", 2)
