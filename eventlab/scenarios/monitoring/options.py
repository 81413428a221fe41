"""The talk's monitoring options side by side, all watching one run of the retail chain.

The choreographed flowing-retail chain runs with three injected faults: one order a service
silently drops (it gets **stuck**), a few orders a service handles far too slowly (**slow
steps**), and one ``PaymentReceivedEvent`` Payment's producer sends twice (a **wrong path**:
the goods are picked and shipped twice). Four observers watch the *same* run:

* ``tracing``: distributed tracing. Every service carries an instrumentation library; each
  handled message is a span, exported when it ends, and the backend alerts on spans longer
  than their step's limit (:mod:`~eventlab.engines.monitoring.tracing`);
* ``monitor``: flowing-retail's monitor, a consumer of every message that alarms on an open
  order quiet for `idle_hours` (:class:`~eventlab.engines.monitoring.watch.IdleWatch`);
* ``mining``: every message exported to a log, mined every `mining_every` hours for quiet
  orders, steps slower than their limit, and repeated activities
  (:class:`~eventlab.engines.monitoring.mining.Miner`);
* ``tracking``: process tracking, a workflow engine in listen-only mode that knows the
  expected flow and its SLA timers (:class:`~eventlab.domains.retail.tracking.Tracker`).

The limits per step are the same for every option that can use them (tracking's timers,
tracing's alert rules, mining's step rule), so the options differ in their mechanism only.
For each injected fault the result says which options raised an alarm and how many hours
after the fault (for a slow step: after it became late); it also counts false alarms (orders
with no problem at all) and what each option costs the services. Times are hours.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core.budget import Cost
from eventlab.core.bus import Bus
from eventlab.core.comparison import Comparison
from eventlab.core.config import Scenario, param, resolve
from eventlab.core.errors import ConfigError, check_choice
from eventlab.core.messages import Message
from eventlab.core.replications import DEFAULT_SEEDS, Replications, replicate
from eventlab.core.results import RunResult
from eventlab.core.world import World
from eventlab.domains.retail.designs import retail_wiring
from eventlab.domains.retail.processes import TRACKED_OK, tracking_process
from eventlab.domains.retail.services import Retail
from eventlab.domains.retail.shop import STEPS, Fault, ShopParams
from eventlab.domains.retail.tracking import Tracker
from eventlab.engines.monitoring.cases import message_log
from eventlab.engines.monitoring.mining import Miner
from eventlab.engines.monitoring.tracing import (
    SPAN_COLUMNS,
    TRACEPARENT_BYTES,
    slow_spans,
    spans,
)
from eventlab.engines.monitoring.watch import ALARM_COLUMNS, IdleWatch
from eventlab.view.charts import Chart, Figure

OPTIONS: tuple[str, ...] = ("tracing", "monitor", "mining", "tracking")
FAULTS: tuple[str, ...] = ("stuck order", "slow step", "duplicate")
DONE: tuple[str, ...] = ("OrderCompletedEvent",)
DUPLICATED = "PaymentReceivedEvent"
# Each step of the chain: who handles which message, and the milestone that ends the step.
CHAIN: dict[str, tuple[str, str, str]] = {
    "payment": ("Payment", "OrderPlacedEvent", "PaymentReceivedEvent"),
    "inventory": ("Inventory", "PaymentReceivedEvent", "GoodsFetchedEvent"),
    "shipping": ("Shipping", "GoodsFetchedEvent", "GoodsShippedEvent"),
}
# Which alarms count as noticing which fault: a stuck order is noticed by a rule about quiet
# or overdue orders, a slow step also by a rule about slow steps, a wrong path by a rule
# about messages that should not be there.
NOTICED_BY: dict[str, tuple[str, ...]] = {
    "stuck order": ("quiet", "overdue"),
    "slow step": ("quiet", "overdue", "slow"),
    "duplicate": ("unexpected", "repeated"),
}
KNOWS_THE_FLOW: dict[str, str] = {"tracing": "no", "monitor": "no", "mining": "no",
                                  "tracking": "yes"}
EPSILON = 1e-6  # hours: a timer that fires exactly at the limit is not early


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(ShopParams):
    """The retail chain with three injected faults, and the rules of the four observers."""

    orders: int = param(60, low=1, high=400, help="orders placed at the checkout")
    drop_payment: float = param(0.0, low=0.0, high=1.0, step=0.01,
                                help="probability that payment silently drops an order")
    drop_inventory: float = param(0.0, low=0.0, high=1.0, step=0.01,
                                  help="probability that inventory silently drops an order")
    drop_shipping: float = param(0.0, low=0.0, high=1.0, step=0.01,
                                 help="probability that shipping silently drops an order")
    stuck_order: int = param(10, low=0, high=400,
                             help="the order one service silently drops (0: none)")
    stuck_at: str = param("inventory", choices=STEPS, help="the service that drops it")
    slow_order: int = param(20, low=0, high=400,
                            help="the first order the slow service delays (0: none)")
    slow_orders: int = param(3, low=1, high=50, help="how many orders in a row it delays")
    slow_at: str = param("inventory", choices=STEPS, help="the slow service")
    slow_hours: float = param(30.0, low=0.0, high=2000.0, step=1.0,
                              help="hours the slow service takes for each of those orders")
    duplicate_order: int = param(30, low=0, high=400,
                                 help="the order whose PaymentReceivedEvent is sent twice "
                                      "(0: none)")
    duplicate_after: float = param(0.5, low=0.0, high=100.0, step=0.1,
                                   help="hours between the two copies")
    payment_sla: float = param(480.0, low=1.0, high=2000.0, step=1.0,
                               help="hours a payment may take (tracking, tracing, mining)")
    fetch_sla: float = param(12.0, low=0.5, high=500.0, step=0.5,
                             help="hours fetching the goods may take")
    ship_sla: float = param(24.0, low=0.5, high=500.0, step=0.5,
                            help="hours shipping may take")
    idle_hours: float = param(48.0, low=0.5, high=1000.0, step=0.5,
                              help="monitor and mining: hours of quiet before an open order "
                                   "is reported")
    check_every: float = param(1.0, low=0.25, high=48.0, step=0.25,
                               help="monitor: hours between two checks")
    mining_every: float = param(24.0, low=2.0, high=720.0, step=1.0,
                                help="mining: hours between two mining jobs")
    horizon: float = param(720.0, low=24.0, high=2000.0, step=24.0,
                           help="hours the run is watched")

    def __post_init__(self) -> None:
        Scenario.__post_init__(self)  # each field on its own first
        for name in ("stuck_order", "slow_order", "duplicate_order"):
            value = getattr(self, name)
            if value > self.orders:
                raise ConfigError(f"{name}={value} is after the last order; orders={self.orders}"
                                  f" (0 injects no such fault)")
        last_slow = self.slow_order + self.slow_orders - 1
        if self.slow_order and last_slow > self.orders:
            raise ConfigError(f"slow_orders={self.slow_orders} from slow_order="
                              f"{self.slow_order} passes the last order; orders={self.orders}")
        slow = range(self.slow_order, last_slow + 1) if self.slow_order else range(0)
        for name in ("stuck_order", "duplicate_order"):
            value = getattr(self, name)
            if value and value in slow:
                raise ConfigError(f"{name}={value} is one of the slow orders {self.slow_order}"
                                  f"..{last_slow}: give each fault its own order")
        arrivals = self.orders * self.interarrival
        if self.horizon < 2 * arrivals:
            raise ConfigError(f"horizon={self.horizon:g} h is too short to watch {self.orders} "
                              f"orders arriving over about {arrivals:g} h; raise horizon to "
                              f">= {2 * arrivals:g} or lower orders")
        if self.stuck_order and self.stuck_order == self.duplicate_order:
            raise ConfigError(f"stuck_order and duplicate_order are both {self.stuck_order}: "
                              "give each fault its own order")

    def estimated_cost(self) -> Cost:
        """The chain's orders (about 50 trace rows each) plus the observers' checks every
        `check_every` and mining jobs every `mining_every` over the horizon. Measured on a
        2-core laptop (CPU time): 400 orders watched for 2,000 h with the finest checks took
        0.41 s, so no slider setting can outgrow the budget. The estimate is about 2x."""
        checks = self.horizon / self.check_every + self.horizon / self.mining_every
        return Cost(seconds=0.03 + self.orders * 1.5e-3 + checks * 20e-6,
                    megabytes=110 + self.orders * 0.1,
                    drivers={"orders": "lower", "check_every": "raise"})

    def faults(self) -> tuple[Fault, ...]:
        """The scheduled faults of the shop: the drop and the slow orders."""
        out = []
        if self.stuck_order:
            out.append(Fault(self.stuck_order, self.stuck_at, "drop"))
        if self.slow_order:
            out += [Fault(n, self.slow_at, "slow", self.slow_hours)
                    for n in range(self.slow_order, self.slow_order + self.slow_orders)]
        return tuple(out)

    def sla(self, step: str) -> float:
        """The limit of `step` ("payment", "inventory" or "shipping"), in hours."""
        check_choice("step", step, STEPS)
        return {"payment": self.payment_sla, "inventory": self.fetch_sla,
                "shipping": self.ship_sla}[step]


class Metric(StrEnum):
    """The run's totals (the keys of `metrics`); the measures of each option follow them,
    named ``"<option>: <measure>"``."""

    ORDERS = "orders"
    COMPLETED = "completed"
    STUCK_ORDERS = "stuck orders (injected or not)"
    STEPS_OVER_LIMIT = "steps over their limit (injected or not)"
    MESSAGES_PER_ORDER = "messages per order"


class Measure(StrEnum):
    """What each option is measured by (each appears as ``"<option>: <measure>"``)."""

    STUCK_DETECTED = "stuck order detected (%)"
    HOURS_STUCK = "hours to detect the stuck order"
    SLOW_DETECTED = "slow steps detected (%)"
    HOURS_SLOW = "hours to detect a slow step"
    DUPLICATE_DETECTED = "duplicate detected (%)"
    HOURS_DUPLICATE = "hours to detect the duplicate"
    FALSE_ALARMS = "false alarms"
    EXTRA_BYTES = "extra bytes per order"
    EXTRA_WRITES = "extra writes per order"
    EXTRA_READS = "extra reads per order"
    SERVICES_WITH_CODE = "services with monitoring code"


def metric(option: str, measure: Measure) -> str:
    """The metric name of `measure` for `option`, e.g. ``"tracking: false alarms"``."""
    return f"{check_choice('option', option, OPTIONS)}: {measure}"


DETECTION: tuple[Measure, ...] = (Measure.STUCK_DETECTED, Measure.SLOW_DETECTED,
                                  Measure.DUPLICATE_DETECTED, Measure.FALSE_ALARMS)
TIMES: tuple[Measure, ...] = (Measure.HOURS_STUCK, Measure.HOURS_SLOW, Measure.HOURS_DUPLICATE)
COSTS: tuple[Measure, ...] = (Measure.EXTRA_BYTES, Measure.EXTRA_WRITES, Measure.EXTRA_READS,
                              Measure.SERVICES_WITH_CODE)


@dataclass(frozen=True, repr=False)
class OptionsResult(RunResult):
    """One run watched four ways: the faults, every alarm, and what each option saw."""

    PANEL = ("table", "chart")  # what its interactive panel shows

    faults: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    alarms: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    steps: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    detections: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    log: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def rules(self) -> pd.DataFrame:
        """One row per option: what it sees, whether it knows the flow, what it alarms on,
        and the limits per step it uses (this run's thresholds)."""
        c = self.config
        limits = f"{c.payment_sla:g} / {c.fetch_sla:g} / {c.ship_sla:g} h"
        rows = [
            ("tracing", "a span per handled message, when it ends", "no",
             "a span over its step's limit", limits),
            ("monitor", "every message, as it arrives", "no",
             f"open and quiet {c.idle_hours:g} h, checked every {c.check_every:g} h", "—"),
            ("mining", f"the exported log, every {c.mining_every:g} h", "no",
             f"quiet {c.idle_hours:g} h; step over limit; activity twice", limits),
            ("tracking", "every message, as it arrives", "yes",
             "an SLA timer fires; a milestone not awaited now", limits),
        ]
        return pd.DataFrame(rows, columns=["option", "sees", "knows the flow", "alarms on",
                                           "limits: payment / fetch / ship"]
                            ).set_index("option")

    def table(self) -> pd.DataFrame:
        """One row per option: what it noticed of each fault and how many hours after it,
        its false alarms, and what it costs the services."""
        rows = []
        for option in OPTIONS:
            row: dict[str, Any] = {"option": option}
            for fault in FAULTS:
                row[fault] = _noticed(self.detections, option, fault)
            for measure in (Measure.FALSE_ALARMS, *COSTS):
                row[str(measure)] = self.metrics[metric(option, measure)]
            rows.append(row)
        return pd.DataFrame(rows).set_index("option")

    def first_alarms(self) -> pd.DataFrame:
        """Per injected fault and option: the first alarm that noticed it (NaN: none)."""
        return self.detections

    def chart(self) -> Chart:
        """Hours from each injected fault to each option's first alarm about it."""
        title = "hours from the fault to the first alarm (one run)"
        table = self.detections.pivot_table(index="option", columns="fault",
                                            values="hours to detect", aggfunc="mean",
                                            sort=False).reindex(index=list(OPTIONS))
        figure = Figure(figsize=(7.0, 2.8), layout="constrained")
        axes = figure.add_subplot()
        shown = [f for f in FAULTS if f in table.columns]
        finite = [float(v) for f in shown for v in table[f] if not math.isnan(float(v))]
        never = (max(finite) if finite else 1.0) * 1.15 + 1.0
        markers = {"stuck order": "o", "slow step": "s", "duplicate": "D"}
        y = {option: len(OPTIONS) - 1 - i for i, option in enumerate(OPTIONS)}
        offsets = {"stuck order": 0.18, "slow step": 0.0, "duplicate": -0.18}
        for fault in shown:
            xs: list[float] = []
            ys: list[float] = []
            empty_x: list[float] = []
            empty_y: list[float] = []
            for option in OPTIONS:
                value = float(table[fault][option])
                target = (empty_x, empty_y) if math.isnan(value) else (xs, ys)
                target[0].append(never if math.isnan(value) else value)
                target[1].append(y[option] + offsets[fault])
            axes.scatter(xs, ys, marker=markers[fault], s=50, label=fault)
            axes.scatter(empty_x, empty_y, marker=markers[fault], s=50, facecolors="none",
                         edgecolors="#5f6368")
        axes.axvline(never * 0.97, color="#bbbbbb", linewidth=1)
        axes.text(never, len(OPTIONS) - 0.5, "never", ha="center", fontsize=10,
                  color="#5f6368")
        axes.set_yticks(list(y.values()), list(y))
        axes.set_xlim(left=-0.03 * never, right=never * 1.08)
        axes.set_ylim(-0.6, len(OPTIONS) - 0.1)
        axes.set_xlabel("hours after the fault (a slow step: after it became late)")
        axes.grid(axis="x", alpha=0.3)
        axes.legend(frameon=False, fontsize=10, loc="upper center",
                    bbox_to_anchor=(0.5, -0.3), ncol=3)
        axes.set_title(title, fontsize=11)
        return Chart(figure, title, table.round(2))


def _noticed(detections: pd.DataFrame, option: str, fault: str) -> str:
    rows = detections[(detections["option"] == option) & (detections["fault"] == fault)]
    if rows.empty:
        return "not injected"
    hours = rows["hours to detect"].dropna()
    if hours.empty:
        return "never" if len(rows) == 1 else f"never (0 of {len(rows)})"
    share = "" if len(rows) == 1 else f"{len(hours)} of {len(rows)}, "
    return f"{share}after {hours.mean():.1f} h"


class _ResendingBus(Bus):
    """The shop's bus, whose producer sends one given event a second time: the client did
    not get the broker's acknowledgement in time and retried (a duplicate on the topic)."""

    def __init__(self, world: World, *, latency: float, case: str | None,
                 after: float) -> None:
        super().__init__(world, latency=latency)
        self.case, self.after = case, after
        self.resent_at: float | None = None

    def publish(self, message: Message) -> None:
        super().publish(message)
        if (self.case is not None and self.resent_at is None and message.type == DUPLICATED
                and message.correlation_id == self.case):
            self.resent_at = math.inf  # only once, even if the copy comes back here
            self.world.env.process(self._again(message))

    def _again(self, message: Message) -> Generator[simpy.Event, Any, None]:
        yield self.world.env.timeout(self.after)
        self.resent_at = self.world.now
        super().publish(message)  # the same record again: same id, same payload


def run(config: Config | None = None) -> OptionsResult:
    """Run the chain with the injected faults, watched by all four options at once."""
    config = resolve(Config, config)
    world = World(config.seed)
    duplicate = f"trace-{config.duplicate_order:04d}" if config.duplicate_order else None
    bus = _ResendingBus(world, latency=config.latency, case=duplicate,
                        after=config.duplicate_after)
    retail = Retail(world, bus, config, config.faults())
    wiring = retail_wiring("sequential", "baseline")
    wiring.install(world, bus, retail.actions(), drop=retail.drop)
    tracker = Tracker(world, bus, tracking_process(
        payment_hours=config.payment_sla, fetch_hours=config.fetch_sla,
        ship_hours=config.ship_sla))
    monitor = IdleWatch(world, bus, done=DONE, idle=config.idle_hours,
                        every=config.check_every, until=config.horizon)
    limits = {(trigger, milestone): config.sla(step)
              for step, (_, trigger, milestone) in CHAIN.items()}
    miner = Miner(world, bus, done=DONE, idle=config.idle_hours, every=config.mining_every,
                  until=config.horizon, limits=limits)
    retail.checkout()
    world.env.run(until=config.horizon)
    trace = world.trace.to_frame()
    steps = _steps(trace, config)
    alarms = pd.concat([_tracing(steps, config), _tagged("monitor", monitor.table()),
                        _tagged("mining", miner.table()), _tracking(tracker)],
                       ignore_index=True)
    faults = _faults(config, trace, steps, bus.resent_at)
    detections = _detect(faults, alarms)
    log = message_log(trace)
    metrics = _metrics(config, trace, log, steps, faults, alarms, detections,
                       {"monitor": monitor.stored, "mining": len(miner.rows)}, tracker)
    return OptionsResult(config, trace, metrics, faults=faults, alarms=alarms, steps=steps,
                         detections=detections, log=miner.log())


def _steps(trace: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Every step of every order as a span, with its limit and when it became late."""
    handlers = [(service, trigger) for service, trigger, _ in CHAIN.values()]
    table = spans(trace, handlers)
    step_of = {(service, trigger): step for step, (service, trigger, _) in CHAIN.items()}
    table["step"] = [step_of[(s, h)] for s, h in zip(table["service"], table["handles"],
                                                     strict=True)]
    table["limit"] = [config.sla(s) for s in table["step"]]
    ran = table["duration"].fillna(config.horizon - table["start"])
    table["over limit"] = ran > table["limit"]
    table["late at"] = table["start"] + table["limit"]
    return table


def _tagged(option: str, alarms: pd.DataFrame) -> pd.DataFrame:
    out = alarms.copy()
    out.insert(0, "option", option)
    return out


def _tracing(steps: pd.DataFrame, config: Config) -> pd.DataFrame:
    limits = {(service, trigger): config.sla(step)
              for step, (service, trigger, _) in CHAIN.items()}
    late = slow_spans(steps[list(SPAN_COLUMNS)], limits)
    rows = [("tracing", float(t), str(case), "slow", f"{s} handling {h} took {d:.1f} h",
             float(start) + float(limit))
            for t, case, s, h, d, start, limit in zip(
                late["alerted at"], late["trace_id"], late["service"], late["handles"],
                late["duration"], late["start"], late["limit"], strict=True)]
    return pd.DataFrame(rows, columns=["option", *ALARM_COLUMNS])


def _tracking(tracker: Tracker) -> pd.DataFrame:
    table = tracker.engine.table()
    overdue = table[table["outcome"].notna() & (table["outcome"] != TRACKED_OK)]
    rows = [("tracking", float(t), str(case), "overdue", str(outcome), math.nan)
            for t, case, outcome in zip(overdue["ended"], overdue["correlation_id"],
                                        overdue["outcome"], strict=True)]
    unexpected = tracker.unexpected()
    rows += [("tracking", float(t), str(case), "unexpected", f"{m} not expected now", float(t))
             for t, case, m in zip(unexpected["time"], unexpected["traceId"],
                                   unexpected["message type"], strict=True)]
    out = pd.DataFrame(rows, columns=["option", *ALARM_COLUMNS])
    return out.sort_values("time", kind="stable").reset_index(drop=True)


def _faults(config: Config, trace: pd.DataFrame, steps: pd.DataFrame,
            resent_at: float | None) -> pd.DataFrame:
    """The injected faults: which order, and the moment each one happened."""
    rows: list[tuple[str, str, str, float]] = []
    if config.stuck_order:
        case = f"trace-{config.stuck_order:04d}"
        dropped = trace[(trace["kind"] == "fault") & (trace["correlation_id"] == case)]
        if len(dropped):  # the order reached the service that drops it
            rows.append(("stuck order", case, f"{config.stuck_at} dropped it",
                         float(dropped["time"].min())))
    if config.slow_order:
        service = CHAIN[config.slow_at][0]
        for n in range(config.slow_order, config.slow_order + config.slow_orders):
            case = f"trace-{n:04d}"
            mine = steps[(steps["trace_id"] == case) & (steps["service"] == service)
                         & steps["over limit"]]
            for late_at in mine["late at"]:  # only a step slower than its limit is slow
                rows.append(("slow step", case, f"{config.slow_at} took "
                             f"{config.slow_hours:g} h", float(late_at)))
    if config.duplicate_order and resent_at is not None and math.isfinite(resent_at):
        rows.append(("duplicate", f"trace-{config.duplicate_order:04d}",
                     f"{DUPLICATED} sent twice", float(resent_at)))
    return pd.DataFrame(rows, columns=["fault", "case", "what", "at"])


def _detect(faults: pd.DataFrame, alarms: pd.DataFrame) -> pd.DataFrame:
    """Per fault and option: the first alarm about that order by a rule that notices this
    kind of fault, at or after the fault."""
    raised: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for option, time, case, rule in zip(alarms["option"], alarms["time"], alarms["case"],
                                        alarms["rule"], strict=True):
        raised.setdefault((str(option), str(case)), []).append((float(time), str(rule)))
    rows = []
    for fault, case, at in zip(faults["fault"], faults["case"], faults["at"], strict=True):
        for option in OPTIONS:
            fits = [(t, r) for t, r in raised.get((option, str(case)), [])
                    if r in NOTICED_BY[fault] and t >= at - EPSILON]
            first, rule = min(fits) if fits else (math.nan, "")
            rows.append((fault, case, float(at), option, first, rule,
                         max(0.0, first - float(at)) if fits else math.nan))
    return pd.DataFrame(rows, columns=["fault", "case", "at", "option", "alarm at", "rule",
                                       "hours to detect"])


def _mean(values: Sequence[float] | pd.Series) -> float | str:
    found = [float(v) for v in values if not math.isnan(float(v))]
    return round(sum(found) / len(found), 3) if found else "—"


def _metrics(config: Config, trace: pd.DataFrame, log: pd.DataFrame, steps: pd.DataFrame,
             faults: pd.DataFrame, alarms: pd.DataFrame, detections: pd.DataFrame,
             stored: dict[str, int], tracker: Tracker) -> dict[str, Any]:
    orders = config.orders
    completed = set(log.loc[log["message_type"].isin(list(DONE)), "correlation_id"])
    cases = [f"trace-{n:04d}" for n in range(1, orders + 1)]
    late = set(steps.loc[steps["over limit"], "trace_id"])
    troubled = {c for c in cases if c not in completed or c in late}
    troubled |= set(faults["case"])
    out: dict[str, Any] = {
        Metric.ORDERS: orders,
        Metric.COMPLETED: sum(c in completed for c in cases),
        Metric.STUCK_ORDERS: sum(c not in completed for c in cases),
        Metric.STEPS_OVER_LIMIT: int(steps["over limit"].sum()),
        Metric.MESSAGES_PER_ORDER: round(len(log) / orders, 3),
    }
    senders = log["sender"].nunique()
    tracker_rows = int(((trace["actor"] == tracker.name) & (trace["kind"] != "deliver")).sum())
    exported = int(steps["end"].notna().sum())
    for option in OPTIONS:
        found = detections[detections["option"] == option]
        for fault, share, hours in (("stuck order", Measure.STUCK_DETECTED, Measure.HOURS_STUCK),
                                    ("slow step", Measure.SLOW_DETECTED, Measure.HOURS_SLOW),
                                    ("duplicate", Measure.DUPLICATE_DETECTED,
                                     Measure.HOURS_DUPLICATE)):
            rows = found[found["fault"] == fault]
            out[metric(option, share)] = round(100.0 * float(rows["hours to detect"].notna()
                                                             .mean()), 3) if len(rows) else "—"
            out[metric(option, hours)] = _mean(rows["hours to detect"])
        mine = alarms[alarms["option"] == option]
        out[metric(option, Measure.FALSE_ALARMS)] = len(
            {c for c in mine["case"] if c not in troubled})
        reads = {"tracing": 0, "monitor": stored["monitor"], "mining": stored["mining"],
                 "tracking": int(((trace["kind"] == "deliver")
                                  & (trace["actor"] == tracker.name)).sum())}[option]
        writes = {"tracing": exported, "monitor": stored["monitor"],
                  "mining": stored["mining"], "tracking": tracker_rows}[option]
        out[metric(option, Measure.EXTRA_BYTES)] = round(
            TRACEPARENT_BYTES * len(log) / orders, 3) if option == "tracing" else 0
        out[metric(option, Measure.EXTRA_WRITES)] = round(writes / orders, 3)
        out[metric(option, Measure.EXTRA_READS)] = round(reads / orders, 3)
        out[metric(option, Measure.SERVICES_WITH_CODE)] = senders if option == "tracing" else 0
    return out


def compare_options(config: Config | None = None, *, seeds: int = DEFAULT_SEEDS,
                    n_jobs: int = -1) -> Comparison:
    """The four options over `seeds` runs: every option watches the *same* runs, so the
    sides are paired run by run (one replication, its metrics split per option)."""
    config = resolve(Config, config)
    reps = replicate(run, config, seeds=seeds, n_jobs=n_jobs)
    sides = {}
    for option in OPTIONS:
        prefix = f"{option}: "
        rows = reps.runs[reps.runs["metric"].str.startswith(prefix)].copy()
        rows["metric"] = rows["metric"].str.removeprefix(prefix)
        sides[option] = Replications(config, rows.reset_index(drop=True))
    return Comparison("option", sides)


def among(comparison: Comparison, options: Sequence[str]) -> Comparison:
    """The same comparison with only `options` (e.g. those that detect a fault at all)."""
    if not isinstance(comparison, Comparison):
        raise TypeError(f"comparison must come from compare_options, got "
                        f"{type(comparison).__name__}")
    if isinstance(options, str) or not isinstance(options, Sequence) or not options:
        raise TypeError(f"options must be a list of option names, got {options!r}")
    for option in options:
        check_choice("option", option, tuple(comparison.sides))
    return Comparison(comparison.field, {o: comparison.sides[o] for o in options})


# What each fault's detection time is compared on: the options that notice it at all.
NOTICING: dict[Measure, tuple[str, ...]] = {
    Measure.HOURS_STUCK: ("monitor", "mining", "tracking"),
    Measure.HOURS_SLOW: ("tracing", "mining", "tracking"),
    Measure.HOURS_DUPLICATE: ("mining", "tracking"),
}


def _noticing(comparison: Comparison, measure: Measure) -> list[str]:
    """The options of `comparison` that noticed the fault of `measure` in every seed."""
    out = []
    for option in NOTICING[measure]:
        runs = comparison.sides[option].runs if option in comparison.sides else None
        if runs is not None and (runs["metric"] == str(measure)).sum() == \
                len(comparison.sides[option].seeds):
            out.append(option)
    return out


def detection_times(comparison: Comparison) -> pd.DataFrame:
    """Hours from each fault to its first alarm, per option that noticed it in every seed:
    the tidy table (side, metric, n, mean, low, high) that ``charts.intervals`` draws."""
    if not isinstance(comparison, Comparison):
        raise TypeError(f"comparison must come from compare_options, got "
                        f"{type(comparison).__name__}")
    parts = [among(comparison, found).table([str(measure)])
             for measure in TIMES if (found := _noticing(comparison, measure))]
    if not parts:
        raise ConfigError("no option noticed any fault in every seed; inject a fault "
                          "(stuck_order, slow_order or duplicate_order above 0)")
    table = pd.concat(parts, ignore_index=True)
    order = table["side"].map({o: i for i, o in enumerate(OPTIONS)})
    return table.iloc[order.argsort(kind="stable")].reset_index(drop=True)  # options' order


def verdicts(comparison: Comparison, *, against: str = "tracking") -> list[str]:
    """For each fault, the sentence the runs allow about `against` and the fastest other
    option that noticed it (``Comparison.verdict``: "fewer" only when the paired interval
    excludes zero)."""
    check_choice("against", against, OPTIONS)
    sentences = []
    for measure in TIMES:
        found = _noticing(comparison, measure)
        others = [o for o in found if o != against]
        if against not in found or not others:
            continue
        fastest = min(others, key=lambda o: comparison.interval(o, str(measure)).mean)
        sentences.append(among(comparison, [against, fastest]).verdict(
            str(measure), against, fastest, label=str(measure)))
    return sentences
