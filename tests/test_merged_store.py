"""A Kafka topic as the event store: uniqueness against a lagging view, and racing writers."""

from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.comparison import vary
from eventlab.scenarios import merged_store
from eventlab.scenarios.merged_store import Metric

PROPERTY = settings(max_examples=25, deadline=None)
SMALL = merged_store.Config(commands=60)


def violations(config, seeds=range(5)):
    return [merged_store.run(replace(config, seed=s)).metrics[Metric.UNIQUENESS_VIOLATIONS]
            for s in seeds]


def test_more_view_lag_lets_more_repeated_sign_ups_through():
    lagging = [sum(violations(replace(SMALL, view_lag=lag))) for lag in (0.0, 25.0, 200.0)]
    assert lagging[0] < lagging[1] < lagging[2]


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       lag=st.sampled_from([0.0, 10.0, 100.0]), instances=st.integers(min_value=1, max_value=3))
def test_an_expected_version_append_never_lets_an_email_in_twice(seed, lag, instances):
    m = merged_store.run(replace(SMALL, store="event_store", view_lag=lag, instances=instances,
                                 seed=seed)).metrics
    assert m[Metric.UNIQUENESS_VIOLATIONS] == 0
    assert m[Metric.CUSTOMERS_CREATED] + m[Metric.REFUSED_BY_STORE] \
        == m[Metric.SIGN_UPS_WITH_REPEATS]


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       lag=st.sampled_from([0.0, 50.0, 200.0]))
def test_a_single_writer_that_remembers_its_own_writes_keeps_the_rule_at_any_lag(seed, lag):
    m = merged_store.run(replace(SMALL, own_writes=True, view_lag=lag, seed=seed)).metrics
    assert m[Metric.UNIQUENESS_VIOLATIONS] == 0


def test_two_writers_without_a_conditional_append_race_even_with_zero_lag():
    config = replace(SMALL, instances=2, own_writes=True, view_lag=0.0)
    results = [merged_store.run(replace(config, seed=s)) for s in range(5)]
    across = sum(r.metrics[Metric.VIOLATIONS_ACROSS_INSTANCES] for r in results)
    assert across > 0
    assert across == sum(r.metrics[Metric.UNIQUENESS_VIOLATIONS] for r in results)
    table = results[0].violations()
    assert (table["first by"] != table["again by"]).all()


def test_violations_lists_every_second_registration():
    result = merged_store.run(SMALL)
    table = result.violations()
    assert len(table) == result.metrics[Metric.UNIQUENESS_VIOLATIONS]
    assert (table["again at (ms)"] >= table["first at (ms)"]).all()
    assert table["email"].is_unique


def test_the_lag_table_and_chart_cover_every_series():
    table = merged_store.lag_table(SMALL, lags=(0.0, 50.0))
    assert list(table.index) == [0.0, 50.0]
    assert table["event store, 2 instances"].tolist() == [0, 0]
    assert table["Kafka, 1 instance + own writes"].tolist() == [0, 0]
    chart = merged_store.lag_chart(table)
    assert chart.table is table
    assert chart.png().startswith(b"\x89PNG")


def test_the_graph_shows_the_store_and_the_refusals():
    text = merged_store.run(replace(SMALL, store="event_store", instances=2)).graph().text()
    assert "event store with expected-version appends: 0 uniqueness violation(s)" in text
    assert "ConcurrencyError" in text
    kafka = merged_store.run(SMALL).graph().text()
    assert "consume own topic" in kafka


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="store must be one of 'kafka', 'event_store'"):
        merged_store.Config(store="postgres")
    with pytest.raises(ValueError, match="instances must be <= 4"):
        merged_store.Config(instances=9)
    with pytest.raises(TypeError, match="own_writes must be True or False"):
        merged_store.Config(own_writes="yes")
    with pytest.raises(TypeError, match=r"config must be merged_store\.Config"):
        merged_store.run({"store": "kafka"})
    with pytest.raises(TypeError, match="table must be the DataFrame of lag_table"):
        merged_store.lag_chart(pd.Series([1, 2]))


def test_over_20_mornings_an_expected_version_append_has_fewer_violations_than_kafka():
    base = merged_store.Config(commands=100, instances=2, own_writes=True)
    stores = vary(merged_store.run, base, "store", ["kafka", "event_store"], n_jobs=1)
    verdict = stores.difference(Metric.UNIQUENESS_VIOLATIONS, "event_store", "kafka")
    assert verdict["verdict"] == "b higher"
    assert stores.interval("event_store", Metric.UNIQUENESS_VIOLATIONS).high == 0.0
