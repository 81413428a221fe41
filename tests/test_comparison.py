"""A fair comparison: one field changed, every side over the same seeds, honest sentences."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.comparison import Comparison, Interval, compare, vary
from eventlab.core.errors import ConfigError
from eventlab.core.replications import Replications
from eventlab.scenarios import outbox
from eventlab.view.charts import intervals
from eventlab.view.stated import stated

SMALL = outbox.Config(commands=30)


def fake(values: dict[str, list[float]]) -> Replications:
    rows = [(seed, metric, v) for metric, vs in values.items() for seed, v in enumerate(vs)]
    return Replications(None, pd.DataFrame(rows, columns=["seed", "metric", "value"]))


def test_vary_runs_every_side_over_the_same_seeds_and_names_sides_by_value():
    cmp = vary(outbox.run, SMALL, "variant", ["commit_then_publish", "outbox"], seeds=3,
               n_jobs=1)
    assert cmp.field == "variant"
    assert cmp.names == ["commit_then_publish", "outbox"]
    assert cmp.sides["outbox"].seeds == cmp.sides["commit_then_publish"].seeds == [
        SMALL.seed, SMALL.seed + 1, SMALL.seed + 2]


def test_each_side_of_a_comparison_is_exactly_its_config_run_once_per_seed():
    cmp = vary(outbox.run, SMALL, "variant", ["commit_then_publish", "outbox"], seeds=2,
               n_jobs=1)
    for seed in (SMALL.seed, SMALL.seed + 1):
        direct = outbox.run(dataclasses.replace(SMALL, variant="outbox", seed=seed))
        for metric, value in direct.metrics.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                assert cmp.sides["outbox"].values(metric)[seed] == pytest.approx(value)


def test_compare_refuses_sides_that_change_two_fields_at_once():
    with pytest.raises(ConfigError, match="at once"):
        compare(outbox.run, {"a": SMALL, "b": dataclasses.replace(
            SMALL, variant="outbox", relay_interval=5.0)}, seeds=2, n_jobs=1)


def test_compare_refuses_sides_that_each_change_a_different_field():
    with pytest.raises(ConfigError, match="different fields"):
        compare(outbox.run, {"a": SMALL,
                             "b": dataclasses.replace(SMALL, variant="outbox"),
                             "c": dataclasses.replace(SMALL, relay_interval=5.0)},
                seeds=2, n_jobs=1)


def test_compare_refuses_sides_with_different_seeds_or_scenarios_or_no_change():
    with pytest.raises(ConfigError, match="seed"):
        compare(outbox.run, {"a": SMALL, "b": dataclasses.replace(SMALL, seed=99)}, seeds=2)
    with pytest.raises(ConfigError, match="same config"):
        compare(outbox.run, {"a": SMALL, "b": SMALL}, seeds=2)
    with pytest.raises(TypeError, match="mapping"):
        compare(outbox.run, [SMALL], seeds=2)  # type: ignore[arg-type]


def test_vary_names_the_unknown_field_and_refuses_a_single_value():
    with pytest.raises(ConfigError, match="field must be one of"):
        vary(outbox.run, SMALL, "partitions", [1, 2])
    with pytest.raises(TypeError, match="at least two"):
        vary(outbox.run, SMALL, "variant", ["outbox"])


def test_the_verdict_says_higher_only_when_the_paired_interval_excludes_zero():
    cmp = Comparison("x", {"a": fake({"lost": [5, 6, 5, 6, 5]}),
                           "b": fake({"lost": [1, 2, 1, 2, 1]})})
    assert cmp.verdict("lost", "a", "b").startswith("**a** has more lost than **b**")
    assert cmp.verdict("lost", "b", "a").startswith("**b** has fewer lost than **a**")
    noisy = Comparison("x", {"a": fake({"lost": [5, 1, 6, 0, 3]}),
                             "b": fake({"lost": [1, 5, 2, 6, 3]})})
    assert "cannot tell" in noisy.verdict("lost", "a", "b")


def test_equal_sides_in_every_seed_are_said_to_be_the_same():
    cmp = Comparison("x", {"a": fake({"lost": [0, 0, 0]}), "b": fake({"lost": [0, 0, 0]})})
    assert "the same lost in every seed" in cmp.verdict("lost", "a", "b")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40))
def test_an_interval_always_holds_its_mean(values):
    cmp = Comparison(None, {"a": fake({"m": values})})
    i = cmp.interval("a", "m")
    assert i.low <= i.mean + 1e-6 * max(1.0, abs(i.mean))
    assert i.mean <= i.high + 1e-6 * max(1.0, abs(i.mean))
    assert i.n == len(values)


def test_the_wide_table_shows_mean_and_interval_per_side_and_metric():
    cmp = Comparison("x", {"a": fake({"lost": [5, 6, 5, 6], "sent": [2, 2, 2, 2]}),
                           "b": fake({"lost": [1, 2, 1, 2], "sent": [2, 2, 2, 2]})})
    wide = cmp.wide()
    assert list(wide.index) == ["a", "b"]
    assert list(wide.columns) == ["lost", "sent"]
    assert wide.loc["a", "sent"] == "2.0"
    assert wide.loc["a", "lost"].startswith("5.5 [")


def test_an_interval_describes_itself_with_its_seeds():
    assert Interval(4.25, 3.5, 5.0, 20).describe(digits=1) == \
        "4.2 (95 % interval 3.5 to 5.0, 20 seeds)"
    assert Interval(0.0, 0.0, 0.0, 20).describe() == "0.0 (the same in all 20 seeds)"


def test_the_interval_chart_draws_one_panel_per_metric_and_keeps_its_table():
    cmp = Comparison("x", {"a": fake({"lost": [5, 6, 5, 6], "sent": [2, 3, 2, 3]}),
                           "b": fake({"lost": [1, 2, 1, 2], "sent": [2, 3, 2, 3]})})
    chart = intervals(cmp.table(), title="t")
    assert len(chart.figure.axes) == 2
    assert chart.png().startswith(b"\x89PNG")
    assert "lost" in repr(chart)
    with pytest.raises(ValueError, match="missing"):
        intervals(pd.DataFrame({"side": ["a"]}), title="t")


def test_stated_sentences_render_as_markdown_and_read_the_same_as_text():
    one = stated("**a** has more lost than **b**.")
    assert one._repr_markdown_() == repr(one) == "**a** has more lost than **b**."
    assert stated("x.", "y.")._repr_markdown_() == "- x.\n- y."
    with pytest.raises(TypeError):
        stated()


def test_tables_and_sentences_never_print_a_negative_zero():
    # tiny negative means (-0.0004) round to zero: a learner reading "-0.0" looks for a sign
    tiny = {"lag": [-0.0004, 0.0002, -0.0001, 0.0001], "n": [1.0, 1.0, 1.0, 1.0]}
    cmp = Comparison("variant", {"a": fake(tiny), "b": fake({"lag": [0.0] * 4,
                                                              "n": [1.0] * 4})})
    text = " ".join([cmp.verdict("lag", "a", "b"), str(cmp.interval("a", "lag")),
                     cmp.wide().to_string()])
    assert re.search(r"-0\.0+(?![0-9])", text) is None, text  # -0.0004 may read -0.0004
    assert "0.0" in text


def test_a_difference_that_is_the_same_on_every_seed_is_said_so_without_an_interval():
    cmp = Comparison("variant", {"a": fake({"n": [3.0, 4.0, 5.0]}),
                                 "b": fake({"n": [1.0, 2.0, 3.0]})})
    sentence = cmp.verdict("n", "a", "b")
    assert sentence.startswith("**a** has more n than **b**")
    assert "(by +2.0 in every seed)" in sentence
    assert "interval" not in sentence


def test_an_interval_narrower_than_the_digits_is_written_with_more_digits():
    cmp = Comparison("variant", {"a": fake({"n": [0.101, 0.1, 0.102, 0.1]}),
                                 "b": fake({"n": [0.1, 0.1, 0.1, 0.1]})})
    sentence = cmp.verdict("n", "a", "b", digits=2)
    band = sentence[sentence.index("interval"):]
    low, high = band.split(" to ")[0].split()[-1], band.split(" to ")[1].split(",")[0]
    assert low != high, sentence
