"""Predict-then-run exercises: a hint first, the measured answer only when asked or later.

A wrong prediction's first ✗ carries a hint, not the number the run measured, so that the
second try is a second thought and not a copy; the second wrong try, or
``checks.reveal("3.3")``, shows the run. Each checker module registers how to state its
measured answer with :func:`revealer`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventlab.checks._core import REVEALED, Feedback, failed, not_attempted, one_line, passed
from eventlab.checks._shapes import show

# Predict-then-run exercises: how often each was answered wrong in this kernel, and how
# to state its measured answer (registered by the checker modules).
_wrong_tries: dict[str, int] = {}
_revealers: dict[str, Callable[[], str]] = {}


def revealer(exercise: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register the function that states exercise `exercise`'s measured answer."""
    def register(function: Callable[[], str]) -> Callable[[], str]:
        _revealers[exercise] = function
        return function
    return register


def reveal_answer(exercise: str) -> Feedback:
    """The measured answer of a predict-then-run exercise, as one line."""
    if exercise not in _revealers:
        options = ", ".join(sorted(_revealers)) or "none loaded"
        raise ValueError(f"exercise must be a predict-then-run exercise such as '3.3', "
                         f"got {exercise!r} (known: {options})")
    return Feedback(exercise, REVEALED,
                    one_line(f"Exercise {exercise}: {_revealers[exercise]()}"))


def forget_tries() -> None:
    """Start every predict-then-run exercise at its first try again (used by tests)."""
    _wrong_tries.clear()


def wrong_prediction(exercise: str, said: str, hint: str) -> Feedback:
    """A ✗ for a wrong prediction: a hint on the first try, the measured answer after."""
    tries = _wrong_tries[exercise] = _wrong_tries.get(exercise, 0) + 1
    if tries >= 2 and exercise in _revealers:
        return failed(exercise, f"you said {said}; {_revealers[exercise]()}")
    # the second miss shows the answer: say so, not "try again" as if tries were endless
    return failed(exercise, f"you said {said}. Hint: {hint} (one more try before the answer)")


def check_value(exercise: str, answer: Any, expected: Any, *, what: str, hint: str,
                allowed: Sequence[Any] | None = None,
                read: Callable[[Any], Any] | None = None) -> Feedback:
    """Check a predicted value; `None` or ``...`` means not attempted.

    `read` brings the answer into the expected's shape (None: unreadable), `allowed` names
    the values that make sense at all."""
    if answer is None or answer is Ellipsis:
        return not_attempted(exercise)
    try:
        value = read(answer) if read is not None else answer
        if allowed is not None and (value is None or value not in allowed):
            options = ", ".join(repr(a) for a in allowed)
            return failed(exercise, f"{what} must be one of {options}; got {show(answer)}")
        if value is None:
            return failed(exercise, f"{what}: {show(answer)} is not a number")
        if value != expected:
            return wrong_prediction(exercise, show(value), hint)
    except Exception as err:  # a checker reports, it never raises
        return failed(exercise, f"your answer could not be checked: {type(err).__name__}")
    return passed(exercise, 1)
