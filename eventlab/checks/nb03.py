"""Checkers for notebook 03 (single writer, replication, Zeebe is CP)."""

from __future__ import annotations

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
from eventlab.engines.zeebe.raft import quorum
from eventlab.scenarios.zeebe import cp

_SIZES = (1, 2, 3, 4, 5, 6, 7, 9)

# (follower ack times in ms, when the entry commits): the leader has it at 0 ms. Odd and
# even follower counts both, because `len // 2` and `len // 2 - 1` agree on one of them only
_ACKS: tuple[tuple[tuple[float, ...], float], ...] = (
    ((), 0.0),
    ((7.0,), 7.0),
    ((3.0, 5.0), 3.0),
    ((9.0, 2.0, 5.0), 5.0),
    ((2.0, 9.0, 4.0, 30.0), 4.0),
    ((8.0, 1.0, 30.0, 3.0, 2.0), 3.0),
    ((6.0, 1.0, 1.0, 50.0, 50.0, 50.0), 6.0),
    ((4.0, 4.0, 400.0, 2.0), 4.0),
)


# (brokers, cut off with the leader): every odd size with its largest minority
_SPLITS = ((3, 1), (5, 2), (7, 3))
_SPLIT_SEEDS = (1, 2)


def _run_split(size: int, minority: int, seed: int, needed: dict[int, int]) -> dict[str, Any]:
    config = cp.Config(cluster_size=size, minority=minority, seed=seed,
                       quorum_rule=needed.__getitem__)
    return dict(cp.run(config).metrics)


def _split_verdict(size: int, minority: int, m: dict[str, Any]) -> str | None:
    """Why a quorum rule failed a split of `size` brokers (None: it behaved)."""
    majority = size - minority
    if m[cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT]:
        return (f"with your rule the {minority} cut-off broker{'s' if minority > 1 else ''} of "
                f"{size} still committed {m[cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT]} "
                f"requests during the split, and {m[cp.Metric.ACKNOWLEDGED_WRITES_LOST]} "
                "acknowledged writes were lost at the heal: split brain")
    if not m[cp.Metric.COMMITTED_IN_MAJORITY_DURING_SPLIT]:
        return (f"with your rule the {majority} brokers of the majority of {size} committed "
                "nothing during the split: losing a few brokers stopped the whole cluster")
    if m[cp.Metric.SAFETY_VIOLATIONS] or m[cp.Metric.ACKNOWLEDGED_WRITES_LOST]:
        return f"with your rule a {size}-broker split lost acknowledged writes"
    return None


@never_raises("3.1")
def exercise_3_1(quorum_size: Any) -> Feedback:
    """Exercise 3.1: the quorum of a replication group of n brokers, first plugged into the
    Raft groups of split clusters (does the majority go on, does the minority stop?), then
    checked on its own for every size."""
    def body(call: Caller) -> Feedback:
        needed: dict[int, int] = {}

        def ask(n: int) -> str | None:
            description = f"a replication group of {n} broker{'s' if n > 1 else ''}"
            got = call.within(description, as_int, call(description, n))
            if got is None:
                return f"for {description} expected a whole number of brokers"
            if not 1 <= got <= n:
                return f"for {description} it returned {got}: a quorum counts 1 to {n} brokers"
            needed[n] = got
            return None

        for size, _ in _SPLITS:  # first what the rule does in a cluster
            why = ask(size)
            if why is not None:
                return failed("3.1", why)
        runs = 0
        for size, minority in _SPLITS:
            for seed in _SPLIT_SEEDS:
                why = _split_verdict(size, minority, _run_split(size, minority, seed, needed))
                if why is not None:
                    return failed("3.1", why)
                runs += 1
        for n in _SIZES:  # then every size, even ones included
            why = ask(n) if n not in needed else None
            if why is not None:
                return failed("3.1", why)
            if needed[n] != n // 2 + 1:
                hint = " (two halves of an even group could both commit)" if n % 2 == 0 else ""
                return failed("3.1", f"the splits ran well, but for a replication group of {n} "
                                     f"brokers expected {n // 2 + 1}, got {needed[n]}{hint}")
        return passed("3.1", runs + len(_SIZES))

    return judge("3.1", quorum_size, body, forbidden=[quorum])


@never_raises("3.2")
def exercise_3_2(commit_time: Any) -> Feedback:
    """Exercise 3.2: when the leader may commit, given its followers' acknowledgement times."""
    cases = [Case(f"{len(acks)} follower{'s' if len(acks) != 1 else ''} acking at "
                  f"{list(acks)} ms", (list(acks),), want) for acks, want in _ACKS]
    return check_function("3.2", commit_time, cases, shape=as_number,
                          same=lambda got, want: abs(got - want) < 1e-9)


_SPLIT_3_3 = {"cluster_size": 7, "minority": 3, "leader_side": "majority"}


def _measured_split() -> tuple[int, int]:
    m = cp.run(cp.Config(**_SPLIT_3_3)).metrics  # type: ignore[arg-type]
    return (int(m[cp.Metric.COMMITTED_IN_MINORITY_DURING_SPLIT]),
            int(m[cp.Metric.LEADERS_ELECTED]))


@revealer("3.3")
def _reveal_3_3() -> str:
    committed, leaders = _measured_split()
    return (f"the run committed {committed} requests in the minority and elected {leaders} "
            f"leader{'s' if leaders != 1 else ''} in all")


@never_raises("3.3")
def exercise_3_3(predicted: Any) -> Feedback:
    """Exercise 3.3: 7 brokers, 3 cut off, the leader stays with the majority: predict."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("3.3")
    pair = as_items(predicted)
    if isinstance(predicted, dict | set | str) or pair is None or len(pair) != 2:
        return failed("3.3", "write a pair (requests committed in the minority during the "
                             f"split, leaders elected in the whole run), got {show(predicted)}")
    if any(p is None or p is Ellipsis for p in pair):
        return not_attempted("3.3")
    numbers = [as_int(p) for p in pair]
    if None in numbers or isinstance(pair[1], bool):
        return failed("3.3", f"write two whole numbers, got {show(predicted)}")
    if tuple(numbers) != _measured_split():
        return wrong_prediction("3.3", f"({numbers[0]}, {numbers[1]})",
                                "does the majority lose its leader? Can 3 of 7 brokers "
                                "collect the votes for a leader of their own?")
    return passed("3.3", 2)
