"""What a CRM run measured: the summary metrics and the table per consumer.

Message counts and bytes come from the trace; what only the model can know (which version
of an address a consumer holds, how long each change took to reach it) comes from the
consumers' own bookkeeping during the run.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pandas as pd

from eventlab.domains.crm.consumers import Holder
from eventlab.domains.crm.model import Model

WIRE = ("crm-events", "crm-api")  # the traffic between the CRM and its consumers


def _mean(values: list[float]) -> float | str:
    return round(sum(values) / len(values), 3) if values else "—"


def _max(values: list[float]) -> float | str:
    return round(max(values), 3) if values else "—"


def _share(part: int, whole: int) -> float | str:
    return round(100.0 * part / whole, 1) if whole else "—"


def stale_copies(model: Model, holder: Holder) -> int:
    """Address copies of `holder` that differ from the CRM's at the end of the run."""
    if "address" not in holder.spec.cares_about:
        return 0
    return sum(holder.copy[c]["address"] != model.records[c]["address"] for c in model.records)


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    CHANGES_ACCEPTED_BY_CRM = "changes accepted by the CRM"
    EVENTS_PUBLISHED = "events published"
    EVENT_COPIES_DELIVERED = "event copies delivered"
    DUPLICATE_COPIES_DELIVERED = "duplicate copies delivered"
    BYTES_ON_WIRE = "bytes on the wire"
    MEAN_EVENT_SIZE_BYTES = "mean event size (bytes)"
    CALLBACKS = "callbacks to the CRM"
    LOOK_UPS_SENT_TO_CRM = "look-ups sent to the CRM"
    CRM_QUERIES_ASKED_PER_SECOND = "CRM queries asked per second"
    CRM_QUERIES_PER_SECOND = "CRM queries answered per second"
    CRM_BUSY_PCT = "CRM busy (%)"
    MEAN_QUERIES_AT_CRM = "mean queries at the CRM"
    MEAN_WAIT_AT_CRM_MS = "mean wait in the CRM's queue (ms)"
    FAILED_CALLS_CRM_DOWN = "failed calls (CRM down)"
    MEAN_END_TO_END_LATENCY_MS = "mean end-to-end latency (ms)"
    MAX_END_TO_END_LATENCY_MS = "max end-to-end latency (ms)"
    LOOK_UPS = "look-ups"
    LOOK_UPS_FAILED = "look-ups failed"
    LOOK_UPS_STALE = "look-ups answered with stale data"
    LOOK_UPS_WHILE_CRM_DOWN = "look-ups while the CRM was down"
    ANSWERED_WHILE_CRM_DOWN_PCT = "answered while the CRM was down (%)"
    EVENTS_PARSED_BUT_NOT_NEEDED = "events parsed but not needed"
    CONSUMERS_PARSING_UNNEEDED = "consumers parsing events they don't need"
    OUT_OF_ORDER_EVENTS_DETECTED = "out-of-order events detected"
    SILENT_STALE_OVERWRITES = "silent stale overwrites"
    STALE_ADDRESS_COPIES_AT_END = "stale address copies at the end"
    REACTIONS_TO_REAL_MOVES = "reactions to real moves"
    REACTIONS_TO_TYPO_FIXES = "reactions to typo fixes"
    REACTIONS_TO_STALE_DATA = "reactions to stale or repeated data"


def crm_queue(trace: pd.DataFrame, duration: float) -> dict[str, float]:
    """How loaded the CRM's API was during the first `duration` ms, from the trace.

    The API takes queries one at a time in arrival order, so each query starts when it has
    arrived and the one before it is done: its wait is the time in between. Counted over the
    run's `duration`: queries that arrived per second, answered queries per second (never
    more than the CRM can answer),
    the share of the time the CRM spent answering (it finishes what it accepted even after
    it goes down), the time-averaged number of queries at the CRM (waiting or being
    answered), and the mean wait before an answer starts."""
    kind, actor, channel = trace["kind"], trace["actor"], trace["channel"]
    api = trace[(channel == "crm-api") & (((kind == "deliver") & (actor == "CRM"))
                                          | ((kind == "send") & (actor == "CRM")))]
    arrived: dict[str, float] = {}
    queries: list[tuple[float, float, bool]] = []  # arrival, reply, answered with data
    for row_kind, time, message_id, cause, mtype in zip(
            api["kind"], api["time"], api["message_id"], api["causation_id"],
            api["message_type"], strict=True):
        if row_kind == "deliver":
            arrived[str(message_id)] = float(time)
        else:
            queries.append((arrived.pop(str(cause)), float(time), mtype == "CustomerData"))
    queries.sort()
    busy = waited = 0.0
    answered = 0
    done = 0.0  # when the query before was finished
    steps: list[tuple[float, int]] = []  # (time, +1 arrives / -1 leaves)
    for arrival, reply, data in queries:
        start = max(arrival, done)
        done = reply
        if data:
            waited += start - arrival
            if reply <= duration:
                answered += 1
            busy += max(min(reply, duration) - min(start, duration), 0.0)
        steps += [(arrival, 1), (reply, -1)]
    area = level = 0.0
    last = 0.0
    for time, change in sorted(steps):
        if time > duration:
            break
        area += level * (time - last)
        level, last = level + change, time
    area += level * (duration - last)
    n = sum(data for _, _, data in queries)
    asked = sum(arrival <= duration for arrival, _, _ in queries)
    return {"asked": round(asked / (duration / 1000.0), 2),
            "per second": round(answered / (duration / 1000.0), 2),
            "busy": round(100.0 * busy / duration, 1),
            "at crm": round(area / duration, 3),
            "wait": round(waited / n, 3) if n else 0.0}


