"""Answer tables for exercises 0.1 and 1.1 to 1.3: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from checktable import assert_accepted, assert_not_attempted, assert_rejected, ids, never_returns

from eventlab import checks

# ---- 0.1: is CloseAccount an event, a command or a query? -------------------------------
WRONG_0_1 = [
    ("a message about something that ends is an event", "event"),
    ("a message about a customer is a query", "query"),
    ("the message's name instead of its kind", "CloseAccount"),
    ("a kind the workbook does not use", "notification"),
    ("a Series of the kinds, copied from a table", pd.Series(["command"])),
    ("a bare True", True),
]
RIGHT_0_1 = [("lower case", "command"), ("capitalised, with spaces", " Command ")]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_0_1, ids=ids(WRONG_0_1))
def test_exercise_0_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_0_1, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_0_1, ids=ids(RIGHT_0_1))
def test_exercise_0_1_accepts(approach, answer):
    assert_accepted(checks.exercise_0_1, answer)


# ---- 1.1: fold a log into the current address ---------------------------------------------
def _first(events):
    for e in events:
        if e.type == "AddressChanged":
            return e.payload["address"]
    return ""


def _last_event_whatever_type(events):
    return events[-1].payload.get("address", "") if events else ""


def _none_when_empty(events):
    address = None
    for e in events:
        if e.type == "AddressChanged":
            address = e.payload["address"]
    return address


def _ignores_type(events):
    address = ""
    for e in events:
        address = e.payload["address"]
    return address


def _half_done(events):
    found = [e for e in events if e.type == "AddressChanged"]
    if found:
        raise NotImplementedError
    return ""


def _reversed_log(events):
    address = ""
    for e in reversed(events):
        if e.type == "AddressChanged":
            address = e.payload["address"]
    return address


WRONG_1_1 = [
    ("keeps the first move, not the last", _first),
    ("reads the last event whatever its type", _last_event_whatever_type),
    ("None instead of '' for no move", _none_when_empty),
    ("assumes every event has an address", _ignores_type),
    ("half done, still raising NotImplementedError", _half_done),
    ("folds the log from the newest event", _reversed_log),
    ("never returns", never_returns),
]


def _fold_with_reduce(events):
    from functools import reduce
    return reduce(lambda a, e: e.payload["address"] if e.type == "AddressChanged" else a,
                  events, "")


def _newest_first_search(events):
    moves = deque(e.payload["address"] for e in events if e.type == "AddressChanged")
    return moves.pop() if moves else ""


RIGHT_1_1 = [("functools.reduce", _fold_with_reduce),
             ("the last of the moves", _newest_first_search)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_1_1, ids=ids(WRONG_1_1))
def test_exercise_1_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_1_1, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_1_1, ids=ids(RIGHT_1_1))
def test_exercise_1_1_accepts(approach, answer):
    assert_accepted(checks.exercise_1_1, answer)


def test_exercise_1_1_calls_only_the_untouched_template_not_attempted():
    def current_address(events):
        raise NotImplementedError  # replace with your fold
    assert_not_attempted(checks.exercise_1_1, current_address)
    assert "not finished" in repr(assert_rejected(checks.exercise_1_1, _half_done))


# ---- 1.2: predict the callbacks (notification, 4 consumers, 5 moves) ----------------------
WRONG_1_2 = [
    ("one callback per move", 5),
    ("one callback per consumer", 4),
    ("state transfer's zero", 0),
    ("one more for the CRM itself", 25),
    ("a Series with the right number in it", pd.Series([20, 20])),
    ("a string", "20"),
]
RIGHT_1_2 = [("an int", 20), ("a numpy float", np.float64(20.0)), ("a Decimal", Decimal(20))]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_1_2, ids=ids(WRONG_1_2))
def test_exercise_1_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_1_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_1_2, ids=ids(RIGHT_1_2))
def test_exercise_1_2_accepts(approach, answer):
    assert_accepted(checks.exercise_1_2, answer)


def test_exercise_1_2_hints_first_and_shows_the_run_on_the_second_try():
    from eventlab.checks._predict import forget_tries
    forget_tries()
    first, second = checks.exercise_1_2(5), checks.exercise_1_2(5)
    assert "Hint:" in repr(first)
    assert "20" not in repr(first)
    assert "the run made 20 callbacks" in repr(second)
    assert repr(checks.reveal("1.2")) == "Exercise 1.2: the run made 20 callbacks to the CRM"


# ---- 1.3: tell the pattern from the measurements ------------------------------------------
def _by_latency(m):
    if m["callbacks to the CRM"]:
        return "notification"
    latency = m["mean update latency (ms)"]
    if latency == "—":
        return "event_sourcing"
    return "state_transfer" if latency < 10 else "cqrs"


def _latency_only(m):
    latency = m["mean update latency (ms)"]
    if latency == "—":
        return "event_sourcing"
    return "notification" if latency > 30 else "state_transfer" if latency < 10 else "cqrs"


def _stale_reads_positive(m):
    if m["callbacks to the CRM"]:
        return "notification"
    if m["events to other services"]:
        return "state_transfer"
    return "cqrs" if m["queries to the read model"] != "—" and m["stale reads"] > 10 \
        else "event_sourcing"


def _events_mean_state_transfer(m):
    if m["events to other services"]:
        return "state_transfer"
    return "cqrs" if m["stale reads"] != "—" else "event_sourcing"


def _versions_kept(m):
    if m["callbacks to the CRM"]:
        return "notification"
    if m["events to other services"]:
        return "state_transfer"
    logged = m["address versions the CRM keeps"] > 1  # a log of one move looks like a row
    if m["stale reads"] == "—":
        return "event_sourcing"
    return "cqrs_event_sourced" if logged else "cqrs"


def _cqrs_means_event_sourcing(m):
    if m["callbacks to the CRM"]:
        return "notification"
    if m["events to other services"]:
        return "state_transfer"
    return "cqrs_event_sourced" if m["stale reads"] != "—" else "event_sourcing"


WRONG_1_3 = [
    ("a latency threshold between state transfer and CQRS", _by_latency),
    ("latency alone tells notification apart", _latency_only),
    ("CQRS only when there are many stale reads", _stale_reads_positive),
    ("any event to other services means state transfer", _events_mean_state_transfer),
    ("more than one address version kept means a log", _versions_kept),
    ("CQRS always means an event-sourced write side", _cqrs_means_event_sourcing),
    ("always the first pattern", lambda m: "notification"),
    ("never returns", never_returns),
]


def _solution(m):
    if m["callbacks to the CRM"] > 0:
        return "notification"
    if m["events to other services"] > 0:
        return "state_transfer"
    replayed = m["replay equals live state"] != "—"
    if m["stale reads"] != "—":
        return "cqrs_event_sourced" if replayed else "cqrs"
    return "event_sourcing"


def _by_replay_and_reads(m):
    read_side = m["queries to the read model"] != "—"
    if m["replay equals live state"] != "—":
        return "cqrs_event_sourced" if read_side else "event_sourcing"
    if read_side:
        return "cqrs"
    return "notification" if m["callbacks to the CRM"] else "state_transfer"


RIGHT_1_3 = [("the worked solution's order", _solution),
             ("replay and read-model columns first", _by_replay_and_reads)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_1_3, ids=ids(WRONG_1_3))
def test_exercise_1_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_1_3, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_1_3, ids=ids(RIGHT_1_3))
def test_exercise_1_3_accepts(approach, answer):
    assert_accepted(checks.exercise_1_3, answer)
