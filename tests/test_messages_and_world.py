"""Messages are frozen envelopes; a World gives seeded streams and counter ids."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventlab import Command, Event, World
from eventlab.core.catalogue import MessageCatalogue
from eventlab.domains.onboarding.messages import ONBOARDING
from eventlab.domains.retail.messages import RETAIL


def test_an_event_is_frozen_and_its_payload_cannot_be_changed():
    event = Event(message_id="msg-0001", type="AddressChanged", sender="CRM",
                  payload={"customerId": 42})
    with pytest.raises(AttributeError):
        event.type = "Other"
    with pytest.raises(TypeError):
        event.payload["customerId"] = 7
    assert event.kind == "event"


def test_a_message_copies_its_payload_so_later_edits_to_the_dict_do_not_leak_in():
    data = {"address": "Berlin"}
    event = Event(message_id="msg-0001", type="AddressChanged", sender="CRM", payload=data)
    data["address"] = "Potsdam"
    assert event.payload["address"] == "Berlin"


def test_the_size_is_the_utf8_json_payload_length():
    event = Event(message_id="m", type="T", sender="S", payload={"b": "ü", "a": 1})
    assert event.payload_json() == '{"a":1,"b":"ü"}'
    assert event.size == len('{"a":1,"b":"ü"}'.encode())


def test_the_size_is_measured_once_and_stays_out_of_equality_and_repr():
    event = Event(message_id="m", type="T", sender="S", payload={"a": "x" * 10})
    same = Event(message_id="m", type="T", sender="S", payload={"a": "x" * 10})
    assert event.size == 18
    assert event.size == event.size == len(event.payload_json().encode())
    assert event == same  # same was never measured
    assert "size" not in repr(event)


def test_a_changed_copy_measures_its_own_payload():
    event = Event(message_id="m", type="T", sender="S", payload={"a": 1})
    assert event.size == 7
    bigger = replace(event, payload={"a": 1000})
    assert bigger.size == 10
    assert event.size == 7


@pytest.mark.parametrize(("kwargs", "error", "word"), [
    ({"message_id": ""}, ValueError, "message_id"),
    ({"type": 3}, TypeError, "type"),
    ({"time": -1.0}, ValueError, "time"),
    ({"payload": [1, 2]}, TypeError, "payload"),
    ({"key": ""}, ValueError, "key"),
])
def test_a_malformed_message_is_rejected_naming_the_field(kwargs, error, word):
    base = {"message_id": "m", "type": "T", "sender": "S"}
    with pytest.raises(error, match=word):
        Command(**{**base, **kwargs})


def test_follow_up_messages_inherit_the_correlation_and_point_at_their_cause():
    world = World(seed=1)
    command = world.command("ChangeAddress", sender="Customer", key="customer-42")
    event = world.event("AddressChanged", sender="CRM", caused_by=command)
    assert command.correlation_id == command.message_id == "msg-0001"
    assert event.message_id == "msg-0002"
    assert event.causation_id == command.message_id
    assert event.correlation_id == command.correlation_id


def test_ids_are_counters_per_prefix():
    world = World(seed=1)
    assert [world.new_id("ord"), world.new_id("msg"), world.new_id("ord")] == \
        ["ord-0001", "msg-0001", "ord-0002"]


@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_the_same_seed_gives_the_same_stream(seed):
    a, b = World(seed), World(seed)
    assert [a.rng("x").random() for _ in range(3)] == [b.rng("x").random() for _ in range(3)]


def test_streams_are_independent_drawing_from_one_does_not_shift_another():
    a, b = World(7), World(7)
    for _ in range(100):
        a.rng("noise").random()
    assert a.rng("customer").random() == b.rng("customer").random()


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (True, TypeError),
                                             (1.5, TypeError), (2**31, ValueError)])
def test_a_bad_seed_is_rejected(seed, error):
    with pytest.raises(error, match="seed"):
        World(seed)


def test_a_catalogue_makes_a_command_or_an_event_as_its_domain_declares_it():
    world = World(3)
    command = RETAIL.make(world, "RetrievePaymentCommand", sender="Order", key="order-1")
    event = RETAIL.make(world, "PaymentReceivedEvent", sender="Payment", caused_by=command)
    updated = RETAIL.make(world, "CreditCardUpdated", sender="Customer")  # no suffix
    check = ONBOARDING.make(world, "CheckAddress", sender="Onboarding")  # no suffix either
    assert isinstance(command, Command)
    assert isinstance(event, Event)
    assert isinstance(updated, Event)
    assert isinstance(check, Command)
    assert (command.message_id, event.message_id) == ("msg-0001", "msg-0002")
    assert event.causation_id == command.message_id
    assert event.correlation_id == command.correlation_id


def test_a_catalogue_refuses_an_undeclared_name_and_a_double_declaration():
    with pytest.raises(ValueError, match="'PaymentMadeEvent' is not in the flowing-retail"):
        RETAIL.kind("PaymentMadeEvent")
    with pytest.raises(ValueError, match="declared twice"):
        MessageCatalogue("x", commands=["Pay"], events=["Pay"])
    with pytest.raises(TypeError, match="commands must be a list of message names"):
        MessageCatalogue("x", commands="Pay", events=[])
