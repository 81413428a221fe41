"""The payload designs, the delta rule and the at-least-once topic behave as documented."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.core.topic import Topic
from eventlab.domains.crm import payloads
from eventlab.scenarios import crm

small = settings(max_examples=30, deadline=None)


def move(customer=3, version=1):
    return payloads.Change(customer, "move", "Hauptstrasse 4, Berlin", "Marktplatz 9, Leipzig",
                           version, 0.0)


def test_each_design_names_its_events_like_the_slide():
    assert payloads.event_type("address_delta", "move") == "AddressChanged"
    assert payloads.event_type("customer_changed", "status") == "CustomerChanged"
    assert payloads.event_type("customer_moved", "move") == "CustomerMoved"
    assert payloads.event_type("customer_moved", "correction") == "AddressCorrected"
    assert payloads.event_type("notification", "status") == "StatusChanged"


def test_each_design_carries_what_its_label_promises():
    after = {**payloads.record(3), "address": "Marktplatz 9, Leipzig"}
    assert payloads.payload("notification", move(), after) == {"customerId": 3}
    assert payloads.payload("address_full", move(), after) == {
        "customerId": 3, "address": "Marktplatz 9, Leipzig"}
    assert payloads.payload("address_delta", move(), after) == {
        "customerId": 3, "oldAddress": "Hauptstrasse 4, Berlin",
        "newAddress": "Marktplatz 9, Leipzig"}
    everything = payloads.payload("customer_changed", move(), after)
    assert set(everything) >= {"customerId", "name", "status", "address", "email"}


def test_consumers_subscribe_only_to_the_types_that_carry_what_they_care_about():
    assert payloads.subscriptions("address_full", ("address",)) == ("AddressChanged",)
    assert payloads.subscriptions("address_full", ("status",)) == ("StatusChanged",)
    assert payloads.subscriptions("customer_moved", ("address",)) == ("CustomerMoved",
                                                                       "AddressCorrected")
    assert payloads.subscriptions("customer_changed", ("status",)) == ("CustomerChanged",)


@small
@given(st.integers(1, 500), st.integers(1, 500))
def test_addresses_are_unique_and_a_typo_fix_keeps_street_and_city(a, b):
    if a != b:
        assert payloads.address(a) != payloads.address(b)
    fixed = payloads.corrected(payloads.address(a), b)
    assert fixed.split(" ")[0] == payloads.address(a).split(" ")[0]
    assert fixed.endswith(payloads.address(a).rsplit(", ", 1)[1])


@pytest.mark.parametrize(("copy", "old", "new", "decision"), [
    ("A", "A", "B", "apply"),
    ("B", "A", "B", "duplicate"),
    ("A", "B", "C", "out of order"),
    ("C", "A", "B", "out of order"),
])
def test_a_delta_is_applied_only_when_it_follows_on_the_copy(copy, old, new, decision):
    assert crm.delta_decision(copy, {"oldAddress": old, "newAddress": new}) == decision


@pytest.mark.parametrize("bad", [{"design": "CustomerUpdated"}, {"kind": "typo"}])
def test_unknown_designs_and_kinds_are_rejected_with_the_allowed_values(bad):
    args = {"design": "address_full", "kind": "move", **bad}
    with pytest.raises(ValueError, match=next(iter(bad))):
        payloads.event_type(args["design"], args["kind"])


def _topic_run(seed, duplicates, reorder, events=40):
    world = World(seed)
    topic = Topic(world, "t", latency=1.0, jitter=0.2, duplicates=duplicates, reorder=reorder,
                  late_by=50.0)
    inbox = topic.subscribe("consumer")
    topic.subscribe("other")

    def producer():
        for i in range(events):
            yield world.env.timeout(1.0)
            topic.publish_to(world.event("Ticked", sender="p", payload={"n": i}), ["consumer"])

    world.env.process(producer())
    world.env.run()
    return world.trace.to_frame(), list(inbox.items)


@small
@given(st.integers(0, 10_000), st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_the_topic_delivers_every_event_once_plus_its_duplicates(seed, duplicates, reorder):
    trace, received = _topic_run(seed, duplicates, reorder)
    delivered = trace[trace["kind"] == "deliver"]
    redelivered = int((delivered["detail"] == "redelivered").sum())
    assert len(received) == len(delivered) == 40 + redelivered
    assert sorted({m.payload["n"] for m in received}) == list(range(40))
    assert set(delivered["actor"]) == {"consumer"}  # "other" did not subscribe to this type


def test_held_back_copies_arrive_late_and_are_overtaken():
    trace, received = _topic_run(7, 0.0, 0.3)
    order = [m.payload["n"] for m in received]
    assert order != sorted(order)
    held = trace[trace["detail"] == "held back"]
    assert len(held) > 0
    _, calm = _topic_run(7, 0.0, 0.0)
    assert [m.payload["n"] for m in calm] == list(range(40))


def test_the_topic_checks_its_knobs_and_its_subscribers():
    world = World(1)
    with pytest.raises(ValueError, match="duplicates"):
        Topic(world, "t", duplicates=1.5)
    topic = Topic(world, "u")
    with pytest.raises(ValueError, match="nobody"):
        topic.publish_to(world.event("X", sender="p"), ["nobody"])
