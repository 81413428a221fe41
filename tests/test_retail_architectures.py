"""One shop, one choice (the architecture): every side meets the same orders, faults and bus,
and notebook 10's sentences about one run are read from that run."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.scenarios.retail import architectures as arch
from eventlab.scenarios.retail import orchestration as workflow
from eventlab.scenarios.retail import stories
from eventlab.scenarios.retail.orchestrated import orders_at

small = settings(max_examples=20, deadline=None)
seeds = st.integers(min_value=0, max_value=10_000)
ORDERS = 8


@st.composite
def fault_schedules(draw, orders=ORDERS):
    faults = []
    for _ in range(draw(st.integers(0, 4))):
        step = draw(st.sampled_from(["payment", "inventory", "shipping"]))
        kind = draw(st.sampled_from(["drop", "slow", "decline"] if step == "payment"
                                    else ["drop", "slow"]))
        value = draw(st.floats(0.0, 100.0)) if kind != "drop" else 0.0
        faults.append(workflow.Fault(draw(st.integers(1, orders)), step, kind, value))
    return faults


def shop_runs(seed, faults):
    return {name: arch.run(arch.Config(orders=ORDERS, seed=seed, architecture=name),
                           faults=faults) for name in arch.ARCHITECTURES}


def delivered(result):
    facts = result.facts
    return facts[facts["outcome"].isin(["completed", "Order delivered"])]


@small
@given(seeds, fault_schedules())
def test_every_architecture_meets_the_same_orders_on_the_same_bus_and_accounts_for_each(
        seed, faults):
    runs = shop_runs(seed, faults)
    first = runs[arch.SEQUENTIAL]
    for name, result in runs.items():
        m = result.metrics
        assert m[arch.Metric.ORDERS_DELIVERED] + m[arch.Metric.NOT_DELIVERED_NOTICED] + \
            m[arch.Metric.NOT_DELIVERED_NOBODY_NOTICED] == ORDERS
        pd.testing.assert_series_equal(result.facts["placed"], first.facts["placed"])
        pd.testing.assert_series_equal(result.facts["total"], first.facts["total"])
        channels = set(result.trace.loc[result.trace["kind"] == "deliver", "channel"])
        assert channels == set(first.trace.loc[first.trace["kind"] == "deliver", "channel"])
        if name in (arch.TRACKED, arch.ORCHESTRATION):  # somebody waits with a timer
            assert m[arch.Metric.NOT_DELIVERED_NOBODY_NOTICED] == 0


@small
@given(seeds, fault_schedules())
def test_timers_only_cancel_so_on_the_orders_both_deliver_orchestration_is_not_faster(
        seed, faults):
    runs = shop_runs(seed, faults)
    chain = delivered(runs[arch.SEQUENTIAL]).set_index("order")["lead time (h)"]
    orchestrated = delivered(runs[arch.ORCHESTRATION]).set_index("order")["lead time (h)"]
    assert set(orchestrated.index) <= set(chain.index)
    both = orchestrated.index
    assert (orchestrated[both] >= chain[both] - 1e-9).all()  # more hops, never a shortcut


@small
@given(seeds, fault_schedules())
def test_the_pictures_count_each_order_once_however_often_its_token_passes(seed, faults):
    result = workflow.run(workflow.Config(orders=ORDERS, seed=seed, p_card=0.5), faults=faults)
    for which, actor in (("order", "Order"), ("payment", "Payment")):
        process = result.process(which)
        orders = orders_at(result.trace, process, actor=actor)
        tokens = workflow.counts_from_trace(result.trace, process, actor=actor)
        assert orders.keys() == tokens.keys()
        for element, (n, here) in orders.items():
            assert n <= tokens[element][0]
            assert n <= ORDERS
            assert here == tokens[element][1]
        if which == "order":  # order.bpmn has no loop: one pass per order
            assert orders == tokens


def test_the_same_config_gives_the_same_run():
    config = arch.Config(orders=10, seed=5, architecture=arch.TRACKED)
    first, second = arch.run(config), arch.run(config)
    pd.testing.assert_frame_equal(first.trace, second.trace)
    assert first.metrics == second.metrics
    assert list(first.metrics) == [m.value for m in arch.Metric]


def test_the_stories_read_the_numbers_from_the_run():
    result = workflow.run(workflow.Config())
    facts = result.facts
    told = repr(stories.order(result))
    assert f"{len(facts)} orders started the Order's process" in told
    n = int((facts["outcome"] == "Order delivered").sum())
    assert f"{n} ended at *Order delivered*" in told
    paid = repr(stories.payments(result))
    assert "69 payments needed the card" in paid
    assert "*Charge credit card* ran 75 times for them" in paid
    assert "1 payment failed when the 7 days timer fired" in paid
    missing = repr(stories.undelivered(result)).splitlines()
    assert [line.split("**")[1] for line in missing] == \
        facts.loc[facts["outcome"] != "Order delivered", "order"].tolist()
    late = next(line for line in missing if "order-0056" in line)
    assert "nothing was lost, it was late" in late
    assert "Payment silently dropped its `RetrievePaymentCommand`" in missing[0]
    slow = repr(stories.lead_times(result))
    assert "orders were delivered: half of them within" in slow


def test_a_story_of_a_run_without_trouble_says_so():
    quiet = workflow.run(workflow.Config(orders=3, seed=1, p_card=0.0, drop_payment=0.0,
                                         drop_inventory=0.0, drop_shipping=0.0))
    assert repr(stories.undelivered(quiet)) == "Every order was delivered in this run."


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="architecture must be one of"):
        arch.Config(architecture="mesh")
    with pytest.raises(TypeError, match=r"config must be retail\.architectures\.Config"):
        arch.run(workflow.Config())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="result must be an OrderResult"):
        stories.payments(arch.run(arch.Config(orders=2)))  # type: ignore[arg-type]


def test_one_side_effects_class_counts_per_order_for_events_and_commands():
    from eventlab.core.world import World
    from eventlab.domains.retail.side_effects import LOYALTY, NOTIFY, SideEffects
    from eventlab.engines.workflow.reactions import Work, on

    world = World(1)
    side = SideEffects(world)
    actions = side.actions()
    assert list(actions) == [NOTIFY, LOYALTY]
    rule = on("OrderCompletedEvent", service="Notification", do=NOTIFY)
    event = world.event("OrderCompletedEvent", sender="Order", key="order-0001",
                        payload={"orderId": "order-0001"})
    command = world.command("SendNotificationCommand", sender="Order", key="order-0002",
                            payload={"refId": "order-0002"})
    for message in (event, command, event):
        world.env.process(actions[NOTIFY](Work(world, "Notification", rule, (message,),
                                               dict(message.payload))))
    world.env.run()
    assert dict(side.done[NOTIFY]) == {"order-0001": 2, "order-0002": 1}
    assert side.total(NOTIFY) == 3
    assert side.total(LOYALTY) == 0
    assert world.now == pytest.approx(0.1)  # six minutes each, all at once
    with pytest.raises(ValueError, match="work must be one of"):
        side.total("send flowers")
    with pytest.raises(ValueError, match="hours must be"):
        SideEffects(world, hours=-1.0)
    with pytest.raises(TypeError, match="world must be a World"):
        SideEffects("world")  # type: ignore[arg-type]
