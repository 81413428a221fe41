"""Every transport has one shape (publish, subscribe with types, guarantees) and keeps it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.bus import Bus
from eventlab.core.channels import Channel
from eventlab.core.topic import Topic
from eventlab.core.transport import Guarantees, Transport
from eventlab.core.world import World
from eventlab.engines.kafka import KafkaTransport
from eventlab.scenarios.recap.choices import Config as RecapConfig
from eventlab.scenarios.recap.transport import Transport as RecapTransport

MAKERS: dict[str, Callable[[World], Transport]] = {
    "channel": lambda world: Channel(world, "orders", latency=1.0),
    "topic": lambda world: Topic(world, "orders", latency=1.0),
    "bus": lambda world: Bus(world, latency=1.0),
    "kafka": lambda world: KafkaTransport(world, partitions=3),
    "recap outbox": lambda world: RecapTransport(world, RecapConfig(crash_rate=0.0)),
}


def _deliver(make: Callable[[World], Transport], plan: list[tuple[str, str]]
             ) -> tuple[Transport, list[tuple[str, str]], list[tuple[str, str]]]:
    """Publish (type, key) pairs one per time unit; return what two subscribers received."""
    world = World(3)
    transport = make(world)
    every = transport.subscribe("Monitor")
    payments = transport.subscribe("Payment", types=["OrderPlacedEvent"])
    got: dict[str, list[tuple[str, str]]] = {"Monitor": [], "Payment": []}

    def publisher():
        for message_type, key in plan:
            transport.publish(world.event(message_type, sender="Checkout", key=key))
            yield world.env.timeout(1.0)

    def reader(name, inbox):
        while True:
            message = yield inbox.get()
            got[name].append((message.type, message.key))

    world.env.process(publisher())
    world.env.process(reader("Monitor", every))
    world.env.process(reader("Payment", payments))
    world.env.run(until=10_000)
    return transport, got["Monitor"], got["Payment"]


PLANS = st.lists(st.tuples(st.sampled_from(["OrderPlacedEvent", "GoodsShippedEvent"]),
                           st.sampled_from(["order-1", "order-2", "order-3"])),
                 min_size=1, max_size=12)


@pytest.mark.parametrize("name", MAKERS)
def test_every_transport_is_a_transport_with_readable_guarantees(name):
    transport = MAKERS[name](World(1))
    assert isinstance(transport, Transport)
    assert isinstance(transport.guarantees, Guarantees)


@pytest.mark.parametrize("name", MAKERS)
@settings(max_examples=15, deadline=None)
@given(plan=PLANS)
def test_a_lossless_transport_delivers_each_copy_once_to_the_subscribers_of_its_type(
        name, plan):
    transport, monitor, payment = _deliver(MAKERS[name], plan)
    promise = transport.guarantees
    assert promise.loss == 0.0
    assert promise.duplicates == 0.0
    assert sorted(monitor) == sorted(plan)
    assert sorted(payment) == sorted(p for p in plan if p[0] == "OrderPlacedEvent")
    # Whatever order a transport promises, it keeps.
    for key in {k for _, k in plan}:
        if promise.ordering in ("per subscriber", "per key"):
            assert [m for m in monitor if m[1] == key] == [p for p in plan if p[1] == key]
    if promise.ordering == "per subscriber":
        assert monitor == plan


def test_a_jittery_or_duplicating_transport_says_so_in_its_guarantees():
    world = World(1)
    assert Channel(world, "a", jitter=2.0).guarantees.ordering == "none"
    assert Channel(world, "b", loss=0.1).guarantees.loss == 0.1
    duplicating = Topic(world, "c", duplicates=0.2).guarantees
    assert duplicating.duplicates == 0.2
    assert duplicating.ordering == "none"
    dual_write = RecapTransport(world, RecapConfig(outbox=False, crash_rate=0.1,
                                                   coordination="choreography")).guarantees
    assert dual_write.loss == 0.1
    assert dual_write.duplicates == 0.0
    # an orchestrating Order's engine relays from its log even without the services' outbox
    engine = RecapTransport(world, RecapConfig(outbox=False, crash_rate=0.1)).guarantees
    assert (engine.loss, engine.duplicates) == (0.1, 0.1)


def test_a_subscription_to_no_type_or_to_a_bare_string_is_refused():
    world = World(1)
    for transport in (Channel(world, "x"), KafkaTransport(world, "y")):
        with pytest.raises(TypeError, match="types must be a list of message types"):
            transport.subscribe("Payment", types="OrderPlacedEvent")
        with pytest.raises(ValueError, match="subscribes to no message type"):
            transport.subscribe("Shipping", types=[])


def test_an_unknown_ordering_is_refused():
    with pytest.raises(ValueError, match="ordering must be one of"):
        Guarantees(latency=0.0, loss=0.0, duplicates=0.0, ordering="sometimes")
