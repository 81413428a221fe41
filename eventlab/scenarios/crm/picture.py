"""The picture of the CRM story: who sends what to whom, counted from the trace."""

from __future__ import annotations

from typing import Any

import pandas as pd

from eventlab.domains.crm.config import CONSUMERS, Config
from eventlab.domains.crm.payloads import LABELS, subscriptions
from eventlab.view import graphs


def _design(config: Config) -> str:
    return "notification" if config.pattern == "notification" else config.payload


def _tally(trace: pd.DataFrame) -> tuple[dict[tuple[str, str, str], int],
                                         dict[tuple[str, str], int], bool]:
    """One pass over the trace: deliveries (sender, receiver, type), look-up outcomes
    (consumer, fresh/stale/failed) plus failed calls (consumer, "failed call"), and
    whether the CRM is down at the end of `trace`. Plain Python: playback calls this once
    per frame, and a handful of pandas filters per frame would dominate its cost."""
    deliveries: dict[tuple[str, str, str], int] = {}
    outcomes: dict[tuple[str, str], int] = {}
    down = False
    columns = ("kind", "actor", "target", "message_type", "entity", "value", "detail")
    for kind, actor, target, mtype, entity, value, detail in zip(
            *(_plain(trace[c]) for c in columns), strict=True):
        if kind == "deliver":
            key = (str(target), str(actor), str(mtype))
            deliveries[key] = deliveries.get(key, 0) + 1
        elif kind == "note" and target == "Users":
            outcome = (str(actor), str(detail).removeprefix("look-up ").split(" ")[0])
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        elif kind == "fault" and target == "CRM":
            outcomes[(str(actor), "failed call")] = outcomes.get((str(actor), "failed call"),
                                                                 0) + 1
        elif kind == "state" and actor == "CRM" and entity == "availability":
            down = value == "down"
    return deliveries, outcomes, down


def _plain(column: pd.Series) -> list[Any]:
    """The column as plain Python values, missing ones as None (``pd.NA`` has no truth)."""
    return [None if missing else value
            for value, missing in zip(column.tolist(), column.isna().tolist(), strict=True)]


def _label(parts: list[tuple[str, int]]) -> str:
    return ", ".join(f"{name} ×{n}" for name, n in parts)


def diagram(config: Config, trace: pd.DataFrame, row: Any) -> graphs.Diagram:
    """The CRM, its consumers and their traffic; `row` (a trace row) is highlighted."""
    design = _design(config)
    title = ("event notification" if design == "notification"
             else f"state transfer: {LABELS[design]}")
    diagram = graphs.Diagram(title)
    counts, outcomes, down = _tally(trace)
    down_now = row is not None and down
    downtime = f"down {config.downtime:.0%} of the time" if config.downtime else "always up"
    diagram.add_node("Customers", role="client")
    diagram.add_node("CRM", role="down" if down_now else "service",
                     note="DOWN now" if down_now else downtime)
    commands = [(t, counts.get(("Customers", "CRM", t), 0))
                for t in ("ChangeAddress", "ChangeStatus")]
    diagram.add_edge("Customers", "CRM", _label(commands), kind="command",
                     highlight=_is(row, "Customers", "CRM"))
    for spec in CONSUMERS[: config.consumers]:
        name = spec.name
        answers = {o: n for (actor, o), n in outcomes.items()
                   if actor == name and o != "failed call"}
        asked = sum(answers.values())
        bad = [f"{n} {o}" for o, n in answers.items() if o != "fresh"]
        note = f"{' + '.join(spec.cares_about)} · {asked} look-up{'' if asked == 1 else 's'}"
        diagram.add_node(name, note=note + (f" ({', '.join(bad)})" if bad else ""))
        types = subscriptions(design, spec.cares_about)
        events = [(t, counts.get(("CRM", name, t), 0)) for t in types]
        diagram.add_edge("CRM", name, _label(events), kind="event",
                         highlight=_is(row, "CRM", name))
        if design == "notification":
            calls = counts.get((name, "CRM", "GetCustomer"), 0)
            lost = outcomes.get((name, "failed call"), 0)
            diagram.add_edge(name, "CRM", f"GetCustomer ×{calls}" + (f" ({lost} failed)"
                                                                        if lost else ""),
                             kind="query", highlight=_is(row, name, "CRM"))
    return diagram


def _is(row: Any, tail: str, head: str) -> bool:
    """Is `row` the message travelling along the arrow tail -> head (or its reply)?"""
    if row is None or row.kind not in ("deliver", "fault"):
        return False
    if row.kind == "fault":
        return bool(row.actor == tail and head == "CRM")
    sender, receiver = row.target, row.actor
    if row.message_type in ("CustomerData", "ServiceUnavailable"):  # back along the query
        sender, receiver = receiver, sender
    return bool(sender == tail and receiver == head)