def metrics(model: Model, trace: pd.DataFrame) -> dict[str, Any]:
    """The summary of one run, in the order the notebook discusses it."""
    kind, channel = trace["kind"], trace["channel"]
    sent = trace[(kind == "send") & (channel == "crm-events")]
    copies = trace[(kind == "deliver") & (channel == "crm-events")]
    wire = trace[(kind == "deliver") & channel.isin(list(WIRE))]
    holders = list(model.holders.values())

    def total(name: str) -> int:
        return sum(h.counts[name] for h in holders)

    windows = [w for h in holders for w in h.windows]
    load = crm_queue(trace, model.config.duration)
    return {
        Metric.CHANGES_ACCEPTED_BY_CRM: len(model.changes),
        Metric.EVENTS_PUBLISHED: len(sent),
        Metric.EVENT_COPIES_DELIVERED: len(copies),
        Metric.DUPLICATE_COPIES_DELIVERED: int((copies["detail"] == "redelivered").sum()),
        Metric.BYTES_ON_WIRE: int(wire["size"].sum()),
        Metric.MEAN_EVENT_SIZE_BYTES: _mean([float(s) for s in sent["size"]]),
        Metric.CALLBACKS: total("callbacks"),
        Metric.LOOK_UPS_SENT_TO_CRM: total("look-ups sent"),
        Metric.CRM_QUERIES_ASKED_PER_SECOND: load["asked"],
        Metric.CRM_QUERIES_PER_SECOND: load["per second"],
        Metric.CRM_BUSY_PCT: load["busy"],
        Metric.MEAN_QUERIES_AT_CRM: load["at crm"],
        Metric.MEAN_WAIT_AT_CRM_MS: load["wait"],
        Metric.FAILED_CALLS_CRM_DOWN: total("failed calls"),
        Metric.MEAN_END_TO_END_LATENCY_MS: _mean(windows),
        Metric.MAX_END_TO_END_LATENCY_MS: _max(windows),
        Metric.LOOK_UPS: total("look-ups"),
        Metric.LOOK_UPS_FAILED: total("look-ups failed"),
        Metric.LOOK_UPS_STALE: total("look-ups stale"),
        Metric.LOOK_UPS_WHILE_CRM_DOWN: total("look-ups down"),
        Metric.ANSWERED_WHILE_CRM_DOWN_PCT: _share(total("answered down"),
                                                      total("look-ups down")),
        Metric.EVENTS_PARSED_BUT_NOT_NEEDED: total("not needed"),
        Metric.CONSUMERS_PARSING_UNNEEDED: sum(h.counts["not needed"] > 0
                                                        for h in holders),
        Metric.OUT_OF_ORDER_EVENTS_DETECTED: total("out of order"),
        Metric.SILENT_STALE_OVERWRITES: total("overwrites"),
        Metric.STALE_ADDRESS_COPIES_AT_END: sum(stale_copies(model, h) for h in holders),
        Metric.REACTIONS_TO_REAL_MOVES: total("moves"),
        Metric.REACTIONS_TO_TYPO_FIXES: total("typo fixes"),
        Metric.REACTIONS_TO_STALE_DATA: total("stale reactions"),
    }


def per_consumer(model: Model) -> pd.DataFrame:
    """One row per consumer: what it cares about, what it got, how stale it was."""
    rows = []
    for name, h in model.holders.items():
        c = h.counts
        rows.append({
            "consumer": name, "cares about": ", ".join(h.spec.cares_about),
            "subscribes to": ", ".join(h.subscribed), "events": c["events"],
            "not needed": c["not needed"], "callbacks": c["callbacks"],
            "failed calls": c["failed calls"],
            "mean staleness window (ms)": _mean(h.windows),
            "max staleness window (ms)": _max(h.windows),
            "look-ups": c["look-ups"], "look-ups failed": c["look-ups failed"],
            "look-ups stale": c["look-ups stale"],
            "out of order detected": c["out of order"], "silent overwrites": c["overwrites"],
            "stale copies at the end": stale_copies(model, h),
            "reactions to typo fixes": c["typo fixes"],
            "reactions to stale data": c["stale reactions"],
        })
    return pd.DataFrame(rows).set_index("consumer")
