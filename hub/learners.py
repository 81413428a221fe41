"""Learner accounts and their personal copy of the workbook.

Each learner is a real system account in the `eventlab-learners` group with a private home
(mode 700): the kernel runs as that account, so the operating system, not the notebook
server, keeps one learner out of another's files. The copy of the notebooks is made *as the
learner* so that root never follows a link a learner could have planted in their own home.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

GROUP = "eventlab-learners"
COPY_DIR = "eventlab"          # ~/eventlab/notebooks/... is what the learner sees
SKIP = {"conftest.py", "__pycache__", ".ipynb_checkpoints"}


def ensure_group() -> int:
    """The group that marks an account as a learner (created once); its gid."""
    try:
        return grp.getgrnam(GROUP).gr_gid
    except KeyError:
        subprocess.run(["groupadd", "--system", GROUP], check=True, capture_output=True)
        return grp.getgrnam(GROUP).gr_gid


def is_learner(name: str) -> bool:
    try:
        return pwd.getpwnam(name).pw_gid == grp.getgrnam(GROUP).gr_gid
    except KeyError:
        return False


def ensure_account(name: str, home_root: Path) -> pwd.struct_passwd:
    """The learner's account, created on first start with a private home under `home_root`.

    Refuses an existing account that is not a learner: otherwise logging in as `root` (or
    any service account) would start a server with that account's rights.
    """
    gid = ensure_group()
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        home_root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["useradd", "--create-home", "--home-dir", str(home_root / name),
                        "--gid", str(gid), "--shell", "/usr/sbin/nologin",
                        "--comment", "eventlab learner", name],
                       check=True, capture_output=True, text=True)
        account = pwd.getpwnam(name)
    if account.pw_gid != gid:
        raise PermissionError(f"{name!r} is an existing system account that is not an eventlab "
                              f"learner (not in group {GROUP}); log in with another name")
    os.chmod(account.pw_dir, 0o700)  # useradd's HOME_MODE differs between distributions
    return account


def first_closed_folder(path: Path) -> Path | None:
    """The first folder on the way to `path` that other accounts cannot enter, if any.

    Learners run the workbook's Python and read its notebooks as themselves, so a checkout
    under /root (mode 700) would fail at every start with a confusing error.
    """
    for folder in [*reversed(path.resolve().parents), path.resolve()]:
        if not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def remove_account(name: str) -> None:
    """Delete a learner and their home; never touches an account that is not a learner."""
    if not is_learner(name):
        return
    subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)


def copy_missing(source: Path, target: Path, solutions: bool) -> list[Path]:
    """Copy the files of `source` that `target` lacks; never overwrite (the learner's edits win).

    Notebooks added to the workbook later still reach a learner on their next start,
    as nbgitpuller does, without its git merge: the learner copy is not a repository.
    """
    copied = []
    for folder, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs
                         if d not in SKIP and (solutions or d != "solutions"))
        here = Path(folder)
        for file in sorted(files):
            if file in SKIP:
                continue
            destination = target / (here / file).relative_to(source)
            if destination.exists() or destination.is_symlink():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(here / file, destination)
            copied.append(destination)
    return copied


def copy_workbook(account: pwd.struct_passwd, workbook: Path, solutions: bool) -> None:
    """Run `copy_missing` as the learner, into ~/eventlab/notebooks."""
    target = Path(account.pw_dir) / COPY_DIR / "notebooks"
    command = [sys.executable, "-m", "hub.copy_notebooks", str(workbook / "notebooks"),
               str(target), *(["--solutions"] if solutions else [])]
    subprocess.run(command, user=account.pw_uid, group=account.pw_gid, extra_groups=[],
                   cwd=account.pw_dir, env={"PYTHONPATH": str(workbook), "HOME": account.pw_dir},
                   check=True, capture_output=True, text=True, umask=0o077)
