"""How every benchmark here measures: contenders take turns, and a figure is a median of rounds.

This machine's speed drifts by ±30 % from minute to minute, so two timings taken a minute
apart say little. Each round therefore runs every contender once, one right after the other
(the order rotates from round to round, so no contender always goes first), and a comparison
is the *ratio within a round*: both sides met the same moment of the machine. A figure is the
median of the rounds, printed with its spread (the lowest and highest round).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Spread:
    """The median of some rounds and their range."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        if not values:
            raise ValueError("a spread needs at least one value")
        return cls(statistics.median(values), min(values), max(values))

    def show(self, fmt: str = ".2f", unit: str = "") -> str:
        """``1.23× (1.10–1.40)``: the median, then the range of the rounds."""
        return f"{self.median:{fmt}}{unit} ({self.low:{fmt}}–{self.high:{fmt}})"


def take_turns(contenders: Mapping[str, Callable[[], float]], rounds: int
               ) -> dict[str, list[float]]:
    """Each contender's seconds in every round; in round r the order starts at contender r.

    A contender is a function that does its work once and returns the seconds it measured
    (so it can leave set-up and checks out of its own clock).
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    names = list(contenders)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            seconds[name].append(contenders[name]())
    return seconds


def ratios(numerator: list[float], denominator: list[float]) -> Spread:
    """Round-by-round ``numerator / denominator`` (same rounds, so the same machine moment)."""
    if len(numerator) != len(denominator):
        raise ValueError("ratios need the same rounds on both sides")
    return Spread.of([a / b for a, b in zip(numerator, denominator, strict=True)])


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of `values` (numpy's linear interpolation)."""
    return float(np.percentile(values, q))
