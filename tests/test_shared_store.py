"""Shared event store vs Kafka as transport: who breaks when the Customer team refactors."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.comparison import vary
from eventlab.scenarios import shared_store
from eventlab.scenarios.shared_store import Metric

PROPERTY = settings(max_examples=25, deadline=None)


def test_transport_costs_fewer_broken_consumer_days_than_a_shared_store_in_every_seed():
    for seed in range(10):
        shared, transport = (shared_store.run(shared_store.Config(mode=m, seed=seed)).metrics
                             for m in shared_store.MODES)
        assert transport[Metric.BROKEN_CONSUMER_DAYS] < shared[Metric.BROKEN_CONSUMER_DAYS]
        assert transport[Metric.TRANSLATION_UPDATES] == shared[Metric.INTERNAL_REFACTORINGS]


def test_across_seeds_the_means_are_far_apart():
    table = shared_store.across_seeds(seeds=10)
    assert table.loc["shared", "mean"] > 5 * table.loc["transport", "mean"]
    assert table.loc["shared", "min"] > table.loc["transport", "mean"]


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       consumers=st.integers(min_value=1, max_value=12),
       used=st.integers(min_value=1, max_value=7), mode=st.sampled_from(shared_store.MODES))
def test_a_consumer_breaks_only_on_a_change_of_an_event_it_reads(seed, consumers, used, mode):
    config = shared_store.Config(mode=mode, consumers=consumers, events_used=used, seed=seed,
                                 days=120)
    result = shared_store.run(config)
    text = result.graph().text()
    for row in result.breakages().itertuples():
        event = row.change.removeprefix("public ").split(":")[0]
        edge = next(line for line in text.splitlines()
                    if f"-> {row.consumer}:" in line)
        assert event in edge, (row, edge)
    per_day = result.broken_per_day()
    assert per_day.between(0, consumers).all()
    days = result.metrics[Metric.BROKEN_CONSUMER_DAYS]
    assert days <= consumers * config.days
    assert result.metrics[Metric.DAYS_WITH_CONSUMER_BROKEN] <= min(days, config.days) + 1e-9


def test_without_changes_nobody_breaks():
    quiet = shared_store.Config(refactorings_per_month=0.0, public_changes_per_year=0.0)
    for mode in shared_store.MODES:
        m = shared_store.run(replace(quiet, mode=mode)).metrics
        assert m[Metric.CONSUMER_BREAKAGES] == 0
        assert m[Metric.BROKEN_CONSUMER_DAYS] == 0


def test_the_two_dependency_graphs():
    shared = shared_store.run(shared_store.Config()).graph().text()
    transport = shared_store.run(shared_store.Config(mode="transport")).graph().text()
    assert "Customer event store -> Billing" in shared
    assert "Translator" not in shared
    assert "Customer event store -> Translator" in transport
    assert "customer (public) -> Billing" in transport
    assert not any(event in transport.split("edges:")[1] for event in ("CustomerCreated",
                                                                        "ConsentGiven"))


def test_the_chart_has_one_line_per_mode_and_a_text_table():
    chart = shared_store.chart(shared_store.Config(days=60))
    assert list(chart.table.columns) == ["shared", "transport"]
    assert chart.png().startswith(b"\x89PNG")


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="mode must be one of 'shared', 'transport'"):
        shared_store.Config(mode="both")
    with pytest.raises(ValueError, match="consumers must be <= 12"):
        shared_store.Config(consumers=13)
    with pytest.raises(TypeError, match=r"config must be shared_store\.Config"):
        shared_store.run("shared")
    with pytest.raises(ValueError, match="seeds must be an int between 1 and 200"):
        shared_store.across_seeds(seeds=500)


def test_over_20_years_transport_has_fewer_broken_consumer_days_than_a_shared_store():
    modes = vary(shared_store.run, shared_store.Config(), "mode", ["shared", "transport"],
                 n_jobs=1)
    verdict = modes.difference(Metric.BROKEN_CONSUMER_DAYS, "transport", "shared")
    assert verdict["verdict"] == "b higher"
