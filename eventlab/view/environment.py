"""Environment check for the start notebook: versions, and whether Graphviz's `dot` is found."""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
import subprocess

import pandas as pd

PACKAGES: tuple[str, ...] = ("eventlab", "simpy", "pandas", "graphviz", "ipywidgets",
                             "jupyterlab", "matplotlib")


def dot_version() -> str | None:
    """The version line of Graphviz's `dot`, or None when it is not installed."""
    path = shutil.which("dot")
    if path is None:
        return None
    done = subprocess.run([path, "-V"], capture_output=True, text=True, check=False)
    return (done.stderr or done.stdout).strip() or "found (version unknown)"


def report() -> pd.DataFrame:
    """One row per component: what is installed and whether it is fine."""
    rows = [("python", platform.python_version(), "ok")]
    for name in PACKAGES:
        try:
            rows.append((name, importlib.metadata.version(name), "ok"))
        except importlib.metadata.PackageNotFoundError:
            rows.append((name, "missing", "run: python3 tasks.py lab"))
    dot = dot_version()
    rows.append(("graphviz dot", dot or "missing",
                 "ok" if dot else "diagrams show as text; install graphviz"))
    return pd.DataFrame(rows, columns=["component", "version", "status"]).set_index("component")


def ready() -> bool:
    """True when every package is installed and `dot` is found."""
    return bool((report()["status"] == "ok").all())
