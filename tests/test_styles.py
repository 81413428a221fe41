"""The fair fight: choreography and orchestration at their best, on the same Kafka and faults.

Property tests run small days (a dozen orders) over many seeds and generated fault schedules:
a broker failover, a consumer crash mid-batch, a service down, a poisoned message (fixed or
never), a coordinator crash, each present or not and at a drawn time.
"""

import dataclasses
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.comparison import Comparison
from eventlab.domains.retail.fulfilment import EFFECTS, UNDOES
from eventlab.domains.retail.order_engine import CANCELLED, DELIVERED, NO_STOCK
from eventlab.scenarios import styles
from eventlab.scenarios.styles import BAD_DAY, SERVICES, Config, Faults, Metric
from eventlab.scenarios.styles.config import HOUR, MINUTE
from eventlab.scenarios.styles.model import Model
from eventlab.view.charts import Chart
from eventlab.view.stated import Stated

props = settings(max_examples=25, deadline=None)
SMALL = Config(orders=12, interarrival_minutes=5.0)


def maybe(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), values)


schedules = st.builds(
    Faults,
    broker=st.integers(0, 2), broker_at=maybe(st.floats(0.0, 2.0)),
    broker_hours=st.floats(0.01, 1.0),
    consumer_service=st.sampled_from(SERVICES), consumer_at=maybe(st.floats(0.0, 2.0)),
    down_service=st.sampled_from(SERVICES), down_at=maybe(st.floats(0.0, 2.0)),
    down_hours=st.floats(0.05, 2.0),
    poison_service=st.sampled_from(SERVICES), poison_order=maybe(st.integers(1, 12)),
    fix_at=maybe(st.floats(0.0, 5.0)),
    coordinator_at=maybe(st.floats(0.0, 2.0)), coordinator_minutes=st.floats(1.0, 30.0))
seeds = st.integers(0, 100_000)


def day(style: str, seed: int, faults: Faults, **changes):
    config = dataclasses.replace(SMALL, style=style, seed=seed, **changes)
    return Model(config, faults).run()


# -- the run ---------------------------------------------------------------------------------

@pytest.mark.parametrize("style", styles.STYLES)
def test_a_default_day_measures_exactly_the_declared_metrics(style):
    result = styles.run(Config(style=style))
    assert list(result.metrics) == [m.value for m in Metric]
    assert result.metrics[Metric.ORDERS] == 40
    assert result.metrics[Metric.DUPLICATE_EFFECTS] == 0
    assert result.outcomes()["orders"].sum() == 40


def test_the_same_seed_gives_the_same_trace_in_each_style():
    for style in styles.STYLES:
        a = styles.run(dataclasses.replace(SMALL, style=style))
        b = styles.run(dataclasses.replace(SMALL, style=style))
        pd.testing.assert_frame_equal(a.trace, b.trace)
        assert a.metrics == b.metrics or _same_with_nans(a.metrics, b.metrics)


def _same_with_nans(a, b):
    return all(x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
               for x, y in zip(a.values(), b.values(), strict=True))


def test_both_styles_meet_the_same_orders_and_service_times():
    a = Model(dataclasses.replace(SMALL, style="choreography"), BAD_DAY)
    b = Model(dataclasses.replace(SMALL, style="orchestration"), BAD_DAY)
    assert a.day.orders == b.day.orders
    assert a.day.fates == b.day.fates


def test_orchestration_commands_and_answers_so_it_sends_more_messages_per_order():
    calm = dataclasses.replace(SMALL, schedule="calm_day", out_of_stock=0.0)
    chor = styles.run(dataclasses.replace(calm, style="choreography")).metrics
    orch = styles.run(dataclasses.replace(calm, style="orchestration")).metrics
    # OrderPlaced + 3 events; OrderPlaced + 3 commands + 3 replies + OrderCompleted
    assert (chor[Metric.MESSAGES_PER_ORDER], orch[Metric.MESSAGES_PER_ORDER]) == (4.0, 8.0)
    assert chor[Metric.COMPLETED] == orch[Metric.COMPLETED] == 12


def test_a_poisoned_message_becomes_an_incident_on_its_order_and_resolves_after_the_fix():
    faults = Faults(poison_order=2, poison_service="Inventory", fix_at=1.0)
    result = styles.simulate(dataclasses.replace(SMALL, style="orchestration", out_of_stock=0.0),
                             faults=faults)
    incidents = result.incidents()
    assert list(incidents["key"]) == ["order-0002"]
    assert list(incidents["element"]) == ["fetch"]
    assert list(incidents["how"]) == ["resolved"]
    assert incidents["ended"].iloc[0] == pytest.approx(1.0 + 5 / 60)  # fix + operator
    assert result.metrics[Metric.COMPLETED] == 12
    assert [e.id for e in result.process().elements if e.kind == "service"] == \
        ["pay", "fetch", "ship"]


