"""The exercise-checker machinery: run a learner's answer on fixed cases, say one line.

A checker never raises, whatever it is given: the untouched template is "not attempted",
an exception, a wrong value or a function that does not return within its time budget is
"✗" with the first failing case, and a correct answer is "✓". The line is one line of at
most :data:`MAX_LINE` characters, the same on every run for the same answer.
"""

from __future__ import annotations

import dis
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import CodeType
from typing import Any

from eventlab.checks._limit import TIME_LIMIT, Budget, Forbidden, TimeLimit
from eventlab.checks._shapes import difference, kind_of, show

NOT_ATTEMPTED = "not attempted"
PASSED = "passed"
FAILED = "failed"
REVEALED = "revealed"
MAX_LINE = 199


@dataclass(frozen=True)
class Feedback:
    """The verdict of a checker: `status` is not attempted / passed / failed / revealed."""

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


def one_line(text: str) -> str:
    """`text` as one line of at most MAX_LINE characters (cut with an ellipsis)."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_LINE else text[:MAX_LINE - 1] + "…"


def not_attempted(exercise: str) -> Feedback:
    """The verdict for an answer that is still the template."""
    return Feedback(exercise, NOT_ATTEMPTED, f"Exercise {exercise}: not attempted yet")


def failed(exercise: str, why: str) -> Feedback:
    """The verdict for a wrong answer, with the concrete failing case in `why`."""
    return Feedback(exercise, FAILED, one_line(f"✗ Exercise {exercise}: {why}"))


def passed(exercise: str, cases: int) -> Feedback:
    """The verdict for an answer that passed `cases` cases."""
    noun = "case" if cases == 1 else "cases"
    return Feedback(exercise, PASSED, f"✓ Exercise {exercise} passed ({cases} {noun})")


def never_raises(exercise: str) -> Callable[[Callable[[Any], Feedback]], Callable[[Any], Feedback]]:
    """Wrap a checker so that an answer it did not foresee (an array where a pair was asked,
    an object whose ``==`` or ``repr`` raises) gets a ✗ instead of a traceback."""
    def wrap(checker: Callable[[Any], Feedback]) -> Callable[[Any], Feedback]:
        @functools.wraps(checker)
        def safe(answer: Any) -> Feedback:
            try:
                return checker(answer)
            except Exception as err:  # a checker reports, it never raises
                return failed(exercise, f"your answer could not be checked "
                                        f"({type(err).__name__}): write it as the exercise "
                                        "asks")
        return safe
    return wrap


def is_template(function: Any) -> bool:
    """True for a function whose whole body is ``raise NotImplementedError`` (the template).

    Read from the compiled code, so it works for a function defined in a notebook cell: the
    template names nothing but NotImplementedError and has no locals beyond its arguments;
    a half-done answer that still raises it names more (its variables, the event's fields).
    """
    code = getattr(function, "__code__", None)
    if not isinstance(code, CodeType):
        return False
    arguments = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 0x04) \
        + bool(code.co_flags & 0x08)
    nested = any(isinstance(c, CodeType) for c in code.co_consts)
    raises = any(i.opname == "RAISE_VARARGS" for i in dis.get_instructions(code))
    return set(code.co_names) == {"NotImplementedError"} and code.co_nlocals == arguments \
        and not nested and raises  # `return NotImplementedError` is an answer, if a wrong one


class _Verdict(BaseException):
    """Carries a ✗ out of the learner's function, through any simulation that called it.

    A BaseException, so that no ``except Exception`` in between turns it into something
    else; SimPy hands it on from the failing process to ``env.run()`` unchanged."""

    def __init__(self, feedback: Feedback) -> None:
        super().__init__(feedback)
        self.feedback = feedback


class Caller:
    """Calls the learner's function within one time budget; turns a raise into a ✗."""

    def __init__(self, exercise: str, function: Callable[..., Any], budget: Budget) -> None:
        self.exercise = exercise
        self.function = function
        self.budget = budget

    def __call__(self, description: str, *args: Any) -> Any:
        """`function(*args)`; a raise or a runaway ends the check with a ✗ for `description`."""
        return self.within(description, self.function, *args)

    def within(self, description: str, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` on the learner's budget: also for reading what the learner's
        function returned, since a generator it returned runs the learner's code then."""
        try:
            return self.budget.call(function, *args)
        except TimeLimit:
            raise _Verdict(failed(self.exercise, f"for {description} it did not return within "
                                                 f"{self.budget.seconds:g} s in total (an "
                                                 "endless loop?)")) from None
        except Forbidden as name:
            raise _Verdict(failed(self.exercise, f"for {description} it called {name}, which "
                                                 "gives the answer away: write your own "
                                                 "rules")) from None
        except _Verdict:
            raise
        except NotImplementedError:
            raise _Verdict(failed(self.exercise, f"for {description} it raised "
                                                 "NotImplementedError: the function is not "
                                                 "finished yet")) from None
        except Exception as err:  # a checker reports, it never raises
            raise _Verdict(failed(self.exercise, f"for {description} it raised "
                                                 f"{type(err).__name__}: {err}")) from None


def judge(exercise: str, answer: Any, body: Callable[[Caller], Feedback], *,
          seconds: float | None = None,
          forbidden: Sequence[Callable[..., Any]] = ()) -> Feedback:
    """Check a function answer: `body` calls it through the :class:`Caller` it is given.

    A call to one of the `forbidden` functions (the library's own answer) is a ✗."""
    if answer is None or answer is Ellipsis or is_template(answer):
        return not_attempted(exercise)
    if not callable(answer):
        return failed(exercise, f"expected a function, got {type(answer).__name__}")
    banned = {f.__code__: f"{f.__module__.removeprefix('eventlab.')}.{f.__name__}"
              for f in forbidden}
    caller = Caller(exercise, answer, Budget(TIME_LIMIT if seconds is None else seconds,
                                             forbidden=banned))
    try:
        return body(caller)
    except _Verdict as verdict:
        return verdict.feedback
    except Exception as err:  # a checker reports, it never raises, whatever it is given
        return failed(exercise, f"your answer could not be checked: {type(err).__name__}: "
                                f"{err}")


def check_function(exercise: str, answer: Any, cases: Sequence[Case],
                   same: Callable[[Any, Any], bool] | None = None,
                   shape: Callable[[Any], Any] | None = None,
                   forbidden: Sequence[Callable[..., Any]] = ()) -> Feedback:
    """Call `answer(*case.args)` for every case and compare with `case.expected`.

    `shape` brings the answer into the expected's shape first (None: not that shape), so a
    ✗ shows expected and got alike; `same` compares the two (default ``==``)."""
    equal = same or (lambda a, b: a == b)

    def body(call: Caller) -> Feedback:
        for case in cases:
            got = call(case.description, *case.args)
            read = call.within(case.description, shape, got) if shape is not None else got
            try:
                ok = read is not None or case.expected is None
                ok = ok and bool(equal(read, case.expected))
            except Exception:  # an answer of the wrong shape cannot be compared
                ok = False
            if not ok and read is None and case.expected is not None:
                return failed(exercise, f"for {case.description} expected "
                                        f"{kind_of(case.expected)}, got {show(got, 50)}")
            if not ok:
                want, said = difference(case.expected, read)
                return failed(exercise, f"for {case.description} expected {want}, got {said}")
        return passed(exercise, len(cases))

    return judge(exercise, answer, body, forbidden=forbidden)
