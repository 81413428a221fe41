"""The workshop spawner: LocalProcessSpawner plus learner accounts, the copy and the limits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Bool, Unicode

from hub import learners, limits


class WorkshopSpawner(LocalProcessSpawner):  # type: ignore[misc]
    """Starts each learner's JupyterLab as their own system account, inside their limits."""

    workbook = Unicode(help="The eventlab repository whose notebooks are copied").tag(config=True)
    home_root = Unicode("/home", help="Where learners' homes are created").tag(config=True)
    copy_solutions = Bool(False, help="Copy notebooks/solutions too").tag(config=True)

    _cgroup_files: list[Path] | None = None

    async def start(self) -> Any:
        name = self.user.name
        account = await asyncio.to_thread(learners.ensure_account, name, Path(self.home_root))
        await asyncio.to_thread(learners.copy_workbook, account, Path(self.workbook),
                                self.copy_solutions)
        reason = limits.reason_unavailable()
        if reason is None:
            self._cgroup_files = limits.prepare(name, int(self.mem_limit or 0) or 2**40,
                                                float(self.cpu_limit or 0) or 1024.0)
        else:
            self.log.warning("memory/CPU limits NOT enforced for %s: %s", name, reason)
            self._cgroup_files = None
        return await super().start()

    def make_preexec_fn(self, name: str) -> Callable[[], None]:
        drop_root = super().make_preexec_fn(name)
        files = self._cgroup_files

        def preexec() -> None:
            if files:
                limits.join(files)  # while still root: a learner cannot leave its cgroup
            drop_root()

        return preexec

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        limits.release(self.user.name)
