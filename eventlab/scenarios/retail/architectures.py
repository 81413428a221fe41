"""The shop under one architecture: one scenario whose one choice is the architecture.

Notebook 10 compares choreography and orchestration. To make that a fair comparison, the
architecture is a single field of one :class:`Config`, so that
``vary(run, Config(), "architecture", ARCHITECTURES)`` changes that field only and runs every
side over the same seeds (:mod:`eventlab.core.comparison`).

What every side shares, whatever the architecture:

* **the transport**: the in-memory bus (:class:`~eventlab.core.bus.Bus`: a fixed latency,
  nothing lost, duplicated or reordered by the transport itself);
* **the fault schedule**: the seed draws the orders and each order's fate (which service
  silently drops its message, which card is declined, when the customer updates it, how long
  each step takes) in :mod:`eventlab.domains.retail.shop`, before anything is wired, so the
  same order meets the same faults on every side.

Each side is built the way its practitioners build it: the companion code's event chain
(``choreography-alternative``), the same chain with process tracking and its SLA timers, the
"alternative flow" in which every service joins the Checkout's event, and the Order service
running ``order.bpmn`` with its timers and compensation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from eventlab.core.budget import Cost
from eventlab.core.config import param, resolve
from eventlab.core.errors import check_choice
from eventlab.core.results import RunResult
from eventlab.domains.retail.designs import orchestrated_wiring, retail_wiring
from eventlab.domains.retail.processes import VARIANTS, tracking_process
from eventlab.domains.retail.shop import Fault, ShopParams
from eventlab.scenarios.retail import chain, orchestrated

SEQUENTIAL = "sequential choreography"
TRACKED = "sequential choreography + tracking"
PARALLEL = "parallel choreography"
ORCHESTRATION = "orchestration"
ARCHITECTURES: tuple[str, ...] = (SEQUENTIAL, TRACKED, PARALLEL, ORCHESTRATION)
# the wiring style each architecture runs (the tracked chain is the sequential chain)
STYLE = {SEQUENTIAL: "sequential", TRACKED: "sequential", PARALLEL: "parallel",
         ORCHESTRATION: "orchestration"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(ShopParams):
    """The shop (orders, fates, faults) and the one architecture that runs it (hours)."""

    architecture: str = param(ORCHESTRATION, choices=ARCHITECTURES,
                              help="who owns the flow: nobody (a chain, with or without "
                                   "tracking, or the parallel flow), or the Order service")
    variant: str = param("baseline", choices=VARIANTS,
                         help="baseline, or fetch goods before payment (VIPs / everyone)")

    def estimated_cost(self) -> Cost:
        """`orders` orders through the chosen architecture; each declined charge and failed
        card call adds messages and timers, and the per-order facts compare each order with
        the whole ledger. Measured on a 2-core laptop (CPU time): 2,000 orchestrated orders
        took 1.6 s, and 3.7 s with every card declined and updated; the estimate (the
        chain's) is about 1.8x that."""
        per_order = (0.7e-3 + 0.45e-6 * self.orders + 0.35e-3 * self.declined_charges()
                     + 0.05e-3 * self.card_errors())
        return Cost(seconds=0.02 + self.orders * per_order, megabytes=110 + self.orders * 0.1,
                    drivers={"orders": "lower", "p_card": "lower", "p_error": "lower"})


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    ORDERS = "orders"
    ORDERS_DELIVERED = "orders delivered"
    NOT_DELIVERED_NOTICED = "not delivered, noticed"
    NOT_DELIVERED_NOBODY_NOTICED = "not delivered, nobody noticed"
    MEAN_TIME_TO_DETECTION_H = "mean time to detection (h)"
    NOT_DELIVERED_NOTHING_LEFT_BEHIND = "not delivered, nothing left behind"
    WASTED_PICKS = "wasted picks"
    RETURNED_PICKS = "returned picks"
    MONEY_KEPT_FOR_UNDELIVERED_ORDERS = "money kept for undelivered orders"
    MEAN_LEAD_TIME_H = "mean lead time (h)"
    P90_LEAD_TIME_H = "p90 lead time (h)"
    DEPENDENCIES = "dependencies (A knows B)"
    MESSAGES = "messages"
    KB_ON_THE_BUS = "kB on the bus"


@dataclass(frozen=True, repr=False)  # keep RunResult's short repr
class ArchitectureResult(RunResult):
    """One architecture's run: the scorecard's numbers, and the run of that architecture."""

    PANEL = ("summary",)

    inner: RunResult | None = field(default=None, repr=False)  # the chain's or the Order's run

    @property
    def facts(self) -> pd.DataFrame:
        """Per order what really happened (the architecture's own ground-truth table)."""
        assert self.inner is not None
        return self.inner.facts  # type: ignore[attr-defined, no-any-return]


def shop(config: ShopParams) -> dict[str, Any]:
    """The shared fields of `config`: the shop every architecture faces."""
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(ShopParams)}


