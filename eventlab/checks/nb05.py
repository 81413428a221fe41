"""Checkers for notebook 05 (event store and messaging)."""

from __future__ import annotations

from dataclasses import replace
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
from eventlab.checks._shapes import as_items, as_mapping, show
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
    again = _record(4, "msg-0008", "EmailChanged", 1)  # the customer changed it once more
    out = [("three events, each once", [a, b, c]),
           ("a record redelivered after a consumer crash", [a, b, a, b, c]),
           ("an event the relay published twice (two offsets, one event id)",
            [a, b, c, republished]),
           ("two different events about the same customer", [a, c]),
           ("a second EmailChanged of the same customer", [a, c, again, c])]
    config = outbox.Config(variant="outbox", crash_at="relay_after_publish", crash_rate=0.3,
                           commands=30)
    for seed in (1, 2):
        model = Model(replace(config, seed=seed))
        model.world.env.run()
        records = [r for i in range(PARTITIONS) for r in model.topic.records(i)]
        out.append((f"an outbox run with relay crashes (seed {seed})", records))
    return out


@never_raises("5.1")
def exercise_5_1(deliver: Any) -> Feedback:
    """Exercise 5.1: an idempotent consumer (inbox) that mails once per event."""
    streams = _streams()

    def body(call: Caller) -> Feedback:
        for description, records in streams:
            inbox: set[Any] = set()
            mailed: dict[str, int] = {}
            for record in records:
                if call(description, inbox, record):
                    key = record.value.message_id if record.value is not None else ""
                    mailed[key] = mailed.get(key, 0) + 1
            events = list(dict.fromkeys(r.value.message_id for r in records
                                        if r.value is not None))
            twice = [m for m, n in mailed.items() if n > 1]
            missing = [m for m in events if m not in mailed]
            if twice:
                return failed("5.1", f"for {description} event {twice[0]} was mailed "
                                     f"{mailed[twice[0]]} times: remember the event id "
                                     "(record.value.message_id), not the offset")
            if missing:
                return failed("5.1", f"for {description} event {missing[0]} was never mailed: "
                                     "two different events need two mails, even for one "
                                     "customer and one type")
        return passed("5.1", len(streams))

    return judge("5.1", deliver, body)


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


def _public(answer: Any) -> Any:
    # a Mapping (or a Series) is read as a dict; None stays None (not published)
    return as_mapping(answer) if answer is not None else None


@never_raises("5.2")
def exercise_5_2(to_public: Any) -> Feedback:
    """Exercise 5.2: translate internal events into the stable public event."""
    consent = Event(message_id="msg-0009", type="ConsentGiven", sender="Customer service",
                    key="customer-42", payload={"customerId": 42, "channel": "mail"})
    # private events a blacklist of ConsentGiven would leak: each new type must stay inside
    scored = Event(message_id="msg-0010", type="CreditScoreChecked", sender="Customer service",
                   key="customer-42", payload={"customerId": 42, "score": 612})
    noted = Event(message_id="msg-0011", type="AddressNoteAdded", sender="Customer service",
                  key="customer-42", payload={"customerId": 42, "street": "Zossener Strasse 55",
                                              "city": "Berlin", "note": "ring twice"})
    cases = [Case("AddressChanged as first written", (_internal(1),), PUBLIC_MOVE),
             Case("AddressChanged after 'nest a field'", (_internal(2),), PUBLIC_MOVE),
             Case("AddressChanged after 'nest' and 'rename customerId'", (_internal(3),),
                  PUBLIC_MOVE),
             Case("ConsentGiven (internal only: not published)", (consent,), None),
             Case("CreditScoreChecked (internal only: not published)", (scored,), None),
             Case("AddressNoteAdded (internal, though it has an address)",
                  (noted,), None)]
    return check_function("5.2", to_public, cases, shape=_public)


QUESTIONS = ("never lose an event", "one mail per customer")


@cache
def _truth(seeds: int = 5) -> dict[str, list[str]]:
    table = outbox.across_seeds(outbox.Config(), seeds=seeds)
    lossless = [v for v in outbox.VARIANTS if table.loc[outbox.Metric.LOST_EVENTS, v] == 0]
    exact = [v for v in outbox.VARIANTS
             if table.loc["runs where mails = distinct events", v] == seeds
             and table.loc[outbox.Metric.LOST_EVENTS, v] == 0
             and table.loc[outbox.Metric.PHANTOM_EVENTS, v] == 0]
    return {"never lose an event": lossless, "one mail per customer": exact}


@revealer("5.3")
def _reveal_5_3() -> str:
    truth = _truth()
    return (f"the runs: lossless: {', '.join(truth[QUESTIONS[0]]) or 'none'}; one mail each: "
            f"{', '.join(truth[QUESTIONS[1]]) or 'none'}")


@never_raises("5.3")
def exercise_5_3(predicted: Any) -> Feedback:
    """Exercise 5.3: which variants never lose an event, and which mail exactly once?"""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("5.3")
    answer = as_mapping(predicted)
    if answer is None or sorted(map(str, answer)) != sorted(QUESTIONS):
        return failed("5.3", f"write a dict with the keys {list(QUESTIONS)}, each a list of "
                             f"variants; got {show(predicted, 60)}")
    said: dict[str, list[str]] = {}
    for question in QUESTIONS:
        value = answer[question]
        if value is None or value is Ellipsis:
            return not_attempted("5.3")
        items = [value] if isinstance(value, str) else as_items(value)
        if items is None:
            return failed("5.3", f"{question!r} must be a list of variants, got {show(value)}")
        unknown = [v for v in items if v not in outbox.VARIANTS]
        if unknown:
            return failed("5.3", f"{show(unknown[0])} is not a variant; variants: "
                                 f"{', '.join(outbox.VARIANTS)}")
        said[question] = sorted(set(items))
    truth = _truth()
    for question in QUESTIONS:
        if said[question] != sorted(truth[question]):
            short, hint = (("lossless", "a phantom is no loss") if question == QUESTIONS[0]
                           else ("one mail each", "a duplicate is not one mail"))
            return wrong_prediction("5.3", f"{short}: {', '.join(said[question]) or 'none'}",
                                    hint)
    return passed("5.3", len(QUESTIONS))
