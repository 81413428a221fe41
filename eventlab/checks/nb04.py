"""Checkers for notebook 04 (partitions, read models, backpressure, job workers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventlab.checks._core import Case, Feedback, check_function, failed, not_attempted, passed
from eventlab.engines.zeebe.cluster import instance_key
from eventlab.scenarios.zeebe import jobs

_KEYS = ((1, 1), (1, 77), (2, 1), (3, 12_345), (8, 5), (192, 2**40))


def exercise_4_1(partition_of: Any) -> Feedback:
    """Exercise 4.1: read the partition id from the high bits of an instance key."""
    cases = [Case(f"key {instance_key(p, c)} (partition {p}, counter {c})",
                  (instance_key(p, c),), p) for p, c in _KEYS]
    return check_function("4.1", partition_of, cases)


# (snapshot position, exporter positions, truncate up to)
_LOGS: tuple[tuple[int, tuple[int, ...], int], ...] = (
    (120, (), 120),
    (120, (150,), 120),
    (120, (90,), 90),
    (300, (280, 40, 300), 40),
    (50, (80, 200), 50),
)


def exercise_4_2(truncate_up_to: Any) -> Feedback:
    """Exercise 4.2: how far the log may be truncated (snapshot and every exporter)."""
    cases = [Case(f"a snapshot at {snap} and exporters at {list(exp)}", (snap, list(exp)), want)
             for snap, exp, want in _LOGS]
    return check_function("4.2", truncate_up_to, cases)


def exercise_4_3(predicted: Any) -> Feedback:
    """Exercise 4.3: the default job run, idempotent: (charges made, duplicates ignored)."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("4.3")
    if isinstance(predicted, str) or not isinstance(predicted, Sequence) or len(predicted) != 2:
        return failed("4.3", "write a pair (charges made, duplicate charges ignored), "
                             f"got {predicted!r}")
    m = jobs.run(jobs.Config(idempotent=True)).metrics
    for said, metric, what in zip(predicted, ("side effects", "duplicates ignored (idempotent)"),
                                  ("charges made", "duplicates ignored"), strict=True):
        if said != m[metric]:
            return failed("4.3", f"{what}: you said {said!r}, the run says {m[metric]!r}")
    return passed("4.3", 2)
