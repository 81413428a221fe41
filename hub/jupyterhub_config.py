"""JupyterHub for an eventlab workshop: `python3 tasks.py hub` runs `jupyterhub -f` on this file.

Settings come from EVENTLAB_HUB_* variables (hub/settings.py lists them with their defaults).
"""

import os
import sys
from pathlib import Path

WORKBOOK = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(WORKBOOK))  # `import hub` when jupyterhub is started by hand

from hub.learners import first_closed_folder  # noqa: E402 (needs the path above)
from hub.settings import NAME_PATTERN, from_env  # noqa: E402

s = from_env(os.environ, WORKBOOK)
for needed in (WORKBOOK, Path(sys.executable).parent):
    closed = first_closed_folder(needed)
    if closed is not None:
        raise ValueError(f"learners must be able to enter {closed} to use {needed}: "
                         f"chmod o+x {closed}, or put the workbook under /opt or /srv")
s.state_dir.mkdir(parents=True, exist_ok=True)
s.state_dir.chmod(0o700)  # the database and the password hashes: root only
BIN = Path(sys.executable).parent

c = get_config()  # type: ignore[name-defined]  # noqa: F821 (injected by JupyterHub)

# Where: learners reach the proxy on ip:port; the hub and the proxy's API stay on loopback.
c.JupyterHub.bind_url = f"http://{s.ip}:{s.port}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{s.port + 1}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.port + 2}"
proxy = os.environ.get("EVENTLAB_HUB_PROXY")
if proxy:
    c.ConfigurableHTTPProxy.command = [proxy]
c.ConfigurableHTTPProxy.pid_file = str(s.state_dir / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{s.state_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(s.state_dir / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(s.state_dir / "jupyterhub.pid")

# Who: a name and a password chosen at first login (FirstUseAuthenticator, maintained by the
# JupyterHub project). Names become system accounts, hence the pattern.
c.JupyterHub.authenticator_class = "firstuseauthenticator.FirstUseAuthenticator"
c.FirstUseAuthenticator.dbm_path = str(s.state_dir / "passwords.dbm")
c.FirstUseAuthenticator.min_password_length = s.min_password_length
c.Authenticator.username_pattern = NAME_PATTERN
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {s.admin}

# What each learner gets: their own account, a copy of the notebooks, and limits.
c.JupyterHub.spawner_class = "hub.spawner.WorkshopSpawner"
c.WorkshopSpawner.workbook = str(s.workbook)
c.WorkshopSpawner.home_root = str(s.home_root)
c.WorkshopSpawner.copy_solutions = s.copy_solutions
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~/eventlab"
c.Spawner.default_url = "/lab/tree/notebooks/00_start_here.ipynb"
c.Spawner.mem_limit = f"{s.mem_limit_mb}M"
c.Spawner.cpu_limit = s.cpu_limit
# Ten servers starting at once on two cores take tens of seconds; the default 60 s is tight.
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 240

# Idle culler: a server with no activity for idle_timeout_s is stopped (files stay).
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={s.idle_timeout_s}", "--cull-every=60"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]

if s.api_token:  # the load test's client: create learners and read their servers
    c.JupyterHub.services.append({"name": "eventlab-load", "api_token": s.api_token})
    c.JupyterHub.load_roles.append({
        "name": "eventlab-load",
        "scopes": ["admin:users", "admin:servers", "tokens", "list:users"],
        "services": ["eventlab-load"],
    })
