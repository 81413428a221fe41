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
from eventlab.checks._shapes import as_mapping, as_number, show
from eventlab.core.messages import Event
from eventlab.core.replications import replicate
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
                                     f"{mailed[twice[0]]} times: {_why_twice(inbox, records)}")
            if missing:
                return failed("5.1", f"for {description} event {missing[0]} was never mailed: "
                                     "two different events need two mails, even for one "
                                     "customer and one type")
        return passed("5.1", len(streams))

    return judge("5.1", deliver, body)


def _why_twice(inbox: set[Any], records: list[Record]) -> str:
    """What the learner's inbox holds, and so why a copy got through."""
    if not inbox:
        return "the inbox stayed empty: add what you handled to it"
    offsets = {r.offset for r in records}
    if inbox <= offsets:
        return "your inbox holds offsets; a re-published copy has a new one"
    return "the inbox did not recognise a second copy of the same event"


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


LATE_CONFIG = outbox.Config(variant="outbox", crash_rate=0.0, relay_interval=200.0)
MORNINGS = 20
TOLERANCE = 0.25  # a prediction within 25 % of the measured mean counts


@cache
def measured_delay() -> float:
    """The mean ms from command to welcome mail with the plain outbox, no crashes and a relay
    polling every 200 ms, over 20 mornings (seeds 42 to 61)."""
    runs = replicate(outbox.run, LATE_CONFIG, seeds=MORNINGS, n_jobs=1)
    return float(runs.values(outbox.Metric.MEAN_MS_UNTIL_MAIL).mean())


@revealer("5.3")
def _reveal_5_3() -> str:
    return (f"the {MORNINGS} mornings: a welcome mail came {measured_delay():.1f} ms after its "
            "command on average")


@never_raises("5.3")
def exercise_5_3(predicted_ms: Any) -> Feedback:
    """Exercise 5.3: predict how late the outbox's mails are with a relay polling every 200 ms."""
    if predicted_ms is None or predicted_ms is Ellipsis:
        return not_attempted("5.3")
    said = as_number(predicted_ms)
    if said is None or said != said or said < 0:
        return failed("5.3", "write one number of milliseconds, e.g. 42.0, got "
                             f"{show(predicted_ms, 60)}")
    measured = measured_delay()
    if abs(said - measured) > TOLERANCE * measured:
        return wrong_prediction("5.3", f"{said:g} ms",
                                "the relay publishes what it finds when it polls; how long "
                                "does a new event wait for the next poll, on average?")
    return passed("5.3", 1)
