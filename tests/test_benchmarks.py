"""The benchmark script's pipes move every message they time (a pipe losing some would lie)."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("eventlab_benchmarks_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("options", [{}, {"create_events": True},
                                     {"create_events": True, "build_frame": True}])
def test_the_channel_pipe_delivers_every_message_it_times(bench, options):
    assert bench.channel_pipe(2000, **options) > 0.0


def test_taking_turns_keeps_the_best_time_of_each_pipe(bench):
    times = {"a": iter([3.0, 1.0, 2.0]), "b": iter([5.0, 6.0, 4.0])}
    best = bench.best_of_alternating({name: lambda name=name: next(times[name])
                                      for name in times})
    assert best == {"a": 1.0, "b": 4.0}


def test_every_timed_widget_renders_each_item_its_panel_shows(bench):
    for name, (run, config) in bench.WIDGETS.items():
        shown = run(config).panel()
        rendered = bench.render(shown)
        assert len(shown) >= 2, name  # every default panel shows a picture or table and more
        assert len(rendered) == len(shown), name
        assert all(len(item) > 100 for item in rendered), name


def test_rendering_something_a_panel_cannot_show_is_refused(bench):
    with pytest.raises(TypeError, match="cannot render int"):
        bench.render((42,))
