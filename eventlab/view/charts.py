"""Charts for the notebooks: small functions that return a :class:`Chart`.

A Chart wraps a matplotlib Figure built with the object API (no pyplot state, so a chart never
leaks into the next cell). Jupyter shows it as a PNG; its text form is the title and the data
table drawn, which is stable, readable without images, and what notebook tests compare.
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.figure import Figure

from eventlab.core.errors import check_text

# Scenarios draw their own figures; they take Figure from here so that matplotlib is
# imported in the view layer only.
__all__ = ["Chart", "Figure", "intervals", "lines"]


class Chart:
    """A figure plus its text alternative: the title and, when given, the table it draws."""

    def __init__(self, figure: Figure, title: str, table: pd.DataFrame | None = None) -> None:
        self.figure = figure
        self.title = title
        self.table = table

    def png(self) -> bytes:
        """The chart rendered as PNG bytes."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png()

    def __repr__(self) -> str:
        if self.table is None:
            return f"Chart: {self.title}"
        return f"Chart: {self.title}\n{self.table.to_string()}"


def lines(table: pd.DataFrame, *, title: str, ylabel: str, xlabel: str | None = None) -> Chart:
    """One line per column of `table` against its index (for example a pivoted sweep)."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    check_text("title", title)
    check_text("ylabel", ylabel)
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = figure.add_subplot()
    for column in table.columns:
        axes.plot(table.index, table[column], marker="o", label=str(column))
    axes.set_title(title)
    axes.set_xlabel(xlabel or str(table.index.name or ""))
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.legend(title=str(table.columns.name or ""), frameon=False)
    return Chart(figure, title, table)


INTERVAL_COLUMNS = ("side", "metric", "mean", "low", "high")


def intervals(table: pd.DataFrame, *, title: str,
              labels: dict[str, str] | None = None) -> Chart:
    """Means with their confidence intervals: one small panel per metric, a bar per side.

    `table` is :meth:`eventlab.core.comparison.Comparison.table` (side, metric, mean, low,
    high); `labels` renames metrics for the panel titles. Sides keep their order top to bottom,
    so two sides whose bars do not overlap are told apart at a glance."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in INTERVAL_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"table needs the columns {', '.join(INTERVAL_COLUMNS)}; "
                         f"missing {', '.join(missing)} (pass Comparison.table())")
    if table.empty:
        raise ValueError("table has no rows to draw")
    check_text("title", title)
    names = labels or {}
    metrics = list(dict.fromkeys(table["metric"]))
    sides = list(dict.fromkeys(table["side"]))
    columns = min(len(metrics), 3)
    rows = -(-len(metrics) // columns)
    figure = Figure(figsize=(3.2 * columns, 0.5 + (0.45 * len(sides) + 0.7) * rows),
                    layout="constrained")
    for number, metric in enumerate(metrics, start=1):
        axes = figure.add_subplot(rows, columns, number)
        part = table[table["metric"] == metric].set_index("side").reindex(sides)
        y = list(range(len(sides)))[::-1]
        errors = [part["mean"] - part["low"], part["high"] - part["mean"]]
        axes.errorbar(part["mean"], y, xerr=errors, fmt="o", capsize=4, color="#1f5f99")
        axes.set_yticks(y, [str(s) for s in sides] if number % columns == 1 or columns == 1
                        else [""] * len(sides))
        axes.set_title(names.get(metric, metric.replace("_", " ")), fontsize=10)
        axes.grid(axis="x", alpha=0.3)
        axes.set_ylim(-0.6, len(sides) - 0.4)
    figure.suptitle(title)
    shown = table[list(INTERVAL_COLUMNS)].round(3).set_index(["metric", "side"])
    return Chart(figure, title, shown)
