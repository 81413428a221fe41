"""Preset scenarios for facilitators: named configs to type in front of a room.

``presets.table()`` lists them; ``presets.config("slow-crm")`` returns the ready Config, and
``presets.run("slow-crm")`` runs it; ``presets.compare("slow-crm", "slow-crm-state-transfer")``
runs two presets over the same 20 seeds, and only when they differ in one field (a pair that
changes two things at once cannot say which of them made the difference). The presets live
in ``eventlab/resources/presets.json`` and are checked when loaded: every key, every scenario
name and every value (by the scenario's own Config), so a typo in the file is reported with
its entry and field instead of a deep traceback.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from eventlab.core import files
from eventlab.core.comparison import Comparison
from eventlab.core.comparison import compare as compare_configs
from eventlab.core.errors import ConfigError, check_text
from eventlab.core.replications import DEFAULT_SEEDS
from eventlab.core.resources import resource

PRESETS_FILE = resource("presets.json")

# Scenario name -> module with a Config and a run(). An allowlist: the file names a scenario,
# it never names code to import.
SCENARIOS: dict[str, str] = {
    "fowler": "eventlab.scenarios.fowler",
    "bank": "eventlab.scenarios.bank",
    "clerks": "eventlab.scenarios.bank.clerks",
}
KEYS = ("name", "notebook", "scenario", "why", "config")


@dataclass(frozen=True)
class Preset:
    """One named scenario: where it is used, why, and its config."""

    name: str
    notebook: str
    scenario: str
    why: str
    config: Any


def load(path: str | Path = PRESETS_FILE) -> list[Preset]:
    """Read and check the presets file; errors name the entry and the field."""
    path, text = files.read_text(path)
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"presets file {path} cannot be read as JSON: {err}") from None
    if not isinstance(entries, list):
        raise ConfigError(f"presets file {path} must hold a JSON list of presets")
    presets, seen = [], []
    for index, entry in enumerate(entries):
        where = f"{path.name} entry {index}"
        if not isinstance(entry, dict) or sorted(entry) != sorted(KEYS):
            got = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            raise ConfigError(f"{where} must have exactly the keys {list(KEYS)}, got {got}")
        for key in ("name", "notebook", "scenario", "why"):
            check_text(f"{where} {key}", entry[key])
        if entry["name"] in seen:
            raise ConfigError(f"{where}: the name {entry['name']!r} is used twice")
        seen.append(entry["name"])
        module = _scenario(entry["scenario"], where)
        if not isinstance(entry["config"], dict):
            raise ConfigError(f"{where} config must be a JSON object of field values")
        try:
            config = module.Config(**entry["config"])
        except (TypeError, ValueError) as err:
            raise ConfigError(f"{where} ({entry['name']!r}) has a bad config: {err}") from None
        presets.append(Preset(entry["name"], entry["notebook"], entry["scenario"],
                              entry["why"], config))
    return presets


def table() -> pd.DataFrame:
    """All presets: name, notebook, scenario and what each one shows."""
    rows = [(p.name, p.notebook, p.scenario, p.why) for p in load()]
    return pd.DataFrame(rows, columns=["preset", "notebook", "scenario", "what it shows"])


def config(name: str) -> Any:
    """The Config of the preset called `name`."""
    return _find(name).config


def run(name: str) -> Any:
    """Run the preset called `name` and return its result."""
    preset = _find(name)
    return importlib.import_module(SCENARIOS[preset.scenario]).run(preset.config)


def compare(*names: str, seeds: int = DEFAULT_SEEDS, n_jobs: int = -1) -> Comparison:
    """Run the named presets over the same `seeds` seeds, side by side (sides named as the
    presets). They must run one scenario and differ from the first in one and the same field;
    otherwise a :class:`ConfigError` names the fields that differ."""
    if len(names) < 2:
        raise TypeError(f"compare needs at least two preset names, got {list(names)!r}")
    chosen = [_find(name) for name in names]
    scenarios = {p.scenario for p in chosen}
    if len(scenarios) > 1:
        raise ConfigError(f"presets {', '.join(repr(n) for n in names)} run different "
                          f"scenarios ({', '.join(sorted(scenarios))}); compare presets of one")
    module = importlib.import_module(SCENARIOS[chosen[0].scenario])
    return compare_configs(module.run, {p.name: p.config for p in chosen}, seeds=seeds,
                           n_jobs=n_jobs)


def _find(name: str) -> Preset:
    check_text("name", name)
    presets = load()
    for preset in presets:
        if preset.name == name:
            return preset
    names = ", ".join(p.name for p in presets)
    raise ConfigError(f"no preset called {name!r}; presets: {names}")


def _scenario(name: Any, where: str) -> Any:
    if name not in SCENARIOS:
        raise ConfigError(f"{where} scenario {name!r} is unknown; known: {', '.join(SCENARIOS)}")
    return importlib.import_module(SCENARIOS[name])
