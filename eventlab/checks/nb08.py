"""Checkers for notebook 08 (commands vs events)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventlab.checks._core import Case, Feedback, check_function, failed, not_attempted, passed
from eventlab.scenarios import onboarding


def exercise_8_1(responsible_team: Any) -> Feedback:
    """Exercise 8.1: which team must make sure a step happens, for a command and an event."""
    cases = [Case(f"{step.name} as {style}: ({style!r}, 'Onboarding', {step.service!r})",
                  (style, onboarding.ONBOARDING, step.service),
                  onboarding.responsible(step, style))
             for step in onboarding.STEPS for style in onboarding.STYLES]
    return check_function("8.1", responsible_team, cases)


def exercise_8_2(kind_of: Any) -> Feedback:
    """Exercise 8.2: classify every name of the message catalogue as the catalogue expects."""
    table = onboarding.load_catalogue()
    cases = [Case(repr(str(name)), (str(name),), str(expected))
             for name, expected in table["expected"].items() if expected]
    return check_function("8.2", kind_of, cases)


_SENDERS = 6


def measured_changes(senders: int = _SENDERS) -> tuple[int, int]:
    """Changes to Notification with `senders` senders: (pseudo-events, SendMessage)."""
    pair = [onboarding.run_notify(onboarding.NotifyConfig(style=style, senders=senders))
            .metrics[onboarding.NotifyMetric.CHANGES_TO_NOTIFICATION]
            for style in ("pseudo_events", "send_message")]
    return int(pair[0]), int(pair[1])


def exercise_8_3(predicted: Any) -> Feedback:
    """Exercise 8.3: predict the changes 6 senders force on Notification, both designs."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("8.3")
    if isinstance(predicted, str) or not isinstance(predicted, Sequence) or len(predicted) != 2:
        return failed("8.3", "write two numbers, (with pseudo-events, with SendMessage), "
                             f"got {predicted!r}")
    if any(p is None or p is Ellipsis for p in predicted):
        return not_attempted("8.3")
    measured = measured_changes()
    for which, said, runs in zip(("pseudo-events", "SendMessage"), predicted, measured,
                                 strict=True):
        if said != runs:
            return failed("8.3", f"with {which}: you said {said!r} changes to Notification, "
                                 f"the run says {runs}")
    return passed("8.3", 2)
