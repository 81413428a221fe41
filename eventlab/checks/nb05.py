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
from eventlab.checks._shapes import as_int, as_items, as_mapping, show
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


MORNINGS = 5
DESIGNS = ("outbox_inbox", "outbox_mail_key")


@cache
def _truth() -> tuple[int, int]:
    """On how many of five mornings (seeds 0 to 4, every crash point armed) the inbox design
    and the mail-key design mail some customer a second time."""
    table = outbox.across_seeds(outbox.Config(), seeds=MORNINGS)
    row = f"runs with {outbox.Metric.DUPLICATE_MAILS}"
    counts = table.loc[row]
    return int(str(counts[DESIGNS[0]])), int(str(counts[DESIGNS[1]]))


@revealer("5.3")
def _reveal_5_3() -> str:
    inbox, keyed = _truth()
    return (f"the runs: a second mail on {inbox} of {MORNINGS} mornings with the inbox, on "
            f"{keyed} with the mail key")


@never_raises("5.3")
def exercise_5_3(predicted: Any) -> Feedback:
    """Exercise 5.3: on how many of five mornings does each design mail someone twice?"""
    if predicted is None or predicted is Ellipsis:
        return not_attempted("5.3")
    items = as_items(predicted)
    if items is None or len(items) != 2:
        return failed("5.3", "write two whole numbers (inbox, mail key), got "
                             f"{show(predicted, 60)}")
    said = [as_int(v) for v in items]
    for value, number in zip(items, said, strict=True):
        if number is None or not 0 <= number <= MORNINGS:
            return failed("5.3", f"each number counts mornings, a whole number from 0 to "
                                 f"{MORNINGS}; got {show(value)}")
    inbox, keyed = _truth()
    if said[0] != inbox:
        return wrong_prediction("5.3", f"inbox: {said[0]} of {MORNINGS}",
                                "about 100 mails a morning, each with a 5 % chance of a crash "
                                "between the mail and its inbox row")
    if said[1] != keyed:
        return wrong_prediction("5.3", f"mail key: {said[1]} of {MORNINGS}",
                                "the provider refuses a key it has seen, whatever crashed")
    return passed("5.3", 2)
