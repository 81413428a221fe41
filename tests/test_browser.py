"""The workbook as a participant uses it: JupyterLab in a real (headless) Chromium.

JupyterLab starts the way ``python3 tasks.py lab`` starts it on a fresh clone: the same
arguments, the workbook's defaults installed into the environment, and no Jupyter state from
earlier runs (fresh ``JUPYTER_DATA_DIR`` and ``JUPYTER_CONFIG_DIR``, so no notebook is trusted).

First look: the lab opens at the start notebook with the repository as the file browser's root
and no news prompt, and every notebook, opened without running it, shows each stored diagram
as a picture rather than its text alternative.

Running: nbval cannot see widgets, so the test also opens every notebook, runs all cells, and
fails on any unexpected error output or browser console error. In notebooks with widgets it
moves a control and checks that the displayed output changed, and it steps and plays a playback.

It uses Debian's Chromium (``apt-get install chromium``; tasks.py installs it when run as
root) driven by Playwright's Python package; it never downloads a browser. It skips, saying
why, only when Chromium is not installed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

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


def load_tasks():
    # tasks.py is the project's entry script, not a package: load it by its path.
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clean_machine_env(home: Path) -> dict[str, str]:
    """This process's environment without any Jupyter state: fresh data, config and runtime."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    for name in ("data", "config", "runtime"):
        env[f"JUPYTER_{name.upper()}_DIR"] = str(home / f"jupyter-{name}")
    return env


class Lab(NamedTuple):
    url: str
    workbook: Path  # the copy JupyterLab serves (and saves into)


