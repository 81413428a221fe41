"""The HTML book renders every notebook with its outputs and links them in order."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_builder():
    # tools/ is a folder of scripts, not a package: load the script by its path.
    spec = importlib.util.spec_from_file_location("build_book", ROOT / "tools" / "build_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_book_has_an_index_and_one_linked_page_per_notebook(tmp_path):
    pages = load_builder().build(tmp_path)
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb")) + \
        sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    assert len(pages) == len(notebooks) + 1
    index = (tmp_path / "index.html").read_text()
    for path in notebooks:
        relative = path.relative_to(ROOT / "notebooks").with_suffix(".html").as_posix()
        assert f'href="{relative}"' in index
        assert (tmp_path / relative).exists()


def test_each_page_has_navigation_and_its_diagrams_as_svg(tmp_path):
    load_builder().build(tmp_path)
    page = (tmp_path / "01_what_is_event_driven.html").read_text()
    assert 'class="eventlab-nav"' in page
    assert 'href="index.html">☰ contents' in page
    assert 'href="00_start_here.html">←' in page
    assert re.search(r'src="data:image/svg\+xml;base64,PD94bWwg', page)  # <?xml: a diagram
    assert re.search(r'<img[^>]+src="data:image/png;base64', page)
    solution = (tmp_path / "solutions" / "01_what_is_event_driven_solutions.html").read_text()
    assert 'href="../index.html"' in solution
