"""Benchmark: one step of the BPMN token playback, in the kernel and in the browser.

    python benchmarks/bpmn_playback_bench.py [ORDERS]     (default 100 orders)

A learner scrubs the playback of notebook 10's order process; each step is (1) the kernel's
work: ``BpmnPlayback.step`` sets the frame's counts on the widget (serialised to the front
end), and (2) the browser's: bpmn-js removes the old count badges and paints the new ones.
(1) is timed here with the widget in this process; (2) in Debian's Chromium, on the same
front-end code the notebook runs (``bpmn_widget.page``), frame after frame. The goal is a
step under 100 ms: their sum at the 95th percentile is compared with it.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from typing import Any

from eventlab.domains.retail.processes import order_process
from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.replay import instances, path, replay
from eventlab.scenarios.retail import orchestrated
from eventlab.view.bpmn_widget import BpmnViewer, bpmn_playback, page

TARGET_MS = 100.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def setup(orders: int = 100) -> tuple[str, list[Any], dict[str, list[str]]]:
    """The order process's XML, its replay frames and every instance's path."""
    config = orchestrated.Config(orders=orders)
    result = orchestrated.run(config)
    process = order_process(config.variant, payment_hours=config.payment_timer,
                            fetch_hours=config.fetch_timer, ship_hours=config.ship_timer)
    frames = replay(process, result.trace, engine="Order")
    paths = {i: path(result.trace, i) for i in instances(result.trace, engine="Order")}
    return bpmn.write(process), frames, paths


def kernel_steps(xml: str, frames: list[Any], paths: dict[str, list[str]]) -> list[float]:
    """Milliseconds of each `step(+1)` over the whole playback (the widget's serialisation
    of the counts included)."""
    playback = bpmn_playback(xml, frames, paths=paths)
    out = []
    for _ in range(len(frames) - 1):
        start = time.perf_counter()
        playback.step(+1)
        _ = playback.viewer.get_state("counts")  # what is sent to the front end
        out.append((time.perf_counter() - start) * 1000)
    return out


def browser_steps(xml: str, frames: list[Any]) -> list[float] | None:
    """Milliseconds bpmn-js takes to repaint each frame's counts in Chromium (None without
    Chromium)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium,
                                     args=["--headless=new", "--no-sandbox", "--disable-gpu"])
        tab = browser.new_page()
        tab.set_content(page(BpmnViewer(xml)))
        tab.wait_for_function("window.model && window.model.get('imported') >= 1",
                              timeout=30_000)
        times: list[float] = tab.evaluate(
            """(frames) => frames.map((counts) => {
                const start = performance.now();
                window.model.set('counts', counts);
                return performance.now() - start;
            })""", [f.as_dict() for f in frames])
        browser.close()
    return times


def main(orders: int = 100) -> dict[str, float]:
    xml, frames, paths = setup(orders)
    kernel = kernel_steps(xml, frames, paths)
    browser = browser_steps(xml, frames)
    row = {"frames": float(len(frames)),
           "kernel median ms": statistics.median(kernel),
           "kernel p95 ms": percentile(kernel, 0.95)}
    if browser is not None:
        row["browser median ms"] = statistics.median(browser)
        row["browser p95 ms"] = percentile(browser, 0.95)
        row["step p95 ms"] = row["kernel p95 ms"] + row["browser p95 ms"]
    return row


if __name__ == "__main__":
    result = main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
    for name, value in result.items():
        print(f"{name:>20}: {value:8.2f}")
    total = result.get("step p95 ms")
    if total is not None:
        print(f"a playback step at the 95th percentile: {total:.1f} ms "
              f"({'met' if total <= TARGET_MS else 'NOT met'}: goal {TARGET_MS:.0f} ms)")
