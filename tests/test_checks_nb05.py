"""Notebook 05's checkers accept the reference, reject typical mistakes, and never raise."""

from eventlab import checks


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


RIGHT = {"never lose an event": ["publish_then_commit", "outbox", "outbox_inbox",
                                 "outbox_mail_key"],
         "one mail per customer": ["outbox_mail_key"]}


def test_exercise_5_1_accepts_an_inbox_keyed_by_the_event_id():
    assert repr(checks.exercise_5_1(deliver)) == "✓ Exercise 5.1 passed (7 cases)"


def test_exercise_5_1_rejects_transport_ids_and_customer_ids_with_the_case():
    assert repr(checks.exercise_5_1(by_offset)) == (
        "✗ Exercise 5.1: for an event the relay published twice (two offsets, one event id) "
        "event msg-0002 was mailed 2 times: remember the event id (record.value.message_id), "
        "not the offset")
    assert "event msg-0006 was never mailed" in repr(checks.exercise_5_1(by_customer))
    assert "was mailed 2 times" in repr(checks.exercise_5_1(lambda inbox, record: True))


def test_exercise_5_2_accepts_a_translation_of_every_internal_version():
    assert repr(checks.exercise_5_2(to_public)) == "✓ Exercise 5.2 passed (6 cases)"
    assert repr(checks.exercise_5_2(passes_internal_through)).startswith(
        "✗ Exercise 5.2: for AddressChanged as first written expected 'type': 'CustomerMoved'")


def test_exercise_5_3_compares_the_prediction_with_five_runs_per_variant():
    assert repr(checks.exercise_5_3(RIGHT)) == "✓ Exercise 5.3 passed (2 cases)"
    wrong = {**RIGHT, "never lose an event": ["outbox", "outbox_inbox"]}
    assert repr(checks.exercise_5_3(wrong)) == (
        "✗ Exercise 5.3: you said lossless: outbox, outbox_inbox. Hint: a phantom is no loss "
        "(try again, or checks.reveal('5.3'))")


def test_unfinished_or_malformed_answers_are_reported_not_raised():
    assert repr(checks.exercise_5_1(None)) == "Exercise 5.1: not attempted yet"
    assert repr(checks.exercise_5_1(stub)) == "Exercise 5.1: not attempted yet"
    assert repr(checks.exercise_5_2(stub)) == "Exercise 5.2: not attempted yet"
    assert repr(checks.exercise_5_1(42)) == "✗ Exercise 5.1: expected a function, got int"
    assert repr(checks.exercise_5_3(None)) == "Exercise 5.3: not attempted yet"
    assert "write a dict with the keys" in repr(checks.exercise_5_3(["outbox"]))
    assert "'two_phase' is not a variant" in repr(checks.exercise_5_3(
        {**RIGHT, "one mail per customer": ["two_phase"]}))
    assert "must be a list of variants" in repr(checks.exercise_5_3(
        {**RIGHT, "one mail per customer": 3}))
    assert "raised KeyError" in repr(checks.exercise_5_2(lambda event: event.payload["nope"]))
