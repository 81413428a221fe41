"""The pictures of :mod:`eventlab.scenarios.bank`: PNG charts without pyplot, and the account's
diagram."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from eventlab.domains.account import ACCOUNT, when
from eventlab.scenarios.bank.simulation import INTEREST_JOB, SERVICE
from eventlab.view import graphs
from eventlab.view.charts import Figure


def date(minutes: float) -> datetime:
    """Simulated minutes as a datetime, for a chart's time axis."""
    return datetime.strptime(when(minutes, seconds=True), "%Y-%m-%d %H:%M:%S")


def figure() -> tuple[Figure, Any]:
    """A new figure (object API, no pyplot state) and its axes, in the workbook's size."""
    figure = Figure(figsize=(7.2, 3.4), layout="constrained")
    return figure, figure.add_subplot()


def finish(figure: Figure, axes: Any, title: str, ylabel: str, xlabel: str = "") -> None:
    """Title, labels, grid and legend; dates on the x axis when there is no `xlabel`."""
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.set_xlabel(xlabel)
    axes.grid(alpha=0.3)
    axes.legend(frameon=False, fontsize=8)
    if not xlabel:
        figure.autofmt_xdate()


_NODES = (("Customer", "client"), (INTEREST_JOB, "client"), (SERVICE, "service"),
          ("accounts row", "store"),
          ("event log", "store"), ("snapshots", "store"), ("Projector", "service"),
          ("monthly spending", "readmodel"))


def diagram(trace: pd.DataFrame, row: Any) -> graphs.Diagram:
    """The account's two models and the read side; counts from `trace`, `row` highlighted."""
    diagram = graphs.Diagram(f"account #{ACCOUNT}: persistent state and persistent change")
    kind = trace["kind"]
    states = trace[kind == "state"]
    latest = states.drop_duplicates(["actor", "entity"], keep="last")
    value = {(a, e): v for a, e, v in zip(latest["actor"], latest["entity"], latest["value"],
                                          strict=True)}
    lines = int(value.get(("accounts row", "history lines"), 0) or 0)
    notes = {"accounts row": f"balance {value.get(('accounts row', 'balance'), '')}, "
                             f"{lines} history lines",
             "event log": f"version {value.get(('event log', 'version'), 0)}",
             "snapshots": f"at v{value.get(('snapshots', 'version'), '-')}",
             "Projector": f"lag {value.get(('Projector', 'lag'), 0)}",
             "monthly spending": f"checkpoint {value.get(('Projector', 'checkpoint'), 0)}"}
    for name, role in _NODES:
        diagram.add_node(name, role=role, note=notes.get(name, ""))

    def count(who: str, entity: str) -> int:
        return int(((states["actor"] == who) & (states["entity"] == entity)).sum())

    sent = trace[kind == "send"]
    commands = int((sent["actor"] == "Customer").sum())
    interest = int((sent["actor"] == INTEREST_JOB).sum())
    refused = int((kind == "reject").sum())
    writes = count("event log", "version")
    updates = count("accounts row", "balance")
    polls = count("Projector", "checkpoint")
    current = "" if row is None else (row.kind, row.actor)
    edges = [
        ("Customer", SERVICE, f"commands ×{commands}" + (f" ({refused} refused)" if refused
                                                         else ""), "command",
         current in (("send", "Customer"), ("reject", SERVICE))),
        (INTEREST_JOB, SERVICE, f"CreditInterest ×{interest}", "command",
         current == ("send", INTEREST_JOB)),
        (SERVICE, "accounts row", f"write row ×{updates}, history line ×{lines}", "data",
         current == ("state", "accounts row")),
        (SERVICE, "event log", f"append ×{writes}", "data", current == ("state", "event log")),
        ("event log", "snapshots", f"snapshot ×{count('snapshots', 'version')}", "data",
         current == ("state", "snapshots")),
        ("event log", "Projector", f"catch up ×{polls}", "data",
         current == ("state", "Projector")),
        ("Projector", "monthly spending", f"update ×{polls}", "data",
         current == ("state", "monthly spending")),
    ]
    for tail, head, label, edge_kind, highlight in edges:
        diagram.add_edge(tail, head, label, kind=edge_kind, highlight=highlight)
    return diagram
