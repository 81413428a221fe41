"""The choreographed flowing-retail chain: what it does, what it loses, what it carries."""

import dataclasses

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.core.bus import Bus
from eventlab.core.catalogue import MessageCatalogue
from eventlab.domains.retail.messages import RETAIL
from eventlab.engines.workflow.reactions import Outcome
from eventlab.scenarios.retail import choreography
from eventlab.scenarios.retail.choreography import Config, Wiring, on
from eventlab.scenarios.retail.orchestration import VARIANTS, Fault

small = settings(max_examples=50, deadline=None)
seeds = st.integers(min_value=0, max_value=10_000)


@st.composite
def fault_schedules(draw, orders=6):
    faults = []
    for _ in range(draw(st.integers(0, 4))):
        step = draw(st.sampled_from(["payment", "inventory", "shipping"]))
        kind = draw(st.sampled_from(["drop", "slow", "decline"] if step == "payment"
                                    else ["drop", "slow"]))
        value = draw(st.floats(0.0, 200.0)) if kind != "drop" else 0.0
        faults.append(Fault(draw(st.integers(1, orders)), step, kind, value))
    return faults


@small
@given(seeds, fault_schedules(), st.sampled_from(["sequential", "parallel"]),
       st.sampled_from(VARIANTS))
def test_every_order_completes_or_its_ground_truth_says_why_and_money_is_conserved(
        seed, faults, style, variant):
    result = choreography.run(Config(orders=6, seed=seed, style=style, variant=variant,
                                     p_card=0.3), faults=faults)
    facts = result.facts
    done = facts[facts["outcome"] == "completed"]
    assert (done["net charge"] == done["total"]).all()  # delivered implies paid ...
    assert (done["shipped"] == 1).all()
    assert (done["picked"] >= 1).all()
    stuck = facts[facts["outcome"] != "completed"]
    assert stuck["outcome"].str.match(r"dropped by |payment failed|stuck \(").all()
    failed = facts[facts["payment"] == "Payment failed"]
    assert (failed["net charge"] == 0).all()  # payment's own compensation restores credit
    assert result.metrics[choreography.Metric.MONEY_CONSERVED] == "yes"
    assert result.metrics[choreography.Metric.STUCK_AND_UNDETECTED] == len(stuck)  # nobody watches


def test_a_payment_drop_stops_the_chain_silently_while_a_shipping_drop_keeps_the_money():
    faults = [Fault(1, "payment", "drop"), Fault(2, "shipping", "drop")]
    result = choreography.run(Config(orders=3, seed=1, drop_payment=0.0, drop_inventory=0.0,
                                     drop_shipping=0.0, p_card=0.0), faults=faults)
    outcome = result.facts.set_index("order")["outcome"]
    assert outcome.tolist() == ["dropped by Payment", "dropped by Shipping", "completed"]
    assert result.metrics[choreography.Metric.NET_CHARGE_OF_UNDELIVERED_ORDERS] == \
        result.facts.loc[1, "total"]  # paid, never shipped, never refunded
    assert result.metrics[choreography.Metric.WASTED_PICKS] == 1


def test_the_whole_order_travels_along_the_sequential_chain_but_not_the_parallel_one():
    base = Config(orders=20, seed=3)
    chain = choreography.run(base).payload().set_index("message type")
    thin = choreography.run(dataclasses.replace(base, style="parallel")).payload() \
        .set_index("message type")
    sizes = chain["mean_bytes"]
    assert sizes["OrderPlacedEvent"] < sizes["PaymentReceivedEvent"] \
        < sizes["GoodsFetchedEvent"] < sizes["GoodsShippedEvent"]
    assert chain.loc["PaymentReceivedEvent", "unneeded_share"] > 0.4
    assert thin.loc["GoodsFetchedEvent", "mean_bytes"] < 60 < sizes["GoodsFetchedEvent"]
    assert thin.loc["GoodsFetchedEvent", "unneeded_share"] == 0.0


def test_the_graph_is_drawn_from_the_wiring_table_with_delivery_counts_from_the_trace():
    result = choreography.run(Config(orders=10, seed=2, drop_payment=0.0, drop_inventory=0.0,
                                     drop_shipping=0.0, p_card=0.0))
    text = result.graph().text()
    assert "Checkout -> Payment: OrderPlacedEvent ×10 [event]" in text
    assert "Inventory -> Shipping: GoodsFetchedEvent ×10 [event]" in text
    assert "Shipping -> (nobody listens): OrderCompletedEvent [event]" in text
    assert result.monitor()["messages"].min() >= 5
    dfg = result.dfg()
    assert dfg.loc[dfg["to"] == "OrderCompletedEvent", "count"].sum() == 10


def test_the_same_config_gives_the_same_trace_and_tracking_adds_rows_only():
    config = Config(orders=15, seed=9)
    first, second = choreography.run(config), choreography.run(config)
    pd.testing.assert_frame_equal(first.trace, second.trace)
    tracked = choreography.run(dataclasses.replace(config, tracking=True))
    mine = tracked.trace[tracked.trace["actor"] != "Tracking"]
    assert mine["message_id"].dropna().tolist() == first.trace["message_id"].dropna().tolist()


