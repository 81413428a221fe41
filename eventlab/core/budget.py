"""The run budget: one run may take about 10 s and 1 GB on a 2-core workshop laptop.

Every slider is bounded on its own, but several at their maximum together can ask for minutes
and gigabytes. Two guards keep a notebook responsive, and both say which fields to change:

* **before the run**: :func:`~eventlab.core.config.resolve` asks the config for its
  :meth:`~eventlab.core.config.Scenario.estimated_cost` (scenarios whose cost can outgrow the
  budget declare one: events to simulate times a measured cost per event). A combination
  over the budget raises :class:`OverBudgetError`, naming each field and the value at which
  the run would fit ("lower writes to <= 800");
* **while it runs**: the World's clock (:class:`Environment`) looks at the wall clock and the
  process memory every few thousand steps and stops a run that outgrows the budget anyway,
  naming the fields changed from their defaults.

The wall clock only ever stops a run; it never enters a result. A facilitator with a faster
machine can widen the budget with :func:`set_budget`.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import simpy
from simpy.events import URGENT

from eventlab.core.collector import fewer_collections
from eventlab.core.errors import ConfigError, check_float
from eventlab.core.naming import learner_name


@dataclass(frozen=True, slots=True)
class Budget:
    """What one run may cost: wall-clock seconds and megabytes of memory."""

    seconds: float = 10.0
    megabytes: float = 1000.0


@dataclass(frozen=True, slots=True)
class Cost:
    """A run's estimated cost, and the fields that drive it: name -> "lower" or "raise"
    (lower a count, raise an interval)."""

    seconds: float
    megabytes: float
    drivers: Mapping[str, str]

    def fits(self, budget: Budget) -> bool:
        return self.seconds <= budget.seconds and self.megabytes <= budget.megabytes


class OverBudgetError(ConfigError):
    """A combination of fields that would (or did) take longer or more memory than allowed."""


_budget = Budget()
# The config of the run in progress (set by resolve()), for the in-run guard's message.
_running: ContextVar[Any] = ContextVar("eventlab_running_config", default=None)

STEPS_BETWEEN_CHECKS = 4096  # SimPy steps; a step costs microseconds, a check about 10 us


def current() -> Budget:
    """The budget every run is checked against."""
    return _budget


def set_budget(*, seconds: float | None = None, megabytes: float | None = None) -> Budget:
    """Widen (or narrow) the run budget; return the previous one."""
    global _budget
    previous = _budget
    _budget = Budget(
        previous.seconds if seconds is None else check_float("seconds", seconds, low=0.0,
                                                               high=86_400.0, low_open=True),
        previous.megabytes if megabytes is None else check_float(
            "megabytes", megabytes, low=0.0, high=1_000_000.0, low_open=True))
    return previous


@contextmanager
def budget(*, seconds: float | None = None, megabytes: float | None = None) -> Iterator[Budget]:
    """``with budget(seconds=60): run(big)``: another budget for the runs inside."""
    previous = set_budget(seconds=seconds, megabytes=megabytes)
    try:
        yield _budget
    finally:
        set_budget(seconds=previous.seconds, megabytes=previous.megabytes)


def check_before_run(config: Any) -> None:
    """Refuse `config` if its estimated cost is over the budget; remember it for the run."""
    _running.set(config)
    estimate = getattr(config, "estimated_cost", None)
    cost = estimate() if estimate is not None else None
    if cost is None or cost.fits(_budget):
        return
    raise OverBudgetError(
        f"{_name(config)}: this combination would take about {_amount(cost)}; the budget is "
        f"{_amount(Cost(_budget.seconds, _budget.megabytes, {}))} per run on a 2-core laptop. "
        f"{_suggest(config, cost)} (eventlab.core.budget.set_budget widens the budget)")


def _amount(cost: Cost) -> str:
    seconds = f"{cost.seconds:.0f} s" if cost.seconds >= 1 else f"{cost.seconds:.1g} s"
    size = f"{cost.megabytes / 1000:.1f} GB" if cost.megabytes >= 1000 else \
        f"{cost.megabytes:.0f} MB"
    return f"{seconds} and {size}"


def _name(config: Any) -> str:
    return learner_name(type(config).__module__)


def _suggest(config: Any, cost: Cost) -> str:
    """"Lower writes to <= 800 or raise write_interval to >= 2.5": one field at a time."""
    specs = {f.name: f.metadata.get("eventlab") for f in dataclasses.fields(config)}
    options, stuck = [], []
    for name, direction in cost.drivers.items():
        spec = specs[name]
        value = getattr(config, name)
        fitting = _boundary(config, name, spec, direction)
        if fitting is None or fitting == value:
            stuck.append(f"{name} (now {value!r})")
        else:
            sign = "<=" if direction == "lower" else ">="
            options.append(f"{direction} {name} (now {value!r}) to {sign} {fitting!r}")
    if options:
        return "To run it, " + "; or ".join(options) + "."
    return "To run it, lower several of these together: " + ", ".join(stuck) + "."


def _boundary(config: Any, name: str, spec: Any, direction: str) -> Any:
    """The value of field `name` nearest to the current one at which the run fits, with the
    other fields unchanged; None if no value of that field alone is enough."""
    if spec.low is None or spec.high is None:
        return None
    whole = spec.kind == "int"

    def fits(value: float) -> bool:
        try:
            trial = dataclasses.replace(config, **{name: int(value) if whole else value})
            cost = trial.estimated_cost()
        except (TypeError, ValueError):  # a cross-field rule refuses this value
            return False
        return cost is None or cost.fits(_budget)

    current_value = float(getattr(config, name))
    best = float(spec.low) if direction == "lower" else float(spec.high)
    if not fits(best):
        return None
    good, bad = best, current_value
    for _ in range(60):  # bisection between a fitting and a non-fitting value
        middle = (good + bad) / 2
        if whole:
            middle = float(round(middle))
            if middle in (good, bad):
                break
        if fits(middle):
            good = middle
        else:
            bad = middle
        if not whole and abs(good - bad) <= (spec.step or 1e-9):
            break
    if whole:
        return int(good)
    step = spec.step or 0.0
    if step:  # a value a slider can show, on the fitting side
        rounded = (good // step) * step if direction == "lower" else -((-good) // step) * step
        if fits(rounded):
            good = rounded
    return round(good, 6)


class Environment(simpy.Environment):
    """SimPy's clock with the in-run guard: every STEPS_BETWEEN_CHECKS steps it checks that
    the run is still within the budget (wall time since it was made, memory grown since)."""

    def __init__(self) -> None:
        super().__init__()
        self._started = time.perf_counter()
        self._rss_at_start = _resident_megabytes()

    def run(self, until: simpy.core.SimTime | simpy.Event | None = None) -> Any:
        if until is not None:
            # SimPy's own set-up of `until` (a number becomes an urgent event), then our loop.
            if not isinstance(until, simpy.Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self.now:
                    raise ValueError(f"until ({at}) must be greater than the current "
                                     "simulation time")
                until = simpy.Event(self)
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self.now)
            elif until.callbacks is None:
                return until.value
            until.callbacks.append(simpy.core.StopSimulation.callback)
        step = self.step
        # A run keeps most of what it makes until it ends: see eventlab.core.collector.
        with fewer_collections:
            try:
                while True:
                    for _ in range(STEPS_BETWEEN_CHECKS):
                        step()
                    self._check()
            except simpy.core.StopSimulation as exc:
                return exc.args[0]
            except simpy.core.EmptySchedule:
                if until is not None:
                    raise RuntimeError(f'No scheduled events left but "until" event was not '
                                       f"triggered: {until}") from None
        return None

    def _check(self) -> None:
        spent = time.perf_counter() - self._started
        grown = _resident_megabytes() - self._rss_at_start
        if spent <= _budget.seconds and grown <= _budget.megabytes:
            return
        config = _running.get()
        what = f"{spent:.0f} s" if spent > _budget.seconds else f"{grown:.0f} MB more memory"
        changed = _changed_fields(config)
        hint = (f"Go back towards the defaults with some of: {changed}." if changed else
                "Lower the counts or the duration of the run.")
        name = _name(config) if config is not None else "the simulation"
        raise OverBudgetError(
            f"{name}: stopped after {what}, over the run budget of "
            f"{_amount(Cost(_budget.seconds, _budget.megabytes, {}))} on a 2-core laptop. "
            f"{hint} (eventlab.core.budget.set_budget widens the budget)")


def _changed_fields(config: Any) -> str:
    if config is None or not dataclasses.is_dataclass(config) or isinstance(config, type):
        return ""
    defaults = type(config)()
    return ", ".join(f"{f.name}={getattr(config, f.name)!r}"
                     for f in dataclasses.fields(config)
                     if f.name != "seed" and getattr(config, f.name) != getattr(defaults, f.name))


def _resident_megabytes() -> float:
    """Memory the process holds now (Linux), else its peak so far; 0 if unknown."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
    except ImportError:  # Windows: no memory guard, the time guard still works
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if os.uname().sysname == "Darwin" else peak / 1e3
