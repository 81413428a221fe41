"""The picture of the patterns story: its topology, counts from the trace, highlights."""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

from eventlab.scenarios.fowler.config import BROADCAST, CONSUMER_NAMES, CQRS, EVENT_SOURCED, Config
from eventlab.scenarios.fowler.model import QUERY_SIDE, READ_MODEL
from eventlab.view import graphs


def _edges(config: Config) -> list[tuple[str, str, str, str]]:
    """(tail, head, label, kind) of every arrow; the label starts with what is counted."""
    edges = [("Customer", "CRM", "ChangeAddress", "command")]
    names = list(CONSUMER_NAMES[: config.consumers])
    pattern = config.pattern
    if pattern in EVENT_SOURCED:
        edges.append(("CRM", "CRM event log", "append AddressChanged", "data"))
    elif pattern == "cqrs":
        edges.append(("CRM", "CRM database", "update row + change row", "data"))
    else:
        edges.append(("CRM", "CRM database", "update row", "data"))
    if pattern in BROADCAST:
        label = "AddressChanged{id}" if pattern == "notification" else \
            "AddressChanged{id, address}"
        edges += [("CRM", n, label, "event") for n in names]
    if pattern == "notification":
        edges += [(n, "CRM", "GetCustomer → CustomerData", "query") for n in names]
    if pattern in CQRS:
        feed = "CRM event log" if pattern in EVENT_SOURCED else "CRM database"
        edges += [(feed, "Projector", "poll", "data"),
                  ("Projector", READ_MODEL, "update", "data"),
                  (QUERY_SIDE, READ_MODEL, "read", "query")]
        edges += [(n, QUERY_SIDE, "GetCustomer → CustomerData", "query") for n in names]
    return edges


def _edge_counts(trace: pd.DataFrame) -> dict[tuple[str, str], int]:
    """How often each arrow was used, counted from the trace rows it stands for."""
    counts: dict[tuple[str, str], int] = {}
    kind, actor, entity = trace["kind"], trace["actor"], trace["entity"]
    delivered = trace[kind == "deliver"]
    for group, n in delivered.groupby(["target", "actor", "message_type"],
                                      sort=False).size().items():
        sender, receiver, mtype = (str(part) for part in cast(tuple[Any, ...], group))
        if mtype != "CustomerData":  # a reply travels back along its query's arrow
            counts[(sender, receiver)] = int(n)
    writes = int(((kind == "state") & (actor == "CRM") & (entity == "address")
                  & trace["detail"].isna()).sum())
    counts[("CRM", "CRM database")] = counts[("CRM", "CRM event log")] = writes
    polls = int(((kind == "state") & (actor == "Projector")).sum())
    counts[("CRM event log", "Projector")] = counts[("CRM database", "Projector")] = polls
    counts[("Projector", READ_MODEL)] = int(((kind == "state") & (actor == READ_MODEL)).sum())
    counts[(QUERY_SIDE, READ_MODEL)] = int(((kind == "note") & (actor == QUERY_SIDE)).sum())
    return counts


def diagram(config: Config, trace: pd.DataFrame, row: Any) -> graphs.Diagram:
    """The pattern's topology; counts from `trace`; the edge of `row` highlighted."""
    title = f"{config.pattern.replace('_', ' ')}: customer 42 moves"
    diagram = graphs.Diagram(title)
    holders = _latest_values(trace)
    roles = {"Customer": "client", "CRM database": "store", "CRM event log": "store",
             READ_MODEL: "readmodel", "Projector": "service"}
    nodes: dict[str, None] = {}
    edges = _edges(config)
    for tail, head, _, _ in edges:
        nodes.setdefault(tail, None)
        nodes.setdefault(head, None)
    for name in nodes:
        note = holders.get(name, "")
        diagram.add_node(name, role=roles.get(name, "service"),
                         note=f"address: {note.split(',')[0]}" if note else "")
    counts = _edge_counts(trace)
    for tail, head, label, kind in edges:
        n = counts.get((tail, head), 0)
        shown = f"{label} ×{n}" if n else label
        diagram.add_edge(tail, head, shown, kind=kind, highlight=_is_current(row, tail, head))
    return diagram


def _is_current(row: Any, tail: str, head: str) -> bool:
    if row is None:
        return False
    if row.kind == "deliver":
        return bool(row.target == tail and row.actor == head)
    if row.kind == "send" and isinstance(row.target, str):
        return False
    if row.kind == "state" and row.actor == "CRM":
        return head in ("CRM database", "CRM event log")
    if row.kind == "state" and row.actor == "Projector":
        return head == "Projector"
    if row.kind == "state":
        return head == row.actor and tail in ("Projector",)
    return row.kind == "note" and tail == row.actor and head == READ_MODEL


def _latest_values(trace: pd.DataFrame) -> dict[str, str]:
    rows = trace[(trace["kind"] == "state") & (trace["entity"] == "address")]
    latest = rows.drop_duplicates("actor", keep="last")
    return dict(zip(latest["actor"], latest["value"], strict=True))
