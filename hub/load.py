"""The load test: N learners on one hub at once (`python3 tasks.py hub-load N`).

Logs N learners in through the hub's REST API, starts their servers together, runs notebook
00 and one widget re-run in every kernel at the same time, checks isolation (a learner
cannot read or change another's files or the workbook; a wrong password is refused; the
hub survives a killed kernel), reports start time, notebook time and memory per learner,
and stops everything it started. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import pwd
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from hub import limits
from hub.kernel import Kernel, call
from hub.process import ADMIN, TestHub, learner_processes, running_hub

NOTEBOOK = "notebooks/00_start_here.ipynb"
# The widget path of notebook 00 §4: build the panel, then move one slider the way a learner
# does; the panel must re-run the scenario once more.
WIDGET_RERUN = """
_panel = widgets.explore(fowler.run, config, fields=["pattern", "consumers", "changes"])
_runs = _panel.runs
_slider = _panel.controls["consumers"]
_slider.value = _slider.min if _slider.value != _slider.min else _slider.max
assert _panel.runs == _runs + 1 and _panel.result is not None, "the widget did not re-run"
"""
# Run in learner A's kernel with B's home and the original workbook: every attempt must fail.
PROBE = """
import json, os
_results = {}
for _what, _act in {
    "read other's notebook": lambda: open(os.path.join(OTHER, "eventlab", NOTEBOOK)).read(),
    "list other's home": lambda: os.listdir(OTHER),
    "write into other's home": lambda: open(os.path.join(OTHER, "planted.txt"), "w").close(),
    "change the workbook": lambda: open(os.path.join(WORKBOOK, NOTEBOOK), "a").close(),
}.items():
    try:
        _act()
        _results[_what] = "ALLOWED"
    except PermissionError:
        _results[_what] = "refused"
