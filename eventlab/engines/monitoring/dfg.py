"""The directly-follows graph (DFG) of any event log, as process mining draws it first.

Sort each case's events by time; every pair of consecutive activities ``a → b`` is one
occurrence of the edge (a, b), and the time between them is its duration. The result is a
table with one row per edge: ``from``, ``to``, ``count`` and the mean, median and longest
duration. Ties in time keep the order the rows have in the log. Durations are in the unit of
the timestamp column (hours in eventlab's traces); a datetime column gives hours.

``directly_follows(monitoring.message_log(trace))`` is the DFG of a run's messages;
``from_csv("log.csv", case=..., activity=..., timestamp=...)`` reads any exported log;
:func:`eventlab.view.dfg.dfg_diagram` draws the table.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from eventlab.core import files
from eventlab.core.errors import ConfigError, check_bool, check_text

COLUMNS: tuple[str, ...] = ("from", "to", "count", "mean_duration", "median_duration",
                            "max_duration")
START, END = "▶ start", "■ end"


def _check(log: object, case: str, activity: str, timestamp: str) -> pd.DataFrame:
    if not isinstance(log, pd.DataFrame):
        raise TypeError(f"log must be a pandas DataFrame, got {type(log).__name__}")
    for name, column in (("case", case), ("activity", activity), ("timestamp", timestamp)):
        check_text(name, column)
        if column not in log.columns:
            raise ConfigError(f"{name}={column!r} is not a column of the log; columns: "
                              f"{', '.join(map(str, log.columns))}")
    if len({case, activity, timestamp}) < 3:
        raise ConfigError(f"case, activity and timestamp must be three different columns, got "
                          f"{case!r}, {activity!r}, {timestamp!r}")
    for name, column in (("case", case), ("activity", activity), ("timestamp", timestamp)):
        missing = log[column].isna()
        if missing.any():
            raise ConfigError(f"{name} column {column!r} has {int(missing.sum())} missing "
                              f"value(s), first in row {missing.idxmax()!r}; keep only the "
                              "rows of the log you mean (e.g. monitoring.message_log(trace))")
    return log


def _hours(values: pd.Series, column: str) -> pd.Series:
    if values.empty:
        return values.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(values):
        hours: pd.Series = (values - values.min()) / pd.Timedelta(hours=1)
        return hours
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise ConfigError(f"timestamp column {column!r} must hold numbers or datetimes, "
                          f"got dtype {values.dtype}")
    return values.astype("float64")


def directly_follows(log: pd.DataFrame, *, case: str = "correlation_id",
                     activity: str = "message_type", timestamp: str = "time",
                     endpoints: bool = False) -> pd.DataFrame:
    """The DFG of `log`: one row per (from, to) pair, most frequent first.

    `endpoints` adds ``▶ start → first activity`` and ``last activity → ■ end`` per case
    (duration 0), which shows where cases begin and stop.
    """
    _check(log, case, activity, timestamp)
    check_bool("endpoints", endpoints)
    # Order on the timestamps themselves (nanoseconds for datetimes): hours as floats can make
    # two events a moment apart equal, and the tie would then fall back to the log's order.
    # Real ties keep the log's order, as process-mining tools do.
    stamps = log[timestamp]
    order = stamps.astype("int64") if pd.api.types.is_datetime64_any_dtype(stamps) else stamps
    events = pd.DataFrame({"case": log[case].to_numpy(), "activity": log[activity].astype(str),
                           "t": _hours(stamps, timestamp).to_numpy(),
                           "order": order.to_numpy(), "row": range(len(log))})
    events = events.sort_values(["case", "order", "row"], kind="stable")
    nxt = events.groupby("case", sort=False)[["activity", "t"]].shift(-1)
    pairs = pd.DataFrame({"from": events["activity"], "to": nxt["activity"],
                          "d": nxt["t"] - events["t"]}).dropna(subset=["to"])
    if endpoints:
        first = events.drop_duplicates("case", keep="first")
        last = events.drop_duplicates("case", keep="last")
        pairs = pd.concat([
            pd.DataFrame({"from": START, "to": first["activity"], "d": 0.0}), pairs,
            pd.DataFrame({"from": last["activity"], "to": END, "d": 0.0})])
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if "duration" in c else
                                          "int64" if c == "count" else "object")
                             for c in COLUMNS})
    stats = pd.DataFrame(pairs.groupby(["from", "to"], sort=True)["d"].agg(
        count="size", mean_duration="mean", median_duration="median", max_duration="max"))
    table = stats.reset_index().sort_values(["count", "from", "to"],
                                            ascending=[False, True, True], kind="stable")
    table["count"] = table["count"].astype("int64")
    return table.reset_index(drop=True)[list(COLUMNS)]


def read_log(path: str | PathLike[str], *, case: str, activity: str, timestamp: str,
             sep: str = ",") -> pd.DataFrame:
    """Read an event log CSV; the timestamp column becomes numbers or datetimes."""
    file = files.existing_file(path)
    check_text("sep", sep)
    log = files.read_csv(file, sep=sep)
    _check(log, case, activity, timestamp)
    raw = log[timestamp]
    numbers = pd.to_numeric(raw, errors="coerce")
    if numbers.notna().all():
        log[timestamp] = numbers
        return log
    dates = pd.to_datetime(raw, errors="coerce", format="ISO8601")
    if dates.notna().all():
        log[timestamp] = dates
        return log
    bad = raw[numbers.isna() & dates.isna()]
    raise ConfigError(f"timestamp column {timestamp!r} must hold numbers or ISO dates; row "
                      f"{bad.index[0]} has {bad.iloc[0]!r}")


def from_csv(path: str | PathLike[str], *, case: str, activity: str, timestamp: str,
             sep: str = ",", endpoints: bool = False) -> pd.DataFrame:
    """:func:`directly_follows` of the event log in a CSV file."""
    log = read_log(path, case=case, activity=activity, timestamp=timestamp, sep=sep)
    return directly_follows(log, case=case, activity=activity, timestamp=timestamp,
                            endpoints=endpoints)


MONITOR_COLUMNS: tuple[str, ...] = ("traceId", "timestamp", "messageType", "kind", "sender")
MONITOR_KINDS: tuple[str, ...] = ("event", "command")


def read_monitor_log(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a monitor export (:func:`~eventlab.engines.monitoring.cases.export_log`) and check it:
    exactly the columns traceId, timestamp, messageType, kind, sender; no empty field; every
    kind ``event`` or ``command``; ISO timestamps (returned as datetimes); sorted by time
    within each trace. A problem raises one line naming the row and the value."""
    log = read_log(path, case="traceId", activity="messageType", timestamp="timestamp")
    columns = list(log.columns)
    if columns != list(MONITOR_COLUMNS):
        raise ConfigError(f"{Path(path).name}: columns must be {', '.join(MONITOR_COLUMNS)}; "
                          f"got {', '.join(map(str, columns))}")
    if not pd.api.types.is_datetime64_any_dtype(log["timestamp"]):
        raise ConfigError(f"{Path(path).name}: timestamps must be ISO dates and times, got "
                          f"{log['timestamp'].iloc[0]!r} in row 0")
    for column in ("kind", "sender"):
        empty = log[column].isna()
        if empty.any():
            raise ConfigError(f"{Path(path).name}: row {empty.idxmax()} has no {column}")
    bad = log[~log["kind"].isin(list(MONITOR_KINDS))]
    if len(bad):
        raise ConfigError(f"{Path(path).name}: row {bad.index[0]} has kind "
                          f"{bad['kind'].iloc[0]!r}; allowed: {', '.join(MONITOR_KINDS)}")
    back = log.groupby("traceId", sort=False)["timestamp"].diff() < pd.Timedelta(0)
    if back.any():
        where = int(back.to_numpy().argmax())
        raise ConfigError(f"{Path(path).name}: row {where} ({log['traceId'].iloc[where]}) is "
                          "earlier than the row before it in the same trace")
    return log
