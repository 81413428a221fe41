"""Grouping a trace by traceId, finding stuck cases, and tracking that detects them live."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.core.bus import Bus
from eventlab.domains.retail.processes import tracking_process
from eventlab.scenarios import monitoring
from eventlab.scenarios.retail import choreography
from eventlab.scenarios.retail.orchestration import Fault

small = settings(max_examples=50, deadline=None)
seeds = st.integers(min_value=0, max_value=10_000)


def tiny_trace():
    world = World(1)
    bus = Bus(world, latency=1.0)
    bus.subscribe("Payment", ["OrderPlacedEvent"])
    for n, types in ((1, ["OrderPlacedEvent", "PaymentReceivedEvent", "OrderCompletedEvent"]),
                     (2, ["OrderPlacedEvent"]), (3, ["OrderPlacedEvent", "FetchGoodsCommand"])):
        for t in types:
            make = world.command if t.endswith("Command") else world.event
            bus.publish(make(t, sender="S", key=f"order-{n}", correlation_id=f"trace-{n}"))
            world.env.run(until=world.now + 10)
    return world.trace.to_frame()


def test_the_message_log_has_one_row_per_message_sent():
    log = monitoring.message_log(tiny_trace())
    assert len(log) == 6
    assert list(log.columns) == ["time", "correlation_id", "message_type", "message_kind",
                                 "sender", "key", "size", "message_id"]


def test_by_trace_groups_every_message_under_its_trace_id_in_order():
    table = monitoring.by_trace(tiny_trace())
    assert table.loc["trace-1", "flow"] == \
        "OrderPlacedEvent → PaymentReceivedEvent → OrderCompletedEvent"
    assert table["messages"].tolist() == [3, 1, 2]
    assert table.loc["trace-3", "commands"] == 1
    assert table.index.name == "traceId"


def test_the_pivot_shows_when_each_trace_first_saw_each_message_type():
    table = monitoring.pivot(tiny_trace(), types=["OrderPlacedEvent", "OrderCompletedEvent"])
    assert table.loc["trace-1"].tolist() == [0.0, 20.0]
    assert pd.isna(table.loc["trace-2", "OrderCompletedEvent"])


def test_stuck_finds_cases_without_a_final_message_that_went_quiet_long_enough():
    trace = tiny_trace()
    assert monitoring.stuck(trace, after=15.0).index.tolist() == ["trace-2"]  # now = 50
    assert monitoring.stuck(trace, after=25.0).empty
    late = monitoring.stuck(trace, after=25.0, now=100.0)
    assert late.index.tolist() == ["trace-2", "trace-3"]
    assert late["idle hours"].tolist() == [70.0, 50.0]
    assert late["last message"].tolist() == ["OrderPlacedEvent", "FetchGoodsCommand"]


def test_bad_input_to_the_monitor_is_rejected_clearly():
    with pytest.raises(TypeError, match="trace must be a pandas DataFrame"):
        monitoring.by_trace([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="trace is missing column"):
        monitoring.message_log(pd.DataFrame({"time": [1.0]}))
    with pytest.raises(TypeError, match="done must be a list"):
        monitoring.stuck(tiny_trace(), done="OrderCompletedEvent")
    with pytest.raises(ValueError, match=r"after must be >= 0\.0"):
        monitoring.stuck(tiny_trace(), after=-1.0)


@st.composite
def drops(draw, orders=6):
    return [Fault(draw(st.integers(1, orders)), draw(st.sampled_from(
        ["payment", "inventory", "shipping"])), "drop") for _ in range(draw(st.integers(0, 3)))]


@small
@given(seeds, drops(), st.sampled_from(["sequential", "parallel"]))
def test_tracking_detects_every_stuck_order_and_without_it_they_stay_unnoticed(
        seed, faults, style):
    config = choreography.Config(orders=6, seed=seed, style=style, p_card=0.2,
                                 drop_payment=0.0, drop_inventory=0.0, drop_shipping=0.0)
    blind = choreography.run(config, faults=faults)
    tracked = choreography.run(choreography.Config(**{**_fields(config), "tracking": True}),
                               faults=faults)
    stuck = blind.facts["outcome"] != "completed"
    assert stuck.sum() >= len({f.order for f in faults})
    assert not blind.facts["detected"].any()
    assert (tracked.facts["detected"] == stuck).all()
    # tracking only listens: the orders meet the same fate
    assert tracked.facts["outcome"].tolist() == blind.facts["outcome"].tolist()
    delays = tracked.facts.loc[stuck, "time to detection (h)"]
    assert (delays >= 0).all()


def test_a_dropped_pick_is_detected_when_the_12_hour_sla_runs_out():
    faults = [Fault(1, "inventory", "drop")]
    result = choreography.run(choreography.Config(orders=1, seed=4, tracking=True),
                              faults=faults)
    row = result.stuck().iloc[0]
    assert row["outcome"] == "dropped by Inventory"
    assert row["time to detection (h)"] == pytest.approx(12.0, abs=0.01)  # + bus latency


def test_the_tracker_is_a_listen_only_engine_with_sla_timers():
    tracker_process = tracking_process(fetch_hours=6.0)
    assert {e.kind for e in tracker_process.elements} == {"start", "receive", "boundary", "end"}
    assert tracker_process.by_id["fetch_timeout"].hours == 6.0
    with pytest.raises(TypeError, match="process must be a Process"):
        monitoring.Tracker(World(1), Bus(World(1)), "order")  # type: ignore[arg-type]


def _fields(config):
    import dataclasses

    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
