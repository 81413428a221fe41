"""Render every executed notebook into a static HTML book (readable with no Python).

    python tools/build_book.py [OUTPUT_DIR]        (default: site/)

Each notebook becomes one page with its stored outputs (diagrams as SVG, charts as images,
tables as HTML) and a navigation bar (contents, previous, next); `index.html` lists the
notebooks in the talk's order, then the solutions. Nothing is executed: run
`python3 tasks.py notebooks` first if the outputs are stale.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
STYLE = """<style>
.eventlab-nav { position: sticky; top: 0; z-index: 10; background: #f8f9fa;
  border-bottom: 1px solid #ddd; padding: 8px 16px; font: 14px system-ui, sans-serif; }
.eventlab-nav a { margin-right: 18px; }
</style>"""


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first Markdown heading of a notebook, without the leading #."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def nav(prev: tuple[str, str] | None, nxt: tuple[str, str] | None, depth: int) -> str:
    up = "../" * depth
    parts = [f'<a href="{up}index.html">☰ contents</a>']
    if prev:
        parts.append(f'<a href="{up}{prev[0]}">← {html.escape(prev[1])}</a>')
    if nxt:
        parts.append(f'<a href="{up}{nxt[0]}">{html.escape(nxt[1])} →</a>')
    return f'{STYLE}<nav class="eventlab-nav">{"".join(parts)}</nav>'


def build(out: Path) -> list[Path]:
    """Write the book into `out`; return the pages written (index first)."""
    sources = sorted((ROOT / "notebooks").glob("*.ipynb")) + \
        sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    pages = []
    for path in sources:
        nb = nbformat.read(path, as_version=4)
        relative = path.relative_to(ROOT / "notebooks").with_suffix(".html").as_posix()
        pages.append((relative, title_of(nb, path.stem), nb))
    exporter = HTMLExporter(template_name="lab")
    written = []
    for i, (relative, title, nb) in enumerate(pages):
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        prev = pages[i - 1][:2] if i > 0 else None
        nxt = pages[i + 1][:2] if i + 1 < len(pages) else None
        bar = nav(prev, nxt, relative.count("/"))
        body = _after_body(body, bar)
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
        written.append(target)
    items = "\n".join(f'<li><a href="{r}">{html.escape(t)}</a></li>' for r, t, _ in pages)
    index = out / "index.html"
    index.write_text(f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>eventlab: the workbook</title>{STYLE}</head>
<body style="font: 16px system-ui, sans-serif; max-width: 860px; margin: 40px auto;">
<h1>eventlab</h1>
<p>A hands-on workbook for Bernd Rücker's talk <em>Opportunities &amp; Pitfalls of
Event-Driven Utopia</em>, rendered with its stored outputs. To run and vary the simulations,
open the notebooks in JupyterLab (<code>python3 tasks.py lab</code>).</p>
<ol>
{items}
</ol></body></html>
""", encoding="utf-8")
    return [index, *written]


def _after_body(body: str, bar: str) -> str:
    """Insert the navigation bar right after the opening <body> tag."""
    start = body.index("<body")
    end = body.index(">", start) + 1
    return body[:end] + bar + body[end:]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "site"
    for page in build(target):
        print(page)