print(json.dumps(_results))
"""
SYSTEM_ACCOUNT = "daemon"         # exists on every Debian-like system, never a learner
PASSWORD = "workshop-{name}-pw"   # deterministic, long enough for min_password_length


@dataclasses.dataclass
class Learner:
    """One simulated learner and what was measured for them."""

    name: str
    token: str = ""
    server_url: str = ""
    home: str = ""
    start_s: float = 0.0
    notebook_s: float = 0.0
    widget_s: float = 0.0
    rss_mb: float = 0.0
    peak_mb: float = 0.0
    mem_limit_mb: float = 0.0   # the memory cgroup's limit (0: limits not enforced here)
    confined: bool = False      # every process of the learner sits in their cgroups
    errors: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Report:
    learners: list[Learner]
    cores: int
    single_s: float = 0.0
    hub_rss_mb: float = 0.0
    wrong_password_status: int = 0
    isolation: dict[str, str] = dataclasses.field(default_factory=dict)
    survived_kill: bool = False
    system_account_refused: bool = False
    over_limit_killed: bool = False  # a kernel writing past its memory limit was stopped
    culler_running: bool = False
    facilitator_saw: list[str] = dataclasses.field(default_factory=list)  # running servers
    facilitator_restart_s: float = 0.0   # stop + start of one learner's server by the admin
    leftovers: list[str] = dataclasses.field(default_factory=list)
    hub_cpu_s: float = 0.0          # CPU the hub, proxy and culler used while all ran at once
    learners_cpu_s: float = 0.0     # CPU all learners' servers and kernels used meanwhile
    client_cpu_s: float = 0.0       # CPU this load test's own client used meanwhile
    machine_cpu_s: float = 0.0      # CPU the whole machine used meanwhile (all processes)
    together_s: float = 0.0         # wall time from the start of all notebooks to the last end
    hub_pid: int = 0                # what the hub ran as, to check that all is gone after
    hub_folder: str = ""
    uids: list[int] = dataclasses.field(default_factory=list)
    hub_log_tail: str = ""          # the end of the hub's log when something went wrong
    total_s: float = 0.0

    @property
    def cpu_bound_limit_s(self) -> float:
        """The best N kernels on C cores can do: single time × N ÷ C (never below single)."""
        return self.single_s * max(1.0, len(self.learners) / self.cores)

    @property
    def other_cpu_s(self) -> float:
        """CPU that processes outside this test (other users of the machine) took meanwhile."""
        return (self.machine_cpu_s - self.learners_cpu_s - self.hub_cpu_s
                - self.client_cpu_s)

    @property
    def median_notebook_s(self) -> float:
        return statistics.median(learner.notebook_s for learner in self.learners)

    @property
    def ok(self) -> bool:
        return (all(not learner.errors for learner in self.learners)
                and self.wrong_password_status == 403 and self.survived_kill
                and self.system_account_refused and self.culler_running
                and (self.over_limit_killed or not self.learners[0].mem_limit_mb)
                and self.facilitator_saw == [x.name for x in self.learners]
                and self.facilitator_restart_s > 0
                and all(v == "refused" for v in self.isolation.values()) and not self.leftovers)


async def _login(hub: TestHub, learner: Learner, report: Report) -> None:
    code, _ = await call("POST", f"{hub.api}/users/{learner.name}", hub.token, {})
    if code not in (201, 409):
        learner.errors.append(f"creating the user: HTTP {code}")
        return
    # First use sets the password, as a learner does on the login page.
    auth = {"auth": {"username": learner.name, "password": PASSWORD.format(name=learner.name)}}
    code, body = await call("POST", f"{hub.api}/users/{learner.name}/tokens", "", auth)
    if code != 201:
        learner.errors.append(f"logging in: HTTP {code}")
        return
    learner.token = body["token"]
    wrong = {"auth": {"username": learner.name, "password": "not-the-password"}}
    code, _ = await call("POST", f"{hub.api}/users/{learner.name}/tokens", "", wrong)
    if code != 403 or report.wrong_password_status == 0:  # any acceptance must show
        report.wrong_password_status = code


async def _start(hub: TestHub, learner: Learner, timeout: float) -> None:
    started = time.monotonic()
    code, _ = await call("POST", f"{hub.api}/users/{learner.name}/server", learner.token)
    if code not in (201, 202):
        learner.errors.append(f"starting the server: HTTP {code}")
        return
    while time.monotonic() - started < timeout:
        code, user = await call("GET", f"{hub.api}/users/{learner.name}", learner.token)
        server = (user or {}).get("servers", {}).get("", {})
        if server.get("ready"):
            learner.start_s = time.monotonic() - started
            learner.server_url = hub.url + server["url"]
            return
        if code == 200 and not server.get("pending") and not server:
            learner.errors.append("the server stopped while starting (see the hub log)")
            return
        await asyncio.sleep(0.5)
    learner.errors.append(f"the server was not ready after {timeout:.0f} s")


async def _code_cells(learner: Learner) -> list[tuple[str, bool]]:
    """The notebook's code cells and whether each is meant to raise (nbval's tag), read from
    the learner's own copy through their server."""
    code, model = await call("GET", learner.server_url + f"api/contents/{NOTEBOOK}?content=1",
                             learner.token)
    if code != 200:
        raise RuntimeError(f"{learner.name} has no {NOTEBOOK} (HTTP {code})")
    return [("".join(cell["source"]),
             "raises-exception" in cell.get("metadata", {}).get("tags", []))
            for cell in model["content"]["cells"] if cell["cell_type"] == "code"]


async def _run_notebook(kernel: Kernel,
                        cells: list[tuple[str, bool]]) -> tuple[float, list[str]]:
    """Run the cells in order as nbval does: stop at the first unexpected error (or at a
    cell tagged raises-exception that did not raise)."""
    started = time.monotonic()
    for number, (source, raises) in enumerate(cells):
        reply = await kernel.execute(source)
        if bool(reply.error) != raises:
            problem = reply.error or "expected an exception, none was raised"
            return time.monotonic() - started, [f"code cell {number}: {problem}"]
    return time.monotonic() - started, []


async def _notebook_and_widget(learner: Learner, kernel: Kernel,
                               cells: list[tuple[str, bool]]) -> None:
    learner.notebook_s, errors = await _run_notebook(kernel, cells)
    learner.errors += errors
    if not errors:
        reply = await kernel.execute(WIDGET_RERUN)
        learner.widget_s = reply.seconds
        if reply.error:
            learner.errors.append(f"widget re-run: {reply.error}")


def _hub_processes(hub: TestHub) -> list[psutil.Process]:
    """The hub and what it runs as root: the proxy and the idle culler."""
    try:
        main = psutil.Process(hub.proc.pid)
        return [main, *(p for p in main.children() if p.uids().real == 0)]
    except psutil.Error:
        return []


