"""One choice at a time: the capstone's choices compared fairly, over the same days.

A design that changes the outbox and the partitions at once cannot say which of the two made
the difference. :func:`compare` changes one field of a design to each of a few values (one
field by construction, as :func:`eventlab.core.comparison.vary` does) and runs every side
over the same seeds: the same orders, the same scheduled faults, the same crash probability
drawn from the same random stream. :func:`verdicts` says what the intervals allow about the
choice, and nothing more.

A notebook compares several choices against the same design; the design's own days are
run once and kept (a run depends on its config and seed only, so a kept result is the
result), which keeps the notebook within its time budget.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from eventlab.core.comparison import Comparison
from eventlab.core.errors import ConfigError, check_choice
from eventlab.core.replications import DEFAULT_SEEDS, Replications, replicate
from eventlab.scenarios.recap.choices import Config, check_config
from eventlab.scenarios.recap.scorecard import Metric, run
from eventlab.view.stated import Stated, stated

# The choices a learner makes (the rest of a Config is the shop and the day).
CHOICES: tuple[str, ...] = ("coordination", "payment", "inventory", "shipping", "notification",
                            "loyalty", "outbox", "partitions", "relay_interval", "side_timer")
# The rows of a comparison's table: numbers every design measures on every day.
COMPARED_ROWS: tuple[str, ...] = (
    Metric.ORDERS_DELIVERED, Metric.NOT_DELIVERED_NOTICED, Metric.NOT_DELIVERED_NOBODY_NOTICED,
    Metric.SIDE_EFFECT_MISSING_NOTICED_BY_ORDER, Metric.SIDE_EFFECT_MISSING_NOBODY_NOTICED,
    Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH, Metric.DUPLICATES_DROPPED_BY_INBOXES,
    Metric.MEAN_LEAD_TIME_H, Metric.MAX_CONSUMER_LAG_H, Metric.MONEY_KEPT_FOR_UNDELIVERED_ORDERS,
    Metric.MESSAGES)


def side_name(field: str, value: Any) -> str:
    """How a side reads in a table and a sentence: ``outbox`` / ``dual write``,
    ``notification by command``, ``8 partitions``, ``coordination=...`` otherwise."""
    if field == "outbox":
        return "outbox" if value else "dual write"
    if field == "partitions":
        return f"{value} partition" + ("" if value == 1 else "s")
    if field == "coordination":
        return str(value)
    if field in ("payment", "inventory", "shipping", "notification", "loyalty"):
        return f"{field} by {value}"
    return f"{field}={value}"


def compare(config: Config, field: str, values: Sequence[Any], *,
            seeds: int = DEFAULT_SEEDS, n_jobs: int = -1) -> Comparison:
    """`config` with the choice `field` set to each of `values`, every side over the same
    `seeds` seeds (from ``config.seed`` on); sides are named by :func:`side_name`."""
    config = check_config(config)
    check_choice("field", field, CHOICES)
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) < 2:
        raise TypeError(f"values must be a list of at least two values of {field}, "
                        f"got {values!r}")
    sides = {side_name(field, v): dataclasses.replace(config, **{field: v}) for v in values}
    if len(sides) != len(values):
        raise ConfigError(f"values of {field} must be different, got {list(values)!r}")
    return Comparison(field, {name: _days(side, seeds, n_jobs)
                              for name, side in sides.items()})


_KEPT: dict[tuple[Config, int], Replications] = {}
_KEEP = 32  # designs kept (a notebook compares a handful)


def _days(config: Config, seeds: int, n_jobs: int) -> Replications:
    """`config` over `seeds` seeds, run once per process and kept."""
    key = (config, seeds)
    if key not in _KEPT:
        if len(_KEPT) >= _KEEP:
            _KEPT.pop(next(iter(_KEPT)))  # the oldest
        _KEPT[key] = replicate(run, config, seeds=seeds, n_jobs=n_jobs)
    return _KEPT[key]


# Per choice, the questions its verdicts answer: (metric, side a, side b, label, unit,
# digits); a side is a value of the field, so that the sentence names the side as the table.
_QUESTIONS: dict[str, tuple[tuple[str, Any, Any, str, str, int], ...]] = {
    "outbox": (
        (Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH, False, True, "messages lost", "", 1),
        (Metric.NOT_DELIVERED_NOBODY_NOTICED, False, True,
         "undelivered orders that nobody noticed", "", 1),
        (Metric.ORDERS_DELIVERED, True, False, "orders delivered", "", 1),
        (Metric.MONEY_KEPT_FOR_UNDELIVERED_ORDERS, False, True,
         "money kept for undelivered orders", "$", 2),
        (Metric.DUPLICATES_DROPPED_BY_INBOXES, True, False, "duplicates dropped by inboxes",
         "", 1)),
    "coordination": (
        (Metric.NOT_DELIVERED_NOBODY_NOTICED, "choreography", "orchestration",
         "undelivered orders that nobody noticed", "", 1),
        (Metric.MONEY_KEPT_FOR_UNDELIVERED_ORDERS, "choreography", "orchestration",
         "money kept for undelivered orders", "$", 2),
        (Metric.ORDERS_DELIVERED, "orchestration", "choreography", "orders delivered", "", 1),
        (Metric.MAX_CONSUMER_LAG_H, "orchestration", "choreography",
         "hours of consumer lag (the busiest consumer)", "h", 2)),
    "notification": (
        (Metric.SIDE_EFFECT_MISSING_NOTICED_BY_ORDER, "command", "event",
         "missing notifications or points that the Order noticed", "", 1),
        (Metric.SIDE_EFFECT_MISSING_NOBODY_NOTICED, "event", "command",
         "missing notifications or points that nobody noticed", "", 1),
        (Metric.MESSAGES, "command", "event", "messages", "", 0),
        (Metric.MAX_CONSUMER_LAG_H, "command", "event",
         "hours of consumer lag (the busiest consumer)", "h", 2)),
    "partitions": (
        (Metric.MAX_CONSUMER_LAG_H, 0, 1, "hours of consumer lag (the busiest consumer)", "h",
         2),
        (Metric.MEAN_LEAD_TIME_H, 0, 1, "hours of mean lead time", "h", 2),
        (Metric.ORDERS_DELIVERED, 0, 1, "orders delivered", "", 1)),
}


def verdicts(comparison: Comparison) -> Stated:
    """The sentences the intervals allow about the choice `comparison` varies (one per
    question the choice is about: lost messages, who notices, money, lag, ...)."""
    if not isinstance(comparison, Comparison):
        raise TypeError(f"comparison must be a Comparison (from recap.compare), got "
                        f"{type(comparison).__name__}")
    field = comparison.field
    if field not in _QUESTIONS:
        raise ConfigError(f"verdicts know the choices {', '.join(_QUESTIONS)}; this "
                          f"comparison varies {field!r}")
    names = comparison.names
    sentences = []
    for metric, a, b, label, unit, digits in _QUESTIONS[field]:
        if field == "partitions":  # the fewest partitions against the next
            ordered = sorted(names, key=lambda n: int(n.split()[0]))
            first, second = ordered[a], ordered[b]
        else:
            first, second = side_name(field, a), side_name(field, b)
        if first not in names or second not in names:
            continue
        sentences.append(comparison.verdict(metric, first, second, label=label, unit=unit,
                                            digits=digits))
    if not sentences:
        raise ConfigError(f"this comparison of {field} has none of the sides its questions "
                          f"compare; sides: {', '.join(names)}")
    return stated(*sentences)
