"""The capstone's day in words: its fault schedule, and what one run of it measured.

Notebook 11 states what the day holds and what the learner's design earned on it; these
functions build those sentences and tables from the config and the run, so that no number
in the notebook's prose can drift from what ran.
"""

from __future__ import annotations

import pandas as pd

from eventlab.scenarios.recap.choices import Config, check_config, faults, side_drops
from eventlab.scenarios.recap.scorecard import Metric, RecapResult
from eventlab.view.stated import Stated, stated

SERVICES = {"payment": "Payment", "inventory": "Inventory", "shipping": "Shipping",
            "notify customer": "Notification", "add loyalty points": "Loyalty"}


def day(config: Config) -> pd.DataFrame:
    """The day's fault schedule in words: per order, which service meets what; and the
    random crashes every service may have."""
    config = check_config(config)
    rows = []
    for fault in faults(config):
        service = SERVICES[fault.step]
        what = {
            "drop": f"{service} silently drops the order's message",
            "slow": f"{service} takes {fault.value:g} h for it",
            "error": f"the card service fails {fault.value:g} times in a row",
            "decline": ("the card is declined and the customer never updates it"
                        if fault.value == 0 else "the card is declined; the customer "
                        f"updates it after {fault.value:g} h"),
        }[fault.kind]
        rows.append((fault.order, service, what))
    for work, numbers in side_drops(config).items():
        service = SERVICES[work]
        rows += [(n, service, f"{service} silently drops the order's message")
                 for n in numbers]
    rows.sort(key=lambda row: (row[0], row[1]))
    table = pd.DataFrame([(f"order-{n:04d}", s, w) for n, s, w in rows],
                         columns=["order", "service", "what happens"])
    crashes = pd.DataFrame([("any", *_crashes(config))], columns=table.columns)
    return pd.concat([table, crashes], ignore_index=True).set_index("order")


def _crashes(config: Config) -> tuple[str, str]:
    """Who may crash, and where: a dual write loses the message, a relay publishes twice."""
    p = f"{config.crash_rate:g}"
    if config.outbox:
        return ("every service", f"its outbox relay crashes between a publish and its "
                                 f"checkpoint with probability {p}")
    if config.orchestrated:
        return ("every service but Order", f"crashes between its commit and its publish "
                                           f"with probability {p} (the Order's engine relays "
                                           "from its log)")
    return ("every service", f"crashes between its commit and its publish with probability {p}")


def story(result: RecapResult) -> Stated:
    """The day's scorecard as sentences: delivered and noticed, side effects, lost and
    duplicate messages, lag and lead time, and who depends on whom."""
    if not isinstance(result, RecapResult):
        raise TypeError(f"result must be a RecapResult (from recap.run), got "
                        f"{type(result).__name__}")
    m, config = result.metrics, result.config
    missing = int(m[Metric.NOT_DELIVERED_NOTICED]) + int(m[Metric.NOT_DELIVERED_NOBODY_NOTICED])
    nobody = int(m[Metric.NOT_DELIVERED_NOBODY_NOTICED])
    noticed = (f"all {missing} others were noticed by a timer (after "
               f"{m[Metric.MEAN_TIME_TO_DETECTION_H]} h on average)" if missing and not nobody
               else f"of the {missing} others, {nobody} were noticed by nobody")
    lines = [f"**{m[Metric.ORDERS_DELIVERED]}** of {m[Metric.ORDERS]} orders delivered; "
             f"{noticed}; {float(m[Metric.MONEY_KEPT_FOR_UNDELIVERED_ORDERS]):.2f} $ was kept "
             "for undelivered orders.",
             f"**{m[Metric.SIDE_EFFECT_MISSING_NOBODY_NOTICED]}** delivered orders miss a "
             "notification or loyalty points that nobody noticed; the Order noticed "
             f"{m[Metric.SIDE_EFFECT_MISSING_NOTICED_BY_ORDER]}.",
             f"**{m[Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH]}** messages were lost between a "
             "commit and its publish; relays published "
             f"{m[Metric.DUPLICATES_PUBLISHED_RELAY_CRASH]} messages twice, and the inboxes "
             f"dropped {m[Metric.DUPLICATES_DROPPED_BY_INBOXES]} second copies.",
             f"The busiest consumer waited up to **{m[Metric.MAX_CONSUMER_LAG_H]} h** for its "
             f"turn ({config.partitions} partitions); delivered orders took "
             f"{m[Metric.MEAN_LEAD_TIME_H]} h on average (90 % within "
             f"{m[Metric.P90_LEAD_TIME_H]} h)."]
    table = result.dependencies()
    known: dict[str, list[str]] = {}
    for a, b in zip(table["service"], table["depends on"], strict=True):
        known.setdefault(str(a), []).append(str(b))
    who = "; ".join(f"{a} knows {', '.join(bs)}" for a, bs in known.items())
    lines.append(f"**{m[Metric.DEPENDENCIES]}** dependencies: {who}.")
    return stated(*lines)