@contextmanager
def fresh_clone_lab(home: Path) -> Iterator[Lab]:
    """JupyterLab as `tasks.py lab` starts it, over a copy of the workbook.

    A copy, because autosave must not touch the repository.
    """
    workbook = home / "workbook"
    for folder in ("notebooks", "data", "docs"):
        shutil.copytree(ROOT / folder, workbook / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "conftest.py"))
    # What `tasks.py lab` runs before JupyterLab: the workbook's defaults into the environment.
    subprocess.run([sys.executable, str(ROOT / "tools" / "lab_settings.py")], check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", *load_tasks().lab_arguments(workbook),
         "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--IdentityProvider.token=",
         "--ServerApp.password=", "--allow-root", "--LabApp.expose_app_in_browser=True"],
        env=clean_machine_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("JupyterLab did not start within 60 s")
                time.sleep(0.5)
        yield Lab(base, workbook)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def first_look(tmp_path_factory):
    """A lab nobody has run a cell in: every notebook is as it was cloned (untrusted)."""
    with fresh_clone_lab(tmp_path_factory.mktemp("first-look")) as running:
        yield running.url


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A lab for running the notebooks (running and saving would sign them: not first_look)."""
    with fresh_clone_lab(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


START = "notebooks/00_start_here.ipynb"


def current_path(page) -> str | None:
    return page.evaluate("() => window.jupyterapp?.shell?.currentWidget?.context?.path ?? null")


def test_the_lab_opens_the_start_notebook_with_the_repository_in_the_file_browser(first_look,
                                                                                   browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{first_look}/")  # where `tasks.py lab` points the browser
        page.wait_for_function(f"() => window.jupyterapp?.shell?.currentWidget?.context?.path"
                               f" === {START!r}", timeout=60_000)
        page.locator(".jp-BreadCrumbs-home").first.click()
        names = page.locator(".jp-FileBrowser .jp-DirListing-itemText")
        for folder in ("data", "docs", "notebooks"):
            expect(names.get_by_text(folder, exact=True)).to_be_visible(timeout=30_000)
    finally:
        page.close()


def test_a_fresh_lab_asks_nothing_no_news_prompt_and_no_dialog(first_look, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{first_look}/lab/tree/{START}?reset")
        page.wait_for_function("() => window.jupyterapp?.shell?.currentWidget?.context?.isReady",
                               timeout=60_000)
        # The news question is asked once the app is restored and its settings are loaded.
        page.evaluate("() => window.jupyterapp.restored")
        page.wait_for_timeout(3_000)
        toasts = page.locator(".Toastify__toast")
        assert toasts.count() == 0, toasts.all_inner_texts()
        assert page.locator(".jp-Dialog").count() == 0
        # Why: the environment's overrides make "never" the default of the news setting.
        plugin = page.evaluate("""() => window.jupyterapp.serviceManager.settings
            .fetch('@jupyterlab/apputils-extension:notification')""")
        assert plugin["schema"]["properties"]["fetchNews"]["default"] == "false"
    finally:
        page.close()


def diagram_outputs(path: Path) -> list[dict]:
    """The stored outputs that are diagrams (a Diagram's bundle always carries its SVG)."""
    cells = json.loads(path.read_text())["cells"]
    return [output["data"] for cell in cells for output in cell.get("outputs", [])
            if "image/svg+xml" in output.get("data", {})]


def stored_diagrams(path: Path) -> int:
    return len(diagram_outputs(path))


SHOWN_DIAGRAMS = """() => {
    const widget = window.jupyterapp.shell.currentWidget;
    const outputs = [...widget.node.querySelectorAll('.jp-OutputArea-output')];
    const images = outputs.flatMap(o => [...o.querySelectorAll('img[src^="data:image/svg+xml"]')]);
    const cells = [...Array(widget.content.model.cells.length).keys()]
        .map(i => widget.content.model.cells.get(i));
    return {
        images: images.length,
        loaded: images.filter(img => img.complete && img.naturalWidth > 0).length,
        texts: outputs.filter(o => o.dataset.mimeType === 'text/plain'
                                   && o.textContent.trimStart().startsWith('Diagram')).length,
        trusted: cells.filter(c => c.type === 'code' && c.outputs.length > 0 && c.trusted).length,
    };
}"""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_unrun_notebooks_show_every_stored_diagram_as_a_picture(first_look, browser, path):
    expected = stored_diagrams(path)
    relative = path.relative_to(ROOT).as_posix()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{first_look}/lab/tree/{relative}?reset")
        page.wait_for_function("path => window.jupyterapp?.shell?.currentWidget?.context?.path"
                               " === path && window.jupyterapp.shell.currentWidget.context"
                               ".isReady", arg=relative, timeout=60_000)
        with contextlib.suppress(PlaywrightTimeout):  # the counts below say what is missing
            page.wait_for_function(f"() => {{ const s = ({SHOWN_DIAGRAMS})();"
                                   f" return s.images + s.texts >= {expected}"
                                   f" && s.loaded === s.images; }}", timeout=30_000)
        shown = page.evaluate(SHOWN_DIAGRAMS)
        # Nothing was run here, so JupyterLab does not trust these outputs: the pictures
        # must not depend on trust (a fresh clone, Binder, a hub, a notebook edited elsewhere).
        assert shown["trusted"] == 0, shown
        assert shown["texts"] == 0, (
            f"{shown['texts']} of {expected} diagrams in {relative} show as text: re-execute "
            f"it (python tools/run_notebooks.py {relative}) so it stores the HTML image")
        assert shown["images"] == expected, shown
        assert shown["loaded"] == expected, shown
    finally:
        page.close()


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
        relative = path.relative_to(ROOT).as_posix()
        console = run_all(page, lab.url, relative)
        shown = page.locator(".jp-OutputArea-output[data-mime-type="
                             "'application/vnd.jupyter.stderr']").count()
        assert shown == expected_errors(path), f"{shown} error outputs in {relative}"
        assert console == [], console
        if uses(path, "widgets.explore("):
            move_a_slider_and_see_the_output_change(page)
        if uses(path, "playback.playback("):
            step_and_play_a_playback(page)
        if uses(path, "modeling.playback("):
            bpmn_js_draws_the_model_and_the_playback_scrubs(page)
        if uses(path, "modeling.sla.run(process=modeler.process())"):
            an_edit_in_the_modeler_changes_the_next_run(page)
        if stored_diagrams(path):
            saved_diagrams_are_pictures_without_trust(page, lab.workbook / relative)
    finally:
        page.close()


def saved_diagrams_are_pictures_without_trust(page, saved: Path) -> None:
    """A learner's run-and-save stores every diagram with its HTML image as well.

    So the picture does not hang on this lab's trust database: the file shows it untrusted
    on another machine, on a hub, or after an edit outside Jupyter.
    """
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
                           timeout=30_000)
    diagrams = diagram_outputs(saved)
    assert diagrams, f"no diagram saved in {saved.name}"
    for data in diagrams:
        assert "".join(data.get("text/html", "")).startswith(
            '<img src="data:image/svg+xml;base64,'), sorted(data)


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


