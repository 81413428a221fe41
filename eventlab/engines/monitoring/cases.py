"""Rebuild the flow of each business case from a trace, as the companion code's monitor does.

flowing-retail's monitor consumes every message, keeps ``Map<traceId, List<PastEvent>>`` and
shows one row per traceId with its messages as coloured boxes (red for commands). These
functions do the same with any trace (times in the trace's unit, hours for the retail runs):

* :func:`message_log`: one row per message sent: the raw log a monitor sees;
* :func:`by_trace`: one row per traceId: first and last time, count, the flow as text;
* :func:`pivot`: traceId × message type → when it was first seen;
* :func:`stuck`: cases that never reached a final message and went quiet too long ago.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from eventlab.core.errors import ConfigError, check_float, check_text

_NEEDED = ("kind", "time", "actor", "message_id", "message_type", "message_kind",
           "correlation_id", "key", "size")


def _check_trace(trace: object) -> pd.DataFrame:
    if not isinstance(trace, pd.DataFrame):
        raise TypeError(f"trace must be a pandas DataFrame, got {type(trace).__name__}")
    missing = [c for c in _NEEDED if c not in trace.columns]
    if missing:
        raise ConfigError(f"trace is missing column(s) {missing}; pass a run's .trace")
    return trace


def message_log(trace: pd.DataFrame) -> pd.DataFrame:
    """One row per message sent: time, traceId, type, event/command, sender, key, size."""
    rows = _check_trace(trace)
    sent = rows[(rows["kind"] == "send") & rows["message_type"].notna()
                & rows["correlation_id"].notna()]
    out = sent[["time", "correlation_id", "message_type", "message_kind", "actor", "key",
                "size", "message_id"]].rename(columns={"actor": "sender"})
    return out.reset_index(drop=True)


def by_trace(trace: pd.DataFrame) -> pd.DataFrame:
    """The monitor's view: one row per traceId with its messages in order."""
    log = message_log(trace)
    groups = log.groupby("correlation_id", sort=False)
    table = pd.DataFrame({
        "first": groups["time"].min(), "last": groups["time"].max(),
        "messages": groups.size(), "commands": groups["message_kind"].apply(
            lambda kinds: int((kinds == "command").sum())),
        "last message": groups["message_type"].last(),
        "flow": groups["message_type"].agg(lambda types: " → ".join(map(str, types))),
    })
    table.index.name = "traceId"
    return table


def pivot(trace: pd.DataFrame, *, types: Sequence[str] | None = None) -> pd.DataFrame:
    """traceId × message type: the time each type was first seen (NaN: never)."""
    log = message_log(trace)
    table = log.pivot_table(index="correlation_id", columns="message_type", values="time",
                            aggfunc="min", observed=True, sort=False)
    if types is not None:
        if isinstance(types, str):
            raise TypeError(f"types must be a list of message types, got {types!r}")
        table = table.reindex(columns=list(types))
    table.index.name, table.columns.name = "traceId", None
    return table


def stuck(trace: pd.DataFrame, *, done: Sequence[str] = ("OrderCompletedEvent",),
          after: float = 24.0, now: float | None = None) -> pd.DataFrame:
    """Cases without any `done` message whose last message is more than `after` ago.

    `now` defaults to the trace's last time. Without a model this is all a log can say:
    *that* a case went quiet, not what should have happened next.
    """
    if isinstance(done, str) or not isinstance(done, Sequence):
        raise TypeError(f"done must be a list of final message types, got {done!r}")
    for name in done:
        check_text("done message type", name)
    check_float("after", after, low=0.0)
    log = message_log(trace)
    end = float(trace["time"].max()) if len(trace) else 0.0
    now = end if now is None else check_float("now", now, low=0.0)
    cases = by_trace(trace)
    finished = set(log.loc[log["message_type"].isin(list(done)), "correlation_id"])
    quiet = cases[~cases.index.isin(list(finished)) & (now - cases["last"] > after)]
    out = quiet[["last message", "last"]].rename(columns={"last": "last time"})
    out["idle hours"] = (now - out["last time"]).round(3)
    return out


EXPORT_COLUMNS: tuple[str, ...] = ("traceId", "timestamp", "messageType", "kind", "sender")
EPOCH = "2019-09-10 08:00:00"  # the day of flowing-retail's 2019 commit: hours count from here


def export_log(trace: pd.DataFrame, *, start: str = EPOCH) -> pd.DataFrame:
    """The monitor's export of a run: one row per message as the companion code's monitor
    keeps it (``PastEvent``: traceId, time, name, event/command, sender), with the run's
    hours turned into ISO timestamps (to the second) counted from `start`."""
    check_text("start", start)
    try:
        origin = pd.Timestamp(start)
    except ValueError:
        raise ConfigError(f"start must be an ISO date and time, got {start!r}") from None
    log = message_log(trace)
    stamps = origin + pd.to_timedelta(log["time"].to_numpy(), unit="h")
    return pd.DataFrame({
        "traceId": log["correlation_id"].astype(str).to_numpy(),
        "timestamp": pd.DatetimeIndex(stamps).round("s").strftime("%Y-%m-%dT%H:%M:%S"),
        "messageType": log["message_type"].astype(str).to_numpy(),
        "kind": log["message_kind"].astype(str).to_numpy(),
        "sender": log["sender"].astype(str).to_numpy(),
    }, columns=list(EXPORT_COLUMNS))
