"""Memory and CPU limits per learner through cgroups v1, without systemd.

JupyterHub's usual answer is SystemdSpawner, but it needs systemd as PID 1, which containers
and this project's machines do not have. LocalProcessSpawner only *advertises* mem_limit and
cpu_limit (as environment variables), so the limits are enforced here: one memory cgroup and
one cpu cgroup per learner, under the hub's own cgroup, joined by the server process before
it drops root. Everything the server starts (kernels included) stays in them.

Two files per limit is less than a dependency: the cgroup libraries on PyPI are unmaintained
or cgroup-v2-only. On a cgroup-v2-only machine `reason_unavailable` says so and the hub runs
without limits (docs/facilitator.md: use SystemdSpawner there).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "eventlab-hub"
CFS_PERIOD_US = 100_000


def _own_path(controller: str) -> str | None:
    """This process's cgroup path in the v1 hierarchy that has `controller`."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return None


def group_dir(controller: str, name: str) -> Path:
    own = _own_path(controller) or "/"
    return ROOT / controller / own.lstrip("/") / PARENT / name


def reason_unavailable() -> str | None:
    """None when per-learner limits can be enforced here, else why not."""
    for controller in ("memory", "cpu"):
        if _own_path(controller) is None or not (ROOT / controller).is_dir():
            return f"no cgroup v1 '{controller}' hierarchy under {ROOT}"
        parent = group_dir(controller, "").parent
        if not os.access(parent if parent.exists() else parent.parent, os.W_OK):
            return f"cannot create cgroups under {parent} (the hub must run as root)"
    return None


def prepare(name: str, mem_bytes: int, cpus: float) -> list[Path]:
    """Create (or reset) the learner's cgroups; returns the files a process writes to join."""
    if mem_bytes <= 0 or cpus <= 0:
        raise ValueError(f"mem_bytes and cpus must be positive, got {mem_bytes} and {cpus}")
    memory, cpu = group_dir("memory", name), group_dir("cpu", name)
    for folder in (memory, cpu):
        folder.mkdir(parents=True, exist_ok=True)
    (memory / "memory.limit_in_bytes").write_text(str(mem_bytes))
    (cpu / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
    (cpu / "cpu.cfs_quota_us").write_text(str(int(cpus * CFS_PERIOD_US)))
    return [memory / "cgroup.procs", cpu / "cgroup.procs"]


def join(procs_files: list[Path]) -> None:
    """Move the calling process into the cgroups (called between fork and exec)."""
    for procs in procs_files:
        procs.write_text(str(os.getpid()))


def memory_peak(name: str) -> int:
    """The most memory the learner's processes used at once, in bytes (0 if unknown)."""
    peak = group_dir("memory", name) / "memory.max_usage_in_bytes"
    return int(peak.read_text()) if peak.exists() else 0


def memory_limit(name: str) -> int:
    """The learner's memory limit in bytes (0 if they have no cgroup)."""
    limit = group_dir("memory", name) / "memory.limit_in_bytes"
    return int(limit.read_text()) if limit.exists() else 0


def confined(pid: int, name: str) -> bool:
    """Whether process `pid` is in the learner's memory and cpu cgroups."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return False
    paths = {c: p for _, cs, p in (line.split(":", 2) for line in lines) for c in cs.split(",")}
    return all(paths.get(c, "").endswith(f"/{PARENT}/{name}") for c in ("memory", "cpu"))


def release(name: str) -> None:
    """Remove the learner's cgroups once their processes are gone (ignored if some remain)."""
    for controller in ("memory", "cpu"):
        with contextlib.suppress(OSError):
            group_dir(controller, name).rmdir()
