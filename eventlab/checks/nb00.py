"""Checkers for notebook 00 (start here)."""

from __future__ import annotations

from typing import Any

from eventlab.checks._core import Feedback, never_raises
from eventlab.checks._predict import check_value, revealer
from eventlab.core.messages import MESSAGE_KINDS


def _kind(answer: Any) -> str | None:
    # "Command" or " command " mean the same as "command"
    return answer.strip().lower() if isinstance(answer, str) else None


@revealer("0.1")
def _reveal_0_1() -> str:
    return "CloseAccount is a 'command': an intent, addressed to the CRM, named as an order"


@never_raises("0.1")
def exercise_0_1(kind_of_close_account: Any) -> Feedback:
    """Exercise 0.1: is ``CloseAccount`` (customer to CRM) an event, a command or a query?"""
    return check_value("0.1", kind_of_close_account, "command",
                       what="the kind of CloseAccount", allowed=MESSAGE_KINDS, read=_kind,
                       hint="read the name: is it an order, a question, or news of the past?")
