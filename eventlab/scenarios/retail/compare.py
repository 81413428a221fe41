"""Every architecture on the same orders and faults: a scorecard over many seeds, what the
coupling is, and what a change request costs.

The scorecard is a fair comparison (:func:`eventlab.core.comparison.vary`): the runs differ in
one field, :attr:`~eventlab.scenarios.retail.architectures.Config.architecture`, and every
architecture meets the same seeds, so the same orders with the same fates on the same bus
(:mod:`~eventlab.scenarios.retail.architectures` says what is shared). The coupling and the
change costs come from the wiring tables and are the same in every seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import pandas as pd

from eventlab.core.comparison import Comparison, compare, vary
from eventlab.core.config import resolve
from eventlab.core.errors import ConfigError, check_choice
from eventlab.core.replications import DEFAULT_SEEDS
from eventlab.domains.retail.processes import VARIANTS, tracking_process
from eventlab.domains.retail.shop import Fault, ShopParams
from eventlab.scenarios.retail import architectures as arch
from eventlab.scenarios.retail.architectures import (
    ARCHITECTURES,
    ORCHESTRATION,
    SEQUENTIAL,
    TRACKED,
    ArchitectureResult,
    Metric,
    dependencies,
)
from eventlab.scenarios.retail.changes import count_changes
from eventlab.view.stated import Stated, stated

COLUMNS = ARCHITECTURES  # the scorecard's columns, in reading order
# The scorecard's rows: what a learner compares (each a metric of architectures.run).
SCORECARD_ROWS: tuple[str, ...] = (
    Metric.ORDERS_DELIVERED, Metric.NOT_DELIVERED_NOTICED, Metric.NOT_DELIVERED_NOBODY_NOTICED,
    Metric.MONEY_KEPT_FOR_UNDELIVERED_ORDERS, Metric.WASTED_PICKS, Metric.MEAN_LEAD_TIME_H,
    Metric.MESSAGES, Metric.KB_ON_THE_BUS)
CHANGE_ROWS: tuple[str, ...] = (
    Metric.ORDERS_DELIVERED, Metric.MEAN_LEAD_TIME_H, Metric.RETURNED_PICKS,
    Metric.WASTED_PICKS)


def _params(params: ShopParams | None) -> ShopParams:
    params = resolve(ShopParams, params, what="params")
    if not isinstance(params, ShopParams):
        raise TypeError(f"params must be a ShopParams (or a scenario Config), "
                        f"got {type(params).__name__}")
    return params


def runs(params: ShopParams | None = None, *, variant: str = "baseline",
         faults: Iterable[Fault] = ()) -> dict[str, ArchitectureResult]:
    """One run per architecture on the same orders and fates, by architecture."""
    check_choice("variant", variant, VARIANTS)
    shop, faults = arch.shop(_params(params)), tuple(faults)
    return {name: arch.run(arch.Config(**shop, architecture=name, variant=variant),
                           faults=faults) for name in ARCHITECTURES}


def scorecard(params: ShopParams | None = None, *, variant: str = "baseline",
              seeds: int = DEFAULT_SEEDS, n_jobs: int = -1) -> Comparison:
    """Every architecture over the same `seeds` seeds (from ``params.seed`` on): only the
    architecture changes. ``.wide(SCORECARD_ROWS)`` is the table, mean [95 % interval]."""
    check_choice("variant", variant, VARIANTS)
    base = arch.Config(**arch.shop(_params(params)), variant=variant)
    return vary(arch.run, base, "architecture", list(ARCHITECTURES), seeds=seeds,
                n_jobs=n_jobs)


def _check(card: Any, field: str, sides: Iterable[str]) -> Comparison:
    if not isinstance(card, Comparison):
        raise TypeError(f"card must be a Comparison (from scorecard()), got "
                        f"{type(card).__name__}")
    missing = [s for s in sides if s not in card.sides]
    if card.field != field or missing:
        raise ConfigError(f"card must compare {field} with the sides "
                          f"{', '.join(sides)}; got {card.field} with {', '.join(card.names)}")
    return card


def scorecard_verdicts(card: Comparison) -> Stated:
    """What the scorecard's intervals allow to say, one sentence per question: who notices a
    stuck order, who keeps money or goods for it, who delivers more, and what it costs."""
    _check(card, "architecture", (SEQUENTIAL, TRACKED, ORCHESTRATION))
    v = card.verdict
    return stated(
        v(Metric.NOT_DELIVERED_NOBODY_NOTICED, SEQUENTIAL, ORCHESTRATION,
          label="undelivered orders that nobody noticed"),
        v(Metric.NOT_DELIVERED_NOBODY_NOTICED, TRACKED, ORCHESTRATION,
          label="undelivered orders that nobody noticed"),
        v(Metric.MONEY_KEPT_FOR_UNDELIVERED_ORDERS, TRACKED, ORCHESTRATION, digits=2,
          label="money kept for undelivered orders", unit="$"),
        v(Metric.WASTED_PICKS, ORCHESTRATION, SEQUENTIAL, label="wasted picks"),
        v(Metric.ORDERS_DELIVERED, ORCHESTRATION, SEQUENTIAL, label="orders delivered"),
        v(Metric.MEAN_LEAD_TIME_H, ORCHESTRATION, SEQUENTIAL, digits=2,
          label="hours of mean lead time (delivered orders only)", unit="h"),
        v(Metric.MESSAGES, ORCHESTRATION, SEQUENTIAL, digits=0, label="messages"),
        v(Metric.KB_ON_THE_BUS, ORCHESTRATION, SEQUENTIAL, label="kB on the bus", unit="kB"))


SHORT_REQUESTS = {"criminal_check": "criminal check", "vip_fetch_first": "VIP fetch first",
                  "fetch_first": "fetch first"}


def _coupling(column: str, variant: str) -> dict[str, Any]:
    table = dependencies(column, variant)
    known: dict[str, list[str]] = {}
    for a, b in zip(table["service"], table["depends on"], strict=True):
        known.setdefault(str(a), []).append(str(b))
    pairs = "; ".join(f"{a}→{', '.join(bs)}" for a, bs in known.items())
    row: dict[str, Any] = {"dependencies (A knows B)": len(table), "who depends on whom": pairs}
    style = arch.STYLE[column]
    for case, short in SHORT_REQUESTS.items():
        n = count_changes(case, style)
        text = f"{n['changed']} changed + {n['new']} new"
        if column == TRACKED and case != "criminal_check" and \
                tracking_process(case) != tracking_process("baseline"):
            text += " + tracking model"
        row[f"services changed: {short}"] = text
    return row


def coupling(variant: str = "baseline") -> pd.DataFrame:
    """Per architecture (a row each): who depends on whom and the services each change
    request touches. These come from the wiring tables, so they are the same in every seed."""
    check_choice("variant", variant, VARIANTS)
    table = pd.DataFrame([_coupling(name, variant) for name in COLUMNS], index=list(COLUMNS))
    table.index.name = "architecture"
    return table


# How the sides of a change comparison are named (the variant's field values are ids).
BEFORE = "payment first"
AFTER = {"vip_fetch_first": "VIP fetch first", "fetch_first": "fetch first"}


def change_effects(params: ShopParams | None = None, *, case: str = "fetch_first",
                   seeds: int = DEFAULT_SEEDS, n_jobs: int = -1) -> Comparison:
    """The orchestrated shop before (``payment first``) and after the change request `case`
    over the same `seeds` seeds: only the variant changes."""
    check_choice("case", case, tuple(AFTER))
    base = arch.Config(**arch.shop(_params(params)), architecture=ORCHESTRATION)
    sides = {BEFORE: base, AFTER[case]: dataclasses.replace(base, variant=case)}
    return compare(arch.run, sides, seeds=seeds, n_jobs=n_jobs)


def change_verdicts(effects: Comparison) -> Stated:
    """What the intervals allow to say about a change request's effect at run time."""
    _check(effects, "variant", (BEFORE,))
    after = next(n for n in effects.names if n != BEFORE)
    v = effects.verdict
    return stated(
        v(Metric.MEAN_LEAD_TIME_H, after, BEFORE, digits=2, label="hours of mean lead time",
          unit="h"),
        v(Metric.RETURNED_PICKS, after, BEFORE, label="returned picks"),
        v(Metric.WASTED_PICKS, after, BEFORE, label="wasted picks"),
        v(Metric.ORDERS_DELIVERED, after, BEFORE, label="orders delivered"))
