"""The run budget: a run over it is refused before it starts, or stopped while it runs, and
either way the message names the fields to change."""

from __future__ import annotations

import time

import pytest

from eventlab.core import budget
from eventlab.core.budget import OverBudgetError
from eventlab.scenarios import outbox


def test_a_run_that_outgrows_the_budget_is_stopped_with_the_fields_changed_from_defaults():
    big = outbox.Config(commands=2000, command_interval=0.1, crash_rate=0.5)
    with budget.budget(seconds=0.2, megabytes=100_000):
        started = time.perf_counter()
        with pytest.raises(OverBudgetError) as caught:
            outbox.run(big)
        assert time.perf_counter() - started < 2.0  # stopped soon after the budget
    message = str(caught.value)
    assert message.startswith("outbox: stopped after")
    assert "commands=2000" in message
    assert "command_interval=0.1" in message
    assert "relay_interval" not in message  # unchanged from its default: not blamed
    assert isinstance(caught.value, ValueError)


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
