"""Every scenario's ``run(config)`` takes its own Config or None, and nothing else."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import eventlab.scenarios
from eventlab.core.config import Scenario, spec_of


def _runs() -> list[tuple[str, object, type]]:
    found = []
    for info in pkgutil.walk_packages(eventlab.scenarios.__path__, "eventlab.scenarios."):
        module = importlib.import_module(info.name)
        run = getattr(module, "run", None)
        if run is None or getattr(run, "__module__", None) != info.name:
            continue  # a re-export: tested where it is defined
        parameters = list(inspect.signature(run).parameters)
        if parameters[:1] != ["config"]:
            continue  # presets.run(name) takes a preset's name
        config_class = inspect.get_annotations(run, eval_str=True)["config"]
        config_class = next(a for a in config_class.__args__ if a is not type(None))
        found.append((info.name, run, config_class))
    return found


RUNS = _runs()


def test_every_scenario_with_a_run_is_found():
    names = {name.split(".")[2] for name, _, _ in RUNS}
    assert {"fowler", "bank", "zeebe", "outbox", "merged_store", "shared_store",
            "kafka_transport", "crm", "onboarding", "retail", "recap"} <= names


@pytest.mark.parametrize(("name", "run", "config_class"), RUNS, ids=[r[0] for r in RUNS])
@pytest.mark.parametrize("bad", [0, "", {}, [], False, "fast", 3.5],
                         ids=["zero", "empty-str", "empty-dict", "empty-list", "False",
                              "str", "float"])
def test_run_rejects_a_falsy_or_wrongly_typed_config_naming_the_class(name, run, config_class,
                                                                      bad):
    with pytest.raises(TypeError, match=rf"config must be \S*{config_class.__name__} "
                                        r"\(or None for its defaults\), got "):
        run(bad)


@pytest.mark.parametrize(("name", "run", "config_class"), RUNS, ids=[r[0] for r in RUNS])
def test_run_rejects_another_scenarios_config(name, run, config_class):
    other = next(c for _, _, c in RUNS if c is not config_class and
                 not issubclass(c, config_class) and not issubclass(config_class, c))
    with pytest.raises(TypeError, match="config must be"):
        run(other())


def _numeric_fields(config_class: type) -> list[tuple[str, str]]:
    fields = []
    for f in dataclasses.fields(config_class):
        if "eventlab" in f.metadata and spec_of(config_class, f.name).kind in ("int", "float"):
            fields.append((f.name, spec_of(config_class, f.name).kind))
    return fields


CONFIGS = sorted({c for _, _, c in RUNS if issubclass(c, Scenario)}, key=lambda c: c.__module__)


@pytest.mark.parametrize("config_class", CONFIGS, ids=[c.__module__ for c in CONFIGS])
def test_numpy_scalars_are_accepted_wherever_a_number_is_and_stored_as_plain_numbers(
        config_class):
    default = config_class()
    for name, kind in _numeric_fields(config_class):
        value = getattr(default, name)
        as_numpy = np.int64(value) if kind == "int" else np.float32(value)
        config = dataclasses.replace(default, **{name: as_numpy})
        stored = getattr(config, name)
        assert type(stored) is (int if kind == "int" else float), name
        assert stored == pytest.approx(float(value), rel=1e-6), name


def test_a_numpy_bool_is_not_taken_for_a_count():
    from eventlab.scenarios import fowler

    with pytest.raises(TypeError, match="seed must be an int"):
        fowler.Config(seed=np.bool_(True))
    with pytest.raises(TypeError, match="seed must be an int"):
        fowler.Config(seed=np.float64(3.0))