def test_in_a_choreography_the_poisoned_message_is_parked_and_replayed_after_the_fix():
    faults = Faults(poison_order=2, poison_service="Inventory", fix_at=1.0)
    result = styles.simulate(dataclasses.replace(SMALL, style="choreography", out_of_stock=0.0),
                             faults=faults)
    told = result.detections()
    assert list(told["how"]) == ["parked"]
    assert list(told["order"]) == ["order-0002"]
    assert told["acted at (h)"].iloc[0] == pytest.approx(1.0 + 5 / 60)
    assert result.metrics[Metric.COMPLETED] == 12
    assert result.metrics[Metric.PARKED] == 1


def test_config_and_fault_schedules_reject_bad_values_by_name():
    with pytest.raises(ValueError, match=r"deadline_hours=1\.0 must be later than sla_hours"):
        Config(sla_hours=2.0, deadline_hours=1.0)
    with pytest.raises(ValueError, match="style"):
        Config(style="both")
    with pytest.raises(ValueError, match="poison_service"):
        Faults(poison_service="Order")
    with pytest.raises(ValueError, match="broker_at"):
        Faults(broker_at=-1.0)
    with pytest.raises(TypeError, match=r"faults must be a styles\.Faults"):
        styles.simulate(SMALL, faults="bad")  # type: ignore[arg-type]


# -- the comparison --------------------------------------------------------------------------

def test_compare_styles_gives_intervals_a_scorecard_a_chart_per_metric_and_verdicts():
    cmp = styles.compare_styles(dataclasses.replace(SMALL, orders=6), seeds=3)
    assert isinstance(cmp, Comparison)
    assert cmp.field == "style"
    assert cmp.names == list(styles.STYLES)
    card = styles.scorecard(cmp)
    assert list(card.columns) == list(styles.STYLES)
    assert Metric.MESSAGES_PER_ORDER in card.index
    charts = styles.charts(cmp, [Metric.MESSAGES_PER_ORDER, Metric.COMPLETED])
    assert list(charts) == [Metric.MESSAGES_PER_ORDER, Metric.COMPLETED]
    assert all(isinstance(c, Chart) for c in charts.values())
    said = styles.verdicts(cmp, [Metric.MESSAGES_PER_ORDER])
    assert isinstance(said, Stated)
    assert "**orchestration** has more messages per order than **choreography**" in said.text
    with pytest.raises(TypeError, match="Comparison from compare_styles"):
        styles.scorecard(card)  # type: ignore[arg-type]


def test_compare_styles_needs_at_least_two_seeds():
    with pytest.raises(ValueError, match="seeds"):
        styles.compare_styles(SMALL, seeds=1)


# -- properties over seeds and fault schedules ---------------------------------------------------

@given(seed=seeds, faults=schedules)
@props
def test_with_the_engine_no_order_is_silently_lost_under_any_fault(seed, faults):
    d = day("orchestration", seed, faults)
    engine = d.order.engine
    for order in d.orders:
        inst = d.order.by_order.get(order.order_id)
        assert inst is not None, f"{order.order_id} never started"
        shipped = d.effects.has(order.order_id, "shipped")
        if inst.outcome == DELIVERED:
            assert shipped
        elif inst.outcome in (CANCELLED, NO_STOCK):
            assert inst.finished_as == "compensated"
        else:  # still running: only when someone is told (an incident is open)
            assert inst.status == "incident", (order.order_id, inst.status)
    assert d.effects.duplicates() == 0
    assert engine.duplicates >= 0


@given(seed=seeds, faults=schedules)
@props
def test_every_failed_job_ends_completed_compensated_or_as_a_resolvable_incident(seed, faults):
    d = day("orchestration", seed, faults)
    engine = d.order.engine
    trace = d.world.trace.to_frame()
    rows = trace[(trace["kind"] == "fault") & (trace["actor"] == "Order")
                 & trace["detail"].str.contains("failed (attempt", regex=False)]
    failed = dict.fromkeys(zip(rows["entity"].astype(str), rows["value"].astype(str),
                               strict=True))
    for instance_id, element in failed:
        inst = next(i for i in engine.instances if i.id == instance_id)
        if element in inst.completed or inst.outcome == DELIVERED:
            continue  # completed after its retries (or after an operator resolved it)
        if inst.finished_as == "compensated":
            continue
        assert inst.status == "incident"
        engine.resolve(inst, retries=1)  # an open incident can always be resolved
        d.world.env.run(until=d.world.now + HOUR)
        assert inst.incident_log[-1].how in ("resolved", "open", "cancelled")
        assert inst.incident_log[0].how == "resolved"


