"""Commands in disguise: tell events, commands and disguised commands apart by their names.

A heuristic, and it says why for every name. The rules, first match wins:

1. the name ends in ``Command``: a command, openly;
2. it contains sender-centric wording ("required", "needs to", "should be", ...): the
   sender states what it wants someone else to do. Worded like an event, meant as a
   command: a **command in disguise** (Fowler: a "passive-aggressive command");
3. it starts with an imperative verb (``Check``, ``Send``, ``Retrieve``, ...): a command;
4. its last word (before an ``Event`` suffix) is in the past tense: an event, a fact;
5. anything else is ``unclear``: rename it so it says what happened or what to do.

Names are split on capital letters (``AddressCheckRequired``) or on spaces (sentences).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from eventlab.core.errors import check_text

KINDS: tuple[str, ...] = ("event", "command", "command in disguise", "unclear")
# Longest first, so "needs to be" is reported rather than "needs".
MARKERS: tuple[str, ...] = ("needs to be", "need to be", "has to be", "should be", "must be",
                            "needs to", "need to", "has to", "to be", "required", "needs",
                            "should", "must", "wanted", "requires")
IMPERATIVES: tuple[str, ...] = (
    "activate", "add", "approve", "archive", "book", "calculate", "cancel", "change", "charge",
    "check", "close", "confirm", "correct", "create", "delete", "deliver", "fetch", "grant",
    "issue", "move", "notify", "open", "pay", "place", "refund", "register", "reject",
    "reserve", "retrieve", "schedule", "send", "ship", "start", "stop", "submit", "update",
    "validate", "verify",
)
IRREGULAR_PAST: tuple[str, ...] = ("sent", "paid", "done", "made", "built", "held", "given",
                                   "taken", "won", "lost", "sold", "bought", "kept", "begun",
                                   "written", "shut", "left", "withdrawn", "chosen")
NOT_PAST: tuple[str, ...] = ("need", "feed", "seed", "speed", "bed", "red", "shed", "bled")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SPACED = re.compile(r"[A-Za-zÀ-ÿ]+|\d+")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The kind of one message name, the rule that decided it, and why."""

    name: str
    kind: str
    rule: str
    reason: str


def words(name: str) -> list[str]:
    """The lower-case words of a name: ``AddressCheckRequired`` -> address, check, required."""
    check_text("name", name)
    found = _SPACED.findall(name) if " " in name.strip() else _CAMEL.findall(name)
    return [w.lower() for w in found]


def _find(marker: str, ws: list[str]) -> bool:
    parts = marker.split()
    return any(ws[i:i + len(parts)] == parts for i in range(len(ws) - len(parts) + 1))


def _past(word: str) -> bool:
    if word in IRREGULAR_PAST:
        return True
    return len(word) > 3 and word.endswith("ed") and word not in NOT_PAST


def classify(name: str) -> Verdict:
    """The verdict for one message name (see the module docstring for the rules)."""
    ws = words(name)
    if not ws:
        return Verdict(name, "unclear", "no words", "the name has no letters to read")
    suffix = ws[-1] if ws[-1] in ("event", "command") and len(ws) > 1 else ""
    core = ws[:-1] if suffix else ws
    if suffix == "command":
        return Verdict(name, "command", "says Command",
                       "it ends in 'Command': an intent, addressed to one receiver that must "
                       "act on it (or reject it)")
    marker = next((m for m in MARKERS if _find(m, core)), None)
    if marker is not None:
        return Verdict(name, "command in disguise", f"'{marker}'",
                       f"'{marker}' is the sender's wish that someone else acts, not a fact: a "
                       "command worded as an event. Let the receiver offer a command instead")
    if core[0] in IMPERATIVES:
        return Verdict(name, "command", "imperative",
                       f"it starts with the imperative '{core[0].capitalize()}': an intent, "
                       "addressed to the one service that must do it")
    if _past(core[-1]):
        return Verdict(name, "event", "past tense",
                       f"'{core[-1].capitalize()}' is past tense: a fact that already happened; "
                       "the sender does not care who reacts")
    if suffix == "event":
        return Verdict(name, "unclear", "says Event",
                       "it ends in 'Event' but names no fact in the past tense: rename it")
    return Verdict(name, "unclear", "no rule",
                   "neither a fact in the past tense nor an imperative: say what happened "
                   "(...ed) or what to do (Verb...)")


def classify_all(names: Iterable[str]) -> pd.DataFrame:
    """A table of verdicts, one row per name, in the order given."""
    if isinstance(names, str):
        raise TypeError("names must be a list of names, not one string; "
                        f"use classify({names!r}) for a single name")
    verdicts = [classify(n) for n in names]
    return pd.DataFrame([(v.name, v.kind, v.rule, v.reason) for v in verdicts],
                        columns=["name", "kind", "rule", "reason"]).set_index("name")
