"""Checkers for notebook 08 (commands vs events)."""

from __future__ import annotations

from functools import cache
from typing import Any

from eventlab.checks._core import (
    Case,
    Feedback,
    check_function,
    failed,
    never_raises,
    not_attempted,
    passed,
)
from eventlab.checks._predict import revealer, wrong_prediction
from eventlab.checks._shapes import as_int, as_items, show
from eventlab.domains.onboarding import disguise
from eventlab.domains.onboarding.catalogue import parse_catalogue
from eventlab.scenarios import onboarding

# Messages between other teams: a shortcut that always names Onboarding as the sender's team
# passes the five steps, not these
_OTHER_SENDERS = (("Billing", "Notification"), ("Shop", "Onboarding"),
                  ("Notification", "Billing"))


@never_raises("8.1")
def exercise_8_1(responsible_team: Any) -> Feedback:
    """Exercise 8.1: which team must make sure a step happens, for a command and an event."""
    cases = [Case(f"{step.name} as {style}: ({style!r}, 'Onboarding', {step.service!r})",
                  (style, onboarding.ONBOARDING, step.service),
                  onboarding.responsible(step, style))
             for step in onboarding.STEPS for style in onboarding.STYLES]
    cases += [Case(f"({style!r}, {sender!r}, {receiver!r})", (style, sender, receiver),
                   sender if style == "command" else receiver)
              for sender, receiver in _OTHER_SENDERS for style in onboarding.STYLES]
    return check_function("8.1", responsible_team, cases, shape=_text,
                          forbidden=(onboarding.responsible,))


def _text(answer: Any) -> str | None:
    return answer.strip() if isinstance(answer, str) else None


@never_raises("8.2")
def exercise_8_2(kind_of: Any) -> Feedback:
    """Exercise 8.2: classify every name of the message catalogue as the catalogue expects."""
    table = onboarding.load_catalogue()
    cases = [Case(repr(str(name)), (str(name),), str(expected))
             for name, expected in table["expected"].items() if expected]
    # the library's classifier and the catalogue's own "expected" column are the answer key
    return check_function("8.2", kind_of, cases, shape=_kind,
                          forbidden=(disguise.classify, onboarding.load_catalogue,
                                     parse_catalogue))


def _kind(answer: Any) -> str | None:
    # "Event" or "command " mean "event" and "command"
    return answer.strip().lower() if isinstance(answer, str) else None


_SENDERS = 6


@cache
def measured_changes(senders: int = _SENDERS) -> tuple[int, int]:
    """Changes to Notification with `senders` senders: (pseudo-events, SendMessage)."""
    pair = [onboarding.run_notify(onboarding.NotifyConfig(style=style, senders=senders))
            .metrics[onboarding.NotifyMetric.CHANGES_TO_NOTIFICATION]
            for style in ("pseudo_events", "send_message")]
    return int(pair[0]), int(pair[1])


@revealer("8.3")
def _reveal_8_3() -> str:
    pseudo, send = measured_changes()
    return f"the runs: {pseudo} changes with pseudo-events, {send} with SendMessage"


@never_raises("8.3")
def exercise_8_3(predicted: Any) -> Feedback:
    """Exercise 8.3: predict the changes 6 senders force on Notification, both designs."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("8.3")
    pair = as_items(predicted)
    if isinstance(predicted, dict | set) or pair is None or len(pair) != 2:
        return failed("8.3", "write two numbers, (with pseudo-events, with SendMessage), "
                             f"got {show(predicted)}")
    if any(p is None or p is Ellipsis for p in pair):
        return not_attempted("8.3")
    numbers = [as_int(p) for p in pair]
    if None in numbers:
        return failed("8.3", f"write two whole numbers, got {show(predicted)}")
    if tuple(numbers) != measured_changes():
        return wrong_prediction("8.3", f"({numbers[0]}, {numbers[1]})",
                                "who must change when a new sender needs a message sent?")
    return passed("8.3", 2)
