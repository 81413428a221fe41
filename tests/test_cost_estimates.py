"""Every scenario says what a run will cost before it starts, and the estimate can be trusted.

Each scenario ``Config`` declares ``estimated_cost()``: the work its fields ask for (events to
simulate) times a cost per event measured on a 2-core laptop, and the fields that drive it.
Hypothesis draws configs anywhere in their ranges and checks three things: a config whose
estimate fits the budget runs without the in-run guard stopping it; a config over the budget
is refused before anything is simulated, with a message naming a field to change; and the
estimate never falls when a field it names is moved the costly way.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import pkgutil
import traceback
import typing
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import eventlab.scenarios
from eventlab.core import budget
from eventlab.core.budget import Budget, Cost, OverBudgetError
from eventlab.core.config import Scenario, spec_of
from eventlab.core.errors import ConfigError

# Draws per scenario (EVENTLAB_FUZZ_EXAMPLES=200 for a long hunt before a release). Runs are
# only started for estimates within RUN_ESTIMATE, so the whole file stays under a minute; the
# in-run guard gets GUARD_SECONDS, 10x that, because the machines that run the tests are
# shared (wall time there is up to 4x CPU time) and a stopped run must mean a wrong estimate,
# not a busy neighbour.
SCALE = int(os.environ.get("EVENTLAB_FUZZ_EXAMPLES", "5"))
RUN_EXAMPLES = SCALE
REFUSE_EXAMPLES = 2 * SCALE
MONOTONE_EXAMPLES = 8 * SCALE
RUN_ESTIMATE = Budget(seconds=0.3, megabytes=400.0)
GUARD_SECONDS = 3.0
GUARD_MEGABYTES = 1500.0
SETTINGS: dict[str, Any] = {"deadline": None, "derandomize": True, "database": None,
                            "suppress_health_check": [HealthCheck.too_slow,
                                                      HealthCheck.filter_too_much]}


def _scenario_runs() -> dict[type[Scenario], Callable[[Any], Any]]:
    """Every config class a scenario runs, with the function that runs it: the first
    parameter of each ``run*`` function in eventlab.scenarios names its config class."""
    runs: dict[type[Scenario], Callable[[Any], Any]] = {}
    for info in pkgutil.walk_packages(eventlab.scenarios.__path__, "eventlab.scenarios."):
        module = importlib.import_module(info.name)
        for name, function in vars(module).items():
            if not (name.startswith("run") and inspect.isfunction(function)
                    and function.__module__ == info.name):
                continue
            if list(inspect.signature(function).parameters)[:1] != ["config"]:
                continue
            hint = inspect.get_annotations(function, eval_str=True)["config"]
            for config_class in typing.get_args(hint):
                if inspect.isclass(config_class) and issubclass(config_class, Scenario):
                    runs.setdefault(config_class, function)
    return runs


RUNS = _scenario_runs()
CONFIGS = sorted(RUNS, key=lambda c: f"{c.__module__}.{c.__qualname__}")
IDS = [f"{c.__module__.removeprefix('eventlab.')}.{c.__qualname__}" for c in CONFIGS]


def _defined_in_scenarios() -> list[type]:
    """Every Scenario subclass defined in a module of eventlab.scenarios."""
    found = []
    for info in pkgutil.walk_packages(eventlab.scenarios.__path__, "eventlab.scenarios."):
        module = importlib.import_module(info.name)
        found += [obj for obj in vars(module).values()
                  if inspect.isclass(obj) and issubclass(obj, Scenario)
                  and obj.__module__ == info.name]
    return found


def _value(config_class: type, name: str) -> st.SearchStrategy[Any]:
    """A field's default, one of its edges, or any allowed value (on the slider's grid)."""
    spec = spec_of(config_class, name)
    default = getattr(config_class(), name)
    if name == "seed":
        return st.integers(0, 1000)
    if spec.kind == "int":
        first, last = int(spec.low), int(spec.high)  # type: ignore[arg-type]
        return st.one_of(st.just(default), st.sampled_from([first, last]),
                         st.integers(first, last))
    if spec.kind == "float":
        low, high = float(spec.low), float(spec.high)  # type: ignore[arg-type]
        if spec.low_open:
            low += spec.step or 1e-6
        step = spec.step

        def on_grid(k: int) -> float:
            return round(low + k * (step or 0.0), 6)

        anywhere = st.floats(low, high) if not step else \
            st.integers(0, int((high - low) / step)).map(on_grid)
        return st.one_of(st.just(default), st.sampled_from([low, high]), anywhere)
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    if spec.kind == "bool":
        return st.booleans()
    return st.just(default)


@st.composite
def configs(draw: st.DrawFn, config_class: type) -> Any:
    """A valid config of `config_class`; combinations a cross-field rule refuses are
    discarded (they never reach a run: the rule's own tests cover them)."""
    values = {f.name: draw(_value(config_class, f.name))
              for f in dataclasses.fields(config_class) if "eventlab" in f.metadata}
    try:
        return config_class(**values)
    except ConfigError:
        assume(False)


def _heavier(draw: Callable[[st.SearchStrategy[Any]], Any], config: Any, name: str,
             direction: str) -> Any:
    """A value of field `name` on the costly side of its current one: above it for a field
    to lower, below it for one to raise."""
    spec = spec_of(config, name)
    now = getattr(config, name)
    up = direction == "lower"
    if spec.kind == "choice":
        return draw(st.sampled_from([c for c in spec.choices if (c >= now if up else c <= now)]))
    if spec.kind == "int":
        return draw(st.integers(now, int(spec.high)) if up  # type: ignore[arg-type]
                    else st.integers(int(spec.low), now))  # type: ignore[arg-type]
    first, last = float(spec.low), float(spec.high)  # type: ignore[arg-type]
    low, high = (now, last) if up else (first, now)
    value = draw(st.floats(low, high))
    if spec.step:  # stay on the grid, on the costly side
        grid = first + round((value - first) / spec.step) * spec.step
        value = round(min(max(grid, low), high), 6)
    return value


def test_every_scenario_config_declares_what_a_run_costs() -> None:
    assert set(_defined_in_scenarios()) <= set(RUNS)  # nothing defined but never run
    assert len(CONFIGS) >= 26
    for config_class in CONFIGS:
        assert config_class.estimated_cost is not Scenario.estimated_cost, config_class
        cost = config_class().estimated_cost()
        assert isinstance(cost, Cost)
        assert cost.fits(budget.current()), f"{config_class} defaults are over the budget"
        assert cost.drivers, config_class
        names = {f.name for f in dataclasses.fields(typing.cast(Any, config_class))}
        for name, direction in cost.drivers.items():
            assert name in names, (config_class, name)
            assert direction in ("lower", "raise"), (config_class, name)
        # The docstring says what drives the cost and what was measured.
        doc = inspect.getdoc(config_class.estimated_cost) or ""
        assert "Measured" in doc, config_class


@pytest.mark.parametrize("config_class", CONFIGS, ids=IDS)
def test_a_config_estimated_within_the_budget_runs_without_being_stopped(
        config_class: type) -> None:
    run = RUNS[config_class]

    @settings(max_examples=RUN_EXAMPLES, **SETTINGS)
    @given(config=configs(config_class))
    def check(config: Any) -> None:
        if not config.estimated_cost().fits(RUN_ESTIMATE):
            return  # covered by the refusal test below
        with budget.budget(seconds=GUARD_SECONDS, megabytes=GUARD_MEGABYTES):
            run(config)  # an OverBudgetError here fails the test

    check()


class _SimulatedError(AssertionError):
    """Raised if a World's clock is made: the refusal came too late."""


def _no_clock(*_args: Any, **_kwargs: Any) -> None:
    raise _SimulatedError("a simulation clock was made before the run was refused")


@pytest.mark.parametrize("config_class", CONFIGS, ids=IDS)
def test_a_config_over_the_budget_is_refused_before_anything_is_simulated(
        config_class: type) -> None:
    run = RUNS[config_class]

    @settings(max_examples=REFUSE_EXAMPLES, **SETTINGS)
    @given(config=configs(config_class))
    def check(config: Any) -> None:
        cost = config.estimated_cost()
        # Half the estimate: whatever the config, it is over this budget.
        with budget.budget(seconds=max(cost.seconds / 2, 1e-9),
                           megabytes=max(cost.megabytes / 2, 1e-9)), \
                mock.patch.object(budget.Environment, "__init__", _no_clock), \
                pytest.raises(OverBudgetError) as refused:
            run(config)
        frames = [frame.name for frame in traceback.extract_tb(refused.value.__traceback__)]
        assert "check_before_run" in frames
        message = str(refused.value)
        assert ": this combination would take about" in message
        assert any(f"{name} (now " in message for name in cost.drivers), message

    check()


def _heaviest(config_class: type) -> Any:
    """The defaults with every driver at its costly edge (as far as the cross-field rules
    allow): the combination a learner reaches by pushing every slider the wrong way."""
    config = config_class()
    for name, direction in config.estimated_cost().drivers.items():
        spec = spec_of(config, name)
        if spec.kind == "choice":
            edge = max(spec.choices) if direction == "lower" else min(spec.choices)
        else:
            bound = float(spec.high if direction == "lower" else spec.low)  # type: ignore[arg-type]
            if spec.low_open and direction == "raise":
                bound += spec.step or 1e-6
            edge = int(bound) if spec.kind == "int" else bound
        try:
            config = dataclasses.replace(config, **{name: edge})
        except ConfigError:
            continue
    return config


@pytest.mark.parametrize("config_class", CONFIGS, ids=IDS)
def test_every_driver_at_its_costly_edge_is_refused_at_once_or_fits(config_class: type) -> None:
    config = _heaviest(config_class)
    cost = config.estimated_cost()
    if cost.fits(budget.current()):
        return  # this scenario cannot outgrow the default budget (its docstring says why)
    with mock.patch.object(budget.Environment, "__init__", _no_clock), \
            pytest.raises(OverBudgetError, match="this combination would take about"):
        RUNS[config_class](config)


@pytest.mark.parametrize("config_class", CONFIGS, ids=IDS)
def test_moving_a_driver_the_costly_way_never_lowers_the_estimate(config_class: type) -> None:
    @settings(max_examples=MONOTONE_EXAMPLES, **SETTINGS)
    @given(config=configs(config_class), data=st.data())
    def check(config: Any, data: st.DataObject) -> None:
        before = config.estimated_cost()
        name = data.draw(st.sampled_from(sorted(before.drivers)))
        value = _heavier(data.draw, config, name, before.drivers[name])
        try:
            heavier = dataclasses.replace(config, **{name: value})
        except ConfigError:
            assume(False)
        after = heavier.estimated_cost()
        assert after.seconds >= before.seconds * (1 - 1e-12), (name, value)
        assert after.megabytes >= before.megabytes * (1 - 1e-12), (name, value)

    check()
