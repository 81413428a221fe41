"""The picture of a directly-follows graph (a table made by
:func:`eventlab.engines.monitoring.dfg.directly_follows`)."""

from __future__ import annotations

import pandas as pd

from eventlab.core.catalogue import MessageCatalogue
from eventlab.core.errors import ConfigError, check_choice
from eventlab.domains.retail.messages import RETAIL
from eventlab.engines.monitoring.dfg import END, START
from eventlab.view.graphs import Diagram


def dfg_diagram(dfg: pd.DataFrame, *, title: str = "directly-follows graph",
                unit: str = "h", show: str = "both",
                catalogue: MessageCatalogue | None = RETAIL) -> Diagram:
    """Draw a DFG table: activities as boxes, edges labelled with count and mean duration.

    An edge into an activity the `catalogue` declares is drawn as a command or an event (the
    workbook's arrow convention); any other activity, or every one with ``catalogue=None``, gets
    a plain arrow."""
    if not isinstance(dfg, pd.DataFrame):
        raise TypeError(f"dfg must be a pandas DataFrame, got {type(dfg).__name__}")
    missing = [c for c in ("from", "to", "count", "mean_duration") if c not in dfg.columns]
    if missing:
        raise ConfigError(f"dfg is missing column(s) {missing}; make it with directly_follows()")
    check_choice("show", show, ("count", "duration", "both"))
    picture = Diagram(title)
    nodes = dict.fromkeys([*dfg["from"], *dfg["to"]])
    for name in nodes:
        role = "client" if name in (START, END) else "service"
        picture.add_node(str(name), role=role)
    for tail, head, count, mean in zip(dfg["from"], dfg["to"], dfg["count"],
                                       dfg["mean_duration"], strict=True):
        parts = []
        if show in ("count", "both"):
            parts.append(f"×{count}")
        if show in ("duration", "both") and head != END:
            parts.append(f"⌀ {float(mean):.3g} {unit}")
        kind = catalogue.kind(str(head)) if catalogue is not None and head in catalogue \
            else "plain"
        picture.add_edge(str(tail), str(head), " · ".join(parts), kind=kind)
    return picture
