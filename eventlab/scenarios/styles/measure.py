"""What one day measured: per order from the ground truth, then the metrics of the run.

Every number comes from what happened (the effects the services did, the records on the
topics, the engine's instances and incidents, the operator's detections), never from what a
style believes about itself.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

import pandas as pd

from eventlab.domains.retail.change_cost import mean_services_changed
from eventlab.domains.retail.order_engine import CANCELLED, NO_STOCK
from eventlab.scenarios.styles.config import HOUR
from eventlab.scenarios.styles.kafka import DEAD_LETTERS, TOPIC
from eventlab.scenarios.styles.model import Day

ENDINGS = ("OrderCancelledEvent", "GoodsUnavailableEvent")  # a choreography's "it is off"
OUTCOMES: tuple[str, ...] = ("completed", "compensated", "open")


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    ORDERS = "orders"
    COMPLETED = "orders completed"
    COMPENSATED = "orders compensated"
    OPEN = "orders still open at the end"
    LEFT_BEHIND = "orders with effects left behind"
    STUCK_SEEN = "stuck orders seen"
    STUCK_UNSEEN = "stuck orders unseen"
    HOURS_TO_DETECT = "hours to detect a stuck order"
    HOURS_TO_RECOVER = "hours to recover after the fix"
    LATE = "late orders"
    LATE_ESCALATED = "late orders escalated"
    HOURS_TO_ESCALATE = "hours from SLA breach to escalation"
    DUPLICATES_DELIVERED = "duplicates delivered"
    DUPLICATES_ABSORBED = "duplicates absorbed"
    DUPLICATE_EFFECTS = "duplicate effects"
    MESSAGES_PER_ORDER = "messages per order"
    SERVICES_CHANGED = "services changed per change request"
    INCIDENTS = "incidents"
    PARKED = "messages parked"
    MEAN_LEAD_TIME_H = "mean lead time (h)"


def facts(day: Day) -> pd.DataFrame:
    """One row per order (times in hours): placed, how it ended and when, whether it got
    stuck (a poisoned message nobody could process) and when someone was told, when it was
    late and when it was escalated, and effects left behind."""
    records = day.kafka.records(TOPIC)
    first: dict[tuple[str, str], float] = {}
    for rec in records:
        message = rec.value
        if message is not None:
            first.setdefault((message.type, str(message.key)), rec.timestamp)
    told: dict[str, float] = {}
    for detection in day.detections:
        told[detection.order] = min(told.get(detection.order, math.inf), detection.at)
    stuck: dict[str, float] = {}
    for service in day.services.values():
        for order, at in service.first_failure.items():
            stuck[order] = min(stuck.get(order, math.inf), at)
    instances = {} if day.order is None else day.order.by_order
    sla = day.config.sla_hours * HOUR
    effects = day.effects
    rows = []
    for placed_order in day.orders:
        oid = placed_order.order_id
        placed = placed_order.placed_at * HOUR
        shipped = effects.first(oid, "shipped")
        inst = instances.get(oid)
        if day.order is not None:
            off = inst.ended if inst is not None and inst.outcome in (CANCELLED, NO_STOCK) \
                else None
        else:
            ends = [first[(t, oid)] for t in ENDINGS if (t, oid) in first]
            off = min(ends) if ends else None
        left = [e for e in ("charged", "picked")
                if effects.has(oid, e) and not effects.undone(oid, e)]
        if shipped is not None:
            outcome = "completed"
        elif off is not None and not left:
            outcome = "compensated"
        else:
            outcome = "open"
        finished = shipped if shipped is not None else off
        late = finished is None or finished > placed + sla
        escalated = first.get(("OrderDelayedEvent", oid))
        detected = min(told.get(oid, math.inf), escalated if escalated is not None else math.inf)
        rows.append({
            "order": oid, "placed (h)": placed / HOUR, "outcome": outcome,
            "finished (h)": _hours(finished),
            "lead time (h)": _hours(None if shipped is None else shipped - placed),
            "effects left behind": ", ".join(left) if shipped is None else "",
            "stuck at (h)": _hours(stuck.get(oid)),
            "detected at (h)": _hours(None if detected == math.inf else detected),
            "late": late, "escalated at (h)": _hours(escalated),
        })
    return pd.DataFrame(rows)


def _hours(ms: float | None) -> float:
    return math.nan if ms is None else ms / HOUR


def metrics(day: Day, table: pd.DataFrame) -> dict[str, Any]:
    """The run's numbers (see :class:`Metric`)."""
    records = day.kafka.records(TOPIC)
    distinct = {r.value.message_id for r in records if r.value is not None}
    stuck = table[table["stuck at (h)"].notna()]
    seen = stuck[stuck["detected at (h)"].notna()]
    fix = day.faults.fix_at
    recovered = stuck[(stuck["outcome"] == "completed")]
    recover = [] if fix is None else \
        [t + p - fix for t, p in zip(recovered["lead time (h)"], recovered["placed (h)"],
                                     strict=True) if t + p >= fix]
    late = table[table["late"]]
    escalated = late[late["escalated at (h)"].notna()]
    sla = day.config.sla_hours
    delays = escalated["escalated at (h)"] - (escalated["placed (h)"] + sla)
    absorbed = sum(s.inbox.absorbed for s in day.services.values())
    if day.tracker is not None:
        absorbed += day.tracker.inbox.absorbed
    incidents = 0
    if day.order is not None:
        absorbed += day.order.engine.duplicates
        incidents = len(day.order.engine.incidents())
    delivered = sum(e.duplicates for name, e in day.endpoints.items() if name != "Operations")
    lead = table["lead time (h)"].dropna()
    style = day.config.style
    tracking = day.config.tracking and style == "choreography"
    return {
        Metric.ORDERS: len(table),
        Metric.COMPLETED: int((table["outcome"] == "completed").sum()),
        Metric.COMPENSATED: int((table["outcome"] == "compensated").sum()),
        Metric.OPEN: int((table["outcome"] == "open").sum()),
        Metric.LEFT_BEHIND: int((table["effects left behind"] != "").sum()),
        Metric.STUCK_SEEN: len(seen),
        Metric.STUCK_UNSEEN: len(stuck) - len(seen),
        Metric.HOURS_TO_DETECT: _mean(seen["detected at (h)"] - seen["stuck at (h)"]),
        Metric.HOURS_TO_RECOVER: _mean(pd.Series(recover, dtype=float)),
        Metric.LATE: len(late),
        Metric.LATE_ESCALATED: len(escalated),
        Metric.HOURS_TO_ESCALATE: _mean(delays),
        Metric.DUPLICATES_DELIVERED: delivered,
        Metric.DUPLICATES_ABSORBED: absorbed,
        Metric.DUPLICATE_EFFECTS: day.effects.duplicates(),
        Metric.MESSAGES_PER_ORDER: round(len(distinct) / max(1, len(table)), 3),
        Metric.SERVICES_CHANGED: round(mean_services_changed(style, tracking=tracking), 3),
        Metric.INCIDENTS: incidents,
        Metric.PARKED: len(day.kafka.records(DEAD_LETTERS)),
        Metric.MEAN_LEAD_TIME_H: _mean(lead),
    }


def _mean(values: pd.Series) -> float:
    values = values.dropna()
    return round(float(values.mean()), 3) if len(values) else math.nan
