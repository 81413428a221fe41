"""Choreography against orchestration, each at its best, on the same Kafka and the same bad day.

The talk ends with a balance: choreography where services only react, orchestration where a
flow must be seen, retried, timed out and compensated. This scenario runs the flowing-retail
shop (payment, fetch goods, ship goods) both ways and changes nothing else: the same topic
``flowing-retail`` (3 partitions on 3 brokers, replication factor 3, keyed by order id), the
same consumer group per service (two members, at least once: process, then commit), the same
orders and service times (per-order random streams), the same fault schedule and the same
operator. ``Config.style`` is the one field that differs.

**Choreography at its best** (:mod:`eventlab.domains.retail.reliable`,
:mod:`eventlab.domains.retail.process_tracker`): every service has an idempotent inbox and an
outbox; a message it cannot process is retried with backoff, then parked on a dead-letter
topic that Operations watches and replays once the fix is out; the process tracker reads every
event, escalates a late order (``OrderDelayedEvent``) and cancels an overdue one
(``OrderCancelledEvent``), on which each service undoes its own part.

**Orchestration as the talk means it** (:mod:`eventlab.domains.retail.order_engine`): the Order
service runs the fulfilment process on its workflow engine. Commands leave from the engine's
durable log at least once, carry a command id the services deduplicate by, and replies are
correlated by that id with a message buffer; a failed command is retried with growing
backoff, then becomes an incident on that order's instance, which the operator resolves once
the fix is out; a non-interrupting SLA timer escalates while the work goes on; a deadline
cancels and compensates the completed steps, newest first.

**The bad day** (:data:`BAD_DAY`, times from the start): broker 0 fails over at 0.5 h (back
after 15 min); an Inventory consumer crashes mid-batch at 0.75 h; Shipping is down from 1 h
to 2 h; order 5's message to Shipping is poisoned until the fix at 2.5 h; the coordinator
(the Order service or the tracker) crashes at 1.25 h right after a send and before saving
that it sent, and is back 5 minutes later.

Public API::

    from eventlab.scenarios import styles
    result = styles.run(styles.Config(style="orchestration"))   # one day, one style
    result.summary(); result.orders(); result.incidents(); result.detections()
    result.process()             # the Order's BPMN process (view.bpmn_svg.picture draws it)
    cmp = styles.compare_styles(styles.Config(), seeds=20)      # a core.comparison.Comparison
    styles.scorecard(cmp)        # metric rows x style columns, "mean [low, high]"
    styles.charts(cmp)           # {metric: Chart} (view.charts.intervals, one per metric)
    styles.verdicts(cmp)         # Stated sentences the intervals allow, metric by metric
    styles.simulate(config, faults=styles.Faults(...))          # any fault schedule
    result.history("order-0005")  # one order's steps: sends, failures, incident, escalation
    day = styles.live(config)    # a day you operate: day.run_until(2); day.fix();
                                 # day.resolve("order-0005") (see styles.live)

Metrics (:class:`Metric`): orders completed, compensated and still open; orders with effects
left behind; stuck orders (a poisoned message needed a human) seen and unseen, hours to detect
one and hours to recover after the fix; late orders (past the SLA), how many were escalated
and how long after the breach; duplicates delivered, absorbed, and duplicate effects (always
0: that is the point of the inboxes); messages per order; services changed per change request
(:mod:`eventlab.domains.retail.change_cost`); incidents; messages parked; mean lead time.

What each style is good at and where it fails, as 20 seeds of the default bad day show it
(read your own run's numbers with :func:`scorecard`; a difference is stated only when its
interval excludes 0, :func:`verdicts`): both complete, compensate, detect and recover the
same orders (38.2 of 40 completed, 1.8 compensated, the stuck order seen 0.1 h after it
first failed and shipped 0.4 h after the fix), lose nothing and apply no effect twice,
because both are built with outboxes and idempotent receivers. Orchestration sends about
twice the messages per order (8.4 against 4.2: a command and a reply per step), absorbs more
duplicates (a command is sent again after a failure or a job timeout), escalates every late
order at its SLA to the minute and shows a stuck order as an incident on that order's
instance. Choreography is leaner on the wire and parks a stuck message where its team sees it,
but escalates a late order only at the tracker's next look (6.8 of 8.4 late orders, 0.1 h
after the breach; the others were delivered before it looked), and a change request changes
more running services (3.0 against 1.7). That is the talk's balance: choreography where
services only react, orchestration where a flow must be seen, retried, timed out and
compensated. Cost: a day of 40 orders is about 50 ms; both styles over 20 seeds, scorecard,
charts and verdicts included, take about 4 s of CPU in one process.
Times: the clock runs in milliseconds (Kafka's unit); tables speak in hours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from eventlab.core import results
from eventlab.core.comparison import Comparison, vary
from eventlab.core.config import resolve
from eventlab.core.errors import ConfigError, check_int, check_text
from eventlab.domains.retail.order_engine import fulfilment_process
from eventlab.engines.workflow.definition import Process
from eventlab.scenarios.styles.config import (
    BAD_DAY,
    CALM_DAY,
    HOUR,
    SCHEDULES,
    SERVICES,
    STYLES,
    Config,
    Faults,
    faults_of,
)
from eventlab.scenarios.styles.history import history
from eventlab.scenarios.styles.live import LiveDay, live
from eventlab.scenarios.styles.measure import OUTCOMES, Metric, facts, metrics
from eventlab.scenarios.styles.model import Day, Model
from eventlab.view.charts import Chart, intervals
from eventlab.view.stated import Stated, stated

__all__ = ["BAD_DAY", "CALM_DAY", "HEADLINE", "OUTCOMES", "SCHEDULES", "SERVICES", "STYLES",
           "Config", "Faults", "LiveDay", "Metric", "StylesResult", "charts", "compare_styles",
           "live", "run", "scorecard", "simulate", "verdicts"]

# The metrics a notebook charts and states: those in which the styles may differ (orders
# placed and still open, and effects left behind, are the same by construction or zero)
HEADLINE: tuple[str, ...] = (
    Metric.COMPLETED, Metric.COMPENSATED, Metric.STUCK_UNSEEN, Metric.HOURS_TO_DETECT,
    Metric.HOURS_TO_RECOVER, Metric.LATE_ESCALATED, Metric.HOURS_TO_ESCALATE,
    Metric.DUPLICATES_DELIVERED, Metric.DUPLICATES_ABSORBED, Metric.DUPLICATE_EFFECTS,
    Metric.MESSAGES_PER_ORDER, Metric.SERVICES_CHANGED, Metric.INCIDENTS, Metric.PARKED)


@dataclass(frozen=True, repr=False)
class StylesResult(results.RunResult):
    """One day of the shop in one style: trace, metrics, and the tables behind them."""

    PANEL = ("summary", "outcomes")

    facts: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    incident_log: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    detection_log: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    tracking: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def orders(self) -> pd.DataFrame:
        """One row per order: outcome, times, stuck and detected, late and escalated."""
        return self.facts

    def outcomes(self) -> pd.DataFrame:
        """How many orders ended each way."""
        counts = self.facts["outcome"].value_counts().reindex(list(OUTCOMES), fill_value=0)
        return counts.rename("orders").rename_axis("outcome").reset_index()

    def history(self, order: str) -> pd.DataFrame:
        """What happened to `order` (e.g. ``"order-0005"``), one row per step that matters:
        sends, effects, failures, incidents, timers, parked and replayed messages."""
        return history(self.trace, order)

    def incidents(self) -> pd.DataFrame:
        """Orchestration: every incident, per instance, with when it opened and ended."""
        return self.incident_log

    def detections(self) -> pd.DataFrame:
        """Who was told about which order, when, how, and when they acted (hours)."""
        return self.detection_log

    def process(self) -> Process:
        """The Order's fulfilment process as drawn (timers in hours; the run used the same
        process in milliseconds, with the same element ids, so trace counts fit it)."""
        c = self.config
        return fulfilment_process(sla=c.sla_hours, deadline=c.deadline_hours, retries=c.tries)


def simulate(config: Config | None = None, *, faults: Faults | None = None) -> StylesResult:
    """One day under `config` and an explicit fault schedule (default: the config's)."""
    config = resolve(Config, config)
    if faults is None:
        faults = faults_of(config)
    elif not isinstance(faults, Faults):
        raise TypeError(f"faults must be a styles.Faults schedule, got {type(faults).__name__}")
    day = Model(config, faults).run()
    return _result(day)


def run(config: Config | None = None) -> StylesResult:
    """One day of the shop in `config.style`, facing `config.schedule`."""
    return simulate(resolve(Config, config))


def _result(day: Day) -> StylesResult:
    table = facts(day)
    incidents = day.order.engine.incidents() if day.order is not None else pd.DataFrame()
    if len(incidents):
        incidents = incidents.assign(opened=incidents["opened"] / HOUR,
                                     ended=incidents["ended"] / HOUR)
    detections = pd.DataFrame(
        [{"order": d.order, "told at (h)": d.at / HOUR, "how": d.how,
          "acted at (h)": math.nan if d.acted is None else d.acted / HOUR}
         for d in day.detections], columns=["order", "told at (h)", "how", "acted at (h)"])
    tracking = day.tracker.table() if day.tracker is not None else pd.DataFrame()
    return StylesResult(day.config, day.world.trace.to_frame(), metrics(day, table),
                        facts=table, incident_log=incidents, detection_log=detections,
                        tracking=tracking)


def compare_styles(config: Config | None = None, *, seeds: int = 20,
                   n_jobs: int = 1) -> Comparison:
    """Both styles over the same `seeds` (same orders, faults and operator; only
    ``style`` differs), as a :class:`~eventlab.core.comparison.Comparison`.

    A day of 40 orders takes about 50 ms, so the 40 runs take about 2 s in this process;
    ``n_jobs=1`` is the default because starting worker processes costs more than that
    (give ``n_jobs=-1`` for long days)."""
    config = resolve(Config, config)
    check_int("seeds", seeds, low=2, high=1000)
    return vary(run, config, "style", list(STYLES), seeds=seeds, n_jobs=n_jobs)


def scorecard(cmp: Comparison, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """The recap's scorecard: one row per metric, one column per style, ``mean [low, high]``
    over the seeds (95 % intervals)."""
    _check(cmp)
    return cmp.wide(metrics).T.rename_axis("metric")


def charts(cmp: Comparison, metrics: Sequence[str] | None = None) -> dict[str, Chart]:
    """One interval chart per metric (each style's mean and 95 % interval)."""
    _check(cmp)
    table = cmp.table(metrics).dropna(subset=["mean"])
    return {m: intervals(table[table["metric"] == m], title=m)
            for m in dict.fromkeys(table["metric"])}


def verdicts(cmp: Comparison, metrics: Sequence[str] | None = None) -> Stated:
    """Per metric, the sentence the runs allow ("orchestration has more messages per order
    than choreography: ...", or that they cannot be told apart)."""
    _check(cmp)
    chosen = list(metrics) if metrics is not None else cmp.metrics()
    sentences = []
    for metric in chosen:
        check_text("metric", metric)
        if cmp.table([metric])["mean"].isna().any():
            continue  # not measured in every run of a side (no stuck order, say)
        sentences.append(cmp.verdict(metric, "orchestration", "choreography", digits=2))
    if not sentences:
        raise ConfigError("none of these metrics was measured in every run")
    return stated(*sentences)


def _check(cmp: Comparison) -> None:
    if not isinstance(cmp, Comparison):
        raise TypeError(f"cmp must be the Comparison from compare_styles, got "
                        f"{type(cmp).__name__}")
    if set(cmp.names) != set(STYLES):
        raise ConfigError(f"cmp must compare the styles {', '.join(STYLES)}; it has "
                          f"{', '.join(cmp.names)}")
