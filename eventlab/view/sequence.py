"""Failure as a story: a swimlane (sequence) diagram of what happened, drawn from a trace.

One lane per actor, time running down; each message is an arrow from the lane that sent it to
the lane it arrived at, a fault is a red cross on the lane it hit (with what it broke), a lost
copy a grey cross where it should have arrived, a state change a blue dot, a note about the
case (a duplicate skipped, say) a grey square. The picture is a
:class:`~eventlab.view.charts.Chart`, so its text alternative is the table of the steps drawn.

Only the rows of one business case (`case`, a correlation id) and at most `limit` steps are
drawn: a story a reader can follow at a 960 px notebook width, with no text under 10 px.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any, cast

import pandas as pd
from matplotlib.figure import Figure

from eventlab.core.errors import ConfigError, check_int, check_text
from eventlab.view.charts import Chart

STEP_INCHES = 0.32  # vertical room per step: 10 pt labels never overlap
FONT = 9.0  # points; at the workbook's 100 dpi that is 12.5 px
COLUMNS = ("step", "time", "from", "to", "what", "kind")
MARKS = {"fault": ("x", "#d93025"), "drop": ("x", "#80868b"), "state": ("o", "#1a73e8"),
         "note": ("s", "#5f6368")}


def steps(trace: pd.DataFrame, *, case: str | None = None, limit: int = 40) -> pd.DataFrame:
    """The steps of the story, in the order they happened: one row per message arrow (sender
    → receiver; a message through a topic is a publish and a delivery), fault, lost copy,
    note and state change."""
    if not isinstance(trace, pd.DataFrame):
        raise TypeError(f"trace must be a pandas DataFrame, got {type(trace).__name__}")
    check_int("limit", limit, low=1, high=200)
    rows = trace
    if case is not None:
        check_text("case", case)
        mine = trace["correlation_id"] == case
        if not mine.any():
            known = ", ".join(str(c) for c in trace["correlation_id"].dropna().unique()[:5])
            raise ConfigError(f"case {case!r} is not in the trace; cases include {known}")
        # A crash belongs to no message, but to the story of the case it interrupts: a fault
        # of one of the case's actors at the very moment that actor handled the case.
        inside = trace.loc[mine.fillna(False)]
        moments = {(str(r["actor"]), float(r["time"])) for r in _records(inside)
                   if not pd.isna(r["actor"])}
        crashes = [i for i, r in zip(trace.index, _records(trace), strict=True)
                   if r["kind"] in ("fault", "drop") and pd.isna(r["correlation_id"])
                   and (str(r["actor"]), float(r["time"])) in moments]
        rows = trace[mine.fillna(False) | trace.index.isin(crashes)]
    records = _records(rows)
    sends: dict[str, list[dict[str, Any]]] = {}  # message id -> its sends, in order
    for r in records:
        if r["kind"] == "send" and not pd.isna(r["message_id"]):
            sends.setdefault(str(r["message_id"]), []).append(r)
    out: list[tuple[float, int, str, str, str, str]] = []  # time, rank, from, to, what, kind
    published: set[int] = set()  # sends already drawn as a publish arrow (by identity)
    for r in records:
        kind, actor, time = str(r["kind"]), str(r["actor"]), float(r["time"])
        what = "" if pd.isna(r["message_type"]) else str(r["message_type"])
        if kind == "deliver":
            # the latest send of this message before this copy arrived (a re-publish is a
            # send of its own)
            send = next((x for x in reversed(sends.get(str(r["message_id"]), []))
                         if float(x["time"]) <= time), None)
            via = None if pd.isna(r["channel"]) else str(r["channel"])
            if send is None:
                source = "?" if pd.isna(r["target"]) else str(r["target"])
                out.append((time, 0, source, actor, what, "message"))
            elif via is not None and str(send["target"]) != actor:
                # Through a broker (a topic): the publish and each delivery are two arrows;
                # a publish delivered to several subscribers is drawn once.
                if id(send) not in published:
                    published.add(id(send))
                    out.append((float(send["time"]), 0, str(send["actor"]), via, what,
                                "message"))
                out.append((time, 0, via, actor, what, "message"))
            else:
                out.append((time, 0, str(send["actor"]), actor, what, "message"))
        elif kind in ("fault", "drop"):
            detail = "" if pd.isna(r["detail"]) else str(r["detail"])
            out.append((time, 3, actor, actor, f"{what}: {detail}" if what else detail, kind))
        elif kind == "state" and what:
            # "welcome mails: 2" says more than the message that caused it
            if not pd.isna(r["entity"]):
                what = f"{r['entity']}: {r['value']}" if not pd.isna(r["value"]) else \
                    str(r["entity"])
            out.append((time, 1, actor, actor, what, "state"))
        elif kind == "note" and not pd.isna(r["detail"]) and not pd.isna(r["correlation_id"]):
            out.append((time, 2, actor, actor, str(r["detail"]), "note"))
    # At one moment, a message comes before what it caused (a write, a note, a crash); the
    # sort is stable, so steps at one moment and rank keep the trace's order, and two equal
    # steps stay two steps.
    ordered = sorted(out, key=lambda step: (step[0], step[1]))
    out_rows = [(time, source, target, what, kind)
                for time, _, source, target, what, kind in ordered]
    table = pd.DataFrame(out_rows[:limit], columns=list(COLUMNS[1:]))
    table.insert(0, "step", range(1, len(table) + 1))
    return table


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def sequence(trace: pd.DataFrame, *, case: str | None = None,
             actors: Sequence[str] | None = None, limit: int = 40,
             title: str = "what happened", unit: str = "the run's unit") -> Chart:
    """Draw the steps of `case` (or of the whole trace) as swimlanes; see the module text."""
    check_text("title", title)
    table = steps(trace, case=case, limit=limit)
    if table.empty:
        raise ConfigError("nothing to draw: the trace has no message, fault or state row"
                          + (f" for case {case!r}" if case else ""))
    lanes = list(actors) if actors is not None else list(dict.fromkeys(
        name for pair in zip(table["from"], table["to"], strict=True) for name in pair))
    missing = sorted((set(table["from"]) | set(table["to"])) - set(lanes))
    if missing:
        raise ConfigError(f"actors must include every lane of the story; missing {missing}")
    x = {lane: i for i, lane in enumerate(lanes)}
    height = 1.2 + STEP_INCHES * len(table)
    figure = Figure(figsize=(9.6, height), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    bottom = len(table) + 0.5
    for lane, i in x.items():
        axes.plot([i, i], [0.3, bottom], color="#bdc1c6", linewidth=1.0, zorder=0)
        axes.text(i, 0, textwrap.fill(lane, 14), ha="center", va="bottom", fontsize=FONT,
                  fontweight="bold")
    for row in _records(table):
        y, to, what = float(row["step"]), str(row["to"]), str(row["what"])
        axes.text(-0.6, y, f"{float(row['time']):.4g}", ha="right", va="center",
                  fontsize=FONT, color="#5f6368")
        if row["kind"] == "message":
            start = x[str(row["from"])]
            axes.annotate("", xy=(x[to], y), xytext=(start, y),
                          arrowprops={"arrowstyle": "-|>", "color": "#1a73e8", "lw": 1.2})
            axes.text((x[to] + start) / 2, y - 0.12, what, ha="center", va="bottom",
                      fontsize=FONT)
        else:
            marker, colour = MARKS[str(row["kind"])]
            axes.plot([x[to]], [y], marker=marker, color=colour, markersize=8)
            axes.text(x[to] + 0.08, y, what[:70], ha="left", va="center", fontsize=FONT,
                      color=colour)
    axes.set_xlim(-1.2, len(lanes) - 0.2)
    axes.set_ylim(bottom, -0.8)
    axes.axis("off")
    axes.set_title(title + (f" ({case})" if case else "") + f"  (time in {unit}, down)",
                   fontsize=FONT + 1)
    return Chart(figure, title, table.set_index("step"))
