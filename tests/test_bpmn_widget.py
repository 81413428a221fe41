"""BPMN in the notebook: bpmn-js vendored, a run's counts painted on the model, edits back.

The front end is tested in Debian's Chromium through a standalone page that runs the widget's
own module with a stand-in for the kernel (`page()`); the notebook tests run it in JupyterLab.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from eventlab.core.errors import ConfigError
from eventlab.core.resources import resource
from eventlab.engines.workflow.replay import ElementCount, ReplayFrame
from eventlab.view.bpmn_widget import BpmnModeler, BpmnViewer, bpmn_playback, page

ROOT = Path(__file__).resolve().parent.parent
CHARGE = (ROOT / "tests" / "data" / "charge_card.bpmn").read_text(encoding="utf-8")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu"]


def test_the_vendored_bpmn_js_files_are_the_ones_its_readme_lists():
    readme = resource("bpmn_js/README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| (\S+) \| [^|]+ \| ([0-9a-f]{64}) \|$", readme, flags=re.M)
    assert len(listed) == 12
    for name, digest in listed:
        assert hashlib.sha256(resource(f"bpmn_js/{name}").read_bytes()).hexdigest() == digest
    assert "bpmn.io" in resource("bpmn_js/LICENSE").read_text(encoding="utf-8")


def test_a_viewer_refuses_no_xml_and_a_silly_height():
    with pytest.raises(TypeError, match="xml must be a string"):
        BpmnViewer(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="height"):
        BpmnViewer(CHARGE, height=5)


def frame(time: float, **counts: ElementCount) -> ReplayFrame:
    return ReplayFrame(time, f"t={time}", counts)


def test_playback_steps_paint_each_frames_counts_and_the_chooser_highlights_a_path():
    frames = [frame(1.0, charge=ElementCount(active=1)),
              frame(2.0, charge=ElementCount(completed=1, instances=1),
                    paid=ElementCount(completed=1, instances=1))]
    playback = bpmn_playback(CHARGE, frames, paths={"wf-1": ["start", "charge", "paid"]})
    assert playback.viewer.counts == {"charge": ElementCount(active=1).as_dict()}
    playback.step(+1)
    assert playback.viewer.counts["paid"]["instances"] == 1
    playback.step(+5)  # clamped at the last frame
    assert playback.index == 1
    playback.choose("wf-1")
    assert playback.viewer.highlight == ["start", "charge", "paid"]
    playback.choose("(none)")
    assert playback.viewer.highlight == []
    with pytest.raises(ConfigError, match="no recorded path"):
        playback.choose("wf-9")
    with pytest.raises(ConfigError, match="frames must not be empty"):
        bpmn_playback(CHARGE, [])


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: sudo apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_page(browser, widget):
    tab = browser.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda err: problems.append(str(err)))
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.set_content(page(widget))
    tab.wait_for_function("window.model && window.model.get('imported') >= 1", timeout=20_000)
    return tab, problems


def test_bpmn_js_draws_the_model_without_import_warnings_and_paints_counts_and_a_path(browser):
    tab, problems = open_page(browser, BpmnViewer(CHARGE))
    assert tab.evaluate("model.get('import_warnings')") == []
    assert tab.evaluate("model.get('import_error')") == ""
    drawn = tab.evaluate("[...document.querySelectorAll('.djs-element')]"
                         ".map(e => e.dataset.elementId)")
    assert {"start", "charge", "sla", "paid", "escalated", "f1", "f2", "f4"} <= set(drawn)
    tab.evaluate("model.set('counts', {charge: {active: 2, completed: 5, instances: 4, "
                 "canceled: 1, incidents: 1}, ghost: {active: 1}})")
    badges = tab.evaluate("[...document.querySelectorAll('.eventlab-badge')]"
                          ".map(e => e.textContent)")
    assert badges == ["2", "✓4 (5 passes)", "✗1", "⚠1"]  # an unknown element id is skipped
    tab.evaluate("model.set('highlight', ['start', 'charge'])")
    marked = tab.evaluate("[...document.querySelectorAll('.eventlab-path')]"
                          ".map(e => e.closest('[data-element-id]'))"
                          ".map(e => e && e.getAttribute('data-element-id'))")
    assert {m.removesuffix("_label") for m in marked if m} == {"start", "charge"}
    tab.evaluate("model.set('counts', {})")
    assert tab.evaluate("document.querySelectorAll('.eventlab-badge').length") == 0
    assert problems == []


def test_a_model_bpmn_js_cannot_read_says_so_in_the_widget(browser):
    tab, _ = open_page(browser, BpmnViewer("<definitions>not bpmn</definitions>"))
    assert tab.evaluate("model.get('import_error')") != ""
    assert "could not draw" in tab.inner_text(".eventlab-bpmn-status")


def test_an_edit_in_the_modeler_comes_back_as_xml(browser):
    tab, problems = open_page(browser, BpmnModeler(CHARGE))
    tab.evaluate("""() => {
        const bpmn = document.getElementById('root').bpmnjs;
        const task = bpmn.get('elementRegistry').get('charge');
        bpmn.get('modeling').updateLabel(task, 'Charge the card now');
    }""")
    tab.wait_for_function("(model.get('xml_edited') || '').includes('Charge the card now')",
                          timeout=5_000)
    edited = tab.evaluate("model.get('xml_edited')")
    assert 'id="sla"' in edited  # the rest of the model came back too
    tab.evaluate("""() => {
        const bpmn = document.getElementById('root').bpmnjs;
        bpmn.get('selection').select(bpmn.get('elementRegistry').get('sla'));
    }""")
    tab.wait_for_selector(".bio-properties-panel-header", timeout=5_000)
    assert "Timer" in tab.inner_text(".eventlab-bpmn-panel")  # Zeebe's timer properties
    assert problems == []


def test_the_modeler_keeps_the_last_model_that_runs_when_an_edit_cannot_run():
    modeler = BpmnModeler(CHARGE)
    first = modeler.process()
    assert modeler.last_good == first
    modeler.xml_edited = CHARGE.replace("<bpmn:timeDuration>PT2H</bpmn:timeDuration>",
                                        "<bpmn:timeDuration>two hours</bpmn:timeDuration>")
    with pytest.raises(ValueError, match="sla"):
        modeler.process()
    assert modeler.last_good == first
    assert modeler.message.startswith("not loaded:")


def test_the_playback_benchmark_runs_on_a_tiny_size():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bpmn_playback_bench", ROOT / "benchmarks" / "bpmn_playback_bench.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    xml, frames, paths = bench.setup(orders=5)
    steps = bench.kernel_steps(xml, frames, paths)
    assert len(steps) == len(frames) - 1
    assert all(ms >= 0 for ms in steps)


def test_a_widget_drawn_while_hidden_fits_the_model_once_it_gets_a_size(browser):
    tab = browser.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda err: problems.append(str(err)))
    hidden = page(BpmnViewer(CHARGE)).replace("style='width:960px'",
                                               "style='width:960px;display:none'")
    tab.set_content(hidden)
    tab.wait_for_function("window.model && window.model.get('imported') >= 1", timeout=20_000)
    tab.evaluate("document.getElementById('root').style.display = 'block'")
    tab.wait_for_timeout(300)
    assert problems == []
    assert tab.evaluate("model.get('import_error')") == ""
    box = tab.evaluate("document.querySelector('.djs-element[data-element-id=charge]')"
                       ".getBoundingClientRect().width")
    assert box > 50  # drawn at a readable size, not at zero scale
