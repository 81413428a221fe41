"""Checkers for notebook 04 (partitions, read models, backpressure, job workers)."""

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
from eventlab.checks._shapes import as_int, as_items, show
from eventlab.engines.zeebe.cluster import instance_key
from eventlab.scenarios.zeebe import jobs

_KEYS = ((1, 1), (1, 77), (2, 1), (3, 12_345), (8, 5), (192, 2**40))


@never_raises("4.1")
def exercise_4_1(partition_of: Any) -> Feedback:
    """Exercise 4.1: read the partition id from the high bits of an instance key."""
    cases = [Case(f"key {instance_key(p, c)} (partition {p}, counter {c})",
                  (instance_key(p, c),), p) for p, c in _KEYS]
    return check_function("4.1", partition_of, cases, shape=as_int)


# (snapshot position, exporter positions, truncate up to)
_LOGS: tuple[tuple[int, tuple[int, ...], int], ...] = (
    (120, (), 120),
    (120, (150,), 120),
    (120, (90,), 90),
    (300, (280, 40, 300), 40),
    (50, (80, 200), 50),
    (0, (10,), 0),
    (75, (75, 75), 75),
)


@never_raises("4.2")
def exercise_4_2(truncate_up_to: Any) -> Feedback:
    """Exercise 4.2: how far the log may be truncated (snapshot and every exporter)."""
    cases = [Case(f"a snapshot at {snap} and exporters at {list(exp)}", (snap, list(exp)), want)
             for snap, exp, want in _LOGS]
    return check_function("4.2", truncate_up_to, cases, shape=as_int)


def _measured_jobs() -> tuple[int, int]:
    m = jobs.run(jobs.Config(idempotent=True)).metrics
    return (int(m[jobs.Metric.SIDE_EFFECTS]),
            int(m[jobs.Metric.DUPLICATES_IGNORED_IDEMPOTENT]))


@revealer("4.3")
def _reveal_4_3() -> str:
    charges, ignored = _measured_jobs()
    return f"the idempotent run made {charges} charges and ignored {ignored} repeats"


@never_raises("4.3")
def exercise_4_3(predicted: Any) -> Feedback:
    """Exercise 4.3: the default job run, idempotent: (charges made, duplicates ignored)."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("4.3")
    pair = as_items(predicted)
    if isinstance(predicted, dict | set) or pair is None or len(pair) != 2:
        return failed("4.3", "write a pair (charges made, duplicate charges ignored), "
                             f"got {show(predicted)}")
    if any(p is None or p is Ellipsis for p in pair):
        return not_attempted("4.3")
    numbers = [as_int(p) for p in pair]
    if None in numbers:
        return failed("4.3", f"write two whole numbers, got {show(predicted)}")
    if tuple(numbers) != _measured_jobs():
        return wrong_prediction("4.3", f"({numbers[0]}, {numbers[1]})",
                                "the crashes stay the same; which charges reach the card?")
    return passed("4.3", 2)
