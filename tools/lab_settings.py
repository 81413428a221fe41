"""Install the workbook's JupyterLab defaults (jupyter/eventlab.json5) into this environment.

    python tools/lab_settings.py

JupyterLab merges every ``overrides.d/*.json5`` in its application settings folder into the
defaults of its settings (jupyterlab_server's ``settings_utils._get_overrides``). That folder
belongs to the environment (``.venv``, the conda env, the Binder or hub image), so the learner's
home folder and own settings stay untouched, and settings a learner chose still win.
``tasks.py lab`` and ``postBuild`` run this; re-running it is harmless.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from jupyterlab.commands import get_app_dir

SOURCE = Path(__file__).resolve().parent.parent / "jupyter" / "eventlab.json5"


def destination(app_dir: Path) -> Path:
    """Where JupyterLab looks for the workbook's overrides under the application folder."""
    return app_dir / "settings" / "overrides.d" / SOURCE.name


def install(app_dir: Path | None = None) -> Path:
    """Copy the overrides into `app_dir` (default: this environment's JupyterLab folder)."""
    if app_dir is not None and not isinstance(app_dir, Path):
        raise TypeError(f"app_dir must be a pathlib.Path or None, got {type(app_dir).__name__}")
    target = destination(app_dir if app_dir is not None else Path(get_app_dir()))
    if not target.exists() or target.read_bytes() != SOURCE.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE, target)
    return target


if __name__ == "__main__":
    print(f"JupyterLab defaults for eventlab: {install()}")
