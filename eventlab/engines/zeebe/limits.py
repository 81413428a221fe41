"""Backpressure: an in-flight limit per partition that rejects with ``RESOURCE_EXHAUSTED``.

Zeebe writes every request to the log before processing it, so when processing lags the
backlog and the latency grow without bound. A limit on requests *in flight* (admitted and not
yet answered) turns the excess into quick rejections instead. Two of the algorithms Zeebe
takes from Netflix's concurrency-limits library:

* ``fixed``: a constant limit;
* ``aimd``: additive increase (+1 when a response came back faster than `timeout` while the
  limit was at least half used), multiplicative decrease (× `backoff_ratio` when it was
  slower or dropped), as in ``AIMDLimit.onSample``.

``none`` admits everything; :class:`RuleLimit` adapts its limit by a rule it is given (an
exercise writes its own AIMD). `history` keeps ``(time, in_flight, limit)`` after every admission
so tests can check WF-7 (in-flight ≤ limit when admitted).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

from eventlab.core.errors import ConfigError, check_choice, check_float, check_int

ALGORITHMS: tuple[str, ...] = ("none", "fixed", "aimd")


class Limiter:
    """Counts requests in flight and decides whether one more may enter."""

    algorithm = "none"

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = check_int("limit", limit, low=1)
        self.in_flight = 0
        self.admitted = 0
        self.rejected = 0
        self.history: list[tuple[float, int, int]] = []

    def try_acquire(self, now: float) -> bool:
        """Admit one request (True) or refuse it (False) without changing anything else."""
        if self.in_flight >= self.limit:
            self.rejected += 1
            return False
        self.in_flight += 1
        self.admitted += 1
        self.history.append((now, self.in_flight, self.limit))
        return True

    def release(self, now: float, rtt: float, dropped: bool = False) -> None:
        """One admitted request was answered after `rtt` ms (or dropped)."""
        in_flight = self.in_flight  # counting this one, as concurrency-limits does
        self.in_flight = max(0, in_flight - 1)
        self.on_sample(rtt, dropped, in_flight)

    def on_sample(self, rtt: float, dropped: bool, in_flight: int) -> None:
        """Adapt the limit to one response time (fixed limits do nothing)."""


class NoLimit(Limiter):
    """Admit everything (what happens without backpressure)."""


class FixedLimit(Limiter):
    """A constant in-flight limit."""

    algorithm = "fixed"


class AimdLimit(Limiter):
    """Additive increase, multiplicative decrease on slow or dropped responses."""

    algorithm = "aimd"

    def __init__(self, limit: int = 100, *, minimum: int = 1, maximum: int = 1000,
                 backoff_ratio: float = 0.9, timeout: float = 200.0) -> None:
        super().__init__(limit)
        self.minimum = check_int("minimum", minimum, low=1, high=limit)
        self.maximum = check_int("maximum", maximum, low=limit)
        self.backoff_ratio = check_float("backoff_ratio", backoff_ratio, low=0.5, high=0.999)
        self.timeout = check_float("timeout", timeout, low=0.0, low_open=True)

    def on_sample(self, rtt: float, dropped: bool, in_flight: int) -> None:
        if dropped or rtt > self.timeout:
            self.limit = max(self.minimum, int(self.limit * self.backoff_ratio))
        elif in_flight * 2 >= self.limit:
            self.limit = min(self.maximum, self.limit + 1)


LimitRule = Callable[[int, float, bool], float]


class RuleLimit(Limiter):
    """A limit adapted after every response by ``rule(limit, rtt, dropped) -> new limit``
    (rounded down, at most `maximum`); a rule that returns less than 1 is an error, since
    nothing could ever be admitted again."""

    algorithm = "rule"

    def __init__(self, limit: int, rule: LimitRule, *, maximum: int = 1000) -> None:
        super().__init__(limit)
        if not callable(rule):
            raise TypeError(f"rule must be a function (limit, rtt, dropped) -> new limit, "
                            f"got {rule!r}")
        self.rule = rule
        self.maximum = check_int("maximum", maximum, low=limit)

    def on_sample(self, rtt: float, dropped: bool, in_flight: int) -> None:
        new = self.rule(self.limit, rtt, dropped)
        if isinstance(new, bool) or not isinstance(new, numbers.Real) or math.isnan(new) \
                or new < 1:
            raise ConfigError(f"a limit rule must return a number of requests, 1 or more; "
                              f"for limit {self.limit}, rtt {rtt:.1f} ms, dropped {dropped} "
                              f"it returned {new!r}")
        self.limit = int(min(new, self.maximum))


def make_limiter(algorithm: str, limit: int, *, timeout: float = 200.0) -> Limiter:
    """``make_limiter("aimd", 20)``: a limiter by name, starting at `limit`."""
    check_choice("algorithm", algorithm, ALGORITHMS)
    if algorithm == "fixed":
        return FixedLimit(limit)
    if algorithm == "aimd":
        return AimdLimit(limit, maximum=max(limit, 1000), timeout=timeout)
    return NoLimit()