def test_a_wiring_table_runs_any_choreography_and_rejects_rules_nobody_feeds():
    world = World(1)
    bus = Bus(world)

    def greet(work):
        yield work.world.env.timeout(2.0)
        return Outcome(True, {"greeting": f"hello {work.payload['name']}"})

    doors = MessageCatalogue("doors", commands=[], events=["Arrived", "Greeted", "Left"])
    wiring = Wiring("hello", (on("Arrived", service="Door", do="greet", emit="Greeted"),),
                    {"Arrived": "Guest"}, catalogue=doors)
    reactor = wiring.install(world, bus, {"greet": greet})
    bus.publish(world.event("Arrived", sender="Guest", payload={"name": "Ada"}))
    world.env.run()
    assert bus.messages[-1].payload == {"name": "Ada", "greeting": "hello Ada"}
    assert reactor.counts[("Door", "handled")] == 1
    with pytest.raises(ValueError, match="Door listens to 'Left', but nobody emits it"):
        Wiring("bad", (on("Left", service="Door", do="wave"),), catalogue=doors)
    with pytest.raises(ValueError, match=r"no action for \['greet'\]"):
        wiring.install(World(1), Bus(World(1)), {})


def test_a_rule_with_several_messages_waits_for_all_of_them_per_trace():
    world = World(1)
    bus = Bus(world)

    def ship(work):
        yield work.world.env.timeout(0.0)
        return Outcome()

    wiring = Wiring("join", (on("Paid", "Picked", service="Shipping", do="ship", emit="Shipped",
                                when=("vip", True)),), {"Paid": "P", "Picked": "I"},
                    catalogue=MessageCatalogue("join", commands=[],
                                               events=["Paid", "Picked", "Shipped"]))
    wiring.install(world, bus, {"ship": ship})
    for corr, vip in (("a", True), ("b", True), ("c", False)):
        bus.publish(world.event("Paid", sender="P", correlation_id=corr, payload={"vip": vip}))
    bus.publish(world.event("Picked", sender="I", correlation_id="a"))
    bus.publish(world.event("Picked", sender="I", correlation_id="c"))
    world.env.run()
    shipped = [m.correlation_id for m in bus.messages if m.type == "Shipped"]
    assert shipped == ["a"]


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="style must be one of 'sequential', 'parallel'"):
        Config(style="mesh")
    with pytest.raises(TypeError, match="tracking must be True or False"):
        Config(tracking=1)
    with pytest.raises(ValueError, match=r"drop_payment must be <= 1\.0"):
        Config(drop_payment=1.5)
    with pytest.raises(TypeError, match=r"config must be retail\.chain\.Config"):
        choreography.run({"orders": 3})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rules must be Rule rows"):
        Wiring("x", ("on OrderPlaced do pay",), catalogue=RETAIL)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'Waved' is not in the doors message catalogue"):
        Wiring("undeclared", (on("Arrived", service="Door", do="wave", emit="Waved"),),
               {"Arrived": "Guest"},
               catalogue=MessageCatalogue("doors", commands=[], events=["Arrived"]))
    with pytest.raises(TypeError, match="catalogue must be a MessageCatalogue"):
        Wiring("no catalogue", (on("Arrived", service="Door", do="greet"),),
               {"Arrived": "Guest"}, catalogue={"Arrived": "event"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must react to at least one message"):
        on(service="Payment", do="pay")


def test_one_orders_chain_replays_frame_by_frame_with_the_current_arrow_highlighted():
    result = choreography.run(Config(orders=5, seed=2, drop_payment=0.0, drop_inventory=0.0,
                                     drop_shipping=0.0, p_card=0.0, tracking=True))
    frames = result.frames("trace-0002")
    captions = [f.caption for f in frames]
    assert captions[0].endswith("Checkout sends OrderPlacedEvent")
    assert captions[-1].endswith("Shipping sends OrderCompletedEvent")
    assert not any("Tracking" in c for c in captions)  # the tracker's copies are not replayed
    times = [f.time for f in frames]
    assert times == sorted(times)
    placed = frames[0].diagram.text()
    assert "Checkout -> Payment: OrderPlacedEvent [event] (*)" in placed
    assert "×" not in placed  # nothing has arrived yet
    assert "Inventory -> Shipping: GoodsFetchedEvent ×1 [event]" in frames[-1].diagram.text()
    with pytest.raises(ValueError, match="trace_id 'trace-0099' is not in this run"):
        result.frames("trace-0099")


def test_a_tracked_stuck_orders_replay_ends_with_the_sla_timer():
    result = choreography.run(Config(orders=3, seed=1, tracking=True, p_card=0.0),
                              faults=[Fault(1, "shipping", "drop")])
    last = result.frames("trace-0001")[-1]
    assert "timer at Tracking" in last.caption
    assert "24 hours" in last.caption


def test_the_panel_view_is_the_graph_and_the_summary():
    graph, summary = choreography.run(Config(orders=4, seed=1)).panel()
    assert graph.text().startswith("Diagram: sequential choreography (baseline)")
    assert summary.loc[choreography.Metric.ORDERS, "value"] == 4
