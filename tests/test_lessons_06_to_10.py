"""Notebooks 06 to 10 state only what their runs show, in pictures a learner can read.

* every number in the prose is shown by an output or written in a code cell of the same
  notebook (rounded as the prose rounds it), so a re-run that changes a result cannot leave
  a stale number in the text;
* every diagram has the workbook's legend and no text under 10 px at the notebook's width.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from eventlab.view.graphs import LEGEND_TITLE, smallest_text_px

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = [ROOT / "notebooks" / f"{name}.ipynb" for name in
             ("06_kafka_as_transport", "07_notification_vs_state_transfer",
              "08_commands_vs_events", "09_event_chains_and_monitoring",
              "10_orchestration_and_balance")]
NUMBER = re.compile(r"(?<![\w.-])(\d+(?:\.\d+)?)(?![\w])")
PROSE_NUMBER = re.compile(r"(?<![\w.-])(\d+(?:\.\d+)?)( ?%)?(?![\w])")
# Numbers that are names, not results: code in backticks, exercise and section numbers,
# notebook numbers, years, the "95 %" of every interval, and a value given to a setting
# (`update_hours` 120).
NAMES = re.compile(r"(`[^`]*`(?: \d+(?:\.\d+)?)?|Exercise \d+\.\d+|^#+ \d+\.|"
                   r"notebooks? \d+(?: and \d+)?|\d\d_\w+|"
                   r"\b(?:19|20)\d\d\b|95 %|trace-\d+|order-\d+|seed\d+|customer-\d+)",
                   re.MULTILINE)


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def shown(path: Path) -> set[float]:
    """Every number in the notebook's code and outputs (text, tables, alt texts, Markdown)."""
    texts = []
    for cell in cells(path):
        texts.append("".join(cell["source"]) if cell["cell_type"] == "code" else "")
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            for kind, value in output.get("data", {}).items():
                if kind.startswith("text/"):
                    texts.append(html.unescape("".join(value)))
    return {float(n) for text in texts for n in NUMBER.findall(text)}


def _matches(number: str, values: set[float], percent: bool = False) -> bool:
    """`number` as the prose writes it, rounded like an output value (a percentage may
    also be a share: 80 % is 0.8)."""
    digits = len(number.split(".")[1]) if "." in number else 0
    target = float(number)
    if any(round(v, digits) == target for v in values):
        return True
    return percent and any(round(v * 100, digits) == target for v in values)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_shown_by_the_notebook(path):
    values = shown(path)
    missing = []
    for index, cell in enumerate(cells(path)):
        if cell["cell_type"] != "markdown" or "".join(cell["source"]).startswith("**Exercise"):
            continue  # an exercise's numbers are its premises, not results
        text = NAMES.sub(" ", "".join(cell["source"]))
        missing += [(index, n) for n, sign in PROSE_NUMBER.findall(text)
                    if not _matches(n, values, percent=bool(sign))]
    assert missing == []


def _svgs(path: Path) -> list[tuple[int, str]]:
    out = []
    for index, cell in enumerate(cells(path)):
        for output in cell.get("outputs", []):
            svg = output.get("data", {}).get("image/svg+xml")
            if svg:
                out.append((index, "".join(svg)))
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_diagram_has_the_legend_and_text_of_at_least_10_px_at_960_px(path):
    found = _svgs(path)
    assert found
    for index, svg in found:
        assert LEGEND_TITLE in html.unescape(svg), index
        assert smallest_text_px(svg) >= 10.0, (index, smallest_text_px(svg))
