"""Every notebook follows the workbook's rules (structure, hygiene, committed outputs)."""

import ast
import json
import re
from pathlib import Path

import pytest

from eventlab.core import workbook

ROOT = Path(__file__).resolve().parent.parent
MAIN = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
ALL = MAIN + SOLUTIONS
MARKERS = ("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP", "# NBVAL_RAISES_EXCEPTION")


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"])


def code_lines(cell):
    return [line for line in source(cell).splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def imports_only(cell):
    """The set-up cell: nothing but import statements."""
    try:
        tree = ast.parse(source(cell))
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(s, ast.Import | ast.ImportFrom) for s in tree.body)


def is_exercise(cell):
    """An answer cell: the learner writes a function or a value there."""
    return "def " in source(cell) or "= None" in source(cell)


def test_there_are_notebooks_and_each_has_a_solutions_notebook():
    assert len(MAIN) >= 2
    for path in MAIN:
        assert (ROOT / "notebooks" / "solutions" / f"{path.stem}_solutions.ipynb").exists(), path


def test_every_notebook_is_in_the_workbook_map_in_reading_order():
    names = [n for n, _, _ in workbook.NOTEBOOKS]
    stems = [p.stem for p in MAIN]
    assert all(s in names for s in stems)
    assert stems == sorted(stems, key=names.index)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_notebook_runs_on_the_plain_python3_kernel(path):
    meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    assert meta["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_path_hacks_no_star_imports_no_installs(path):
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        text = source(cell)
        assert "sys.path" not in text
        assert not re.search(r"import \*", text)
        assert not re.search(r"^\s*[!%]", text, re.MULTILINE)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_outputs_are_committed_and_no_cell_shows_an_unexpected_error(path):
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        assert cell["execution_count"] is not None, source(cell)[:60]
        tagged = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        for output in cell["outputs"]:
            assert output["output_type"] != "error" or tagged, source(cell)[:60]
            assert output.get("name") != "stderr", source(cell)[:60]


@pytest.mark.parametrize("path", MAIN, ids=lambda p: p.name)
def test_every_notebook_has_goals_slides_limits_and_exercises(path):
    text = "\n".join(source(c) for c in cells(path) if c["cell_type"] == "markdown")
    for heading in ("You will learn", "Talk slides covered", "leaves out", "Exercise"):
        assert heading in text, heading


@pytest.mark.parametrize("path", MAIN, ids=lambda p: p.name)
def test_functions_are_defined_only_in_exercise_cells_and_cells_stay_short(path):
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        if "def " in source(cell):
            assert "NotImplementedError" in source(cell), source(cell)[:60]
        elif not imports_only(cell):  # one import per layer is the one longer cell
            assert len(code_lines(cell)) <= 3, source(cell)


@pytest.mark.parametrize("path", MAIN, ids=lambda p: p.name)
def test_prose_follows_every_output(path):
    notebook = cells(path)
    for index, cell in enumerate(notebook[:-1]):
        if cell["cell_type"] == "code" and cell["outputs"] and not is_exercise(cell):
            follower = notebook[index + 1]
            assert follower["cell_type"] == "markdown" or \
                source(follower).startswith("checks."), source(cell)[:60]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_nbval_marker_stands_alone_with_a_reason_on_the_next_line(path):
    for cell in cells(path):
        lines = source(cell).splitlines()
        for i, line in enumerate(lines):
            if line.strip() in MARKERS:
                assert i + 1 < len(lines), source(cell)[:60]
                assert lines[i + 1].startswith("# "), source(cell)[:60]
            elif "NBVAL" in line:
                pytest.fail(f"marker not alone on its line: {line!r}")


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_every_solution_passes_its_checker(path):
    results = []
    for cell in cells(path):
        if cell["cell_type"] == "code" and "checks.exercise_" in source(cell):
            texts = ["".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"]]
            results.append("".join(texts))
    assert results
    assert all(r.startswith("✓") for r in results), results


@pytest.mark.parametrize("path", MAIN, ids=lambda p: p.name)
def test_exercises_in_the_learner_notebook_start_unattempted(path):
    for cell in cells(path):
        if cell["cell_type"] == "code" and source(cell).startswith("checks.exercise_"):
            text = "".join(cell["outputs"][0]["data"]["text/plain"])
            assert "not attempted yet" in text


MACHINE_PATHS = re.compile(r"(/work/|/home/|/root/|/tmp/|/Users/|[A-Z]:\\\\|site-packages)")


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_stored_output_shows_a_path_of_the_machine_that_ran_it(path):
    for cell in cells(path):
        for output in cell.get("outputs", []):
            text = json.dumps(output)
            assert not MACHINE_PATHS.search(text), (source(cell)[:60], MACHINE_PATHS.search(text))
