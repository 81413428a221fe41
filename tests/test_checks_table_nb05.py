"""Answer tables for exercises 5.1 to 5.3: wrong answers get ✗, valid ones get ✓."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from checktable import assert_accepted, assert_rejected, ids, never_returns

from eventlab import checks


# ---- 5.1: an inbox ----------------------------------------------------------------------------
def _keyed(key):
    def deliver(inbox, record):
        k = key(record)
        if k in inbox:
            return False
        inbox.add(k)
        return True
    return deliver


def _check_without_remembering(inbox, record):
    return record.value.message_id not in inbox


def _remember_after_the_second(inbox, record):
    seen = record.value.message_id in inbox
    inbox.add(record.value.message_id)
    return True if not seen else len(inbox) % 2 == 0


WRONG_5_1 = [
    ("keyed by the offset (a transport id)", _keyed(lambda r: r.offset)),
    ("keyed by the customer (record key)", _keyed(lambda r: r.key)),
    ("keyed by (customer, event type): drops a second EmailChanged",
     _keyed(lambda r: (r.key, r.value.type))),
    ("keyed by the event type", _keyed(lambda r: r.value.type)),
    ("checks the inbox but never adds to it", _check_without_remembering),
    ("mails every record", lambda inbox, record: True),
    ("half-remembers", _remember_after_the_second),
    ("never returns", never_returns),
]


def _as_dict_key(inbox, record):
    key = ("event", record.value.message_id)
    fresh = key not in inbox
    inbox.add(key)
    return fresh


RIGHT_5_1 = [("keyed by the event id", _keyed(lambda r: r.value.message_id)),
             ("add always, answer whether it was new", _as_dict_key)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_5_1, ids=ids(WRONG_5_1))
def test_exercise_5_1_rejects(misconception, answer):
    assert_rejected(checks.exercise_5_1, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_5_1, ids=ids(RIGHT_5_1))
def test_exercise_5_1_accepts(approach, answer):
    assert_accepted(checks.exercise_5_1, answer)


# ---- 5.2: translate to the public event --------------------------------------------------------
def _public(data):
    address = data.get("address", data)
    customer = data.get("customerId", data.get("customer"))
    return {"type": "CustomerMoved", "customerId": customer, "street": address["street"],
            "city": address["city"]}


def _blacklist_consent(event):
    if event.type == "ConsentGiven":
        return None
    return _public(event.payload)


def _whatever_has_an_address(event):
    data = event.payload
    if "street" in data or "address" in data:
        return _public(data)
    return None


def _first_version_only(event):
    if event.type != "AddressChanged":
        return None
    return {"type": "CustomerMoved", "customerId": event.payload.get("customerId"),
            "street": event.payload.get("street"), "city": event.payload.get("city")}


def _internal_payload(event):
    return dict(event.payload) if event.type == "AddressChanged" else None


def _internal_type(event):
    if event.type != "AddressChanged":
        return None
    return {**_public(event.payload), "type": "AddressChanged"}


def _nested_public(event):
    if event.type != "AddressChanged":
        return None
    flat = _public(event.payload)
    return {"type": "CustomerMoved", "customerId": flat["customerId"],
            "address": {"street": flat["street"], "city": flat["city"]}}


WRONG_5_2 = [
    ("a blacklist of ConsentGiven: leaks every new private event", _blacklist_consent),
    ("publishes whatever carries an address", _whatever_has_an_address),
    ("handles only the first version", _first_version_only),
    ("publishes the internal payload", _internal_payload),
    ("keeps the internal type name", _internal_type),
    ("nests the public address", _nested_public),
    ("never returns", never_returns),
]


def _whitelist_series(event):
    if event.type != "AddressChanged":
        return None
    return pd.Series(_public(event.payload))


def _match(event):
    match event.type, event.payload:
        case "AddressChanged", {"address": {"street": s, "city": c}, **rest}:
            return {"type": "CustomerMoved",
                    "customerId": rest.get("customerId", rest.get("customer")),
                    "street": s, "city": c}
        case "AddressChanged", {"street": s, "city": c, "customerId": n}:
            return {"type": "CustomerMoved", "customerId": n, "street": s, "city": c}
    return None


RIGHT_5_2 = [("a whitelist, returning a Series", _whitelist_series),
             ("structural pattern matching", _match)]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_5_2, ids=ids(WRONG_5_2))
def test_exercise_5_2_rejects(misconception, answer):
    assert_rejected(checks.exercise_5_2, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_5_2, ids=ids(RIGHT_5_2))
def test_exercise_5_2_accepts(approach, answer):
    assert_accepted(checks.exercise_5_2, answer)


# ---- 5.3: how late is a mail with a relay polling every 200 ms (no crashes)? ------------------
WRONG_5_3 = [
    ("a new event waits a full polling interval", 200),
    ("the relay does not make the mail late", 13.3),
    ("as fast as a dual write", 1.0),
    ("the old 20 ms interval", 20),
    ("two intervals: one to publish, one to consume", 400),
    ("in seconds, not milliseconds", 0.12),
    ("a text", "about 100 ms"),
    ("two numbers", (100, 120)),
    ("a negative delay", -100),
]
RIGHT_5_3 = [
    ("half the polling interval", 100),
    ("half the interval plus delivery", 110.0),
    ("a numpy float", np.float64(125.0)),
    ("a Decimal", Decimal("120")),
]


@pytest.mark.parametrize(("misconception", "answer"), WRONG_5_3, ids=ids(WRONG_5_3))
def test_exercise_5_3_rejects(misconception, answer):
    assert_rejected(checks.exercise_5_3, answer)


@pytest.mark.parametrize(("approach", "answer"), RIGHT_5_3, ids=ids(RIGHT_5_3))
def test_exercise_5_3_accepts(approach, answer):
    assert_accepted(checks.exercise_5_3, answer)
