"""How a client retries: a policy says how long to wait after a failed attempt, or to give up.

A request that comes back ``RESOURCE_EXHAUSTED`` (backpressure) or not at all within the
client's deadline (``DEADLINE_EXCEEDED``) is tried again by well-behaved clients, after a
pause that grows with every failure and is drawn at random, so that many clients that failed
at the same moment do not all come back at the same moment (exponential backoff with "full
jitter"). A policy is a function ``policy(attempt, draw) -> delay in ms or None``: `attempt`
counts the failed attempts so far (1 after the first), `draw` is a uniform number in [0, 1)
from the client's own random stream, and None means give up. Whatever a policy says, a client
stops after :data:`MAX_ATTEMPTS` attempts, as client libraries do.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

from eventlab.core.errors import ConfigError, check_float, check_int

RetryPolicy = Callable[[int, float], float | None]
MAX_ATTEMPTS = 20  # the client library's own stop, whatever the policy says


def exponential_backoff(first: float = 10.0, attempts: int = 5) -> RetryPolicy:
    """Wait ``draw × first × 2**(attempt-1)`` ms after a failure; give up after `attempts`
    attempts in all (``attempts=1``: never retry)."""
    check_float("first", first, low=0.0)
    check_int("attempts", attempts, low=1, high=MAX_ATTEMPTS)

    def policy(attempt: int, draw: float) -> float | None:
        if attempt >= attempts:
            return None
        return float(draw * first * 2.0 ** (attempt - 1))

    return policy


def next_delay(policy: RetryPolicy, attempt: int, draw: float) -> float | None:
    """The policy's answer after failed attempt number `attempt`, checked: a delay of zero or
    more milliseconds, or None (give up); None as well once :data:`MAX_ATTEMPTS` is reached."""
    if attempt >= MAX_ATTEMPTS:
        return None
    delay = policy(attempt, draw)
    if delay is None:
        return None
    if isinstance(delay, bool) or not isinstance(delay, numbers.Real) or math.isnan(delay) \
            or delay < 0 or math.isinf(delay):
        raise ConfigError(f"a retry policy must return a delay in ms (0 or more) or None to "
                          f"give up; after attempt {attempt} it returned {delay!r}")
    return float(delay)
