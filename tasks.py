#!/usr/bin/env python3
"""Set up eventlab and run it: the only script a fresh machine needs (standard library only).

    python3 tasks.py lab         set everything up, then open the workbook in JupyterLab
    python3 tasks.py test        set everything up, then run the whole test suite
    python3 tasks.py notebooks   re-execute every notebook in place (stops at the first error)
    python3 tasks.py book        render the executed notebooks into a static HTML book (site/)
    python3 tasks.py bench       print the benchmark table (installs its peers first)
    python3 tasks.py setup       only set up (.venv, the package and its extras, Graphviz)
    python3 tasks.py hub         run a JupyterHub for a workshop on this machine (as root)
    python3 tasks.py hub-load N  load-test that hub with N learners at once, then stop it

Every command is idempotent: the virtualenv is created once, and reinstalled only when
pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".eventlab-installed"
START = "notebooks/00_start_here.ipynb"
DOT_HINT = ("Graphviz 'dot' is missing. Install it with one of: sudo apt-get install graphviz | "
            "brew install graphviz | conda install -c conda-forge graphviz")
# JupyterHub's proxy is an npm package; kept inside .venv so removing .venv removes it.
CHP_VERSION = "5.3.0"
CHP = VENV / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]


def say(text: str) -> None:
    print(f"[eventlab] {text}", flush=True)


def sh(*cmd: str | Path, check: bool = True) -> int:
    """Run a command from the project root; stop with its exit code if it fails."""
    done = subprocess.run([str(c) for c in cmd], cwd=ROOT, check=False)
    if check and done.returncode != 0:
        say(f"failed ({done.returncode}): {' '.join(str(c) for c in cmd)}")
        sys.exit(done.returncode)
    return done.returncode


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_install(*packages: str) -> bool:
    """Install Debian packages when we are root on a machine with apt-get."""
    if not (is_root() and shutil.which("apt-get")):
        return False
    say(f"installing {' '.join(packages)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    return subprocess.run(["apt-get", "install", "-y", "-qq", *packages],
                          check=False, env=env).returncode == 0


def ensure_python() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (the point is to say so clearly)
        sys.exit(f"eventlab needs Python 3.11 or newer; this is {sys.version.split()[0]}")


def ensure_venv() -> None:
    if PY.exists():
        return
    say(f"creating the virtualenv {VENV.relative_to(ROOT)}")
    try:
        venv.create(VENV, with_pip=True)
    except (subprocess.CalledProcessError, OSError):
        # Debian/Ubuntu ship venv's pip bootstrap separately (python3.X-venv).
        shutil.rmtree(VENV, ignore_errors=True)
        minor = f"python3.{sys.version_info.minor}-venv"
        if not apt_install(minor, "python3-venv"):
            sys.exit(f"cannot create a virtualenv: install {minor} (sudo apt-get install "
                     f"{minor}) or use conda: conda env create -f environment.yml")
        venv.create(VENV, with_pip=True)


def ensure_packages() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    say("installing eventlab and its test tools into .venv (once, about a minute)")
    sh(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[test,hub]")
    STAMP.write_text(wanted + "\n")


def ensure_dot() -> None:
    if shutil.which("dot"):
        return
    if apt_install("graphviz") and shutil.which("dot"):
        return
    sys.exit(DOT_HINT)


def ensure_chromium() -> None:
    """Chromium for the browser test: Debian's package, never a downloaded browser."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if not apt_install("chromium"):
        say("Chromium is not installed, so the browser test will be skipped "
            "(install it: sudo apt-get install chromium)")


def ensure_proxy() -> bool:
    """configurable-http-proxy for the workshop hub, from npm into .venv/node."""
    if CHP.exists():
        return True
    if not shutil.which("npm"):
        apt_install("nodejs", "npm")
    if not shutil.which("npm"):
        say("npm is missing, so the workshop hub cannot run (install it: sudo apt-get "
            "install npm)")
        return False
    say(f"installing configurable-http-proxy {CHP_VERSION} with npm into .venv/node")
    sh("npm", "install", "--prefix", VENV / "node", "--no-audit", "--no-fund", "--silent",
       f"configurable-http-proxy@{CHP_VERSION}", check=False)
    return CHP.exists()


