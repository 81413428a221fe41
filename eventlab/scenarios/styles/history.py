"""One order's story from the trace: who did what to it, and when (hours).

The trace records everything (every delivery, every outbox row, every token move); an
operator reading about one order wants the steps that matter: what was sent and by whom,
what was done (charged, picked, shipped and their undoing), what failed and how often,
incidents, timers, escalations, parked and replayed messages, and duplicates dropped.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from eventlab.core.errors import ConfigError, check_text
from eventlab.domains.retail.fulfilment import EFFECTS
from eventlab.scenarios.styles.config import HOUR

COLUMNS: tuple[str, ...] = ("at (h)", "who", "what")
_RELAY = re.compile(r" (relay #\d+|producer)$")
_TIMEOUT = re.compile(r"timed out after ([0-9.e+]+)")
# The engine's and the services' own words, shortened to fit a table column (pandas cuts
# cells at 50 characters); what they drop is in the rows around them
_SHORTER: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\S+) failed \(attempt (\d+)\): .*; (\d+) retries left$"),
     r"\1 failed (try \2); tries left: \3"),
    (re.compile(r"^incident at '([^']+)': .*$"), r"incident at '\1'"),
    (re.compile(r"^(non-interrupting|interrupting) boundary timer '([^']+)' on '[^']+' fired$"),
     r"timer '\2' fired (\1)"),
    (re.compile(r"^error '([^']+)' caught by '([^']+)' on '[^']+'$"), r"error '\1' caught by '\2'"),
    (re.compile(r"^(\S+) replayed from the dead-letter topic$"), r"replays \1 (dead letter)"),
    (re.compile(r" \(attempt 1\)$"), ""),  # a first try needs no count
)


def history(trace: pd.DataFrame, order: str) -> pd.DataFrame:
    """The steps of `order` (an order id such as ``"order-0005"``) in `trace`, in order."""
    check_text("order", order)
    rows = trace[trace["key"] == order]
    if rows.empty:
        known = sorted(str(k) for k in trace["key"].dropna().unique()
                       if str(k).startswith("order-"))
        span = f"{known[0]} to {known[-1]}" if known else "none yet"
        raise ConfigError(f"order={order!r} is not in this run (so far); orders: {span}")
    story = [(float(r["time"]) / HOUR, *step) for r in rows.to_dict("records")
             if (step := _step(r)) is not None]
    return pd.DataFrame(story, columns=list(COLUMNS)).round({"at (h)": 3})


def _step(r: Mapping[Hashable, Any]) -> tuple[str, str] | None:
    kind, actor = r["kind"], str(r["actor"])
    message, detail, entity, value = r["message_type"], r["detail"], r["entity"], r["value"]
    if kind == "send" and _RELAY.search(actor):
        sender = _RELAY.sub("", actor)
        if sender.endswith(" dead letters"):
            return sender.removesuffix(" dead letters"), \
                f"parks {message} on the dead-letter topic"
        return sender, f"sends {message}"
    if kind == "state" and entity in EFFECTS:
        return actor, str(entity)
    if kind == "state" and isinstance(entity, str) and entity.endswith(":status"):
        if value == "incident" or "resolved" in str(detail):
            return None  # the incident's own row and the operator's say it already
        return actor, str(detail) if value == "active" else f"{value}: {detail}"
    if kind == "note" and actor.endswith(" inbox"):
        return actor.removesuffix(" inbox"), f"drops a duplicate {message}"
    if kind in ("fault", "reject", "timer", "note"):
        # the engine counts time in the world's unit (ms here): say hours
        return actor, _short(_TIMEOUT.sub(
            lambda m: f"timed out after {float(m[1]) / HOUR:g} h", str(detail)))
    return None


def _short(text: str) -> str:
    for pattern, replacement in _SHORTER:
        text = pattern.sub(replacement, text)
    return text
