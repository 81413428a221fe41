"""Checkers for notebook 00 (start here)."""

from __future__ import annotations

from typing import Any

from eventlab.checks._core import Feedback, check_value
from eventlab.core.messages import MESSAGE_KINDS


def exercise_0_1(kind_of_change_address: Any) -> Feedback:
    """Exercise 0.1: is ``ChangeAddress`` an event, a command or a query?"""
    return check_value("0.1", kind_of_change_address, "command",
                       what="the kind of ChangeAddress", allowed=MESSAGE_KINDS,
                       source="it is")
