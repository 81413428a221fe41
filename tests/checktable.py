"""Shared asserts for the checker answer tables (tests/test_checks_table_nbXX.py).

Each table lists answers a learner plausibly writes: wrong ones, each named after the
misconception it stands for, must get ✗ within the time limit; valid alternatives, written
differently from the worked solution, must get ✓. Every verdict must be one line under 200
characters, and no answer may make a checker raise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from eventlab.checks._core import FAILED, MAX_LINE, NOT_ATTEMPTED, PASSED, Feedback
from eventlab.checks._limit import TIME_LIMIT
from eventlab.checks._predict import forget_tries

SLACK = 3.0  # seconds the checker itself may take beyond the learner's budget


def verdict(checker: Callable[[Any], Feedback], answer: Any) -> tuple[Feedback, float]:
    """The checker's feedback on a first try, and how long it took."""
    forget_tries()
    start = time.monotonic()
    feedback = checker(answer)
    return feedback, time.monotonic() - start


def assert_one_line(feedback: Feedback) -> None:
    line = repr(feedback)
    assert "\n" not in line, line
    assert len(line) < MAX_LINE, f"too long, cut short: {line}"  # a cut line is MAX_LINE long


def assert_rejected(checker: Callable[[Any], Feedback], answer: Any) -> Feedback:
    feedback, seconds = verdict(checker, answer)
    assert feedback.status == FAILED, repr(feedback)
    assert repr(feedback).startswith("✗ Exercise "), repr(feedback)
    assert_one_line(feedback)
    assert seconds < TIME_LIMIT + SLACK, f"took {seconds:.1f} s: {feedback!r}"
    return feedback


def assert_accepted(checker: Callable[[Any], Feedback], answer: Any) -> Feedback:
    feedback, _ = verdict(checker, answer)
    assert feedback.status == PASSED, repr(feedback)
    assert_one_line(feedback)
    return feedback


def assert_not_attempted(checker: Callable[[Any], Feedback], answer: Any) -> None:
    feedback, _ = verdict(checker, answer)
    assert feedback.status == NOT_ATTEMPTED, repr(feedback)


def ids(table: list[tuple[str, Any]]) -> list[str]:
    """The misconception (or the valid approach) names a table row in the test report."""
    return [name for name, _ in table]


def never_returns(*args: Any) -> Any:
    """A learner's function stuck in an endless loop (no line events: the hardest case)."""
    while True:
        pass
