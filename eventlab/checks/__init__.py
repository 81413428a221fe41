"""Exercise checkers: ``checks.exercise_1_1(my_function)`` prints one line of feedback.

Each checker runs the learner's answer on fixed cases and answers "not attempted yet",
"✓ ... passed (n cases)" or "✗ ..." with the first failing case. Checkers never raise, and a
learner's function that does not return is stopped after a few seconds. A predict-then-run
exercise answers a wrong guess with a hint; ``checks.reveal("3.3")`` shows the run.

The checkers of notebook NN live in ``eventlab/checks/nbNN.py``; ``checks.exercise_7_2`` is
looked up there on first use, so a new notebook adds its module and nothing else.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from eventlab.checks._core import Case, Feedback, check_function
from eventlab.checks._predict import check_value, reveal_answer

__all__ = ["Case", "Feedback", "check_function", "check_value", "reveal"]

_EXERCISE = re.compile(r"exercise_(\d+)_(\d+)")


def reveal(exercise: str) -> Feedback:
    """The measured answer of predict-then-run exercise `exercise` (e.g. ``"3.3"``)."""
    number = re.fullmatch(r"(\d+)\.(\d+)", exercise) if isinstance(exercise, str) else None
    if number is None:
        raise ValueError(f"exercise must be an exercise number such as '3.3', got {exercise!r}")
    __getattr__(f"exercise_{number.group(1)}_{number.group(2)}")  # loads its notebook's module
    return reveal_answer(exercise)


def __getattr__(name: str) -> Any:
    match = _EXERCISE.fullmatch(name)
    if match is None:
        raise AttributeError(f"module 'eventlab.checks' has no attribute {name!r}")
    wanted = f"eventlab.checks.nb{int(match.group(1)):02d}"
    try:
        module = importlib.import_module(wanted)
    except ModuleNotFoundError as err:
        if err.name != wanted:  # the module exists but something it imports is missing
            raise
        raise AttributeError(f"there is no checker {name!r}: notebook "
                             f"{int(match.group(1)):02d} has no exercises") from None
    try:
        return getattr(module, name)
    except AttributeError:
        raise AttributeError(f"there is no checker {name!r} in {module.__name__}") from None
