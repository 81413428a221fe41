"""The checker machinery: time budget, forbidden calls, template detection, one-line
verdicts, hint first and reveal, and no checker raising whatever a learner passes."""

from __future__ import annotations

import importlib
import itertools
import re
import sys
import time

import numpy as np
import pandas as pd
import pytest
from checktable import assert_one_line

from eventlab import checks
from eventlab.checks import _core
from eventlab.checks._core import FAILED, NOT_ATTEMPTED, is_template, judge
from eventlab.checks._limit import Budget, Forbidden, TimeLimit
from eventlab.checks._predict import forget_tries
from eventlab.engines import kafka


def spin(*_):
    while True:
        pass


def spin_and_swallow(*_):
    n = 0
    while True:
        try:  # noqa: SIM105 - written as a learner would: a catch-all cannot swallow the limit
            n += 1
        except Exception:
            pass


def test_a_budget_stops_a_loop_without_line_events_using_the_trace_hook_alone():
    budget = Budget(0.3, use_alarm=False)  # as on Windows: no SIGALRM
    start = time.monotonic()
    with pytest.raises(TimeLimit):
        budget.call(spin)
    assert time.monotonic() - start < 1.5
    assert budget.left <= 0


def test_a_budget_is_not_swallowed_by_except_exception():
    with pytest.raises(TimeLimit):
        Budget(0.3, use_alarm=False).call(spin_and_swallow)


def test_the_alarm_stops_a_blocking_call_the_trace_hook_cannot_see():
    if not hasattr(__import__("signal"), "setitimer"):
        pytest.skip("no SIGALRM on this OS")
    start = time.monotonic()
    with pytest.raises(TimeLimit):
        Budget(0.3).call(time.sleep, 60)
    assert time.monotonic() - start < 2.0


def test_a_budget_is_shared_by_every_call_of_one_check():
    budget = Budget(0.5, use_alarm=False)
    def slow():
        end = time.monotonic() + 0.2
        while time.monotonic() < end:
            pass
    budget.call(slow)
    budget.call(slow)
    with pytest.raises(TimeLimit):
        budget.call(slow)


def test_a_budget_puts_back_the_trace_function_it_found():
    def tracer(frame, event, arg):
        return None
    sys.settrace(tracer)
    try:
        Budget(1.0).call(lambda: 1)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(None)


def test_a_forbidden_function_is_seen_however_it_was_imported():
    from eventlab.core.partitioner import partition_for as renamed
    budget = Budget(1.0, forbidden={kafka.partition_for.__code__: "partition_for"})
    with pytest.raises(Forbidden):
        budget.call(lambda: renamed("a", 3))


@pytest.mark.parametrize("seconds", [0, -1, "3", True])
def test_a_budget_names_a_bad_number_of_seconds(seconds):
    with pytest.raises(ValueError, match=r"seconds must be a positive number, got"):
        Budget(seconds)


def test_only_the_untouched_template_counts_as_not_attempted():
    def template(events):
        raise NotImplementedError  # replace with your fold

    def with_message(events):
        raise NotImplementedError("later")

    def half_done(events):
        moves = [e for e in events if e.type == "AddressChanged"]
        raise NotImplementedError(moves)

    assert is_template(template)
    assert is_template(with_message)
    assert not is_template(half_done)
    assert not is_template(len)
    assert not is_template(lambda events: "")
    assert not is_template(lambda events: NotImplementedError)


def test_a_runaway_answer_gets_a_clear_verdict_within_the_budget(monkeypatch):
    monkeypatch.setattr(_core, "TIME_LIMIT", 0.5)
    start = time.monotonic()
    feedback = checks.exercise_3_1(spin)
    assert time.monotonic() - start < 2.0
    assert feedback.status == FAILED
    assert "did not return within 0.5 s" in repr(feedback)


def test_an_endless_generator_returned_by_the_answer_is_stopped_too(monkeypatch):
    monkeypatch.setattr(_core, "TIME_LIMIT", 0.5)

    def who_knows_whom(flows):
        def pairs():
            yield ("Order", "Payment")
            while True:  # the loop runs only when the checker reads the second pair
                pass
        return pairs()

    feedback = checks.exercise_10_1(who_knows_whom)
    assert feedback.status == FAILED
    assert "did not return within 0.5 s" in repr(feedback)


def test_a_verdict_longer_than_one_line_is_cut_to_one_line():
    feedback = judge("9.9", lambda: None, lambda call: _core.failed("9.9", "x\n" * 300))
    assert "\n" not in repr(feedback)
    assert len(repr(feedback)) == _core.MAX_LINE
    assert repr(feedback).endswith("…")


def test_reveal_names_a_bad_exercise():
    with pytest.raises(ValueError, match=r"exercise must be an exercise number such as '3.3', "
                                         r"got 33"):
        checks.reveal(33)
    with pytest.raises(ValueError, match=r"must be a predict-then-run exercise .* got '3.1'"):
        checks.reveal("3.1")


def test_the_first_wrong_prediction_hints_and_the_second_shows_the_run():
    forget_tries()
    first, second = repr(checks.exercise_4_3((1, 1))), repr(checks.exercise_4_3((1, 1)))
    assert "Hint:" in first
    assert "40" not in first
    assert "40 charges" in second


# Every checker of every notebook, by its exercise number
CHECKERS = sorted(
    (name, getattr(importlib.import_module(f"eventlab.checks.nb{nb:02d}"), name))
    for nb in range(12)
    for name in dir(importlib.import_module(f"eventlab.checks.nb{nb:02d}"))
    if re.fullmatch(r"exercise_\d+_\d+", name))


class Hostile:
    """An answer whose comparisons, truth value, iteration and repr all raise."""

    def __eq__(self, other):
        raise RuntimeError("no comparing")

    __hash__ = object.__hash__

    def __bool__(self):
        raise RuntimeError("no truth")

    def __iter__(self):
        raise RuntimeError("no iterating")

    def __repr__(self):
        raise RuntimeError("no repr")


ODD_ANSWERS = [itertools.count(), pd.Series([1, 2]),
               pd.DataFrame({"a": [1]}), np.array([[1, 2], [3, 4]]),
               Hostile(), float("nan"), {"a": Hostile()}, [Hostile()], b"bytes", 10**400,
               lambda *a: Hostile(), lambda *a: pd.Series([True, False]), object()]


def test_there_are_35_checkers():
    assert len(CHECKERS) == 35


@pytest.mark.parametrize(("name", "checker"), CHECKERS, ids=[n for n, _ in CHECKERS])
def test_no_answer_makes_a_checker_raise(name, checker):
    for answer in ODD_ANSWERS:
        forget_tries()
        feedback = checker(answer)
        assert feedback.status in (FAILED, NOT_ATTEMPTED), (answer, feedback)
        assert_one_line(feedback)
