"""Checkers for notebook 01 (what is event-driven?)."""

from __future__ import annotations

from typing import Any

from eventlab.checks._core import Case, Feedback, check_function, never_raises
from eventlab.checks._predict import check_value, revealer
from eventlab.checks._shapes import as_int
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


@never_raises("1.1")
def exercise_1_1(current_address: Any) -> Feedback:
    """Exercise 1.1: fold a log of events into customer 42's current address."""
    cases = [Case(desc, (list(events),), want) for desc, events, want in _LOGS]
    return check_function("1.1", current_address, cases)


def _measured_callbacks() -> int:
    config = fowler.Config(pattern="notification", consumers=4, changes=5)
    return int(fowler.run(config).metrics[fowler.Metric.CALLBACKS])


@revealer("1.2")
def _reveal_1_2() -> str:
    return f"the run made {_measured_callbacks()} callbacks to the CRM"


@never_raises("1.2")
def exercise_1_2(predicted_callbacks: Any) -> Feedback:
    """Exercise 1.2: predict the CRM's callbacks for notification, 4 consumers, 5 moves."""
    return check_value("1.2", predicted_callbacks, _measured_callbacks(), read=as_int,
                       what=fowler.Metric.CALLBACKS,
                       hint="each move is announced to every consumer; what does each do?")


# (consumers, changes, seed, network latency ms, CRM query time ms): the last two runs make
# the latencies of notification and state transfer cross, so no latency threshold works
_RUNS = ((1, 1, 1, 5.0, 20.0), (3, 4, 7, 5.0, 20.0), (8, 9, 2024, 5.0, 100.0),
         (2, 3, 5, 40.0, 1.0), (4, 2, 11, 1.0, 1.0))


def _which_pattern_cases() -> list[Case]:
    cases = []
    for i, (consumers, changes, seed, latency, query) in enumerate(_RUNS):
        for pattern in fowler.PATTERNS:
            config = fowler.Config(pattern=pattern, consumers=consumers, changes=changes,
                                   seed=seed, network_latency=latency, crm_query_time=query)
            cases.append(Case(f"run {i + 1} of {pattern} (consumers={consumers}, "
                              f"changes={changes}, network_latency={latency:g})",
                              (dict(fowler.run(config).metrics),), pattern))
    return cases


@never_raises("1.3")
def exercise_1_3(which_pattern: Any) -> Feedback:
    """Exercise 1.3: tell the pattern from a run's measurements alone."""
    return check_function("1.3", which_pattern, _which_pattern_cases())
