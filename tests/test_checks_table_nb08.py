"""Answer tables for exercises 8.1 to 8.3: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

import re

import numpy as np
import pytest
from checktable import assert_accepted, assert_rejected, ids, never_returns

from eventlab import checks
from eventlab.domains.onboarding.disguise import classify
from eventlab.scenarios import onboarding

# ---- 8.1: who is responsible? ----------------------------------------------------------------
WRONG_8_1 = [
    ("Onboarding for a command, whoever sends it",
     lambda style, sender, receiver: "Onboarding" if style == "command" else receiver),
    ("swapped: the receiver of a command",
     lambda style, sender, receiver: receiver if style == "command" else sender),
    ("the sender always", lambda style, sender, receiver: sender),
    ("the receiver always", lambda style, sender, receiver: receiver),
    ("both teams", lambda style, sender, receiver: f"{sender} and {receiver}"),
    ("calls the library's rule",
     lambda style, sender, receiver: onboarding.responsible(
         next(s for s in onboarding.STEPS if s.service == receiver), style)),
    ("never returns", never_returns),
]
RIGHT_8_1 = [
    ("sender for a command, receiver for an event",
     lambda style, sender, receiver: sender if style == "command" else receiver),
    ("a dict lookup", lambda style, sender, receiver: {"command": sender,
                                                      "event": receiver}[style]),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_8_1, ids=ids(WRONG_8_1))
def test_exercise_8_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_8_1, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_8_1, ids=ids(RIGHT_8_1))
def test_exercise_8_1_accepts(approach, answer):
    assert_accepted(checks.exercise_8_1, answer)


# ---- 8.2: spot the disguise ------------------------------------------------------------------
def _words(name):
    if " " in name:
        return name.lower().split()
    return [w.lower() for w in re.findall(r"[A-Z][a-z]*", name)]


def _solution_8_2(name):
    ws = _words(name)
    if ws[-1] == "command":
        return "command"
    text = " ".join(ws)
    if any(m in text for m in ("required", "needs to", "should be")):
        return "command in disguise"
    last = ws[-2] if ws[-1] == "event" and len(ws) > 1 else ws[-1]
    return "event" if last.endswith("ed") else "command"


def _suffix_only(name):
    return "command" if name.endswith("Command") else "event"


def _past_tense_anywhere(name):
    ws = _words(name)
    if ws[-1] == "command":
        return "command"
    return "event" if any(w.endswith("ed") for w in ws) else "command"


def _no_sentences(name):
    if " " in name:
        return "event"
    return _solution_8_2(name)


def _required_only(name):
    ws = _words(name)
    if "required" in ws:
        return "command in disguise"
    if ws[-1] == "command":
        return "command"
    last = ws[-2] if ws[-1] == "event" else ws[-1]
    return "event" if last.endswith("ed") else "command"


def _looked_up(name):  # a look-up, not rules: names the catalogue lacks have no row
    import csv
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "data" / "message_catalogue.csv"
    with path.open(encoding="utf-8") as rows:
        known = {r["name"]: r["expected"] for r in csv.DictReader(rows)}
    return known.get(name, "event")


WRONG_8_2 = [
    ("only the Command suffix counts", _suffix_only),
    ("any past-tense word makes an event", _past_tense_anywhere),
    ("forgets the one sentence", _no_sentences),
    ("only 'Required' is a disguise", _required_only),
    ("calls the library's classifier", lambda name: classify(name).kind),
    ("reads the catalogue's expected column",
     lambda name: onboarding.load_catalogue()["expected"][name]),
    ("looks the name up in the CSV file itself", _looked_up),
    ("never returns", never_returns),
]


def _regex(name):
    if name.endswith("Command"):
        return "Command"
    if re.search(r"Required|NeedsTo|needs to|ShouldBe|should be", name):
        return "Command in disguise"
    core = name.removesuffix("Event")
    return "Event" if re.search(r"ed$", core) else "Command"


RIGHT_8_2 = [("words and markers", _solution_8_2), ("regular expressions, capitalised", _regex)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_8_2, ids=ids(WRONG_8_2))
def test_exercise_8_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_8_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_8_2, ids=ids(RIGHT_8_2))
def test_exercise_8_2_accepts(approach, answer):
    assert_accepted(checks.exercise_8_2, answer)


# ---- 8.3: predict the requests that wait for Notification -------------------------------------
WRONG_8_3 = [
    ("counts the changes, not the requests", (6, 0)),
    ("SendMessage requests wait too", (168, 168)),
    ("a durable topic means nothing waits", (0, 0)),
    ("one message a day, as in section 6", (84, 0)),
    ("one sender only", (28, 0)),
    ("the eight senders of section 6", (113, 0)),
    ("every request of the whole run waits", (1440, 0)),
    ("a single number", 168),
    ("text", ("many", "none")),
]
RIGHT_8_3 = [("senders x days x requests a day", (168, 0)), ("a list of floats", [175.5, 0.0]),
             ("numpy", np.array([160, 0]))]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_8_3, ids=ids(WRONG_8_3))
def test_exercise_8_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_8_3, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_8_3, ids=ids(RIGHT_8_3))
def test_exercise_8_3_accepts(approach, answer):
    assert_accepted(checks.exercise_8_3, answer)