def _cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _machine_busy() -> float:
    """CPU seconds all cores spent on anything but idling and waiting, since boot."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _memory(learner: Learner) -> None:
    """Resident memory of everything running as the learner (server + kernel), and its peak."""
    rss = 0
    for proc in learner_processes([learner.name]):
        try:
            rss += proc.memory_info().rss
        except psutil.Error:
            continue
    learner.rss_mb = rss / 2**20
    learner.peak_mb = limits.memory_peak(learner.name) / 2**20
    learner.mem_limit_mb = limits.memory_limit(learner.name) / 2**20
    procs = learner_processes([learner.name])
    learner.confined = bool(procs) and all(limits.confined(p.pid, learner.name) for p in procs)


async def _probe_isolation(a: Learner, b: Learner, report: Report) -> None:
    kernel = Kernel(a.server_url, a.token, NOTEBOOK)
    await kernel.open()
    try:
        setup = (f"OTHER = {b.home!r}; WORKBOOK = {str(Path(__file__).parent.parent)!r}; "
                 f"NOTEBOOK = {NOTEBOOK!r}")
        reply = await kernel.execute(setup + "\n" + PROBE)
        if reply.error:
            report.isolation["probe"] = f"ALLOWED? the probe failed: {reply.error}"
        else:
            report.isolation.update(json.loads(reply.stdout.strip().splitlines()[-1]))
    finally:
        await kernel.close()


async def _exceed_memory_limit(learner: Learner, report: Report) -> None:
    """Write 256 MB more than the learner's limit: the kernel must not get it all."""
    if not learner.mem_limit_mb:
        return
    kernel = Kernel(learner.server_url, learner.token, NOTEBOOK)
    await kernel.open()
    size = int((learner.mem_limit_mb + 256) * 2**20)
    try:
        # b"x" * n writes every byte; a zero-filled buffer would not touch its pages.
        reply = await kernel.execute(f"_big = b'x' * {size}; print('allocated')", timeout=60)
        report.over_limit_killed = "allocated" not in reply.stdout
    except (ConnectionError, TimeoutError):
        report.over_limit_killed = True  # killed mid-request (the kernel restarts)
    await kernel.close()


async def _kill_kernel_and_recover(hub: TestHub, learner: Learner, report: Report) -> None:
    """Kill the learner's kernel with SIGKILL; the hub and the server must carry on."""
    await _exceed_memory_limit(learner, report)
    kernel = Kernel(learner.server_url, learner.token, NOTEBOOK)
    await kernel.open()
    with contextlib.suppress(ConnectionError, TimeoutError):  # it dies mid-request: the point
        await kernel.execute("import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
                             timeout=10)
    await kernel.close()
    code, _ = await call("GET", f"{hub.api}/", hub.token)
    _, user = await call("GET", f"{hub.api}/users/{learner.name}", learner.token)
    still_ready = bool((user or {}).get("servers", {}).get("", {}).get("ready"))
    fresh = Kernel(learner.server_url, learner.token, NOTEBOOK)
    await fresh.open()
    try:
        reply = await fresh.execute("print(6 * 7)", timeout=120)
    finally:
        await fresh.close()
    report.survived_kill = (hub.alive() and code == 200 and still_ready
                            and reply.stdout.strip() == "42")


async def _refuse_system_account(hub: TestHub, report: Report) -> None:
    """Logging in as an existing system account (here `daemon`) must not start a server."""
    await call("POST", f"{hub.api}/users/{SYSTEM_ACCOUNT}", hub.token, {})
    code, _ = await call("POST", f"{hub.api}/users/{SYSTEM_ACCOUNT}/server", hub.token)
    await asyncio.sleep(1)
    _, user = await call("GET", f"{hub.api}/users/{SYSTEM_ACCOUNT}", hub.token)
    started = bool((user or {}).get("servers", {}).get("", {}).get("ready"))
    report.system_account_refused = code >= 400 and not started and hub.alive()
    await call("DELETE", f"{hub.api}/users/{SYSTEM_ACCOUNT}", hub.token)


def _culler_running(hub: TestHub) -> bool:
    return any("jupyterhub_idle_culler" in " ".join(p.cmdline()) for p in _hub_processes(hub))


