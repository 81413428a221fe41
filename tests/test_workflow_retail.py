"""The orchestrated order flow: saga invariants over seeds and fault schedules (SG-1..SG-4)."""

from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.domains.retail.processes import OUTCOMES
from eventlab.scenarios.retail import orchestration as workflow
from eventlab.scenarios.retail.orchestration import Config, Fault, Metric
from eventlab.view.graphs import smallest_text_px

small = settings(max_examples=50, deadline=None)
seeds = st.integers(min_value=0, max_value=10_000)
ORDERS = 6


@st.composite
def fault_schedules(draw, orders=ORDERS):
    """Explicit faults: lost messages, slow services, declined cards, a failing card service."""
    faults = []
    for _ in range(draw(st.integers(0, 5))):
        order = draw(st.integers(1, orders))
        step = draw(st.sampled_from(["payment", "inventory", "shipping"]))
        kinds = ["drop", "slow", "decline", "error"] if step == "payment" else ["drop", "slow"]
        kind = draw(st.sampled_from(kinds))
        value = {"drop": st.just(0.0), "slow": st.floats(0.0, 60.0),
                 "decline": st.sampled_from([0.0, 20.0, 150.0, 400.0]),
                 "error": st.integers(1, 7).map(float)}[kind]
        faults.append(Fault(order, step, kind, draw(value)))
    return faults


def risky(seed, variant="baseline", **overrides):
    """Small runs where things go wrong often."""
    base = Config(orders=ORDERS, seed=seed, variant=variant, p_card=0.3, p_error=0.2,
                  drop_payment=0.05, drop_inventory=0.05, drop_shipping=0.05)
    return replace(base, **overrides)


def undone_in_reverse(row):
    completed = [s for s in row["completed steps"].split(",") if s]
    compensated = [s for s in row["compensated steps"].split(",") if s]
    if row["status"] == "compensated":
        return compensated == list(reversed(completed))
    return compensated == []


@small
@given(seeds, fault_schedules(), st.sampled_from(workflow.VARIANTS),
       st.sampled_from([480.0, 100.0]))
def test_every_saga_ends_completed_compensated_or_in_an_explicit_incident(
        seed, faults, variant, payment_timer):
    result = workflow.run(risky(seed, variant, payment_timer=payment_timer), faults=faults)
    for table in (result.instances, result.payments):
        assert set(table["status"]) <= {"completed", "compensated", "incident"}
        assert table.apply(undone_in_reverse, axis=1).all()  # SG-2: each completed step once
    orders = result.instances
    assert (orders.loc[orders["status"] == "completed", "outcome"] == "Order delivered").all()
    assert len(orders) == ORDERS
    assert result.metrics[Metric.STILL_RUNNING] == 0


@small
@given(seeds, fault_schedules(), st.sampled_from(workflow.VARIANTS),
       st.sampled_from([480.0, 100.0]))
def test_delivered_means_paid_and_picked_and_cancelled_means_no_net_charge(
        seed, faults, variant, payment_timer):
    result = workflow.run(risky(seed, variant, payment_timer=payment_timer), faults=faults)
    facts = result.facts
    delivered = facts[facts["outcome"] == "Order delivered"]
    assert (delivered["net charge"] == delivered["total"]).all()
    assert (delivered["picked"] - delivered["returned"] >= 1).all()
    assert (facts.loc[facts["outcome"] != "Order delivered", "net charge"] == 0).all()
    assert result.metrics[Metric.MONEY_CONSERVED] == "yes"


@small
@given(seeds, fault_schedules())
def test_without_an_operator_money_is_only_held_for_orders_whose_payment_is_an_incident(
        seed, faults):
    result = workflow.run(risky(seed, operator_hours=0.0), faults=faults)
    facts = result.facts
    held = facts[(facts["outcome"] != "Order delivered") & (facts["net charge"] != 0)]
    assert (held["payment"] == "incident").all()
    assert result.metrics[Metric.MONEY_CONSERVED] == "yes"


def test_a_failing_card_service_becomes_an_incident_that_the_operator_resolves():
    faults = [Fault(1, "payment", "error", 5.0)]
    alone = workflow.run(Config(orders=1, seed=3, operator_hours=0.0, credit_share=0.0),
                         faults=faults)
    helped = workflow.run(Config(orders=1, seed=3, operator_hours=24.0, credit_share=0.0),
                          faults=faults)
    assert alone.metrics[Metric.PAYMENT_INCIDENTS] == 1
    assert alone.facts["outcome"].tolist() == ["Order canceled"]
    assert (helped.metrics[Metric.PAYMENT_INCIDENTS], helped.metrics[Metric.DELIVERED]) == (0, 1)


def test_a_lost_command_is_caught_by_the_companion_timer_and_the_payment_refunded():
    result = workflow.run(Config(orders=1, seed=5), faults=[Fault(1, "inventory", "drop")])
    facts = result.facts.iloc[0]
    assert facts["outcome"] == "Goods not fetched in time"
    assert facts["time to detection (h)"] == pytest.approx(12.0)
    assert result.metrics[Metric.REFUNDS] == 1
    assert facts["net charge"] == 0


def test_a_payment_that_arrives_after_cancellation_is_refunded_unless_switched_off():
    faults = [Fault(1, "payment", "decline", 150.0)]  # customer updates the card after 150 h
    config = Config(orders=1, seed=8, payment_timer=100.0, credit_share=0.0)
    refunded = workflow.run(config, faults=faults)
    kept = workflow.run(replace(config, refund_late_payments=False), faults=faults)
    assert refunded.metrics[Metric.LATE_PAYMENTS_REFUNDED] == 1
    assert refunded.facts["net charge"].tolist() == [0.0]
    assert kept.facts["outcome"].tolist() == ["Order canceled"]
    assert kept.facts["net charge"].iloc[0] == kept.facts["total"].iloc[0]  # orphaned payment


