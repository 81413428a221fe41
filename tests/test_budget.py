"""The run budget: a run over it is refused before it starts, or stopped while it runs, and
either way the message names the fields to change."""

from __future__ import annotations

import dataclasses
import re
import time

import pytest

from eventlab.core import budget
from eventlab.core.budget import OverBudgetError
from eventlab.scenarios import outbox
from eventlab.scenarios.zeebe import cp


def test_a_run_that_outgrows_the_budget_is_stopped_with_the_fields_changed_from_defaults(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # An estimate that misses (here: none at all) lets the run start; the guard stops it.
    monkeypatch.setattr(cp.Config, "estimated_cost", lambda self: None)
    big = cp.Config(request_interval=1.0, duration=20_000.0)
    with budget.budget(seconds=0.2, megabytes=100_000):
        started = time.perf_counter()
        with pytest.raises(OverBudgetError) as caught:
            cp.run(big)
        assert time.perf_counter() - started < 2.0  # stopped soon after the budget
    message = str(caught.value)
    assert message.startswith("zeebe.cp: stopped after")
    assert "request_interval=1.0" in message
    assert "duration=20000.0" in message
    assert "latency" not in message  # unchanged from its default: not blamed
    assert isinstance(caught.value, ValueError)


def test_a_combination_over_the_budget_is_refused_before_it_runs_with_values_that_fit():
    big = outbox.Config(commands=2000, crash_rate=0.5)
    started = time.perf_counter()
    with pytest.raises(OverBudgetError) as caught:
        outbox.run(big)
    assert time.perf_counter() - started < 1.0  # refused, not run
    message = str(caught.value)
    assert message.startswith("outbox: this combination would take about")
    fits = re.search(r"lower crash_rate \(now 0\.5\) to <= ([0-9.]+)", message)
    assert fits is not None, message
    at_the_edge = dataclasses.replace(big, crash_rate=float(fits.group(1)))
    assert at_the_edge.estimated_cost().fits(budget.current())  # the advice is true


def test_the_budget_is_restored_after_a_with_block_and_validated():
    before = budget.current()
    with budget.budget(seconds=60):
        assert budget.current().seconds == 60
    assert budget.current() == before
    with pytest.raises(ValueError, match="seconds must be > 0"):
        budget.set_budget(seconds=0)
    with pytest.raises(TypeError, match="megabytes must be a number"):
        budget.set_budget(megabytes="lots")


def test_a_run_within_the_budget_is_not_touched_by_the_guard():
    plain = outbox.run(outbox.Config()).metrics
    with budget.budget(seconds=3600):
        assert outbox.run(outbox.Config()).metrics == plain
