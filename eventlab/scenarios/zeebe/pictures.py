"""Pictures of a Zeebe cluster drawn from a trace: brokers coloured by network segment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from eventlab.core.errors import ConfigError, check_int
from eventlab.view import graphs, playback

SEGMENT_COLOURS = {"A": "#d2e3fc", "B": "#fde2c4", "C": "#e6d7f5", "D": "#d6f0dc"}
CUT = {"style": "dashed", "color": "#d93025", "fontcolor": "#d93025"}


def cluster_state(trace: pd.DataFrame, nodes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per node as of the end of `trace`: role, term, commit index, segment, down."""
    out: dict[str, dict[str, Any]] = {
        n: {"role": "follower", "term": "", "commit": "0", "segment": "A", "down": False}
        for n in nodes}
    rows = trace[trace["actor"].isin(list(nodes))
                 & (((trace["kind"] == "state")
                     & trace["entity"].isin(["role", "term", "commit index", "segment"]))
                    | (trace["kind"] == "fault"))]
    for row in rows.itertuples(index=False):
        info = out[str(row.actor)]
        if row.kind == "fault":
            if row.detail in ("crash", "restart"):
                info["down"] = row.detail == "crash"
        elif row.entity == "role":
            info["role"] = row.value
        elif row.entity == "term":
            info["term"] = row.value
        elif row.entity == "commit index":
            info["commit"] = row.value
        else:
            info["segment"] = row.value
    return out


def cluster_diagram(trace: pd.DataFrame, nodes: Sequence[str], *, title: str = "",
                    highlight: str | None = None) -> graphs.Diagram:
    """Brokers coloured by segment; each leader's replication arrows (red when cut)."""
    state = cluster_state(trace, nodes)
    diagram = graphs.Diagram(title)
    for node in nodes:
        info = state[node]
        note = f"{info['role']} · term {info['term'] or 0} · commit {info['commit']}"
        if info["down"]:
            diagram.add_node(node, role="down", note=f"down · {note}")
            continue
        attrs = {"fillcolor": SEGMENT_COLOURS.get(info["segment"], "#eeeeee")}
        if info["role"] == "leader":
            attrs["penwidth"] = "2.5"
        if node == highlight:
            attrs["color"] = "#f29900"
        diagram.add_node(node, role="broker", note=f"segment {info['segment']} · {note}",
                         **attrs)
    for leader in nodes:
        if state[leader]["role"] != "leader" or state[leader]["down"]:
            continue
        for node in nodes:
            if node == leader:
                continue
            same = (state[node]["segment"] == state[leader]["segment"]
                    and not state[node]["down"])
            if same:
                diagram.add_edge(leader, node, "replicates", kind="data")
            else:
                diagram.add_edge(leader, node, "cut off", style=CUT["style"],
                                 color=CUT["color"], fontcolor=CUT["fontcolor"])
    return diagram


def cluster_frames(trace: pd.DataFrame, nodes: Sequence[str], *,
                   max_frames: int = 60) -> list[playback.Frame]:
    """Playback frames: every fault and role change, plus commits and rejections (thinned)."""
    check_int("max_frames", max_frames, low=2, high=2000)
    kind, entity = trace["kind"], trace["entity"]
    must = trace[(kind == "fault") | ((kind == "state") & (entity == "role"))]
    rest = trace[((kind == "state") & (entity == "commit index")) | (kind == "reject")]
    if must.empty and rest.empty:
        raise ConfigError("the trace has no cluster rows to replay")
    must, rest = _thin(must, max_frames), _thin(rest, max(max_frames - len(must), 0))
    chosen = pd.concat([must, rest]).sort_values("seq")
    frames = []
    seqs: list[int] = chosen["seq"].tolist()
    for seq, row in zip(seqs, chosen.itertuples(index=False), strict=True):
        so_far = trace.iloc[: seq + 1]
        state = cluster_state(so_far, nodes)
        table = pd.DataFrame([{"node": n, **info} for n, info in state.items()])
        actor = row.actor if isinstance(row.actor, str) else None
        diagram = cluster_diagram(so_far, nodes, title=playback.describe_row(row),
                                  highlight=actor)
        frames.append(playback.Frame(float(row.time),  # type: ignore[arg-type]
                                     playback.describe_row(row), diagram, table))
    return frames


def _thin(rows: pd.DataFrame, keep: int) -> pd.DataFrame:
    if len(rows) <= keep:
        return rows
    if keep <= 0:
        return rows.iloc[0:0]
    picks = sorted({round(i * (len(rows) - 1) / max(keep - 1, 1)) for i in range(keep)})
    return rows.iloc[picks]


def _partition_list(partitions: Sequence[int], most: int = 6) -> str:
    """"P1, P4, P7" (a long list cut: "P1, P4, P7, P10, … 8 in all")."""
    if not partitions:
        return "none"
    names = [f"P{p}" for p in partitions]
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[: most - 2]) + f", … {len(names)} in all"


def placement_diagram(layout: Mapping[int, tuple[str, ...]], leaders: Mapping[int, str | None],
                      *, title: str = "brokers and partitions") -> graphs.Diagram:
    """Who leads which partition, and who replicates to whom: one node per broker (the
    partitions it leads and follows), one arrow per leader → follower pair, labelled with the
    partitions it replicates (sender → receiver, as every arrow in the workbook)."""
    if not layout:
        raise ConfigError("layout must name at least one partition")
    diagram = graphs.Diagram(title)
    brokers = sorted({b for members in layout.values() for b in members},
                     key=lambda b: int(b.rsplit("-", 1)[-1]) if b[-1].isdigit() else 0)
    for broker in brokers:
        led = [p for p in layout if leaders.get(p) == broker]
        follows = [p for p, members in layout.items()
                   if broker in members and leaders.get(p) != broker]
        diagram.add_node(broker, role="broker", note=f"leads {_partition_list(led)} · "
                                                     f"follows {_partition_list(follows)}")
    for leader in brokers:
        for follower in brokers:
            replicated = [p for p, members in layout.items()
                          if leaders.get(p) == leader and follower in members
                          and follower != leader]
            if replicated:
                diagram.add_edge(leader, follower, f"replicates {_partition_list(replicated)}",
                                 kind="data")
    return diagram


def placement_table(layout: Mapping[int, tuple[str, ...]],
                    leaders: Mapping[int, str | None]) -> pd.DataFrame:
    """One row per partition, one column per broker: "leader", "follower" or empty."""
    brokers = sorted({b for members in layout.values() for b in members},
                     key=lambda b: int(b.rsplit("-", 1)[-1]) if b[-1].isdigit() else 0)
    rows = {f"P{p}": ["leader" if leaders.get(p) == b else "follower" if b in members else ""
                      for b in brokers] for p, members in layout.items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=brokers)
    table.index.name = "partition"
    return table