def run(config: Config | None = None, *, faults: Iterable[Fault] = ()) -> ArchitectureResult:
    """Run the shop under `config.architecture` (same seed: same orders and fates)."""
    config = resolve(Config, config)
    shared, faults = shop(config), tuple(faults)
    inner: RunResult
    if config.architecture == ORCHESTRATION:
        inner = orchestrated.run(orchestrated.Config(**shared, variant=config.variant),
                                 faults=faults)
    else:
        inner = chain.run(chain.Config(**shared, style=STYLE[config.architecture],
                                       variant=config.variant,
                                       tracking=config.architecture == TRACKED), faults=faults)
    metrics = measure(inner) | {
        Metric.DEPENDENCIES: len(dependencies(config.architecture, config.variant))}
    ordered: dict[str, Any] = {m: metrics[m] for m in Metric}
    return ArchitectureResult(config, inner.trace, ordered, inner=inner)


def measure(result: RunResult) -> dict[str, Any]:
    """The scorecard's numbers of a chain's or an Order's run, read the same way from both:
    the ground truth per order (its `facts`) and the traffic its trace shows."""
    facts = result.facts  # type: ignore[attr-defined]
    m = result.metrics  # the orchestrated run measures these under the chain's names
    done = facts["outcome"].isin(["completed", "Order delivered"])
    missing = facts[~done]
    delay = missing["time to detection (h)"].dropna()
    return {
        Metric.ORDERS: len(facts),
        Metric.ORDERS_DELIVERED: int(done.sum()),
        Metric.NOT_DELIVERED_NOTICED: int(missing["detected"].sum()),
        Metric.NOT_DELIVERED_NOBODY_NOTICED: int((~missing["detected"]).sum()),
        Metric.MEAN_TIME_TO_DETECTION_H: round(float(delay.mean()), 1) if len(delay) else "—",
        Metric.NOT_DELIVERED_NOTHING_LEFT_BEHIND: int(  # no money kept, no pick wasted
            ((missing["net charge"] == 0) & (missing["wasted picks"] == 0)).sum()),
        Metric.WASTED_PICKS: m[chain.Metric.WASTED_PICKS],
        Metric.RETURNED_PICKS: m[chain.Metric.RETURNED_PICKS],
        Metric.MONEY_KEPT_FOR_UNDELIVERED_ORDERS:
            m[chain.Metric.NET_CHARGE_OF_UNDELIVERED_ORDERS],
        Metric.MEAN_LEAD_TIME_H: m[chain.Metric.MEAN_LEAD_TIME_H],
        Metric.P90_LEAD_TIME_H: m[chain.Metric.P90_LEAD_TIME_H],
        Metric.MESSAGES: m[chain.Metric.MESSAGES],
        Metric.KB_ON_THE_BUS: round(int(m[chain.Metric.BYTES_ON_BUS]) / 1000, 1),
    }


def dependencies(architecture: str, variant: str = "baseline") -> pd.DataFrame:
    """Who depends on whom under `architecture` (process tracking knows every event its
    model waits for), and why."""
    check_choice("architecture", architecture, ARCHITECTURES)
    check_choice("variant", variant, VARIANTS)
    style = STYLE[architecture]
    wiring = orchestrated_wiring(variant) if style == "orchestration" else \
        retail_wiring(style, variant)
    table = wiring.dependencies()
    if architecture == TRACKED:
        awaited = [e.message for e in tracking_process(variant).elements if e.message]
        rows: dict[str, list[str]] = {}
        for message_type in awaited:
            for producer in wiring.producers(str(message_type)):
                rows.setdefault(producer, []).append(f"listens to {message_type}")
        extra = pd.DataFrame([{"service": "Tracking", "depends on": p,
                               "because it": ", ".join(why)} for p, why in rows.items()])
        table = pd.concat([table, extra], ignore_index=True)
    return table
