"""Small helpers the Zeebe scenarios share: percentiles, request tables, time bins."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from eventlab.core.errors import check_float


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0–100) with linear interpolation; NaN for no values."""
    check_float("q", q, low=0.0, high=100.0)
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def per_second(count: int, duration_ms: float) -> float:
    """A count over `duration_ms` milliseconds as a rate per second."""
    return count * 1000.0 / duration_ms if duration_ms > 0 else 0.0


def rounded(value: float, digits: int = 3) -> float:
    """Round for a metrics table; NaN stays NaN."""
    return value if math.isnan(value) else round(value, digits)


def binned(frame: pd.DataFrame, time_column: str, bin_ms: float,
           by: Sequence[str]) -> pd.DataFrame:
    """Counts per time bin (rows) and per combination of `by` columns (columns)."""
    check_float("bin_ms", bin_ms, low=1.0)
    if frame.empty:
        return pd.DataFrame()
    start = (frame[time_column] // bin_ms * bin_ms).rename("time")
    table = frame.groupby([start, *[frame[c] for c in by]]).size().unstack(list(by),
                                                                          fill_value=0)
    return table.sort_index(axis=1)
