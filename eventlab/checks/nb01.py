"""Checkers for notebook 01 (what is event-driven?)."""

from __future__ import annotations

from typing import Any

from eventlab.checks._core import Case, Feedback, check_function, check_value
from eventlab.core.messages import Event
from eventlab.scenarios import fowler


def _moved(n: int, address: str) -> Event:
    return Event(message_id=f"msg-{n:04d}", type="AddressChanged", sender="CRM",
                 key="customer-42", payload={"customerId": 42, "address": address})


def _created(n: int) -> Event:
    return Event(message_id=f"msg-{n:04d}", type="CustomerCreated", sender="CRM",
                 key="customer-42", payload={"customerId": 42, "name": "Ada"})


_LOGS = [
    ("an empty log", [], ""),
    ("one move to Berlin", [_moved(1, "Berlin")], "Berlin"),
    ("moves to Berlin, then Potsdam", [_moved(1, "Berlin"), _moved(2, "Potsdam")], "Potsdam"),
    ("CustomerCreated, then a move to Wien", [_created(1), _moved(2, "Wien")], "Wien"),
    ("a move to Leipzig, then CustomerCreated", [_moved(1, "Leipzig"), _created(2)], "Leipzig"),
]


def exercise_1_1(current_address: Any) -> Feedback:
    """Exercise 1.1: fold a log of events into customer 42's current address."""
    cases = [Case(desc, (events,), want) for desc, events, want in _LOGS]
    return check_function("1.1", current_address, cases)


def exercise_1_2(predicted_callbacks: Any) -> Feedback:
    """Exercise 1.2: predict the CRM's callbacks for notification, 4 consumers, 5 moves."""
    config = fowler.Config(pattern="notification", consumers=4, changes=5)
    measured = fowler.run(config).metrics[fowler.Metric.CALLBACKS]
    return check_value("1.2", predicted_callbacks, measured, what=fowler.Metric.CALLBACKS)


def exercise_1_3(which_pattern: Any) -> Feedback:
    """Exercise 1.3: tell the pattern from a run's measurements alone."""
    configs = [fowler.Config(pattern=p, consumers=c, changes=m, seed=s)
               for c, m, s in ((1, 1, 1), (3, 4, 7), (8, 9, 2024)) for p in fowler.PATTERNS]
    cases = [Case(f"run {i + 1} (consumers={c.consumers}, changes={c.changes}, "
                  f"seed={c.seed})", (dict(fowler.run(c).metrics),), c.pattern)
             for i, c in enumerate(configs)]
    return check_function("1.3", which_pattern, cases)
