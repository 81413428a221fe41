"""A non-editable install works on its own: from another directory, without the repository.

``pip install --no-deps --target`` builds and installs the package as a user's ``pip install .``
would (package files included); a fresh interpreter then imports it from there, never from
the checkout, and runs every preset, every scenario's defaults and the readers of the files
the package ships.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import importlib, inspect, pkgutil, sys
from pathlib import Path

import eventlab
import eventlab.scenarios
from eventlab.scenarios import presets, recap
from eventlab.scenarios import onboarding
from eventlab.checks import nb09

target = Path(sys.argv[1]).resolve()
assert Path(eventlab.__file__).resolve().is_relative_to(target), eventlab.__file__
ran = []
for preset in presets.load():
    presets.run(preset.name)
    ran.append("preset " + preset.name)
for name, config in recap.presets().items():
    recap.run(config)
    ran.append("preset recap " + name)
for info in pkgutil.walk_packages(eventlab.scenarios.__path__, "eventlab.scenarios."):
    module = importlib.import_module(info.name)
    run = getattr(module, "run", None)
    if run is None or getattr(run, "__module__", None) != info.name:
        continue
    if list(inspect.signature(run).parameters)[:1] == ["config"]:
        run(None)
        ran.append("scenario " + info.name)
assert len(recap.slide_map()) > 0
assert len(onboarding.load_catalogue()) > 0
assert len(nb09.RECORDED.read_text(encoding="utf-8")) > 0
print("\n".join(ran))
'''


def test_a_non_editable_install_runs_every_preset_and_scenario_from_another_directory(
        tmp_path):
    target = tmp_path / "site"
    # The build backend comes from the package index, as for any user's `pip install .`.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(ROOT)],
                   check=True, capture_output=True, text=True, cwd=tmp_path)
    assert (target / "eventlab" / "resources" / "presets.json").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # The installed copy comes first on the path; the checkout is nowhere on it.
    env = {**os.environ, "PYTHONPATH": str(target), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(target)], cwd=elsewhere,
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    ran = done.stdout.split("\n")
    assert sum(line.startswith("preset ") for line in ran) >= 6
    assert sum(line.startswith("scenario ") for line in ran) >= 20


def test_the_files_learners_open_in_data_are_the_ones_the_package_ships():
    for name in ("message_catalogue.csv", "retail_monitor_log_seed7.csv"):
        assert (ROOT / "data" / name).read_bytes() == \
            (ROOT / "eventlab" / "resources" / name).read_bytes(), name
