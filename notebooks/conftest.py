"""nbval settings for the notebooks: rendered SVG is not compared.

Graphviz's SVG embeds its version and layout coordinates, which differ between machines;
the structure of every graph is unit-tested on its DOT source instead (tests/test_graphs.py).
"""


def pytest_collectstart(collector):
    if getattr(collector, "path", None) is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("image/svg+xml",)
