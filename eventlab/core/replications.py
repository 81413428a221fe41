"""Replications: one config run over many seeds, and what the seeds agree on.

One seed is one possible day. A number measured on one day may be luck, so every headline
comparison in the workbook runs each side over the same seeds (≥ 20 by default) and reports a
mean with a 95 % confidence interval::

    reps = replicate(outbox.run, outbox.Config(variant="dual_write"))
    reps.summary()                      # metric, n, mean, std, low, high
    difference(reps_a, reps_b, "lost")  # paired by seed: is A really different from B?

Seeds are ``config.seed, config.seed + 1, ...``, so side A and side B of a comparison meet the
same days (common random numbers), and :func:`difference` compares them seed by seed.

Runs go to all cores through joblib; ``backend="dask"`` sends them to a Dask cluster
(``distributed.Client(...)`` first), and ``n_jobs=1`` runs them in this process. Each worker
returns only the run's numeric metrics, never its trace, so shipping results costs little.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import pandas as pd

from eventlab.core.config import MAX_SEED
from eventlab.core.errors import ConfigError, check_choice, check_float, check_int, check_text
from eventlab.core.results import RunResult

DEFAULT_SEEDS = 20
SUMMARY_COLUMNS: tuple[str, ...] = ("metric", "n", "mean", "std", "low", "high")


@dataclass(frozen=True)
class Replications:
    """The metrics of one config over many seeds: a tidy table, one row per seed and metric."""

    config: Any
    runs: pd.DataFrame  # columns: seed, metric, value

    @property
    def seeds(self) -> list[int]:
        """The seeds run, in order."""
        return sorted(int(s) for s in self.runs["seed"].unique())

    def values(self, metric: str) -> pd.Series:
        """One metric's value per seed (indexed by seed)."""
        check_text("metric", metric)
        rows = self.runs[self.runs["metric"] == metric]
        if rows.empty:
            known = ", ".join(dict.fromkeys(self.runs["metric"]))
            raise ConfigError(f"no metric {metric!r} in these runs; metrics: {known}")
        return rows.set_index("seed")["value"].astype(float).sort_index()

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Per metric: runs, mean, standard deviation and the confidence interval of the mean."""
        check_float("confidence", confidence, low=0.5, high=0.999)
        rows = []
        for metric in dict.fromkeys(self.runs["metric"]):
            low, mean, high, std = mean_interval(self.values(metric), confidence)
            rows.append((metric, len(self.values(metric)), mean, std, low, high))
        return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).set_index("metric")


def replicate(run: Callable[[Any], RunResult], config: Any, *, seeds: int = DEFAULT_SEEDS,
              n_jobs: int = -1, backend: str | None = None) -> Replications:
    """Run `config` once per seed (``config.seed`` and the next ``seeds - 1``), in parallel.

    `n_jobs` is joblib's (-1: every core; 1: in this process); `backend` is a joblib backend
    name (``"loky"``, the default; ``"threading"``; ``"dask"`` with a Dask client running).
    """
    if not callable(run):
        raise TypeError(f"run must be a scenario's run function, got {run!r}")
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"config must be a scenario Config instance, got {type(config).__name__}")
    if not hasattr(config, "seed"):
        raise ConfigError(f"{type(config).__name__} has no seed field to vary")
    check_int("seeds", seeds, low=2, high=1000)
    if n_jobs == 0 or isinstance(n_jobs, bool):
        raise ConfigError("n_jobs must be -1 (every core) or a positive number of workers, "
                          f"got {n_jobs!r}")
    check_int("n_jobs", n_jobs, low=-1, high=256)
    if backend is not None:
        check_choice("backend", backend, ("loky", "threading", "multiprocessing", "dask"))
    first = int(config.seed)
    if first + seeds - 1 > MAX_SEED:
        raise ConfigError(f"seeds: config.seed {first} + {seeds} runs passes the largest seed "
                          f"{MAX_SEED}; lower the seed or the number of runs")
    configs = [dataclasses.replace(config, seed=first + i) for i in range(seeds)]
    if n_jobs == 1:
        measured = [_metrics(run, c) for c in configs]
    else:
        from joblib import Parallel, delayed, parallel_config  # late: only replications need it

        # Through parallel_config, not Parallel(backend=...): only parallel_config registers
        # joblib's external backends, and "dask" is one of them.
        with parallel_config(backend=backend) if backend is not None else nullcontext():
            measured = Parallel(n_jobs=n_jobs)(delayed(_metrics)(run, c) for c in configs)
    rows = [(c.seed, name, value) for c, metrics in zip(configs, measured, strict=True)
            for name, value in metrics.items()]
    return Replications(config, pd.DataFrame(rows, columns=["seed", "metric", "value"]))


def difference(a: Replications, b: Replications, metric: str, *,
               confidence: float = 0.95) -> dict[str, float | str]:
    """Mean of ``a - b`` for `metric`, paired by seed, with its confidence interval, and the
    verdict the interval allows: ``"a higher"``, ``"b higher"`` or ``"no clear difference"``."""
    for name, reps in (("a", a), ("b", b)):
        if not isinstance(reps, Replications):
            raise TypeError(f"{name} must be Replications (from replicate), "
                            f"got {type(reps).__name__}")
    if a.seeds != b.seeds:
        raise ConfigError("a and b must be run over the same seeds to be compared seed by "
                          f"seed; got {a.seeds[:3]}... and {b.seeds[:3]}...")
    delta = a.values(metric) - b.values(metric)
    low, mean, high, _ = mean_interval(delta, confidence)
    verdict = "a higher" if low > 0 else "b higher" if high < 0 else "no clear difference"
    return {"metric": metric, "mean": mean, "low": low, "high": high, "verdict": verdict}


def _metrics(run: Callable[[Any], RunResult], config: Any) -> dict[str, float]:
    """The numeric metrics of one run (what a worker sends back)."""
    result = run(config)
    return {name: float(value) for name, value in result.metrics.items()
            if isinstance(value, int | float) and not isinstance(value, bool)}


def mean_interval(values: pd.Series, confidence: float) -> tuple[float, float, float, float]:
    """(low, mean, high, std) of the t-interval of the mean; a constant gives a zero width."""
    n = len(values)
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if n > 1 else 0.0
    if n < 2 or std == 0.0 or math.isnan(std):
        return mean, mean, mean, 0.0
    from scipy.stats import t  # imported late: scipy is only needed for intervals

    half = float(t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    return mean - half, mean, mean + half, std
