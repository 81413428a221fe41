"""Checkers for notebook 06 (Kafka as transport)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

import numpy as np

from eventlab.checks._core import (
    Case,
    Feedback,
    check_function,
    failed,
    never_raises,
    not_attempted,
    passed,
)
from eventlab.checks._predict import revealer, wrong_prediction
from eventlab.checks._shapes import as_int, as_mapping, show
from eventlab.core.messages import Event
from eventlab.core.replications import replicate
from eventlab.engines.kafka import Record, partition_for
from eventlab.engines.kafka.broker import Topic
from eventlab.scenarios.kafka_transport import cleanup, commits, rebalances

KEYS = ("order-1", "order-2", "customer-42", "checkout-generated-7", "ü-straße", "a", "",
        "order-1000", "payment-2019-04-16")


@never_raises("6.1")
def exercise_6_1(partition_of: Any) -> Feedback:
    """Exercise 6.1: Kafka's default partitioner, from murmur2 and to_positive."""
    cases = [Case(f"key {key!r} with {n} partitions", (key, n), partition_for(key, n))
             for n in (1, 3, 6, 12) for key in KEYS if key]
    # calling the library's partitioner would pass without writing it
    return check_function("6.1", partition_of, cases, shape=as_int,
                          forbidden=(partition_for, Topic.partition_for))


@cache
def _measured() -> dict[str, int]:
    base = commits.Config(records=12, max_poll_records=4)
    lost = commits.run(replace(base, strategy="commit_then_process",
                               crash_point="after_commit")).metrics[commits.Metric.LOST]
    twice = commits.run(replace(base, strategy="process_then_commit",
                                crash_point="after_process")).metrics[commits.Metric.DUPLICATE_EFFECTS]
    return {"lost": int(lost), "duplicates": int(twice)}


@revealer("6.2")
def _reveal_6_2() -> str:
    runs = _measured()
    return f"the runs: {runs['lost']} lost, {runs['duplicates']} duplicates"


@never_raises("6.2")
def exercise_6_2(predicted: Any) -> Feedback:
    """Exercise 6.2: predict loss and duplicates for 12 records polled 4 at a time."""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("6.2")
    said = as_mapping(predicted)
    if said is None or sorted(map(str, said)) != ["duplicates", "lost"]:
        return failed("6.2", "write a dict {'lost': ..., 'duplicates': ...}, got "
                             f"{show(predicted)}")
    if any(v is None or v is Ellipsis for v in said.values()):
        return not_attempted("6.2")
    numbers = {k: as_int(said[k]) for k in ("lost", "duplicates")}
    for what, number in numbers.items():
        if number is None:
            return failed("6.2", f"{what} must be a whole number, got {show(said[what])}")
    if numbers != _measured():
        return wrong_prediction("6.2", f"{numbers['lost']} lost, {numbers['duplicates']} "
                                       "duplicates", "what does one crashed poll hold?")
    return passed("6.2", 2)


def _record(offset: int, key: str, address: str | None) -> Record:
    value = None if address is None else Event(
        message_id=f"msg-{offset + 1:04d}", type="AddressChanged", sender="Customer service",
        key=key, payload={"address": address})
    return Record("customers", 0, offset, key, value, 0.0, 0, 0)


def _logs() -> list[tuple[str, list[Record]]]:
    hand = [("two customers, one moves", [_record(0, "customer-1", "Marktplatz 7"),
                                          _record(1, "customer-2", "Ringstrasse 12"),
                                          _record(2, "customer-1", "Hauptstrasse 1")]),
            ("a customer deleted by a tombstone", [_record(0, "customer-1", "Marktplatz 7"),
                                                   _record(1, "customer-1", None)]),
            ("deleted, then registered again", [_record(0, "customer-1", "Marktplatz 7"),
                                                _record(1, "customer-1", None),
                                                _record(2, "customer-1", "Gartenweg 3")]),
            ("an empty topic", [])]
    for policy in ("delete", "compact", "compact,delete"):
        result = cleanup.run(cleanup.Config(policy=policy, seed=3))
        hand.append((f"the topic after a month with cleanup.policy={policy}",
                     list(result.records)))
    return hand


@never_raises("6.3")
def exercise_6_3(latest_state: Any) -> Feedback:
    """Exercise 6.3: fold a (compacted) topic into the current state, tombstones included."""
    cases = [Case(desc, (records,), cleanup.rebuild(records)) for desc, records in _logs()]
    return check_function("6.3", latest_state, cases, shape=as_mapping)


# Section 3's group, asynchronous processing and a slow handler at once, over 20 seeds.
_ASYNC_SLOW = rebalances.Config(processing="async", fault="slow_handler")


@cache
def _async_slow() -> dict[str, int | bool]:
    runs = replicate(rebalances.run, _ASYNC_SLOW, seeds=20)
    kicked = runs.values(rebalances.Metric.MEMBERS_KICKED_OUT).sum()
    twice = runs.values(rebalances.Metric.HANDLED_TWICE).sum()
    return {"kicked out": int(kicked), "handled twice": bool(twice > 0)}


@revealer("6.4")
def _reveal_6_4() -> str:
    runs = _async_slow()
    said = "some records were" if runs["handled twice"] else "no record was"
    return (f"in 20 runs member-1 was kicked out {runs['kicked out']} times, and {said} "
            "handled twice")


def _yes_no(value: Any) -> bool | None:
    # True/False, also numpy's; "yes"/"no" would be a guess, so they are refused
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return None


@never_raises("6.4")
def exercise_6_4(predicted: Any) -> Feedback:
    """Exercise 6.4: asynchronous processing and a slow handler: kicked out, handled twice?"""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("6.4")
    said = as_mapping(predicted)
    if said is None or sorted(map(str, said)) != ["handled twice", "kicked out"]:
        return failed("6.4", "write a dict {'kicked out': ..., 'handled twice': ...}, got "
                             f"{show(predicted)}")
    if any(v is None or v is Ellipsis for v in said.values()):
        return not_attempted("6.4")
    kicked = as_int(said["kicked out"])
    if kicked is None or kicked < 0:
        return failed("6.4", "'kicked out' is how many times member-1 was removed in all 20 "
                             f"runs: a whole number from 0, got {show(said['kicked out'])}")
    twice = _yes_no(said["handled twice"])
    if twice is None:
        return failed("6.4", "'handled twice' is True or False, got "
                             f"{show(said['handled twice'])}")
    if {"kicked out": kicked, "handled twice": twice} != _async_slow():
        return wrong_prediction("6.4", f"kicked out {kicked} times, handled twice: {twice}",
                                "which loop does max.poll.interval.ms watch? what is in "
                                "flight at a revoke?")
    return passed("6.4", 2)
