"""The hub's knobs, read from EVENTLAB_HUB_* environment variables and checked once.

`tasks.py hub` and the load test pass settings this way because JupyterHub reads its config
file by executing it, so the file cannot take arguments.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path

# Learner names become system accounts, so keep them to what `useradd` accepts everywhere
# and short enough to read in `ps`.
NAME_PATTERN = r"^[a-z][a-z0-9_-]{1,30}$"


@dataclasses.dataclass(frozen=True)
class HubSettings:
    """Everything a workshop hub needs to know; see docs/facilitator.md for the defaults."""

    state_dir: Path            # the hub's database, cookie secret and password file (root only)
    home_root: Path            # learners' home directories live here, one per learner
    workbook: Path             # the repository whose notebooks each learner gets a copy of
    ip: str = "0.0.0.0"        # a workshop hub must be reachable from the room
    port: int = 8000
    admin: str = "facilitator"
    mem_limit_mb: int = 1024
    cpu_limit: float = 1.0
    idle_timeout_s: int = 3600
    min_password_length: int = 8
    copy_solutions: bool = False
    api_token: str = ""       # only the load test sets one: an admin token for its client

    def __post_init__(self) -> None:
        for name in ("state_dir", "home_root", "workbook"):
            value = getattr(self, name)
            if not isinstance(value, Path) or not value.is_absolute():
                raise ValueError(f"{name} must be an absolute path, got {value!r}")
        if not (self.workbook / "notebooks").is_dir():
            raise ValueError(f"workbook must be the eventlab repository (with notebooks/), "
                             f"got {str(self.workbook)!r}")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port must be between 1 and 65535, got {self.port}")
        if not re.match(NAME_PATTERN, self.admin):
            raise ValueError(f"admin must match {NAME_PATTERN} (lower-case letters, digits, "
                             f"'-' and '_'), got {self.admin!r}")
        if self.mem_limit_mb < 256:
            raise ValueError(f"mem_limit_mb must be at least 256 (a kernel with pandas needs "
                             f"about 150 MB), got {self.mem_limit_mb}")
        if not 0.1 <= self.cpu_limit <= (os.cpu_count() or 1):
            raise ValueError(f"cpu_limit must be between 0.1 and the number of cores "
                             f"({os.cpu_count()}), got {self.cpu_limit}")
        if self.idle_timeout_s < 60:
            raise ValueError(f"idle_timeout_s must be at least 60 seconds, "
                             f"got {self.idle_timeout_s}")
        if self.min_password_length < 1:
            raise ValueError(f"min_password_length must be at least 1, "
                             f"got {self.min_password_length}")


PREFIX = "EVENTLAB_HUB_"


def _number(env: Mapping[str, str], key: str, kind: type[int] | type[float],
            default: float) -> float:
    raw = env.get(PREFIX + key)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{PREFIX + key} must be a{'n integer' if kind is int else ' number'}, "
                         f"got {raw!r}") from None


def from_env(env: Mapping[str, str], workbook: Path) -> HubSettings:
    """Settings from EVENTLAB_HUB_* variables; anything unset keeps its default."""
    state = Path(env.get(PREFIX + "STATE", str(workbook / ".hub"))).absolute()
    flag = env.get(PREFIX + "SOLUTIONS", "0")
    if flag not in ("0", "1"):
        raise ValueError(f"{PREFIX}SOLUTIONS must be 0 or 1, got {flag!r}")
    return HubSettings(
        state_dir=state,
        home_root=Path(env.get(PREFIX + "HOMES", "/home")).absolute(),
        workbook=workbook,
        ip=env.get(PREFIX + "IP", "0.0.0.0"),  # reachable from the room (see HubSettings.ip)
        port=int(_number(env, "PORT", int, 8000)),
        admin=env.get(PREFIX + "ADMIN", "facilitator"),
        mem_limit_mb=int(_number(env, "MEM_MB", int, 1024)),
        cpu_limit=float(_number(env, "CPUS", float, 1.0)),
        idle_timeout_s=int(_number(env, "IDLE_S", int, 3600)),
        min_password_length=int(_number(env, "MIN_PASSWORD", int, 8)),
        copy_solutions=flag == "1",
        api_token=env.get(PREFIX + "API_TOKEN", ""),
    )
