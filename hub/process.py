"""Start a throw-away workshop hub on 127.0.0.1 and stop everything it started.

Used by the load test and tests/test_hub.py. The hub gets its own temporary state and home
folders, so it never sees a real workshop's learners or passwords.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil

from hub import learners, limits

WORKBOOK = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "jupyterhub_config.py"
ADMIN = "facilitator"   # the admin of every test hub (never started, so no system account)


def proxy_command() -> str | None:
    """configurable-http-proxy: as tasks.py installs it (.venv/node), else from PATH."""
    named = os.environ.get("EVENTLAB_HUB_PROXY")
    local = WORKBOOK / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    for candidate in (named, str(local), shutil.which("configurable-http-proxy")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_ports(count: int = 3) -> int:
    """A port p such that p .. p+count-1 are free on 127.0.0.1 (proxy, hub, proxy API)."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"found no {count} consecutive free ports on 127.0.0.1")


class TestHub:
    """A running hub: its URL, an admin API token, and what it needs to be cleaned up."""

    def __init__(self, folder: Path, port: int, token: str, proc: subprocess.Popen[bytes]):
        self.folder, self.port, self.token, self.proc = folder, port, token, proc
        self.url = f"http://127.0.0.1:{port}"
        self.api = f"{self.url}/hub/api"
        self.log = folder / "hub.log"
        self.learners: list[str] = []
        self.leftovers: list[str] = []   # filled on stop: what had to be killed by pid

    def alive(self) -> bool:
        return self.proc.poll() is None


def _wait_until_up(hub: TestHub, deadline: float) -> None:
    while time.monotonic() < deadline:
        if not hub.alive():
            raise RuntimeError(f"the hub exited with {hub.proc.returncode}; its log:\n"
                               + hub.log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(hub.api + "/", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError("the hub did not answer within its start timeout")


def learner_processes(names: list[str]) -> list[psutil.Process]:
    """Every process that runs as one of these learners."""
    uids = set()
    for name in names:
        with contextlib.suppress(KeyError):
            uids.add(learners.pwd.getpwnam(name).pw_uid)
    found = []
    for proc in psutil.process_iter(["uids"]):
        with contextlib.suppress(psutil.Error):
            if proc.info["uids"] and proc.info["uids"].real in uids:
                found.append(proc)
    return found


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


@contextlib.contextmanager
def running_hub(names: list[str], mem_mb: int = 1024, cpus: float = 1.0,
                start_timeout: float = 90.0) -> Iterator[TestHub]:
    """A hub for the learners `names` (accounts created fresh, removed afterwards).

    On exit: the hub is asked to stop (it stops the servers and the proxy it started), then
    anything left (its children, the learners' processes) is killed by pid, the accounts
    and cgroups are removed and the temporary folder deleted.
    """
    for name in names:  # left over from an interrupted run: start clean
        learners.remove_account(name)
    folder = Path(tempfile.mkdtemp(prefix="eventlab-hub-"))
    folder.chmod(0o755)  # homes/ below must be reachable by the learners
    (folder / "homes").mkdir(mode=0o755)
    port = free_ports()
    token = secrets.token_hex(32)
    env = {**os.environ, "PYTHONPATH": str(WORKBOOK),
           "EVENTLAB_HUB_STATE": str(folder / "state"), "EVENTLAB_HUB_HOMES": str(folder / "homes"),
           "EVENTLAB_HUB_IP": "127.0.0.1", "EVENTLAB_HUB_PORT": str(port),
           "EVENTLAB_HUB_API_TOKEN": token, "EVENTLAB_HUB_ADMIN": ADMIN,
           "EVENTLAB_HUB_MEM_MB": str(mem_mb),
           "EVENTLAB_HUB_CPUS": str(cpus), "EVENTLAB_HUB_PROXY": proxy_command() or ""}
    jupyterhub = Path(sys.executable).parent / "jupyterhub"
    with (folder / "hub.log").open("wb") as log:
        proc = subprocess.Popen([str(jupyterhub), "-f", str(CONFIG)], cwd=folder, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    hub = TestHub(folder, port, token, proc)
    hub.learners = list(names)
    try:
        _wait_until_up(hub, time.monotonic() + start_timeout)
        yield hub
    finally:
        children = _descendants(proc.pid)
        stop_hub(hub, children)


def stop_hub(hub: TestHub, children: list[psutil.Process]) -> None:
    """Stop the hub; what it left running is killed and named in `hub.leftovers`."""
    if hub.alive():
        hub.proc.send_signal(signal.SIGTERM)  # JupyterHub stops its servers and proxy
        try:
            hub.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            hub.leftovers.append(f"jupyterhub (pid {hub.proc.pid}) ignored SIGTERM for 60 s")
            hub.proc.kill()
            hub.proc.wait(timeout=10)
    stopping = [p for p in children if _running(p)] + learner_processes(hub.learners)
    # A learner's server stops its kernels as it goes down: what is still exiting gets a
    # moment; what is running after it is a leftover.
    _, still = psutil.wait_procs(stopping, timeout=10)
    leftovers = [p for p in still if _running(p)]
    for proc in leftovers:
        with contextlib.suppress(psutil.Error):
            hub.leftovers.append(f"pid {proc.pid}: {' '.join(proc.cmdline())[:120]}")
            proc.kill()
    psutil.wait_procs(leftovers, timeout=10)
    for name in hub.learners:
        limits.release(name)
        learners.remove_account(name)
    shutil.rmtree(hub.folder, ignore_errors=True)


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
