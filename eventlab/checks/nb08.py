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
from eventlab.checks._shapes import as_items, as_number, show
from eventlab.core.comparison import Interval, vary
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


# Names the catalogue does not have, so that rules pass and a look-up in the catalogue does
# not; each uses only the words the notebook teaches (tests check that the library's
# classifier agrees).
UNSEEN: dict[str, str] = {
    "InvoicePrintedEvent": "event", "SendInvoiceCommand": "command",
    "ShipmentDispatched": "event", "TicketClosed": "event", "ParcelDelivered": "event",
    "StockReserved": "event", "CheckStock": "command", "SendReminder": "command",
    "InvoiceNeedsToBeSent": "command in disguise",
    "LabelPrintingRequired": "command in disguise",
    "RefundShouldBeIssued": "command in disguise",
    "The invoice needs to be printed": "command in disguise",
}


@never_raises("8.2")
def exercise_8_2(kind_of: Any) -> Feedback:
    """Exercise 8.2: classify every name of the message catalogue as the catalogue expects."""
    table = onboarding.load_catalogue()
    cases = [Case(repr(str(name)), (str(name),), str(expected))
             for name, expected in table["expected"].items() if expected]
    cases += [Case(repr(name), (name,), kind) for name, kind in UNSEEN.items()]
    # the library's classifier and the catalogue's own "expected" column are the answer key
    return check_function("8.2", kind_of, cases, shape=_kind,
                          forbidden=(disguise.classify, onboarding.load_catalogue,
                                     parse_catalogue))


def _kind(answer: Any) -> str | None:
    # "Event" or "command " mean "event" and "command"
    return answer.strip().lower() if isinstance(answer, str) else None


# Exercise 8.3: six senders, each needing two messages a day, Notification 14 days per change.
TOLERANCE = 0.15  # a prediction within 15 % of the mean over 20 seeds is right


@cache
def measured_waits() -> tuple[Interval, Interval]:
    """Requests that waited for Notification over 20 seeds: (pseudo-events, SendMessage)."""
    config = onboarding.NotifyConfig(senders=6, messages_per_day=2.0)
    runs = vary(onboarding.run_notify, config, "style", ["pseudo_events", "send_message"],
                n_jobs=1)  # each run takes milliseconds: no worker processes
    waited = onboarding.NotifyMetric.MESSAGES_THAT_WAITED
    return runs.interval("pseudo_events", waited), runs.interval("send_message", waited)


@revealer("8.3")
def _reveal_8_3() -> str:
    pseudo, send = measured_waits()
    return (f"the runs: {pseudo.describe(digits=0)} requests waited with pseudo-events, "
            f"{send.mean:.0f} with SendMessage")


@never_raises("8.3")
def exercise_8_3(predicted: Any) -> Feedback:
    """Exercise 8.3: predict how many requests wait for Notification, both designs."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("8.3")
    pair = as_items(predicted)
    if isinstance(predicted, dict | set | str) or pair is None or len(pair) != 2:
        return failed("8.3", "write two numbers, (with pseudo-events, with SendMessage), "
                             f"got {show(predicted)}")
    if any(p is None or p is Ellipsis for p in pair):
        return not_attempted("8.3")
    first, second = as_number(pair[0]), as_number(pair[1])
    if first is None or second is None:
        return failed("8.3", f"write two numbers, got {show(predicted)}")
    pseudo, send = measured_waits()
    said = f"({first:g}, {second:g})"
    if second != send.mean:
        return wrong_prediction("8.3", said, "does a sender of the stable SendMessage ever "
                                             "wait for a change of Notification?")
    if abs(first - pseudo.mean) > TOLERANCE * pseudo.mean:
        return wrong_prediction("8.3", said, "how many days does each sender's first requests "
                                             "wait, and how many requests is that a day?")
    return passed("8.3", 2)