def test_fetching_first_returns_the_goods_when_the_payment_never_arrives():
    faults = [Fault(1, "payment", "decline", 0.0)]
    result = workflow.run(Config(orders=1, seed=2, variant="fetch_first", credit_share=0.0),
                          faults=faults)
    facts = result.facts.iloc[0]
    assert (facts["outcome"], facts["picked"], facts["returned"]) == ("Order canceled", 1, 1)
    assert result.instances["compensated steps"].tolist() == ["fetch_received"]


def test_the_same_config_gives_the_same_trace():
    config = Config(orders=20, seed=11)
    faults = [Fault(3, "shipping", "slow", 30.0)]
    first, second = workflow.run(config, faults=faults), workflow.run(config, faults=faults)
    pd.testing.assert_frame_equal(first.trace, second.trace)
    assert first.metrics == second.metrics


def test_the_default_run_reports_outcomes_that_add_up_and_draws_its_processes():
    result = workflow.run()
    outcomes = result.outcomes()
    assert outcomes["orders"].sum() == result.metrics[Metric.ORDERS] == 100
    assert set(outcomes["outcome"]) <= set(OUTCOMES)
    picture = result.diagram("order").text()
    assert (f"Order delivered [delivered] (message OrderCompletedEvent) — "
            f"✓{result.metrics[Metric.DELIVERED]}") in picture
    assert "Charge credit card" in result.diagram("payment").text()
    one = result.diagram(trace_id="trace-0001").text()
    assert "Order placed [placed] (message OrderPlacedEvent) — ✓1" in one
    chart = result.histogram()
    assert chart.table["orders"].sum() == result.metrics[Metric.DELIVERED]
    assert repr(result).startswith("OrderResult(retail.orchestrated:")


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="variant must be one of"):
        Config(variant="express")
    with pytest.raises(ValueError, match=r"fetch_timer must be >= 0\.5"):
        Config(fetch_timer=0.0)
    with pytest.raises(TypeError, match=r"config must be retail\.orchestrated\.Config"):
        workflow.run(workflow.ShopParams())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="only 2 orders are placed"):
        workflow.run(Config(orders=2), faults=[Fault(3, "payment", "drop")])
    with pytest.raises(ValueError, match="kind 'decline' is a payment fault"):
        Fault(1, "shipping", "decline")
    with pytest.raises(ValueError, match="step must be one of"):
        Fault(1, "billing", "drop")
    with pytest.raises(ValueError, match="which must be one of"):
        workflow.run(Config(orders=1)).diagram("shipping")


def test_side_effects_react_to_the_orders_event_without_the_order_knowing_them():
    plain = workflow.run(Config(orders=10, seed=4))
    balanced = workflow.run(Config(orders=10, seed=4, side_effects=True))
    delivered = balanced.metrics[Metric.DELIVERED]
    assert balanced.metrics[Metric.CUSTOMERS_NOTIFIED] == delivered
    assert balanced.metrics[Metric.LOYALTY_POINTS_ADDED] == delivered
    assert "customers notified" not in plain.metrics
    pd.testing.assert_frame_equal(plain.facts, balanced.facts)  # the orders did not change
    text = balanced.graph().text()
    assert f"Order -> Notification: OrderCompletedEvent ×{delivered} [event]" in text
    assert "Order -> Payment: RetrievePaymentCommand ×10 [command]" in text


def test_the_local_orchestration_puts_each_flow_inside_its_service():
    result = workflow.run(Config(orders=6, seed=2, side_effects=True))
    picture = result.local_orchestration()
    text = picture.text()
    assert "[process] payment.bpmn, its own engine — waits: CreditCardUpdated ≤ 7 days" in text
    assert "(in Payment)" in text
    assert "waits: PaymentReceivedEvent ≤ 20 days" in text
    assert "(in Order)" in text
    assert "Order:order -> Payment:payment: RetrievePaymentCommand [command]" in text
    assert "Payment:payment -> Order:order: PaymentReceivedEvent [event]" in text
    assert "Order:order -> Notification:notify customer: OrderCompletedEvent [event]" in text
    assert "Payment:payment -> Customer: UpdateCreditCardCommand [command]" in text
    svg = picture.svg()
    if svg is not None:  # with dot: legible in a notebook
        assert smallest_text_px(svg) >= 10.0
    outcomes, chart = result.panel()
    assert outcomes["orders"].sum() == 6
    assert chart.title == "lead time of delivered orders"


def test_the_payment_picture_counts_orders_not_token_passes():
    result = workflow.run(Config())
    text = result.diagram("payment").text()
    assert "(✓ = orders that reached the step)" in text
    assert "Payment retrieval requested [requested] — ✓99" in text
    # 75 passes of the charge (a declined card is charged again after its update) by 69 orders
    process = result.process("payment")
    assert workflow.counts_from_trace(result.trace, process, actor="Payment")["charge"] == (75, 0)
    assert "Charge credit card [charge] (job charge-card) — ✓69" in text
    assert ("Ask customer to update credit card [ask] (message UpdateCreditCardCommand) — ✓7"
            in text)
    # 69 - 7 + 6
    assert "Credit card charged [card_charged] (message CreditCardChargedEvent) — ✓68" in text
    assert "7 days [update_timeout] (168 h; on updated) — ✓1" in text
    assert "Payment received [received] (message PaymentReceivedEvent) — ✓98" in text