async def _facilitator_restarts(hub: TestHub, learner: Learner, report: Report) -> None:
    """The admin lists who is running, then restarts one learner's server."""
    auth = {"auth": {"username": ADMIN, "password": PASSWORD.format(name=ADMIN)}}
    code, body = await call("POST", f"{hub.api}/users/{ADMIN}/tokens", "", auth)
    if code != 201:
        learner.errors.append(f"the facilitator could not log in: HTTP {code}")
        return
    token = body["token"]
    _, users = await call("GET", f"{hub.api}/users?state=ready", token)
    report.facilitator_saw = sorted(u["name"] for u in users or [])
    started = time.monotonic()
    code, _ = await call("DELETE", f"{hub.api}/users/{learner.name}/server", token)
    while code in (200, 202, 204) and time.monotonic() - started < 120:
        _, user = await call("GET", f"{hub.api}/users/{learner.name}", token)
        if not (user or {}).get("servers"):
            break
        await asyncio.sleep(0.5)
    code, _ = await call("POST", f"{hub.api}/users/{learner.name}/server", token)
    while code in (201, 202) and time.monotonic() - started < 300:
        _, user = await call("GET", f"{hub.api}/users/{learner.name}", token)
        if (user or {}).get("servers", {}).get("", {}).get("ready"):
            report.facilitator_restart_s = time.monotonic() - started
            return
        await asyncio.sleep(0.5)
    learner.errors.append("the facilitator's restart of this server did not complete")


async def _scenario(hub: TestHub, report: Report, start_timeout: float) -> None:
    people = report.learners
    report.culler_running = _culler_running(hub)
    await asyncio.gather(*(_login(hub, learner, report) for learner in people))
    await asyncio.gather(*(_start(hub, learner, start_timeout)
                           for learner in people if learner.token))
    ready = [learner for learner in people if learner.server_url]
    if len(ready) < len(people):
        return
    for learner in people:
        learner.home = str(Path(hub.folder) / "homes" / learner.name)
        report.uids.append(pwd.getpwnam(learner.name).pw_uid)
    cells = await _code_cells(people[0])

    # One learner alone: the single-learner time the CPU-bound limit is computed from.
    alone = Kernel(people[0].server_url, people[0].token, NOTEBOOK)
    await alone.open()
    report.single_s, errors = await _run_notebook(alone, cells)
    await alone.close()
    if errors:
        people[0].errors += [f"alone: {e}" for e in errors]
        return

    # Everybody at once, each in a fresh kernel on their own copy.
    kernels = [Kernel(learner.server_url, learner.token, NOTEBOOK) for learner in people]
    for kernel in kernels:
        await kernel.open()
    own_cells = [await _code_cells(learner) for learner in people]
    hub_before, people_before = _cpu_seconds(_hub_processes(hub)), _cpu_seconds(
        learner_processes([x.name for x in people]))
    client_before, machine_before = _cpu_seconds([psutil.Process()]), _machine_busy()
    together = time.monotonic()
    await asyncio.gather(*(_notebook_and_widget(learner, kernel, cells)
                           for learner, kernel, cells in zip(people, kernels, own_cells,
                                                             strict=True)))
    report.together_s = time.monotonic() - together
    report.machine_cpu_s = _machine_busy() - machine_before
    report.client_cpu_s = _cpu_seconds([psutil.Process()]) - client_before
    report.hub_cpu_s = _cpu_seconds(_hub_processes(hub)) - hub_before
    report.learners_cpu_s = (_cpu_seconds(learner_processes([x.name for x in people]))
                             - people_before)
    for learner in people:
        _memory(learner)
    for kernel in kernels:
        await kernel.close()

    if len(people) >= 2:
        await _probe_isolation(people[0], people[1], report)
    await _kill_kernel_and_recover(hub, people[0], report)
    await _refuse_system_account(hub, report)
    await _facilitator_restarts(hub, people[-1], report)


def run(count: int, *, mem_mb: int = 1024, cpus: float = 1.0,
        timeout: float = 900.0) -> Report:
    """Run the whole load test for `count` learners within `timeout` seconds."""
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 200:
        raise ValueError(f"count must be an integer from 1 to 200 learners, got {count!r}")
    if os.geteuid() != 0:
        raise PermissionError("the load test creates system accounts: run it as root")
    names = [f"loadtest{i:02d}" for i in range(1, count + 1)]
    report = Report([Learner(name) for name in names], os.cpu_count() or 1)
    started = time.monotonic()
    with running_hub(names, mem_mb=mem_mb, cpus=cpus) as hub:
        report.hub_pid, report.hub_folder = hub.proc.pid, str(hub.folder)
        try:
            asyncio.run(asyncio.wait_for(_scenario(hub, report, start_timeout=timeout / 2),
                                         timeout))
        except TimeoutError:  # the whole run's limit, or one step's own
            report.learners[0].errors.append(f"timed out (the whole run may take "
                                             f"{timeout:.0f} s)")
        except Exception as err:  # reported, then everything is stopped as usual
            report.learners[0].errors.append(f"the load test stopped: "
                                             f"{type(err).__name__}: {err}")
        if any(learner.errors for learner in report.learners):
            report.hub_log_tail = hub.log.read_text(errors="replace")[-4000:]
        report.hub_rss_mb = sum(p.memory_info().rss for p in _hub_processes(hub)) / 2**20
    report.leftovers = hub.leftovers
    report.total_s = time.monotonic() - started
    return report