@given(seed=seeds, faults=schedules, sla=st.floats(0.2, 2.0))
@props
def test_a_non_interrupting_sla_timer_never_cancels_the_work_it_escalates(seed, faults, sla):
    d = day("orchestration", seed, faults, sla_hours=sla, deadline_hours=sla + 20.0)
    trace = d.world.trace.to_frame()
    fired = trace.query("kind == 'timer' and actor == 'Order' and value == 'sla'")
    for instance_id in fired["entity"]:
        inst = next(i for i in d.order.engine.instances if i.id == instance_id)
        # the escalation left the work running: it ends by itself, or at the deadline
        assert inst.outcome in (DELIVERED, NO_STOCK, CANCELLED, None)
        if inst.outcome == DELIVERED:
            assert d.effects.has(str(inst.key), "shipped")
        if inst.outcome == CANCELLED:  # by the deadline timer, not by the SLA
            deadline = trace.query("kind == 'timer' and value == 'deadline' and "
                                   f"entity == '{instance_id}'")
            assert list(deadline["time"]) == [pytest.approx(inst.started
                                                            + (sla + 20.0) * HOUR)]


@given(seed=seeds, faults=schedules, deadline=st.floats(0.3, 3.0))
@props
def test_compensation_undoes_only_completed_steps_each_once_newest_first(seed, faults,
                                                                        deadline):
    d = day("orchestration", seed, faults, sla_hours=0.1, deadline_hours=0.1 + deadline)
    effects = d.effects
    steps = {"pay": "charged", "fetch": "picked"}
    for inst in d.order.engine.instances:
        order = str(inst.key)
        assert inst.compensated == [s for s in reversed(inst.completed) if s in steps] \
            if inst.finished_as == "compensated" else inst.compensated == []
        for step in inst.compensated:
            assert effects.has(order, steps[step])  # only what was done is undone
    for (order, effect), n in effects.count.items():
        assert n == 1, (order, effect, n)  # each effect, and each undo, once
        if effect in UNDOES:
            assert effects.has(order, UNDOES[effect])
    assert {e for _, e in effects.count} <= set(EFFECTS)


@given(seed=seeds, faults=schedules, period=st.floats(1.0, 60.0))
@props
def test_choreography_with_tracking_detects_every_stuck_order_within_sla_plus_one_period(
        seed, faults, period):
    faults = dataclasses.replace(faults, coordinator_at=None)  # the tracker itself stays up
    d = day("choreography", seed, faults, tracker_minutes=period)
    sla, step = d.config.sla_hours * HOUR, period * MINUTE
    rows = {r.order: r for r in d.tracker.orders.values()}
    for order in d.orders:
        placed = order.placed_at * HOUR
        shipped = d.effects.first(order.order_id, "shipped")
        row = rows[order.order_id]
        ended = min(t for t in (shipped, row.finished_at, math.inf) if t is not None)
        if ended <= placed + sla + step or placed + sla + step > d.until:
            continue  # not stuck when the tracker looked (or the day ended first)
        assert row.escalated_at is not None, order.order_id
        assert row.escalated_at <= placed + sla + step + 1e-6


@given(seed=seeds, faults=schedules)
@props
def test_in_either_style_every_duplicate_is_absorbed_and_no_effect_happens_twice(seed, faults):
    for style in styles.STYLES:
        d = day(style, seed, faults)
        assert d.effects.duplicates() == 0
        for order in d.orders:
            shipped = d.effects.has(order.order_id, "shipped")
            undone = all(d.effects.undone(order.order_id, e) for e in ("charged", "picked")
                         if d.effects.has(order.order_id, e))
            assert not (shipped and d.effects.has(order.order_id, "refunded"))
            assert shipped or undone or _open_and_seen(d, order.order_id), \
                (style, order.order_id)


def _open_and_seen(d, order: str) -> bool:
    """Not finished, and somebody responsible knows: an open incident, a parked message, or
    an escalation by the tracker."""
    if d.order is not None:
        inst = d.order.by_order.get(order)
        return inst is not None and (inst.finished_as is None)
    told = {x.order for x in d.detections}
    tracked = d.tracker.orders.get(order) if d.tracker is not None else None
    return order in told or (tracked is not None and tracked.escalated_at is not None) \
        or (tracked is not None and tracked.finished is None)


def test_the_benchmark_script_times_every_part_of_the_comparison():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "styles_bench.py"
    spec = importlib.util.spec_from_file_location("styles_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    parts = module.measure(seeds=2, orders=6)
    names = list(parts)
    assert names[:2] == ["import", "both styles x 2 seeds"]
    assert names[2].startswith("scorecard, ")
    assert names[3] == "total"
    assert parts["total"][1] == pytest.approx(sum(cpu for _, cpu in list(parts.values())[:3]))
