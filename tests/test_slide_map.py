"""Every slide of the talk is mapped, in order, to a notebook of the workbook and its section."""

import json
import os
from pathlib import Path

import pytest

from eventlab.core import workbook
from eventlab.scenarios import recap

ROOT = Path(__file__).resolve().parent.parent
# The talk's slide text is reference material for the workbook's authors; it is not shipped.
# The talk's slide text is reference material beside the project (shared/reference/), not
# part of it; CI gets a copy of shared/ next to its clone.
CANDIDATES = [os.environ.get("EVENTLAB_TALK_SLIDES", ""),
              str(ROOT.parent / "shared" / "reference" / "talk-slides.txt"),
              "/work/shared/reference/talk-slides.txt"]
SLIDES = recap.slide_map()
SEPARATOR = " ¦ "


def talk_slides() -> str:
    for candidate in CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_text(encoding="utf-8")
    pytest.skip("talk-slides.txt not found (set EVENTLAB_TALK_SLIDES to its path)")


def headings(path: Path) -> set[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = set()
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    found.add(line.lstrip("#").strip())
    return found


def test_every_line_of_the_slide_text_belongs_to_a_mapped_slide_in_talk_order():
    lines = recap.slide_lines(talk_slides())
    rebuilt = []
    for heading, text in zip(SLIDES["heading"], SLIDES["text"], strict=True):
        rebuilt += [heading, *(text.split(SEPARATOR) if text else [])]
    assert rebuilt == lines


def test_every_slide_heading_of_the_talk_is_mapped_to_a_notebook():
    lines = recap.slide_lines(talk_slides())
    for title in ("Zeebe is (P", "Recap 2", "Local Orchestration", "Alternative flow",
                  "Monitoring Workflows Across Microservices", "(omparison"):
        assert title in lines
        assert title in set(SLIDES["heading"])
    assert SLIDES["notebook"].ne("").all()


def test_the_map_is_numbered_in_order_and_names_only_notebooks_of_the_workbook():
    assert list(SLIDES.index) == list(range(1, len(SLIDES) + 1))
    names = [n for n, _, _ in workbook.NOTEBOOKS]
    assert set(SLIDES["notebook"]) <= set(names)
    assert set(SLIDES["part"]) <= set(recap.PARTS)
    for name in ("09_event_chains_and_monitoring", "10_orchestration_and_balance", "11_recap"):
        assert name in set(SLIDES["notebook"])


@pytest.mark.parametrize("name", sorted(set(SLIDES["notebook"])))
def test_every_referenced_notebook_exists_and_has_the_section_that_shows_the_slide(name):
    path = ROOT / "notebooks" / f"{name}.ipynb"
    rows = SLIDES[SLIDES["notebook"] == name]
    if not path.exists():
        # a notebook of the workbook map that is still being written: its slides are mapped,
        # the sections follow once it exists (then an empty section fails below)
        assert name in [n for n, _, _ in workbook.NOTEBOOKS]
        pytest.skip(f"{name}.ipynb is not in the repository yet")
    found = headings(path)
    for slide, section in rows["section"].items():
        assert section, f"slide {slide} names no section of {name}"
        assert section in found, f"slide {slide}: {name} has no heading {section!r}"


def write(tmp_path, rows):
    path = tmp_path / "map.csv"
    header = ",".join(recap.SLIDE_COLUMNS)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


GOOD = "1,Recap 2,Recap 2,Recaps,11_recap,Recap 2,the recap,"


def test_the_loader_reads_a_good_file_and_rejects_mistakes_naming_the_row(tmp_path):
    assert recap.slide_map(write(tmp_path, [GOOD])).loc[1, "notebook"] == "11_recap"
    cases = [
        ([GOOD.replace("1,", "2,", 1)], "row 1: slide must be 1"),
        ([GOOD.replace("11_recap,", "12_extra,", 1)], "notebook '12_extra' is not in the"),
        ([GOOD.replace(",Recaps,", ",Finale,")], "part 'Finale' is not one of"),
        ([GOOD.replace("1,Recap 2,", "1,,", 1)], "row 1: heading is empty"),
        ([GOOD + ",extra"], "row 1: 9 fields, expected 8"),
    ]
    for rows, message in cases:
        with pytest.raises(ValueError, match=message):
            recap.slide_map(write(tmp_path, rows))
    bad = tmp_path / "bad.csv"
    bad.write_text("slide,heading\n", encoding="utf-8")
    with pytest.raises(ValueError, match="the header must be"):
        recap.slide_map(bad)
    with pytest.raises(ValueError, match="no such file"):
        recap.slide_map(tmp_path / "missing.csv")
