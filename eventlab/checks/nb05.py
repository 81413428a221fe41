"""Checkers for notebook 05 (event store and messaging)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from eventlab.checks._core import Case, Feedback, check_function, failed, not_attempted, passed
from eventlab.core.messages import Event
from eventlab.engines.kafka import Record
from eventlab.scenarios import outbox
from eventlab.scenarios.outbox.model import PARTITIONS, Model


def _record(offset: int, message_id: str, type_: str, customer: int) -> Record:
    event = Event(message_id=message_id, type=type_, sender="Customer service",
                  key=f"customer-{customer}", payload={"customerId": customer})
    return Record("customer-events", 0, offset, f"customer-{customer}", event, 0.0, 20, 0)


def _streams() -> list[tuple[str, list[Record]]]:
    """Record streams as Mailing sees them: re-published events and redelivered records."""
    a, b, c = (_record(0, "msg-0002", "CustomerCreated", 1),
               _record(1, "msg-0004", "CustomerCreated", 2),
               _record(2, "msg-0006", "EmailChanged", 1))
    republished = _record(3, "msg-0002", "CustomerCreated", 1)  # the relay sent it again
    out = [("three events, each once", [a, b, c]),
           ("a record redelivered after a consumer crash", [a, b, a, b, c]),
           ("an event the relay published twice (two offsets, one event id)",
            [a, b, c, republished]),
           ("two different events about the same customer", [a, c])]
    config = outbox.Config(variant="outbox", crash_at="relay_after_publish", crash_rate=0.3,
                           commands=30)
    for seed in (1, 2):
        model = Model(replace(config, seed=seed))
        model.world.env.run()
        records = [r for i in range(PARTITIONS) for r in model.topic.records(i)]
        out.append((f"an outbox run with relay crashes (seed {seed})", records))
    return out


def exercise_5_1(deliver: Any) -> Feedback:
    """Exercise 5.1: an idempotent consumer (inbox) that mails once per event."""
    if deliver is None:
        return not_attempted("5.1")
    if not callable(deliver):
        return failed("5.1", f"expected a function, got {type(deliver).__name__}")
    streams = _streams()
    for description, records in streams:
        inbox: set[Any] = set()
        mailed: dict[str, int] = {}
        try:
            for record in records:
                if deliver(inbox, record):
                    key = record.value.message_id if record.value is not None else ""
                    mailed[key] = mailed.get(key, 0) + 1
        except NotImplementedError:
            return not_attempted("5.1")
        except Exception as err:  # a checker reports, it never raises
            return failed("5.1", f"for {description} it raised {type(err).__name__}: {err}")
        events = list(dict.fromkeys(r.value.message_id for r in records if r.value is not None))
        twice = [m for m, n in mailed.items() if n > 1]
        missing = [m for m in events if m not in mailed]
        if twice:
            return failed("5.1", f"for {description} event {twice[0]} was mailed "
                                 f"{mailed[twice[0]]} times: remember the event id "
                                 "(record.value.message_id), not the offset")
        if missing:
            return failed("5.1", f"for {description} event {missing[0]} was never mailed: "
                                 "two different events need two mails, even for one customer")
    return passed("5.1", len(streams))


def _internal(version: int) -> Event:
    street, city = "Zossener Strasse 55", "Berlin"
    payload: dict[str, Any]
    if version == 1:
        payload = {"customerId": 42, "street": street, "city": city}
    elif version == 2:  # refactoring: nest a field
        payload = {"customerId": 42, "address": {"street": street, "city": city}}
    else:  # refactoring: rename a field as well
        payload = {"customer": 42, "address": {"street": street, "city": city}}
    return Event(message_id=f"msg-{version:04d}", type="AddressChanged",
                 sender="Customer service", key="customer-42", payload=payload)


PUBLIC_MOVE = {"type": "CustomerMoved", "customerId": 42, "street": "Zossener Strasse 55",
               "city": "Berlin"}


def exercise_5_2(to_public: Any) -> Feedback:
    """Exercise 5.2: translate internal events into the stable public event."""
    consent = Event(message_id="msg-0009", type="ConsentGiven", sender="Customer service",
                    key="customer-42", payload={"customerId": 42, "channel": "mail"})
    cases = [Case("AddressChanged as first written", (_internal(1),), PUBLIC_MOVE),
             Case("AddressChanged after 'nest a field'", (_internal(2),), PUBLIC_MOVE),
             Case("AddressChanged after 'nest' and 'rename customerId'", (_internal(3),),
                  PUBLIC_MOVE),
             Case("ConsentGiven (internal only: not published)", (consent,), None)]
    return check_function("5.2", to_public, cases)


QUESTIONS = ("never lose an event", "one mail per customer")


def _truth(seeds: int = 5) -> dict[str, list[str]]:
    table = outbox.across_seeds(outbox.Config(), seeds=seeds)
    lossless = [v for v in outbox.VARIANTS if table.loc[outbox.Metric.LOST_EVENTS, v] == 0]
    exact = [v for v in outbox.VARIANTS
             if table.loc["runs where mails = distinct events", v] == seeds
             and table.loc[outbox.Metric.LOST_EVENTS, v] == 0
             and table.loc[outbox.Metric.PHANTOM_EVENTS, v] == 0]
    return {"never lose an event": lossless, "one mail per customer": exact}


def exercise_5_3(predicted: Any) -> Feedback:
    """Exercise 5.3: which variants never lose an event, and which mail exactly once?"""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("5.3")
    if not isinstance(predicted, Mapping) or sorted(predicted) != sorted(QUESTIONS):
        return failed("5.3", f"write a dict with the keys {list(QUESTIONS)}, each a list of "
                             f"variants; got {predicted!r}")
    truth = _truth()
    for question in QUESTIONS:
        said = predicted[question]
        if said is None or said is Ellipsis:
            return not_attempted("5.3")
        if isinstance(said, str) or not isinstance(said, Sequence):
            return failed("5.3", f"{question!r} must be a list of variants, got {said!r}")
        unknown = [v for v in said if v not in outbox.VARIANTS]
        if unknown:
            return failed("5.3", f"{unknown[0]!r} is not a variant; variants: "
                                 f"{', '.join(outbox.VARIANTS)}")
        if sorted(said) != sorted(truth[question]):
            return failed("5.3", f"{question}: you said {sorted(said)}, five runs per variant "
                                 f"say {sorted(truth[question])}")
    return passed("5.3", len(QUESTIONS))