def hub_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "EVENTLAB_HUB_PROXY": str(CHP)}


def setup() -> None:
    ensure_python()
    ensure_venv()
    ensure_packages()
    ensure_dot()


def lab_arguments(root: Path = ROOT) -> list[str]:
    """`jupyter` arguments: JupyterLab over the whole workbook at `root`, at the start notebook.

    A notebook path as argument would make its folder (notebooks/) the file browser's root,
    out of reach of data/ and docs/; the start page is the default URL instead. The browser
    test starts JupyterLab with these same arguments.
    """
    return ["lab", f"--ServerApp.root_dir={root}", f"--LabApp.default_url=/lab/tree/{START}"]


def lab() -> None:
    setup()
    # The workbook's JupyterLab defaults (no news prompt), in .venv, not the home folder.
    sh(PY, "tools/lab_settings.py")
    args = [str(BIN / "jupyter"), *lab_arguments()]
    if is_root():
        args.append("--allow-root")
    say(f"opening {START} in JupyterLab (Ctrl+C to stop)")
    os.chdir(ROOT)
    os.execv(args[0], args)


def test() -> None:
    setup()
    ensure_chromium()
    if is_root() and ensure_proxy():  # otherwise tests/test_hub.py says why it is skipped
        os.environ["EVENTLAB_HUB_PROXY"] = str(CHP)
    say("lint: ruff")
    sh(BIN / "ruff", "check", ".")
    say("tests: package (pytest) and notebooks (strict nbval)")
    code = sh(PY, "-m", "pytest", "tests", "notebooks", *NBVAL, "-q", "-p", "no:cacheprovider",
              check=False)
    if code == 5:
        say("no test ran: that is a failure")
        sys.exit(1)
    sys.exit(code)


def notebooks() -> None:
    setup()
    sh(PY, "tools/run_notebooks.py")


def book() -> None:
    setup()
    sh(PY, "tools/build_book.py", "site")
    say("the HTML book is in site/ (open site/index.html)")


def ensure_bench_extras() -> None:
    """The benchmark's peers: pyeventsourcing (extra `bench`) and Dask (extra `cluster`)."""
    stamp = VENV / ".eventlab-bench-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return
    say("installing the benchmark's peers into .venv (eventsourcing, dask[distributed])")
    sh(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e",
       ".[test,bench,cluster]")
    stamp.write_text(wanted + "\n")


def bench() -> None:
    setup()
    ensure_bench_extras()
    sh(PY, "benchmarks/run.py")


def hub() -> None:
    setup()
    if not is_root():
        sys.exit("the workshop hub creates a system account for each learner, so it must run "
                 "as root: sudo python3 tasks.py hub")
    if not ensure_proxy():
        sys.exit("the workshop hub needs configurable-http-proxy (npm): install npm and retry")
    args = [str(BIN / "jupyterhub"), "-f", str(ROOT / "hub" / "jupyterhub_config.py")]
    say("starting the workshop hub (Ctrl+C stops it and every learner's server); "
        "see docs/facilitator.md")
    os.chdir(ROOT)
    os.execve(args[0], args, hub_env())


def hub_load(argv: list[str]) -> None:
    setup()
    if not is_root():
        sys.exit("the load test creates system accounts, so it must run as root: "
                 "sudo python3 tasks.py hub-load N")
    if not ensure_proxy():
        sys.exit("the workshop hub needs configurable-http-proxy (npm): install npm and retry")
    os.chdir(ROOT)
    os.execve(str(PY), [str(PY), "-m", "hub.load", *argv], hub_env())


COMMANDS = {"lab": lab, "test": test, "notebooks": notebooks, "book": book, "bench": bench,
            "setup": setup, "hub": hub}

if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "hub-load":
        hub_load(sys.argv[2:])
    elif len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    else:
        COMMANDS[sys.argv[1]]()
