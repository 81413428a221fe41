"""What a CRM run measured: the summary metrics and the table per consumer.

Message counts and bytes come from the trace; what only the model can know (which version
of an address a consumer holds, how long each change took to reach it) comes from the
consumers' own bookkeeping during the run.
"""

from __future__ import annotations

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
    seconds = model.config.duration / 1000.0
    return {
        "changes accepted by the CRM": len(model.changes),
        "events published": len(sent),
        "event copies delivered": len(copies),
        "duplicate copies delivered": int((copies["detail"] == "redelivered").sum()),
        "bytes on the wire": int(wire["size"].sum()),
        "mean event size (bytes)": _mean([float(s) for s in sent["size"]]),
        "callbacks to the CRM": total("callbacks"),
        "look-ups sent to the CRM": total("look-ups sent"),
        "CRM queries answered per second": round(model.answered / seconds, 2),
        "failed calls (CRM down)": total("failed calls"),
        "mean end-to-end latency (ms)": _mean(windows),
        "max end-to-end latency (ms)": _max(windows),
        "look-ups": total("look-ups"),
        "look-ups failed": total("look-ups failed"),
        "look-ups answered with stale data": total("look-ups stale"),
        "look-ups while the CRM was down": total("look-ups down"),
        "answered while the CRM was down (%)": _share(total("answered down"),
                                                      total("look-ups down")),
        "events parsed but not needed": total("not needed"),
        "consumers parsing events they don't need": sum(h.counts["not needed"] > 0
                                                        for h in holders),
        "out-of-order events detected": total("out of order"),
        "silent stale overwrites": total("overwrites"),
        "stale address copies at the end": sum(stale_copies(model, h) for h in holders),
        "reactions to real moves": total("moves"),
        "reactions to typo fixes": total("typo fixes"),
        "reactions to stale or repeated data": total("stale reactions"),
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
