"""The exercise-checker machinery: run a learner's answer on fixed cases, say one line.

A checker never raises: an unfinished answer (``NotImplementedError``) is "not attempted",
an exception or a wrong value is "✗" with the first failing case, and a correct answer is
"✓". The line is the same on every run, so notebooks can be tested with their outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

NOT_ATTEMPTED = "not attempted"
PASSED = "passed"
FAILED = "failed"


@dataclass(frozen=True)
class Feedback:
    """The verdict of a checker: `status` is not attempted / passed / failed."""

    exercise: str
    status: str
    line: str

    @property
    def passed(self) -> bool:
        """True when the answer passed every case."""
        return self.status == PASSED

    def __repr__(self) -> str:
        return self.line

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(self.line)


@dataclass(frozen=True)
class Case:
    """One input for the learner's function, a readable description and the expected answer."""

    description: str
    args: tuple[Any, ...]
    expected: Any


def not_attempted(exercise: str) -> Feedback:
    """The verdict for an answer that is still the stub."""
    return Feedback(exercise, NOT_ATTEMPTED, f"Exercise {exercise}: not attempted yet")


def failed(exercise: str, why: str) -> Feedback:
    """The verdict for a wrong answer, with the concrete failing case in `why`."""
    return Feedback(exercise, FAILED, f"✗ Exercise {exercise}: {why}")


def passed(exercise: str, cases: int) -> Feedback:
    """The verdict for an answer that passed `cases` cases."""
    noun = "case" if cases == 1 else "cases"
    return Feedback(exercise, PASSED, f"✓ Exercise {exercise} passed ({cases} {noun})")


def check_function(exercise: str, answer: Any, cases: Sequence[Case],
                   same: Callable[[Any, Any], bool] | None = None) -> Feedback:
    """Call `answer(*case.args)` for every case and compare with `case.expected`."""
    if answer is None:
        return not_attempted(exercise)
    if not callable(answer):
        return failed(exercise, f"expected a function, got {type(answer).__name__}")
    equal = same or (lambda a, b: a == b)
    for case in cases:
        try:
            got = answer(*case.args)
        except NotImplementedError:
            return not_attempted(exercise)
        except Exception as err:  # a checker reports, it never raises
            return failed(exercise, f"for {case.description} it raised "
                                    f"{type(err).__name__}: {err}")
        try:
            ok = bool(equal(got, case.expected))
        except Exception:  # an answer of the wrong shape cannot be compared
            ok = False
        if not ok:
            return failed(exercise, f"for {case.description} expected {case.expected!r}, "
                                    f"got {got!r}")
    return passed(exercise, len(cases))


def check_value(exercise: str, answer: Any, expected: Any, *, what: str,
                allowed: Sequence[Any] | None = None, source: str = "the run says") -> Feedback:
    """Check a predicted value (predict-then-run exercises); `None` means not attempted."""
    if answer is None or answer is Ellipsis:
        return not_attempted(exercise)
    if allowed is not None and answer not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        return failed(exercise, f"{what} must be one of {options}; got {answer!r}")
    if answer != expected:
        return failed(exercise, f"{what}: you said {answer!r}, {source} {expected!r}")
    return passed(exercise, 1)
