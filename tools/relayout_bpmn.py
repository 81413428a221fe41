"""Rewrite the package's BPMN files with the layout the package computes.

The retail processes ship as BPMN files in ``eventlab/resources/``. Their diagram
interchange (where Camunda Modeler draws each shape) is the one
:func:`eventlab.engines.workflow.bpmn.layout` computes, so the file opens with the picture
:mod:`eventlab.view.bpmn_svg` draws. After a change to the layout (or after editing a file in
Camunda Modeler), run ``python tools/relayout_bpmn.py`` and review the diff:
``tests/test_bpmn_files.py`` checks that the files and the layout agree.
"""

from __future__ import annotations

from pathlib import Path

from eventlab.engines.workflow import bpmn

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    for path in sorted((ROOT / "eventlab" / "resources").glob("*.bpmn")):
        text = bpmn.write(bpmn.read(path))
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
