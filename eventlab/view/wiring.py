"""The picture of a :class:`~eventlab.engines.workflow.wiring.Wiring`: services and messages.

Commands and events keep the workbook's one arrow convention (see :mod:`eventlab.view.graphs`);
with a trace, each arrow says how many copies arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import pandas as pd

from eventlab.engines.workflow.wiring import Wiring
from eventlab.view.graphs import Diagram

NOBODY = "(nobody listens)"
CHANGED = {"fillcolor": "#fde293", "penwidth": "2.5", "color": "#b06000"}
NEW = {"fillcolor": "#ceead6", "penwidth": "2.5", "color": "#188038",
       "style": "rounded,filled,dashed"}



def diagram(wiring: Wiring, trace: pd.DataFrame | None = None, *, title: str | None = None,
            changed: Iterable[str] = (), new: Iterable[str] = (),
            highlight: tuple[str, str] | None = None) -> Diagram:
    """Services and messages; with a trace each arrow says how many copies arrived.

    `highlight` = (producer, message type) marks that message's arrows (playback)."""
    changed, new = set(changed), set(new)
    picture = Diagram(title or wiring.name)
    counts = _deliveries(trace)
    nodes = dict.fromkeys([*wiring.sources.values(), *wiring.services])
    for name in nodes:
        role = "service" if name in wiring.services else "client"
        style = NEW if name in new else CHANGED if name in changed else {}
        parts = ["orchestrator"] if name in wiring.orchestrators else []
        parts += ["new"] if name in new else ["changed"] if name in changed else []
        note = ", ".join(parts)
        picture.add_node(name, role=role, note=note, **style)
    for message_type in wiring.message_types():
        kind = wiring.kind_of(message_type)
        consumers = wiring.consumers(message_type) or [NOBODY]
        for producer in wiring.producers(message_type):
            for consumer in consumers:
                if consumer == NOBODY and NOBODY not in nodes:
                    nodes[NOBODY] = None
                    picture.add_node(NOBODY, role="client", style="dashed")
                n = counts.get((producer, consumer, message_type))
                label = f"{message_type} ×{n}" if n else message_type
                picture.add_edge(producer, consumer, label, kind=kind,
                                 highlight=highlight == (producer, message_type),
                                 style="dashed" if consumer == NOBODY else "solid")
    return picture


def _deliveries(trace: pd.DataFrame | None) -> dict[tuple[str, str, str], int]:
    if trace is None:
        return {}
    if not isinstance(trace, pd.DataFrame):
        raise TypeError(f"trace must be a pandas DataFrame, got {type(trace).__name__}")
    rows = trace[trace["kind"] == "deliver"]
    counts = rows.groupby(["target", "actor", "message_type"], observed=True).size()
    out: dict[tuple[str, str, str], int] = {}
    for group, n in counts.items():
        parts: tuple[Any, ...] = cast(tuple[Any, ...], group)
        out[(str(parts[0]), str(parts[1]), str(parts[2]))] = int(n)
    return out
