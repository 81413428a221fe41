"""Notebook 05's checkers accept the reference, reject typical mistakes, and never raise."""

import pytest

from eventlab import checks
from eventlab.checks._predict import forget_tries
from eventlab.checks.nb05 import LATE_CONFIG, measured_delay
from eventlab.scenarios import outbox


def deliver(inbox, record):
    event_id = record.value.message_id
    if event_id in inbox:
        return False
    inbox.add(event_id)
    return True


def by_offset(inbox, record):  # a transport id: a re-published event gets a new offset
    if record.offset in inbox:
        return False
    inbox.add(record.offset)
    return True


def by_customer(inbox, record):  # two different events about one customer are not duplicates
    if record.key in inbox:
        return False
    inbox.add(record.key)
    return True


def to_public(event):
    if event.type != "AddressChanged":
        return None
    data = event.payload
    address = data.get("address", data)
    return {"type": "CustomerMoved", "customerId": data.get("customerId", data.get("customer")),
            "street": address["street"], "city": address["city"]}


def passes_internal_through(event):  # leaks the internal event
    return {"type": event.type, **event.payload}


def stub(*_):
    raise NotImplementedError




def test_exercise_5_1_accepts_an_inbox_keyed_by_the_event_id():
    assert repr(checks.exercise_5_1(deliver)) == "✓ Exercise 5.1 passed (7 cases)"


def test_exercise_5_1_rejects_transport_ids_and_customer_ids_with_the_case():
    assert repr(checks.exercise_5_1(by_offset)) == (
        "✗ Exercise 5.1: for an event the relay published twice (two offsets, one event id) "
        "event msg-0002 was mailed 2 times: your inbox holds offsets; a re-published copy has a "
        "new one")
    assert "event msg-0006 was never mailed" in repr(checks.exercise_5_1(by_customer))
    assert "the inbox stayed empty: add what you handled to it" in repr(
        checks.exercise_5_1(lambda inbox, record: True))


def test_exercise_5_2_accepts_a_translation_of_every_internal_version():
    assert repr(checks.exercise_5_2(to_public)) == "✓ Exercise 5.2 passed (6 cases)"
    assert repr(checks.exercise_5_2(passes_internal_through)).startswith(
        "✗ Exercise 5.2: for AddressChanged as first written expected 'type': 'CustomerMoved'")


def test_exercise_5_3_compares_the_prediction_with_20_mornings_of_a_slow_relay():
    from dataclasses import replace

    runs = [outbox.run(replace(LATE_CONFIG, seed=42 + i)).metrics[outbox.Metric.MEAN_MS_UNTIL_MAIL]
            for i in range(20)]
    measured = sum(runs) / len(runs)
    assert measured == pytest.approx(measured_delay())
    assert 100 < measured < 150  # half the 200 ms interval, plus publishing and delivery
    forget_tries()
    assert repr(checks.exercise_5_3(measured)) == "✓ Exercise 5.3 passed (1 case)"
    assert repr(checks.exercise_5_3(200)).startswith(
        "✗ Exercise 5.3: you said 200 ms. Hint: the relay publishes what it finds when it polls")
    assert f"came {measured:.1f} ms after its command" in repr(checks.exercise_5_3(200))


def test_unfinished_or_malformed_answers_are_reported_not_raised():
    assert repr(checks.exercise_5_1(None)) == "Exercise 5.1: not attempted yet"
    assert repr(checks.exercise_5_1(stub)) == "Exercise 5.1: not attempted yet"
    assert repr(checks.exercise_5_2(stub)) == "Exercise 5.2: not attempted yet"
    assert repr(checks.exercise_5_1(42)) == "✗ Exercise 5.1: expected a function, got int"
    assert repr(checks.exercise_5_3(None)) == "Exercise 5.3: not attempted yet"
    assert "write one number of milliseconds" in repr(checks.exercise_5_3(["outbox"]))
    assert "got 'many'" in repr(checks.exercise_5_3("many"))
    assert "raised KeyError" in repr(checks.exercise_5_2(lambda event: event.payload["nope"]))
