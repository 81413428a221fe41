"""Replications: the same config over many seeds, summarised with honest intervals."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from eventlab.core.config import Scenario, param, seed_param
from eventlab.core.replications import Replications, difference, replicate
from eventlab.core.results import RunResult
from eventlab.scenarios import fowler


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Toy(Scenario):
    """A run whose metrics are known functions of the seed (no simulation needed)."""

    shift: float = param(0.0, low=-100.0, high=100.0, help="added to every value")
    seed: int = seed_param()


def toy_run(config: Toy) -> RunResult:
    metrics = {"seed value": config.seed % 7 + config.shift, "constant": 3.0,
               "label": "not a number", "flag": True}
    return RunResult(config=config, trace=pd.DataFrame(), metrics=metrics)


def test_each_seed_runs_once_and_only_numeric_metrics_are_kept():
    reps = replicate(toy_run, Toy(seed=10), seeds=20, n_jobs=1)
    assert reps.seeds == list(range(10, 30))
    assert set(reps.runs["metric"]) == {"seed value", "constant"}
    assert reps.values("seed value").tolist() == [s % 7 for s in range(10, 30)]


def test_the_summary_is_the_t_interval_of_the_mean():
    reps = replicate(toy_run, Toy(), seeds=20, n_jobs=1)
    row = reps.summary().loc["seed value"]
    values = reps.values("seed value")
    half = stats.t.ppf(0.975, 19) * values.std(ddof=1) / math.sqrt(20)
    assert row["n"] == 20
    assert row["mean"] == pytest.approx(values.mean())
    assert row["low"] == pytest.approx(values.mean() - half)
    assert row["high"] == pytest.approx(values.mean() + half)
    constant = reps.summary().loc["constant"]
    assert constant["low"] == constant["mean"] == constant["high"] == 3.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40),
       st.floats(0.5, 0.99))
def test_an_interval_holds_its_mean_and_a_higher_confidence_widens_it(values, confidence):
    runs = pd.DataFrame({"seed": range(len(values)), "metric": "m", "value": values})
    reps = Replications(config=None, runs=runs)
    narrow = reps.summary(confidence).loc["m"]
    wide = reps.summary(min(0.999, confidence + 0.005)).loc["m"]
    assert narrow["low"] <= narrow["mean"] <= narrow["high"]
    assert wide["low"] <= narrow["low"] + 1e-9
    assert narrow["high"] <= wide["high"] + 1e-9


def test_difference_is_paired_by_seed_and_says_a_beats_b_only_when_the_interval_does():
    a = replicate(toy_run, Toy(shift=5.0), seeds=20, n_jobs=1)
    b = replicate(toy_run, Toy(), seeds=20, n_jobs=1)
    higher = difference(a, b, "seed value")
    assert higher["verdict"] == "a higher"
    assert higher["low"] == higher["mean"] == higher["high"] == 5.0  # paired: no noise left
    assert difference(b, a, "seed value")["verdict"] == "b higher"
    assert difference(b, b, "seed value")["verdict"] == "no clear difference"


def test_noise_without_a_real_difference_gives_no_verdict():
    # Two unrelated seed ranges of the same toy: the mean difference is small against the noise.
    a = replicate(toy_run, Toy(seed=0), seeds=28, n_jobs=1)
    b = Replications(None, a.runs.assign(value=a.runs.groupby("metric")["value"].transform(
        lambda v: v.sample(frac=1.0, random_state=1).to_numpy())))
    assert difference(a, b, "seed value")["verdict"] == "no clear difference"


def test_runs_on_two_workers_give_the_same_numbers_as_in_this_process():
    config = fowler.Config(changes=3)
    here = replicate(fowler.run, config, seeds=4, n_jobs=1)
    there = replicate(fowler.run, config, seeds=4, n_jobs=2)
    pd.testing.assert_frame_equal(here.runs, there.runs)


def test_runs_on_a_dask_cluster_give_the_same_numbers_as_in_this_process():
    distributed = pytest.importorskip("distributed")
    config = fowler.Config(changes=3)
    here = replicate(fowler.run, config, seeds=4, n_jobs=1)
    # Threads, not processes: the smallest real cluster, started in a fraction of a second.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        there = replicate(fowler.run, config, seeds=4, backend="dask")
    pd.testing.assert_frame_equal(here.runs, there.runs)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"seeds": 1}, ValueError, "seeds must be >= 2"),
    ({"seeds": 20.0}, TypeError, "seeds must be an int"),
    ({"n_jobs": 0}, ValueError, "n_jobs must be -1"),
    ({"backend": "spark"}, ValueError, "backend must be one of"),
])
def test_bad_arguments_name_the_parameter(kwargs, error, message):
    with pytest.raises(error, match=message):
        replicate(toy_run, Toy(), **kwargs)


def test_a_config_that_is_not_a_config_or_seeds_past_the_largest_are_refused():
    with pytest.raises(TypeError, match="config must be a scenario Config instance"):
        replicate(toy_run, {"seed": 1})
    with pytest.raises(ValueError, match="passes the largest seed"):
        replicate(toy_run, Toy(seed=2**31 - 5), seeds=20, n_jobs=1)
    a = replicate(toy_run, Toy(), seeds=5, n_jobs=1)
    with pytest.raises(ValueError, match="same seeds"):
        difference(a, replicate(toy_run, Toy(seed=9), seeds=5, n_jobs=1), "constant")
    with pytest.raises(ValueError, match="no metric 'latency'"):
        a.values("latency")
