"""Channels deliver copies after their latency, record every hop, and lose what they drop."""

import pytest

from eventlab import World
from eventlab.core.channels import Channel


def _collect(world, inbox, into):
    while True:
        message = yield inbox.get()
        into.append((world.now, message.type))


def test_publish_gives_every_subscriber_its_own_copy_after_the_latency():
    world = World(1)
    channel = Channel(world, "events", latency=5.0)
    got = {"A": [], "B": []}
    for name in got:
        world.env.process(_collect(world, channel.subscribe(name), got[name]))
    channel.publish(world.event("Moved", sender="CRM"))
    world.env.run()
    assert got == {"A": [(5.0, "Moved")], "B": [(5.0, "Moved")]}
    kinds = world.trace.to_frame()["kind"].tolist()
    assert kinds == ["send", "deliver", "deliver"]


def test_send_reaches_only_the_named_subscriber():
    world = World(1)
    channel = Channel(world, "api")
    got = {"A": [], "B": []}
    for name in got:
        world.env.process(_collect(world, channel.subscribe(name), got[name]))
    channel.send(world.command("Do", sender="X"), to="B")
    world.env.run()
    assert got == {"A": [], "B": [(0.0, "Do")]}


def test_sending_to_an_unknown_actor_names_the_known_subscribers():
    world = World(1)
    channel = Channel(world, "api")
    channel.subscribe("CRM")
    with pytest.raises(ValueError, match=r"to='Crm'.*CRM"):
        channel.send(world.command("Do", sender="X"), to="Crm")


def test_a_lossy_channel_drops_about_the_right_share_and_records_each_drop():
    world = World(3)
    channel = Channel(world, "lossy", loss=0.3)
    channel.subscribe("A")
    for _ in range(2000):
        channel.publish(world.event("E", sender="S"))
    world.env.run()
    frame = world.trace.to_frame()
    drops = int((frame["kind"] == "drop").sum())
    delivers = int((frame["kind"] == "deliver").sum())
    assert drops + delivers == 2000
    assert 520 < drops < 680


def test_jitter_delays_messages_by_a_seeded_random_amount():
    def arrival_times(seed):
        world = World(seed)
        channel = Channel(world, "j", latency=1.0, jitter=2.0)
        channel.subscribe("A")
        for _ in range(5):
            channel.publish(world.event("E", sender="S"))
        world.env.run()
        frame = world.trace.to_frame()
        return frame.loc[frame["kind"] == "deliver", "time"].tolist()

    assert arrival_times(1) == arrival_times(1)
    assert arrival_times(1) != arrival_times(2)
    assert min(arrival_times(1)) >= 1.0


@pytest.mark.parametrize(("kwargs", "word"), [({"latency": -1}, "latency"),
                                              ({"loss": 1.5}, "loss"),
                                              ({"jitter": float("inf")}, "jitter")])
def test_a_channel_with_bad_settings_is_rejected(kwargs, word):
    with pytest.raises(ValueError, match=word):
        Channel(World(1), "c", **kwargs)


def test_subscribing_twice_is_an_error():
    channel = Channel(World(1), "c")
    channel.subscribe("A")
    with pytest.raises(ValueError, match="already subscribed"):
        channel.subscribe("A")
