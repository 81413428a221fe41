"""Every architecture on the same seeded orders: a scorecard, and what a change request costs.

All runs share one :class:`~eventlab.domains.retail.shop.ShopParams` (same seed, so the same orders
arrive at the same times, the same cards are declined and the same services drop the same
orders), which makes the differences the architecture's doing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import pandas as pd

from eventlab.core.config import resolve
from eventlab.core.errors import check_choice
from eventlab.core.results import RunResult
from eventlab.domains.retail.designs import (
    ARCHITECTURE_NAMES,
    CHANGE_REQUESTS,
    orchestrated_wiring,
    retail_wiring,
)
from eventlab.domains.retail.processes import VARIANTS, tracking_process
from eventlab.domains.retail.shop import Fault, ShopParams
from eventlab.scenarios.retail import chain as chain
from eventlab.scenarios.retail import orchestrated as orchestrated
from eventlab.scenarios.retail.changes import count_changes

COLUMNS = ("sequential choreography", "sequential choreography + tracking",
           "parallel choreography", "orchestration")


def _shared(params: ShopParams | None) -> dict[str, Any]:
    params = resolve(ShopParams, params, what="params")
    if not isinstance(params, ShopParams):
        raise TypeError(f"params must be a ShopParams (or a scenario Config), "
                        f"got {type(params).__name__}")
    return {f.name: getattr(params, f.name) for f in dataclasses.fields(ShopParams)}


def runs(params: ShopParams | None = None, *, variant: str = "baseline",
         faults: Iterable[Fault] = ()) -> dict[str, RunResult]:
    """The four runs of the scorecard, by column name."""
    check_choice("variant", variant, VARIANTS)
    shared, faults = _shared(params), tuple(faults)

    def choreo(style: str, tracking: bool) -> RunResult:
        return chain.run(chain.Config(**shared, style=style, variant=variant,
                                      tracking=tracking), faults=faults)

    return {COLUMNS[0]: choreo("sequential", False), COLUMNS[1]: choreo("sequential", True),
            COLUMNS[2]: choreo("parallel", False),
            COLUMNS[3]: orchestrated.run(orchestrated.Config(**shared, variant=variant),
                                         faults=faults)}


def _row(result: RunResult) -> dict[str, Any]:
    facts = result.facts  # type: ignore[attr-defined]
    m = result.metrics  # chain.Metric: the orchestrated run measures these under the same names
    done = facts["outcome"].isin(["completed", "Order delivered"])
    missing = facts[~done]
    delay = missing["time to detection (h)"].dropna()
    return {
        "orders delivered": int(done.sum()),
        "not delivered, noticed": int(missing["detected"].sum()),
        "not delivered, nobody noticed": int((~missing["detected"]).sum()),
        "mean time to detection (h)": round(float(delay.mean()), 1) if len(delay) else "—",
        "not delivered, nothing left behind": int(  # no money kept, no pick wasted
            ((missing["net charge"] == 0) & (missing["wasted picks"] == 0)).sum()),
        "mean lead time (h)": m[chain.Metric.MEAN_LEAD_TIME_H],
        "p90 lead time (h)": m[chain.Metric.P90_LEAD_TIME_H],
        "wasted picks": m[chain.Metric.WASTED_PICKS],
        "returned picks": m[chain.Metric.RETURNED_PICKS],
        "money kept for undelivered orders": m[chain.Metric.NET_CHARGE_OF_UNDELIVERED_ORDERS],
        "messages": m[chain.Metric.MESSAGES],
        "kB on the bus": round(int(m[chain.Metric.BYTES_ON_BUS]) / 1000, 1),
    }


_ARCH = dict(zip(COLUMNS, ("sequential", "sequential", "parallel", "orchestration"),
                 strict=True))
SHORT_REQUESTS = {"criminal_check": "criminal check", "vip_fetch_first": "VIP fetch first",
                  "fetch_first": "fetch first"}


def dependencies(column: str, variant: str = "baseline") -> pd.DataFrame:
    """Who depends on whom in one scorecard column (tracking knows every event it awaits)."""
    check_choice("column", column, COLUMNS)
    check_choice("variant", variant, VARIANTS)
    arch = _ARCH[column]
    wiring = orchestrated_wiring(variant) if arch == "orchestration" else \
        retail_wiring(arch, variant)
    table = wiring.dependencies()
    if column == COLUMNS[1]:
        awaited = [e.message for e in tracking_process(variant).elements if e.message]
        rows: dict[str, list[str]] = {}
        for message_type in awaited:
            for producer in wiring.producers(str(message_type)):
                rows.setdefault(producer, []).append(f"listens to {message_type}")
        extra = pd.DataFrame([{"service": "Tracking", "depends on": p,
                               "because it": ", ".join(why)} for p, why in rows.items()])
        table = pd.concat([table, extra], ignore_index=True)
    return table


def _coupling(column: str, variant: str) -> dict[str, Any]:
    table = dependencies(column, variant)
    known: dict[str, list[str]] = {}
    for a, b in zip(table["service"], table["depends on"], strict=True):
        known.setdefault(str(a), []).append(str(b))
    pairs = "; ".join(f"{a}→{', '.join(bs)}" for a, bs in known.items())
    row: dict[str, Any] = {"dependencies (A knows B)": len(table), "who depends on whom": pairs}
    arch = _ARCH[column]
    for case, short in SHORT_REQUESTS.items():
        n = count_changes(case, arch)
        text = f"{n['changed']} changed + {n['new']} new"
        if column == COLUMNS[1] and case != "criminal_check" and \
                tracking_process(case) != tracking_process("baseline"):
            text += " + tracking model"
        row[f"services changed: {short}"] = text
    return row


def scorecard(params: ShopParams | None = None, *, variant: str = "baseline",
              faults: Iterable[Fault] = ()) -> pd.DataFrame:
    """Metrics (rows) per architecture (columns), all on the same orders and fates: what
    was delivered and who noticed the rest, how failures were cleaned up, lead time, who
    depends on whom, the services each change request touches, and the traffic."""
    results = runs(params, variant=variant, faults=faults)
    table = pd.DataFrame({name: pd.Series({**_row(r), **_coupling(name, variant)},
                                          dtype=object)
                          for name, r in results.items()})
    order = [*_row_names(), "dependencies (A knows B)", "who depends on whom",
             *(f"services changed: {s}" for s in SHORT_REQUESTS.values()),
             "messages", "kB on the bus"]
    table = table.loc[order]
    if variant != "baseline":
        arch = ("sequential", "sequential", "parallel", "orchestration")
        table.loc["services changed for the request"] = [
            count_changes(variant, a)["changed"] for a in arch]
    table.index.name = "metric"
    return table


def _row_names() -> list[str]:
    return ["orders delivered", "not delivered, noticed", "not delivered, nobody noticed",
            "mean time to detection (h)", "not delivered, nothing left behind",
            "wasted picks", "returned picks", "money kept for undelivered orders",
            "mean lead time (h)", "p90 lead time (h)"]


def change_effects(params: ShopParams | None = None, *,
                   case: str = "fetch_first") -> pd.DataFrame:
    """Per architecture: services changed, and the run before and after the change."""
    check_choice("case", case, tuple(c for c in CHANGE_REQUESTS if c != "criminal_check"))
    before, after = runs(params), runs(params, variant=case)
    rows = []
    for name, arch in zip(COLUMNS, ("sequential", "sequential", "parallel", "orchestration"),
                          strict=True):
        if name == COLUMNS[1]:
            continue
        b, a = _row(before[name]), _row(after[name])
        n = count_changes(case, arch)
        rows.append({"architecture": ARCHITECTURE_NAMES[arch],
                     "services changed": n["changed"], "services new": n["new"],
                     "mean lead time before (h)": b["mean lead time (h)"],
                     "mean lead time after (h)": a["mean lead time (h)"],
                     "wasted picks after": a["wasted picks"],
                     "returned picks after": a["returned picks"],
                     "delivered before": b["orders delivered"],
                     "delivered after": a["orders delivered"]})
    return pd.DataFrame(rows).set_index("architecture")
