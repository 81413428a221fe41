"""Charts for the notebooks: small functions that return a matplotlib Figure.

Figures are built with matplotlib's object API (no pyplot state), so a chart never leaks
into the next cell and the same call gives the same picture every time.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from eventlab.errors import check_text


def lines(table: pd.DataFrame, *, title: str, ylabel: str, xlabel: str | None = None) -> Figure:
    """One line per column of `table` against its index (for example a pivoted sweep)."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    check_text("title", title)
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = figure.add_subplot()
    for column in table.columns:
        axes.plot(table.index, table[column], marker="o", label=str(column))
    axes.set_title(title)
    axes.set_xlabel(xlabel or str(table.index.name or ""))
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.legend(title=str(table.columns.name or ""), frameon=False)
    return figure
