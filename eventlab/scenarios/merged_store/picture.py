"""The pictures of the merged store: the service and its view, and violations per lag."""

from __future__ import annotations

from typing import Any

import pandas as pd

from eventlab.scenarios.merged_store.config import SERVICE, TOPIC, Config
from eventlab.scenarios.merged_store.model import Metric
from eventlab.view import charts, graphs
from eventlab.view.charts import Figure

# Two lines sit at 0: a hollow marker under a cross keeps both visible.
STYLES = (("#1a73e8", "-", "o", 2), ("#f29900", ":", "x", 4), ("#188038", "-", "s", 2),
          ("#d93025", "--", "o", 3))


def lag_chart(table: pd.DataFrame) -> charts.Chart:
    """The table of :func:`lag_table` as lines."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be the DataFrame of lag_table, got {type(table).__name__}")
    figure = Figure(figsize=(6.8, 3.6), layout="constrained")
    axes = figure.add_subplot()
    for column, (colour, line, marker, order) in zip(table.columns, STYLES, strict=False):
        hollow: dict[str, Any] = {"markerfacecolor": "none", "markersize": 10} \
            if order == 3 else {}
        axes.plot(table.index, table[column], color=colour, linestyle=line, marker=marker,
                  zorder=order, label=str(column), **hollow)
    title = "emails registered twice"
    axes.set_title(title)
    axes.set_xlabel(str(table.index.name))
    axes.set_ylabel(Metric.UNIQUENESS_VIOLATIONS)
    axes.grid(alpha=0.3)
    axes.legend(frameon=False, fontsize=8)
    return charts.Chart(figure, title, table)


def diagram(config: Config, trace: pd.DataFrame, metrics: Any) -> graphs.Diagram:
    violations = metrics[Metric.UNIQUENESS_VIOLATIONS]
    kafka = config.store == "kafka"
    where = f"Kafka topic as event store, view lag {config.view_lag:g} ms" if kafka \
        else "event store with expected-version appends"
    diagram = graphs.Diagram(f"{where}: {violations} uniqueness violation(s)")
    kind, actor, entity = trace["kind"], trace["actor"], trace["entity"]
    names = [f"{SERVICE} {i}" if config.instances > 1 else SERVICE
             for i in range(1, config.instances + 1)]
    sink = TOPIC if kafka else "event store"
    diagram.add_node("Customer", role="client")
    diagram.add_node(sink, role="broker" if kafka else "store",
                     note=f"{metrics[Metric.CUSTOMERS_CREATED]} CustomerCreated")
    for name in names:
        mine = actor == name
        asked = int(((kind == "deliver") & mine).sum())
        written = int(((kind == "state") & mine & (entity == "created")).sum())
        refused = int(((kind == "reject") & mine).sum())
        diagram.add_node(name, role="service", note=f"refused ×{refused}")
        diagram.add_edge("Customer", name, f"RegisterCustomer ×{asked}", kind="command")
        if kafka:
            diagram.add_edge(name, sink, f"append CustomerCreated ×{written}", kind="event")
            view_name = f"emails in use ({name})" if config.instances > 1 else "emails in use"
            diagram.add_node(view_name, role="readmodel", note="local view")
            diagram.add_edge(sink, view_name, "consume own topic", kind="data")
            diagram.add_edge(view_name, name, "email taken?", kind="query")
        else:
            diagram.add_edge(name, sink, f"append, expected=no stream ×{written}", kind="data")
            if refused:
                diagram.add_edge(sink, name, f"ConcurrencyError ×{refused}", kind="query")
    return diagram
