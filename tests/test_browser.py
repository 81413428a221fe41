"""The workbook as a participant uses it: JupyterLab in a real (headless) Chromium.

nbval cannot see widgets, so this test starts JupyterLab from the project's environment on
127.0.0.1, opens every notebook, runs all cells, and fails on any unexpected error output or
browser console error. In notebooks with widgets it moves a control and checks that the
displayed output changed, and it steps and plays a playback.

It uses Debian's Chromium (``apt-get install chromium``; tasks.py installs it when run as
root) driven by Playwright's Python package; it never downloads a browser. It skips, saying
why, only when Chromium is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + \
    sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
# Console messages that are not errors of the workbook: the closed network of a test machine.
BENIGN_CONSOLE = ("net::ERR_", "Failed to load resource")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (and could not be installed): "
           "sudo apt-get install chromium, then run the tests again")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server over a copy of the workbook (autosave must not touch the repo)."""
    home = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", home / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "conftest.py"))
    shutil.copytree(ROOT / "data", home / "data")
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # No "get notified about Jupyter news?" toast covering the notebook.
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", "--IdentityProvider.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={home / 'notebooks'}", "--allow-root",
         f"--LabApp.user_settings_dir={home / 'settings'}",
         f"--LabApp.workspaces_dir={home / 'workspaces'}",
         "--LabApp.expose_app_in_browser=True"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("JupyterLab did not start within 60 s")
            time.sleep(0.5)
    yield base
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def run_all(page, base: str, relative: str) -> list[str]:
    """Open a notebook, run all cells, wait until done; return the console errors seen."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/lab/tree/{relative}?reset")
    # Wait for the kernel's connection, not just the indicator: a kernel that is still
    # connecting silently drops the cells queued by "run all".
    page.wait_for_function(
        """() => {
            const widget = window.jupyterapp?.shell?.currentWidget;
            const kernel = widget?.sessionContext?.session?.kernel;
            return kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
        }""", timeout=60_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # Every code cell shows [n]: when it has run; [*]: while queued or running.
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=60_000)
    return [e for e in errors if not any(b in e for b in BENIGN_CONSOLE)]


def expected_errors(path: Path) -> int:
    cells = json.loads(path.read_text())["cells"]
    return sum("raises-exception" in c.get("metadata", {}).get("tags", []) for c in cells)


def uses(path: Path, text: str) -> bool:
    return any(text in "".join(c["source"]) for c in json.loads(path.read_text())["cells"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_runs_in_jupyterlab_without_errors(lab, browser, path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        relative = path.relative_to(ROOT / "notebooks").as_posix()
        console = run_all(page, lab, relative)
        shown = page.locator(".jp-OutputArea-output[data-mime-type="
                             "'application/vnd.jupyter.stderr']").count()
        assert shown == expected_errors(path), f"{shown} error outputs in {relative}"
        assert console == [], console
        if uses(path, "widgets.explore("):
            move_a_slider_and_see_the_output_change(page)
        if uses(path, "playback.playback("):
            step_and_play_a_playback(page)
    finally:
        page.close()


def move_a_slider_and_see_the_output_change(page) -> None:
    panel = page.locator(".widget-vbox:has(.widget-output)").first
    output = panel.locator(".widget-output").first
    output.wait_for(state="attached")
    panel.scroll_into_view_if_needed()  # JupyterLab only renders cells near the viewport
    page.wait_for_function("el => el.innerText.trim().length > 0",
                           arg=output.element_handle(), timeout=30_000)
    before = output.inner_text()
    handles = panel.locator(".widget-slider .noUi-handle")
    # Move sliders to their far end one by one until the shown output changes: some knobs
    # (say, partitions for a six-order run) legitimately leave the summary text the same.
    for index in range(handles.count()):
        handle = handles.nth(index)
        handle.focus()
        handle.press("End")
        try:
            page.wait_for_function(
                "([el, old]) => el.innerText.trim().length > 0 && el.innerText !== old",
                arg=[output.element_handle(), before], timeout=20_000)
        except PlaywrightTimeout:
            continue
        assert output.inner_text() != before
        return
    pytest.fail("no slider of the panel changed its displayed output")


def step_and_play_a_playback(page) -> None:
    box = page.locator(".widget-vbox:has(.widget-play)").first
    box.wait_for(state="attached")
    box.scroll_into_view_if_needed()  # JupyterLab only renders cells near the viewport
    # A locator is looked up again on every check; an element handle may point at a node
    # that JupyterLab has meanwhile re-rendered, and would then never change.
    caption = box.locator(".widget-html-content", has_text="frame ").first
    expect(caption).to_contain_text("frame 1/", timeout=30_000)
    box.get_by_role("button", name="step ▶").click()
    expect(caption).to_contain_text("frame 2/", timeout=30_000)
    box.locator(".widget-play button").first.click()
    expect(caption).to_contain_text(re.compile(r"frame ([4-9]|\d{2,})/"), timeout=30_000)
