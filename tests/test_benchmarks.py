"""The benchmark scripts run on tiny sizes, and their pipes move every message they time."""

import importlib.util
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name):
    """Import a benchmark script as the scripts import each other: by name, from their folder."""
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(FOLDER))
    try:
        spec = importlib.util.spec_from_file_location(name, FOLDER / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(FOLDER))


@pytest.fixture(scope="module")
def bench():
    return load("run")


@pytest.fixture(scope="module")
def measure():
    return load("measure")


@pytest.mark.parametrize("options", [{}, {"create_events": True},
                                     {"create_events": True, "build_frame": True}])
def test_the_channel_pipe_delivers_every_message_it_times(bench, options):
    assert bench.channel_pipe(2000, **options) > 0.0


def test_contenders_take_turns_and_each_keeps_its_own_times(measure):
    order = []
    times = {"a": iter([3.0, 1.0, 2.0]), "b": iter([5.0, 6.0, 4.0])}

    def contender(name):
        def run():
            order.append(name)
            return next(times[name])
        return run

    seconds = measure.take_turns({name: contender(name) for name in times}, rounds=3)
    assert seconds == {"a": [3.0, 1.0, 2.0], "b": [5.0, 6.0, 4.0]}
    assert order == ["a", "b", "b", "a", "a", "b"]  # who goes first alternates


def test_a_ratio_is_taken_round_by_round(measure):
    spread = measure.ratios([2.0, 9.0, 3.0], [1.0, 3.0, 3.0])
    assert (spread.median, spread.low, spread.high) == (2.0, 1.0, 3.0)


def test_the_widget_section_reruns_every_widget(bench, monkeypatch):
    monkeypatch.setattr(bench, "WIDGETS", {"00_start_here": bench.WIDGETS["00_start_here"]})
    samples = bench.widget_times(repeats=2)
    assert list(samples) == ["00_start_here"]
    assert len(samples["00_start_here"]) == 2


def test_the_event_store_comparison_runs_on_a_tiny_size():
    pytest.importorskip("eventsourcing")
    eventstore = load("eventstore_bench")
    comparisons = eventstore.compare(n=2000, rounds=1, settings=("normal",))
    assert [c.operation for c in comparisons] == list(eventstore.OPERATIONS)
    assert all(c.speed.median > 0 for c in comparisons)
    assert set(eventstore.raw_inserts(n=2000, rounds=1)) == set(eventstore.schema_variants())


def test_the_replications_benchmark_runs_on_a_tiny_size():
    replications = load("replications_bench")
    assert replications.headline(seeds=3, n_jobs=1) > 0.0


def test_the_docs_keep_their_notes_below_the_new_table(bench, tmp_path, monkeypatch):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nold table\n\n## Notes\n\n- a note\n", encoding="utf-8")
    monkeypatch.setattr(bench, "DOCS", docs)
    bench.write_docs(["machine: test", "1. a line"], bench.datetime.date(2026, 12, 4))
    text = docs.read_text(encoding="utf-8")
    assert "2026-12-04" in text
    assert "1. a line" in text
    assert "old table" not in text
    assert text.endswith("## Notes\n\n- a note\n")


def test_the_kafka_scaling_table_runs_each_pipe_in_its_own_process_on_a_tiny_size():
    from eventlab.engines.kafka import bench as kafka_bench

    (row,) = kafka_bench.scaling(sizes=(2000,), count=1)[2000]
    bare, bare_mb, kafka, kafka_mb, kafka_gc = row
    assert min(bare, bare_mb, kafka, kafka_mb) > 0
    assert 0 <= kafka_gc <= kafka


def test_the_kafka_rounds_run_in_a_fresh_process_on_a_tiny_size():
    from eventlab.engines.kafka import bench as kafka_bench

    measured = kafka_bench.fresh_rounds(2000, 2)
    assert len(measured) == 2
    assert all(bare > 0 and kafka > 0 for bare, kafka in measured)
