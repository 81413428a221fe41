"""Checkers for notebook 04 (partitions, read models, backpressure, job workers)."""

from __future__ import annotations

from functools import cache
from typing import Any

from eventlab.checks._core import (
    Caller,
    Case,
    Feedback,
    check_function,
    failed,
    judge,
    never_raises,
    not_attempted,
    passed,
)
from eventlab.checks._predict import revealer, wrong_prediction
from eventlab.checks._shapes import as_int, as_items, as_number, show
from eventlab.core.errors import ConfigError
from eventlab.engines.zeebe.cluster import instance_key
from eventlab.engines.zeebe.limits import AimdLimit
from eventlab.scenarios.zeebe import backpressure, jobs

_KEYS = ((1, 1), (1, 77), (2, 1), (3, 12_345), (8, 5), (192, 2**40))


@never_raises("4.1")
def exercise_4_1(partition_of: Any) -> Feedback:
    """Exercise 4.1: read the partition id from the high bits of an instance key."""
    cases = [Case(f"key {instance_key(p, c)} (partition {p}, counter {c})",
                  (instance_key(p, c),), p) for p, c in _KEYS]
    return check_function("4.1", partition_of, cases, shape=as_int)


# (snapshot position, exporter positions, truncate up to)
_LOGS: tuple[tuple[int, tuple[int, ...], int], ...] = (
    (120, (), 120),
    (120, (150,), 120),
    (120, (90,), 90),
    (300, (280, 40, 300), 40),
    (50, (80, 200), 50),
    (0, (10,), 0),
    (75, (75, 75), 75),
)


@never_raises("4.2")
def exercise_4_2(truncate_up_to: Any) -> Feedback:
    """Exercise 4.2: how far the log may be truncated (snapshot and every exporter)."""
    cases = [Case(f"a snapshot at {snap} and exporters at {list(exp)}", (snap, list(exp)), want)
             for snap, exp, want in _LOGS]
    return check_function("4.2", truncate_up_to, cases, shape=as_int)


def _measured_jobs() -> tuple[int, int]:
    m = jobs.run(jobs.Config(idempotent=True)).metrics
    return (int(m[jobs.Metric.SIDE_EFFECTS]),
            int(m[jobs.Metric.DUPLICATES_IGNORED_IDEMPOTENT]))


@revealer("4.3")
def _reveal_4_3() -> str:
    charges, ignored = _measured_jobs()
    return f"the idempotent run made {charges} charges and ignored {ignored} repeats"


@never_raises("4.3")
def exercise_4_3(predicted: Any) -> Feedback:
    """Exercise 4.3: the default job run, idempotent: (charges made, duplicates ignored)."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("4.3")
    pair = as_items(predicted)
    if isinstance(predicted, dict | set) or pair is None or len(pair) != 2:
        return failed("4.3", "write a pair (charges made, duplicate charges ignored), "
                             f"got {show(predicted)}")
    if any(p is None or p is Ellipsis for p in pair):
        return not_attempted("4.3")
    numbers = [as_int(p) for p in pair]
    if None in numbers:
        return failed("4.3", f"write two whole numbers, got {show(predicted)}")
    if tuple(numbers) != _measured_jobs():
        return wrong_prediction("4.3", f"({numbers[0]}, {numbers[1]})",
                                "the crashes stay the same; which charges reach the card?")
    return passed("4.3", 2)


# ---- 4.4: your own limit rule, run under overload and under a load the partition can serve ---
_LOADS = (1.5, 0.8)  # × the partition's capacity
_RULE_SEEDS = (1, 2)
_SLOW = 50.0  # ms: Zeebe's AIMD default in this model (backpressure.Config().aimd_timeout)


@cache
def _aimd(load: float, seed: int) -> dict[str, Any]:
    """The built-in AIMD limit on the same day: what a good rule should come close to."""
    return dict(backpressure.run(backpressure.Config(load=load, seed=seed)).metrics)


def _run_rule(call: Caller, load: float, seed: int) -> dict[str, Any] | str:
    def rule(limit: int, rtt: float, dropped: bool) -> Any:
        what = f"limit {limit} and an answer after {rtt:.1f} ms{' (dropped)' if dropped else ''}"
        return call(what, limit, rtt, dropped)

    try:
        config = backpressure.Config(load=load, seed=seed, limit_rule=rule)
        return dict(backpressure.run(config).metrics)
    except ConfigError as err:  # the rule returned something that is not a limit
        return str(err)


def _rule_verdict(load: float, m: dict[str, Any], aimd: dict[str, Any]) -> str | None:
    metric = backpressure.Metric
    limit = m[metric.MEAN_LIMIT]
    if load > 1:
        wasted = m[metric.WASTED_PROCESSING] > aimd[metric.WASTED_PROCESSING] + 0.05
        if wasted or m[metric.GOODPUT_REQUESTS_S] < 0.9 * aimd[metric.GOODPUT_REQUESTS_S]:
            return (f"under {load:g}× overload your limit averaged {limit}: "
                    f"{m[metric.GOODPUT_REQUESTS_S]:g} requests/s done (AIMD: "
                    f"{aimd[metric.GOODPUT_REQUESTS_S]:g}), {m[metric.WASTED_PROCESSING]:.0%} of "
                    "the work for clients that had given up; shrink it when answers get slow")
        return None
    if m[metric.SUCCEEDED] < 0.99:
        return (f"at {load:g}× load, which the partition can serve, your limit averaged {limit} "
                f"and {1 - m[metric.SUCCEEDED]:.0%} of the requests never got through: let it grow "
                "while answers are fast")
    return None


@never_raises("4.4")
def exercise_4_4(next_limit: Any) -> Feedback:
    """Exercise 4.4: an AIMD limit rule, run in the backpressure scenario under overload and
    under a load the partition can serve, then checked on single answers."""
    def body(call: Caller) -> Feedback:
        runs = 0
        for load in _LOADS:
            for seed in _RULE_SEEDS:
                measured = _run_rule(call, load, seed)
                if isinstance(measured, str):
                    return failed("4.4", measured)
                why = _rule_verdict(load, measured, _aimd(load, seed))
                if why is not None:
                    return failed("4.4", why)
                runs += 1
        # (answer, arguments, the bounds the new limit must lie in, what the rule must do)
        shapes: list[tuple[str, tuple[int, float, bool], float, float, str]] = [
            ("a fast answer (5 ms) at limit 10", (10, 5.0, False), 10.5, 1e9,
             "the limit must grow a little"),
            ("a slow answer (80 ms) at limit 20", (20, 80.0, False), 1.0, 19.5,
             "the limit must shrink"),
            ("a dropped request at limit 20", (20, 5.0, True), 1.0, 19.5, "the limit must shrink"),
            ("a slow answer at limit 1", (1, 80.0, False), 1.0, 1e9,
             "the limit must stay at 1 or more")]
        for description, args, low, high, hint in shapes:
            got = call.within(description, as_number, call(description, *args))
            if got is None or not low <= got <= high:
                return failed("4.4", f"for {description} it returned {show(got)}: {hint}")
        return passed("4.4", runs + len(shapes))

    return judge("4.4", next_limit, body, forbidden=[AimdLimit.on_sample])
