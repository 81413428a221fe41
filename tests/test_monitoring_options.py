"""The four monitoring options watch one run: what each notices, when, and what it costs."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import World
from eventlab.core.bus import Bus
from eventlab.core.errors import ConfigError
from eventlab.domains.retail.shop import ShopParams
from eventlab.engines.monitoring import IdleWatch, Miner, slow_spans, spans
from eventlab.scenarios import monitoring
from eventlab.scenarios.monitoring import options
from eventlab.scenarios.retail import choreography

small = settings(max_examples=25, deadline=None)
EPS = 1e-6
MILESTONES = ("OrderPlacedEvent", "PaymentReceivedEvent", "GoodsFetchedEvent",
              "GoodsShippedEvent")
NEXT_LIMIT = {"OrderPlacedEvent": "payment_sla", "PaymentReceivedEvent": "fetch_sla",
              "GoodsFetchedEvent": "ship_sla"}


@st.composite
def configs(draw):
    """A small shop with a fault schedule: where the order gets stuck, which service is slow
    and how slow, when the duplicate comes, and random silent drops on top."""
    return options.Config(
        orders=24, seed=draw(st.integers(0, 10_000)),
        stuck_order=draw(st.sampled_from([0, 3, 7])),
        stuck_at=draw(st.sampled_from(["payment", "inventory", "shipping"])),
        slow_order=draw(st.sampled_from([0, 10])), slow_orders=2,
        slow_at=draw(st.sampled_from(["payment", "inventory", "shipping"])),
        slow_hours=draw(st.sampled_from([5.0, 30.0, 70.0])),
        duplicate_order=draw(st.sampled_from([0, 15])),
        duplicate_after=draw(st.sampled_from([0.0, 0.5, 5.0])),
        drop_inventory=draw(st.sampled_from([0.0, 0.1])),
        drop_shipping=draw(st.sampled_from([0.0, 0.1])),
        mining_every=draw(st.sampled_from([6.0, 24.0])),
        check_every=draw(st.sampled_from([0.5, 1.0, 4.0])),
        horizon=600.0)


def test_the_default_run_injects_one_stuck_order_three_slow_steps_and_one_duplicate():
    result = options.run()
    assert result.faults["fault"].tolist() == ["stuck order", *["slow step"] * 3, "duplicate"]
    assert result.faults["case"].tolist() == ["trace-0010", "trace-0020", "trace-0021",
                                              "trace-0022", "trace-0030"]
    assert list(result.table().index) == list(options.OPTIONS)


@small
@given(configs())
def test_no_option_reports_anything_before_it_happened(config):
    result = options.run(config)
    alarms = result.alarms
    quiet = alarms[alarms["rule"] == "quiet"]
    assert (quiet["time"] >= quiet["since"] + config.idle_hours - EPS).all()
    timed = alarms[alarms["rule"].isin(["slow", "repeated"])]
    assert (timed["time"] >= timed["since"] - EPS).all()
    found = result.detections.dropna(subset=["alarm at"])
    assert (found["alarm at"] >= found["at"] - EPS).all()


@small
@given(configs())
def test_process_tracking_notices_every_stuck_order_at_most_one_limit_after_its_last_milestone(
        config):
    result = options.run(config)
    log = monitoring.message_log(result.trace)
    done = set(log.loc[log["message_type"] == "OrderCompletedEvent", "correlation_id"])
    tracking = result.alarms[(result.alarms["option"] == "tracking")
                             & (result.alarms["rule"] == "overdue")]
    first = tracking.groupby("case")["time"].min()
    for case, rows in log[log["message_type"].isin(MILESTONES)].groupby("correlation_id"):
        last = rows.sort_values("time", kind="stable").iloc[-1]
        if case in done or last["message_type"] not in NEXT_LIMIT:
            continue
        due = last["time"] + config.latency + getattr(config, NEXT_LIMIT[last["message_type"]])
        if due < config.horizon:
            assert case in first.index, case
            assert first[case] <= due + EPS, (case, first[case], due)


@small
@given(configs())
def test_the_monitor_reports_every_order_quiet_for_its_idle_hours_within_one_check(config):
    result = options.run(config)
    log = monitoring.message_log(result.trace)
    done = set(log.loc[log["message_type"] == "OrderCompletedEvent", "correlation_id"])
    quiet = result.alarms[result.alarms["option"] == "monitor"]
    for case, rows in log.groupby("correlation_id"):
        last = rows["time"].max()
        if case in done or last + config.idle_hours + config.check_every > config.horizon:
            continue
        mine = quiet[(quiet["case"] == case) & (quiet["since"] == last)]
        assert len(mine) == 1, case
        assert last + config.idle_hours - EPS <= mine["time"].iloc[0] \
            <= last + config.idle_hours + config.check_every + EPS


@small
@given(configs())
def test_tracking_notices_the_stuck_order_exactly_one_limit_after_it_was_dropped(config):
    # Only the planted drop: a random drop could lose the same order at an earlier step,
    # whose limit is another one.
    config = dataclasses.replace(config, drop_payment=0.0, drop_inventory=0.0,
                                 drop_shipping=0.0)
    result = options.run(config)
    stuck = result.detections[(result.detections["fault"] == "stuck order")
                              & (result.detections["option"] == "tracking")]
    if stuck.empty:
        return  # no stuck order injected, or a random drop lost it earlier
    case = stuck["case"].iloc[0]
    limit = config.sla(config.stuck_at)
    earlier = result.alarms[(result.alarms["option"] == "tracking")
                            & (result.alarms["case"] == case)
                            & (result.alarms["time"] < stuck["at"].iloc[0])]
    if earlier.empty:  # not already reported as overdue at an earlier, slow step
        assert stuck["hours to detect"].iloc[0] == pytest.approx(limit, abs=1e-3)


@small
@given(configs())
def test_tracing_never_reports_the_stuck_order_nor_the_duplicate(config):
    result = options.run(config)
    tracing = result.detections[(result.detections["option"] == "tracing")
                                & result.detections["fault"].isin(["stuck order", "duplicate"])]
    assert tracing["hours to detect"].isna().all()


@small
@given(configs())
def test_the_monitor_never_notices_the_duplicate_and_tracking_notices_it_on_arrival(config):
    result = options.run(config)
    dup = result.detections[result.detections["fault"] == "duplicate"]
    if dup.empty:
        return
    assert dup.loc[dup["option"] == "monitor", "hours to detect"].isna().all()
    tracked = dup.loc[dup["option"] == "tracking", "hours to detect"]
    case = dup["case"].iloc[0]
    overdue_before = result.alarms[(result.alarms["option"] == "tracking")
                                   & (result.alarms["case"] == case)
                                   & (result.alarms["rule"] == "overdue")
                                   & (result.alarms["time"] < dup["at"].iloc[0])]
    completed_before = ((result.log["correlation_id"] == case)
                        & (result.log["message_type"] == "GoodsShippedEvent")
                        & (result.log["time"] < dup["at"].iloc[0])).any()
    if overdue_before.empty and not completed_before:  # its instance still waits
        assert tracked.iloc[0] == pytest.approx(config.latency, abs=1e-9)


def _sends(trace, until):
    sent = trace[(trace["kind"] == "send") & (trace["time"] <= until)]
    return list(zip(sent["time"].round(9), sent["actor"], sent["message_type"],
                    sent["correlation_id"], strict=True))


@settings(max_examples=10, deadline=None)
@given(configs())
def test_watching_the_chain_changes_nothing_in_it(config):
    config = dataclasses.replace(config, duplicate_order=0)
    shop = {f.name: getattr(config, f.name) for f in dataclasses.fields(ShopParams)}
    alone = choreography.run(choreography.Config(**shop), faults=config.faults())
    watched = options.run(config)
    assert _sends(watched.trace, config.horizon) == _sends(alone.trace, config.horizon)


def test_the_same_seed_gives_the_same_alarms_and_metrics():
    a, b = options.run(), options.run()
    pd.testing.assert_frame_equal(a.alarms, b.alarms)
    assert dict(a.metrics) == dict(b.metrics)


def test_each_option_is_measured_under_its_own_name_after_the_totals():
    names = [m.value for m in options.Metric]
    names += [f"{o}: {m}" for o in options.OPTIONS for m in options.Measure]
    assert list(options.run().metrics) == names


def test_only_tracing_needs_code_in_the_services_and_a_header_on_every_message():
    m = options.run().metrics
    code = {o: m[options.metric(o, options.Measure.SERVICES_WITH_CODE)] for o in options.OPTIONS}
    assert code == {"tracing": 5, "monitor": 0, "mining": 0, "tracking": 0}
    header = m[options.metric("tracing", options.Measure.EXTRA_BYTES)]
    assert header == pytest.approx(
        options.TRACEPARENT_BYTES * m[options.Metric.MESSAGES_PER_ORDER], rel=1e-3)


def test_the_comparison_pairs_the_four_options_on_the_same_runs():
    cmp = options.compare_options(options.Config(orders=32, horizon=600.0), seeds=3, n_jobs=1)
    assert cmp.names == list(options.OPTIONS)
    assert all(side.seeds == [42, 43, 44] for side in cmp.sides.values())
    some = options.among(cmp, ["monitor", "tracking"])
    assert some.names == ["monitor", "tracking"]
    assert some.interval("tracking", options.Measure.HOURS_STUCK).mean == pytest.approx(
        12.0, abs=1e-3)
    with pytest.raises(ValueError, match="option"):
        options.among(cmp, ["tracking", "logging"])


@pytest.mark.parametrize(("changes", "named"), [
    ({"orders": 5}, "stuck_order"),
    ({"slow_order": 9, "orders": 10, "stuck_order": 0, "duplicate_order": 0}, "slow_orders"),
    ({"duplicate_order": 21}, "duplicate_order"),
    ({"stuck_order": 20}, "stuck_order"),
    ({"stuck_order": 30}, "stuck_order and duplicate_order"),
    ({"horizon": 96.0}, "horizon"),
])
def test_a_fault_schedule_that_cannot_run_is_refused_naming_the_field(changes, named):
    with pytest.raises(ConfigError, match=named):
        options.Config(**changes)


# ---- the mechanisms on their own ------------------------------------------------------------
def _chain_of_two(world, bus, *, lose_second=False):
    """A: on X, work 2 h, send Y (caused by X); a second X is handled again."""
    inbox = bus.subscribe("A", ["X"])

    def handler():
        while True:
            message = yield inbox.get()
            yield world.env.timeout(2.0)
            if lose_second and message.payload.get("n") == 2:
                continue  # the handler lost it: nothing sent
            bus.publish(world.event("Y", sender="A", caused_by=message))

    world.env.process(handler())


def test_a_span_runs_from_a_handled_message_to_the_reaction_it_caused():
    world = World(1)
    bus = Bus(world, latency=0.5)
    _chain_of_two(world, bus, lose_second=True)
    first = world.event("X", sender="S", correlation_id="c1", payload={"n": 1})
    bus.publish(first)
    bus.publish(world.event("X", sender="S", correlation_id="c2", payload={"n": 2}))
    world.env.run()
    table = spans(world.trace.to_frame(), [("A", "X")])
    assert table["trace_id"].tolist() == ["c1", "c2"]
    assert table["start"].tolist() == [0.5, 0.5]
    assert table["end"].iloc[0] == 2.5
    assert math.isnan(table["end"].iloc[1])
    late = slow_spans(table, {("A", "X"): 1.0}, export_delay=0.25)
    assert late["trace_id"].tolist() == ["c1"]  # a span that never ended is never exported
    assert late["alerted at"].tolist() == [2.75]


def test_a_duplicate_delivery_gets_its_own_span_ended_by_its_own_reaction():
    world = World(1)
    bus = Bus(world, latency=0.5)
    _chain_of_two(world, bus)
    message = world.event("X", sender="S", correlation_id="c1")
    bus.publish(message)

    def again():
        yield world.env.timeout(1.0)
        bus.publish(message)  # the same record again
    world.env.process(again())
    world.env.run()
    table = spans(world.trace.to_frame(), [("A", "X")])
    assert table["start"].tolist() == [0.5, 1.5]
    assert table["end"].tolist() == [2.5, 4.5]  # the handler works on one message at a time


def _publish(world, bus, schedule):
    """Publish (time, case, message type) rows at their times (given in time order)."""
    def publisher():
        for at, case, mtype in schedule:
            yield world.env.timeout(at - world.now)
            bus.publish(world.event(mtype, sender="S", correlation_id=case))
    world.env.process(publisher())


def test_the_miner_reports_quiet_slow_and_repeated_cases_at_its_next_job():
    world = World(1)
    bus = Bus(world)
    miner = Miner(world, bus, done=["Done"], idle=10.0, every=5.0, until=50.0,
                  limits={("A", "B"): 3.0})
    _publish(world, bus, [(1.0, "quiet", "A"), (1.0, "slow", "A"), (2.0, "twice", "A"),
                          (3.0, "twice", "A"), (4.0, "twice", "Done"), (6.0, "slow", "B"),
                          (7.0, "slow", "Done")])
    world.env.run()
    found = miner.table()
    assert found[["time", "case", "rule"]].values.tolist() == [
        [5.0, "twice", "repeated"], [10.0, "slow", "slow"], [15.0, "quiet", "quiet"]]
    assert found.loc[found["rule"] == "slow", "since"].tolist() == [4.0]  # A at 1, limit 3
    assert miner.runs == 10
    assert len(miner.log()) == 7


def test_the_idle_watch_reports_a_quiet_case_once_per_quiet_spell():
    world = World(1)
    bus = Bus(world)
    watch = IdleWatch(world, bus, done=["Done"], idle=4.0, every=1.0, until=30.0)
    _publish(world, bus, [(0.0, "c", "A"), (10.0, "c", "B"), (20.0, "c", "Done")])
    world.env.run()
    assert watch.table()[["time", "since"]].values.tolist() == [[4.0, 0.0], [14.0, 10.0]]
    assert watch.stored == 3


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"idle": 0.0}, "idle"), ({"every": -1.0}, "every"), ({"done": "Done"}, "done"),
    ({"done": []}, "done")])
def test_the_watchers_refuse_bad_rules_naming_them(kwargs, named):
    rules = {"done": ["Done"], "idle": 1.0, "every": 1.0, "until": 10.0, **kwargs}
    for make in (IdleWatch, lambda w, b, **k: Miner(w, b, limits={}, **k)):
        world = World(1)
        with pytest.raises((ValueError, TypeError), match=named):
            make(world, Bus(world), **rules)


def test_spans_refuse_handlers_that_are_not_service_and_message_pairs():
    trace = options.run(options.Config(orders=5, stuck_order=0, slow_order=0,
                                       duplicate_order=0, horizon=600.0)).trace
    with pytest.raises(TypeError, match="handler"):
        spans(trace, ["Inventory"])
    with pytest.raises(ValueError, match="at least one"):
        spans(trace, [])


# ---- what notebook 09 says about the default run and the 20 seeds ------------------------------
def test_the_default_run_tells_section_7_s_story():
    result = options.run()
    found = result.detections.groupby(["option", "fault"])["hours to detect"]
    noticed = found.apply(lambda h: h.notna().all()).unstack()
    assert not noticed.loc["tracing", "stuck order"]
    assert not noticed.loc["tracing", "duplicate"]
    assert noticed.loc["tracing", "slow step"]
    assert not noticed.loc["monitor", "slow step"]
    assert not noticed.loc["monitor", "duplicate"]
    assert noticed.loc["mining"].all()
    assert noticed.loc["tracking"].all()
    hours = found.mean().unstack()
    assert hours.loc["tracking", "stuck order"] == pytest.approx(12.0, abs=1e-3)
    assert hours.loc["tracking", "slow step"] == pytest.approx(0.0, abs=1e-3)


def test_over_20_seeds_tracking_notices_each_planted_fault_first():
    sentences = options.verdicts(options.compare_options(n_jobs=1))
    assert len(sentences) == 3
    assert all(s.startswith("**tracking** has fewer hours") for s in sentences)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_false_alarms_are_customers_who_wait_for_a_card_update_or_were_declined_again(seed):
    result = options.run(options.Config(seed=seed))
    log = result.log
    done = set(log.loc[log["message_type"] == "OrderCompletedEvent", "correlation_id"])
    late = set(result.steps.loc[result.steps["over limit"], "trace_id"])
    false = result.alarms[result.alarms["case"].isin(done) & ~result.alarms["case"].isin(late)
                          & ~result.alarms["case"].isin(set(result.faults["case"]))]
    assert set(false["option"]) <= {"monitor", "mining"}
    card = {"UpdateCreditCardCommand", "CreditCardUpdated", "CreditCardChargedEvent"}
    assert set(false["about"]) <= card  # quiet after asking for a card, or a card step again
