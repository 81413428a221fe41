"""Distributed tracing, read from a run's trace: one span per message a service handled.

An instrumentation library (OpenTelemetry, say) wraps each service's message handler. A span
starts when the handler receives a message and ends when the handler has sent its reaction;
the trace context travels in a header of every message, so all spans of one business case
share a trace id. A span is exported to the tracing backend when it ends, and an alert rule
there compares its duration with a limit.

Here the spans come from the trace rows the instrumentation would wrap: the ``deliver`` of a
handled message starts a span, the service's first ``send`` *caused by* that message
(``causation_id``) ends it. A handler that never sends its reaction (it crashed, it lost the
message) leaves a span that never ends: it is never exported, and the backend never learns
that the case stopped. That is why tracing shows slow steps, but not stuck ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from eventlab.core.errors import ConfigError, check_float, check_text

SPAN_COLUMNS: tuple[str, ...] = ("trace_id", "service", "handles", "message_id", "start",
                                 "end", "duration")
# W3C trace context: "traceparent: 00-<32 hex trace id>-<16 hex span id>-01" on every message.
TRACEPARENT_BYTES = len("traceparent") + len("00-" + "0" * 32 + "-" + "0" * 16 + "-01")


def _handlers(handlers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(handlers, str | bytes) or not isinstance(handlers, Iterable):
        raise TypeError(f"handlers must be (service, message type) pairs, got {handlers!r}")
    out: list[tuple[str, str]] = []
    for pair in handlers:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"each handler must be a (service, message type) pair, got {pair!r}")
        out.append((check_text("handler service", pair[0]),
                    check_text("handler message type", pair[1])))
    if not out:
        raise ConfigError("handlers must name at least one (service, message type) pair")
    return out


def spans(trace: pd.DataFrame, handlers: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """One row per message a listed handler received: when its span started and ended.

    `handlers` are (service, message type) pairs, e.g. ``("Inventory",
    "PaymentReceivedEvent")``. ``end`` and ``duration`` are NaN for a span that never ended.
    Rows are in the order the messages arrived.
    """
    if not isinstance(trace, pd.DataFrame):
        raise TypeError(f"trace must be a pandas DataFrame, got {type(trace).__name__}")
    wanted = _handlers(handlers)
    missing = [c for c in ("kind", "time", "actor", "message_id", "message_type",
                           "correlation_id", "causation_id") if c not in trace.columns]
    if missing:
        raise ConfigError(f"trace is missing column(s) {missing}; pass a run's .trace")
    delivered = trace[trace["kind"] == "deliver"]
    pairs = pd.Series(list(zip(delivered["actor"], delivered["message_type"], strict=True)),
                      index=delivered.index, dtype=object)
    started = delivered[pairs.isin(wanted)]
    sent = trace[(trace["kind"] == "send") & trace["causation_id"].notna()]
    # Each reaction of a service to a message (several sends at one moment are one reaction),
    # in time order: a message handled twice (a duplicate) gets two spans, each ended by the
    # first reaction at or after its own arrival that no earlier span took.
    reactions: dict[tuple[str, str], list[float]] = {}
    for actor, cause, time in zip(sent["actor"], sent["causation_id"], sent["time"],
                                  strict=True):
        times = reactions.setdefault((str(actor), str(cause)), [])
        if not times or times[-1] != float(time):
            times.append(float(time))
    taken: dict[tuple[str, str], int] = {}
    rows = []
    for actor, mtype, mid, corr, time in zip(started["actor"], started["message_type"],
                                             started["message_id"], started["correlation_id"],
                                             started["time"], strict=True):
        key, begin = (str(actor), str(mid)), float(time)
        times, next_free = reactions.get(key, []), taken.get(key, 0)
        while next_free < len(times) and times[next_free] < begin:
            next_free += 1
        end = times[next_free] if next_free < len(times) else float("nan")
        taken[key] = next_free + 1
        rows.append((str(corr), str(actor), str(mtype), str(mid), begin, end, end - begin))
    return pd.DataFrame(rows, columns=list(SPAN_COLUMNS))


def slow_spans(table: pd.DataFrame, limits: Mapping[tuple[str, str], float], *,
               export_delay: float = 0.0) -> pd.DataFrame:
    """The alerts a tracing backend raises: every ended span longer than its handler's limit,
    alerted when the span arrives (its end plus `export_delay`).

    `limits` maps (service, message type) to the longest acceptable duration; spans of other
    handlers, and spans that never ended, raise nothing."""
    if not isinstance(table, pd.DataFrame) or list(table.columns) != list(SPAN_COLUMNS):
        raise TypeError("table must be the DataFrame that spans() returns")
    if not isinstance(limits, Mapping):
        raise TypeError(f"limits must map (service, message type) to hours, got {limits!r}")
    for handler, hours in limits.items():
        _handlers([handler])
        check_float(f"limit of {handler}", hours, low=0.0)
    check_float("export_delay", export_delay, low=0.0)
    limit = pd.Series([limits.get((s, h), float("nan")) for s, h in
                       zip(table["service"], table["handles"], strict=True)],
                      index=table.index, dtype="float64")
    late = table[table["end"].notna() & limit.notna() & (table["duration"] > limit)]
    out = late[["trace_id", "service", "handles", "start", "end", "duration"]].copy()
    out["limit"] = limit[late.index]
    out["alerted at"] = out["end"] + export_delay
    return out.reset_index(drop=True)