def bpmn_js_draws_the_model_and_the_playback_scrubs(page) -> None:
    """The bpmn-js viewer draws the model without import warnings, and scrubbing the playback
    paints the counts of the frame shown."""
    box = page.locator(".widget-vbox:has(.eventlab-bpmn)").first
    box.wait_for(state="attached")
    box.scroll_into_view_if_needed()
    shapes = box.locator(".eventlab-bpmn .djs-element")
    expect(shapes.first).to_be_attached(timeout=30_000)
    assert shapes.count() > 10
    assert box.locator(".eventlab-bpmn-status").inner_text() == ""  # no import error
    caption = box.locator(".widget-html-content", has_text="frame ").first
    expect(caption).to_contain_text("frame 1/", timeout=30_000)
    handle = box.locator(".widget-slider .noUi-handle").first
    handle.focus()
    handle.press("End")  # the last frame: every order has passed somewhere
    expect(caption).not_to_contain_text("frame 1/", timeout=30_000)
    expect(box.locator(".eventlab-badge", has_text="✓").first).to_be_attached(timeout=30_000)


EDIT_THE_CHARGE = """() => {
    const el = [...document.querySelectorAll('.eventlab-bpmn-row')]
        .map((row) => row.parentElement)
        .find((parent) => parent.bpmnjs && parent.bpmnjs.get('elementRegistry').get('charge'));
    const b = el.bpmnjs;
    const reg = b.get('elementRegistry'), modeling = b.get('modeling');
    const task = reg.get('charge');
    const timer = b.get('elementFactory').createShape(
        { type: 'bpmn:BoundaryEvent', eventDefinitionType: 'bpmn:TimerEventDefinition' });
    timer.businessObject.cancelActivity = false;
    const boundary = modeling.createShape(
        timer, { x: task.x + 60, y: task.y + task.height }, task, { attach: true });
    boundary.businessObject.eventDefinitions[0].timeDuration =
        b.get('moddle').create('bpmn:FormalExpression', { body: 'PT1H' });
    modeling.appendShape(boundary, { type: 'bpmn:EndEvent' },
                         { x: boundary.x + 150, y: boundary.y + 100 });
}"""

RUN_THE_CELL = """async (text) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const index = notebook.widgets.findIndex(
        (cell) => cell.model.sharedModel.getSource().includes(text));
    notebook.activeCellIndex = index;
    await window.jupyterapp.commands.execute('notebook:run-cell');
    return index;
}"""


def an_edit_in_the_modeler_changes_the_next_run(page) -> None:
    """A learner's edit in the bpmn-js modeler reaches the kernel: the cell that runs the
    edited model shows the charges its new timer escalated."""
    run_cell = "modeling.sla.run(process=modeler.process())"
    panel = page.locator(".eventlab-bpmn-panel").first
    panel.wait_for(state="attached", timeout=30_000)
    panel.scroll_into_view_if_needed()
    expect(page.locator(".eventlab-bpmn-row .djs-element").first).to_be_attached(
        timeout=30_000)
    cell = page.locator(".jp-CodeCell", has_text=run_cell).first
    cell.scroll_into_view_if_needed()  # JupyterLab only renders cells near the viewport
    output = cell.locator(".jp-OutputArea").first
    expect(output).to_contain_text("charges escalated", timeout=30_000)
    before = output.inner_text()
    panel.scroll_into_view_if_needed()
    page.evaluate(EDIT_THE_CHARGE)
    page.wait_for_timeout(1500)  # the modeler saves its XML a moment after the last edit
    page.evaluate(RUN_THE_CELL, run_cell)
    cell.scroll_into_view_if_needed()
    expect(output).not_to_have_text(before, timeout=60_000)
    expect(output).to_contain_text("charges escalated", timeout=30_000)
