"""The pictures of the year of refactorings: the dependency graph and the broken-consumer chart."""

from __future__ import annotations

import pandas as pd

from eventlab.scenarios.shared_store.config import (
    INTERNAL,
    MODES,
    PUBLIC,
    PUBLIC_OF,
    SERVICE,
    STORE,
    TOPIC,
    TRANSLATOR,
    Config,
)
from eventlab.scenarios.shared_store.model import uses
from eventlab.view import graphs
from eventlab.view.charts import Chart, Figure


def diagram(config: Config, trace: pd.DataFrame) -> graphs.Diagram:
    transport = config.mode == "transport"
    faults = trace[trace["kind"] == "fault"]
    broke = faults.groupby("actor", sort=False).size()
    notes = trace[trace["kind"] == "note"]
    refactorings = int((notes["entity"] == "refactoring").sum())
    title = "Kafka as transport: public events" if transport else \
        "shared event store: consumers read internal events"
    diagram = graphs.Diagram(f"{title} ({int(broke.sum())} breakages in {config.days} days)")
    reads = uses(config)  # the same draw as the run: who reads what
    diagram.add_node(SERVICE, role="service", note=f"{refactorings} refactorings")
    diagram.add_node(STORE, role="store", note=f"{len(INTERNAL)} internal event types")
    diagram.add_edge(SERVICE, STORE, "append internal events", kind="data")
    source = STORE
    if transport:
        diagram.add_node(TRANSLATOR, role="service", note=f"mapping updated ×{refactorings}")
        diagram.add_node(TOPIC, role="broker", note=f"{len(PUBLIC)} public event types")
        diagram.add_edge(STORE, TRANSLATOR, "internal events", kind="data")
        diagram.add_edge(TRANSLATOR, TOPIC, "public events", kind="event")
        source = TOPIC
    for consumer, internal in reads.items():
        read = list(dict.fromkeys(PUBLIC_OF[e] for e in internal)) if transport else internal
        n = int(broke.get(consumer, 0))
        diagram.add_node(consumer, role="service", note=f"broke ×{n}")
        diagram.add_edge(source, consumer, ", ".join(read), kind="event")
    return diagram


def step_chart(table: pd.DataFrame, config: Config) -> Chart:
    """Broken consumers per day (one column per mode) as step lines."""
    figure = Figure(figsize=(7.2, 3.2), layout="constrained")
    axes = figure.add_subplot()
    for mode, colour in zip(MODES, ("#d93025", "#1a73e8"), strict=True):
        axes.step(table.index, table[mode], where="post", color=colour,
                  label="shared event store" if mode == "shared" else "Kafka as transport")
    title = f"consumers broken by changes ({config.consumers} consumers)"
    axes.set_title(title)
    axes.set_xlabel("day of the year")
    axes.set_ylabel("consumers broken")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(frameon=False)
    summary = table.agg(["sum", "max"]).rename(index={"sum": "broken-consumer-days (at noon)",
                                                      "max": "most broken at once"})
    return Chart(figure, title, summary)
