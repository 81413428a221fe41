"""Re-execute notebooks in place, top to bottom, stopping at the first error.

    python tools/run_notebooks.py                 every notebook under notebooks/
    python tools/run_notebooks.py notebooks/01_what_is_event_driven.ipynb
    python tools/run_notebooks.py --no-write      only run and time them (for benchmarks)

Each notebook runs in a fresh kernel with its own folder as working directory (as under
JupyterLab and nbval). Timing and widget-state metadata are not kept, so re-running an
unchanged notebook leaves an unchanged file.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def notebook_paths(args: list[str]) -> list[Path]:
    """The notebooks named in `args`, or all of them in reading order (solutions last)."""
    if args:
        return [Path(a).resolve() for a in args]
    main = sorted((ROOT / "notebooks").glob("*.ipynb"))
    solutions = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    return main + solutions


def execute(path: Path, *, write: bool = True) -> float:
    """Run one notebook in a fresh kernel; return the seconds it took. Raises on error."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    _placeholder_widgets(nb)
    _short_tracebacks(nb)
    if write:
        nbformat.write(nb, path)
    return seconds


WIDGET_NOTE = "Interactive panel: run this cell in JupyterLab to use it."


def _placeholder_widgets(nb: nbformat.NotebookNode) -> None:
    """Replace saved widget views by a note, or by the still picture a widget offers.

    Widget views point at random model ids and their state is not saved, so a stored view
    could never be shown; a note keeps the file stable and tells a reader what to do. A
    widget that draws a model (the BPMN viewer and modeler) also offers the model as a
    picture (``text/html``), which is kept: the reader sees the model before running.
    """
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                still = data.get("text/html")
                output["data"] = {"text/plain": WIDGET_NOTE}
                if still is not None:
                    output["data"]["text/html"] = still


def _short_tracebacks(nb: nbformat.NotebookNode) -> None:
    """Keep only the last line of a stored traceback ("ConfigError: consumers must be ...").

    The frames above it name files on the machine that ran the notebook; a reader needs the
    error's one line, which is what every expected error in the workbook is written to say.
    """
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("traceback"):
                output["traceback"] = output["traceback"][-1:]


def main(args: list[str]) -> int:
    write = "--no-write" not in args
    for path in notebook_paths([a for a in args if a != "--no-write"]):
        name = path.relative_to(ROOT)
        try:
            seconds = execute(path, write=write)
        except CellExecutionError as err:
            print(f"FAILED {name}\n{err}", file=sys.stderr)
            return 1
        print(f"ok {seconds:6.2f} s  {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