def render(report: Report) -> str:
    """The report as text: one row per learner, then the summary and the checks."""
    rows = [f"{'learner':<12} {'start s':>8} {'notebook s':>11} {'widget s':>9} "
            f"{'RSS MB':>7} {'peak MB':>8}  errors"]
    for x in report.learners:
        rows.append(f"{x.name:<12} {x.start_s:8.1f} {x.notebook_s:11.1f} {x.widget_s:9.2f} "
                    f"{x.rss_mb:7.0f} {x.peak_mb:8.0f}  {'; '.join(x.errors) or '-'}")
    n = len(report.learners)
    if report.single_s:
        rows += [
            "",
            f"one learner alone: notebook 00 in {report.single_s:.1f} s",
            f"CPU-bound limit for {n} learners on {report.cores} cores: "
            f"{report.cpu_bound_limit_s:.1f} s; median {report.median_notebook_s:.1f} s "
            f"= {report.median_notebook_s / report.cpu_bound_limit_s:.2f}x the limit",
            f"median start {statistics.median(x.start_s for x in report.learners):.1f} s, "
            f"max start {max(x.start_s for x in report.learners):.1f} s; "
            f"median RSS per learner {statistics.median(x.rss_mb for x in report.learners):.0f} MB"
            f", max peak {max(x.peak_mb for x in report.learners):.0f} MB; "
            f"hub + proxy + culler {report.hub_rss_mb:.0f} MB",
            f"CPU seconds while all ran at once ({report.together_s:.1f} s on {report.cores} "
            f"cores = {report.together_s * report.cores:.1f} CPU s): learners "
            f"{report.learners_cpu_s:.1f}, hub + proxy + culler {report.hub_cpu_s:.1f}, "
            f"load-test client {report.client_cpu_s:.1f}, other processes on the machine "
            f"{max(0.0, report.other_cpu_s):.1f}",
        ]
    rows += [f"wrong password: HTTP {report.wrong_password_status}",
             f"isolation: {json.dumps(report.isolation)}",
             f"hub survived a killed kernel: {report.survived_kill}",
             f"login as the system account {SYSTEM_ACCOUNT!r} got no server: "
             f"{report.system_account_refused}",
             f"a kernel writing 256 MB past its limit was stopped: {report.over_limit_killed}",
             f"idle culler running: {report.culler_running}",
             f"the facilitator saw running: {', '.join(report.facilitator_saw) or 'nobody'}; "
             f"restarted {report.learners[-1].name}'s server in "
             f"{report.facilitator_restart_s:.1f} s",
             "memory limit per learner: "
             + ", ".join(sorted({f"{x.mem_limit_mb:.0f} MB" for x in report.learners}))
             + f"; every learner process inside its cgroups: "
               f"{all(x.confined for x in report.learners)}",
             f"left running after stop: {report.leftovers or 'nothing'}",
             f"total {report.total_s:.0f} s; {'PASS' if report.ok else 'FAIL'}"]
    if report.hub_log_tail:
        rows += ["", "the end of the hub's log:", report.hub_log_tail]
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tasks.py hub-load", description=__doc__)
    parser.add_argument("learners", type=int)
    parser.add_argument("--json", type=Path, help="also write the report here as JSON")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    try:
        report = run(args.learners, timeout=args.timeout)
    except (ValueError, PermissionError) as err:
        parser.error(str(err))
    print(render(report), flush=True)
    if args.json:
        data: dict[str, Any] = dataclasses.asdict(report)
        data.update(cpu_bound_limit_s=report.cpu_bound_limit_s, other_cpu_s=report.other_cpu_s,
                    median_notebook_s=report.median_notebook_s if report.single_s else None,
                    ok=report.ok)
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
