"""Notebook 05's checkers accept the reference, reject typical mistakes, and never raise."""

from eventlab import checks
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


RIGHT = (5, 0)  # mornings with a second mail: the inbox design, the mail-key design


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


def test_exercise_5_3_compares_the_prediction_with_five_mornings_of_each_design():
    table = outbox.across_seeds(outbox.Config(), seeds=5)
    row = f"runs with {outbox.Metric.DUPLICATE_MAILS}"
    assert (table.loc[row, "outbox_inbox"], table.loc[row, "outbox_mail_key"]) == RIGHT
    assert repr(checks.exercise_5_3(RIGHT)) == "✓ Exercise 5.3 passed (2 cases)"
    assert repr(checks.exercise_5_3((2, 0))) == (
        "✗ Exercise 5.3: you said inbox: 2 of 5. Hint: about 100 mails a morning, each with a "
        "5 % chance of a crash between the mail and its inbox row (try again, or "
        "checks.reveal('5.3'))")


def test_unfinished_or_malformed_answers_are_reported_not_raised():
    assert repr(checks.exercise_5_1(None)) == "Exercise 5.1: not attempted yet"
    assert repr(checks.exercise_5_1(stub)) == "Exercise 5.1: not attempted yet"
    assert repr(checks.exercise_5_2(stub)) == "Exercise 5.2: not attempted yet"
    assert repr(checks.exercise_5_1(42)) == "✗ Exercise 5.1: expected a function, got int"
    assert repr(checks.exercise_5_3(None)) == "Exercise 5.3: not attempted yet"
    assert "write two whole numbers" in repr(checks.exercise_5_3(["outbox"]))
    assert "a whole number from 0 to 5; got 'many'" in repr(checks.exercise_5_3((5, "many")))
    assert "raised KeyError" in repr(checks.exercise_5_2(lambda event: event.payload["nope"]))
