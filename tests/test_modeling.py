"""Model it yourself: the learner's BPMN is run, and the checkers judge what it did."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import checks
from eventlab.domains.retail.processes import onboarding_process
from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.definition import (
    Process,
    boundary,
    end,
    parallel,
    receive,
    send,
    service,
    start,
    user,
)
from eventlab.scenarios.modeling import onboarding, sla
from eventlab.scenarios.modeling.model import shipped
from tests.checktable import assert_accepted, assert_not_attempted, assert_rejected, ids

SLA = checks.exercise_10_4
CRIMINAL = checks.exercise_10_5


def charge_card(*extra, flows=(), hours=1.0, interrupting=False, repeat=None) -> Process:
    elements = [start("requested", "Payment requested"),
                service("charge", "Charge credit card", job="charge-card"), end("paid", "Paid")]
    links = [("requested", "charge"), ("charge", "paid")]
    if hours is not None:
        elements.append(boundary("sla", "1 hour", attached_to="charge", hours=hours,
                                 interrupting=interrupting, repeat=repeat))
        elements += list(extra) or [end("escalated", "Escalated")]
        links += list(flows) or [("sla", "escalated")]
    return Process("charge_card", "Charge card", elements, links)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 100_000), slow_share=st.sampled_from([0.0, 0.2, 0.6]),
       interrupting=st.booleans())
def test_a_non_interrupting_sla_timer_escalates_every_slow_charge_and_cancels_none(
        seed, slow_share, interrupting):
    config = sla.Config(seed=seed, charges=20, slow_share=slow_share)
    m = sla.run(config, process=charge_card(interrupting=interrupting)).metrics
    if interrupting:
        assert m[sla.Metric.CANCELED] == m[sla.Metric.ESCALATED]
        assert m[sla.Metric.COMPLETED] == m[sla.Metric.CHARGES] - m[sla.Metric.CANCELED]
    else:
        assert m[sla.Metric.CANCELED] == 0
        assert m[sla.Metric.ESCALATED] == m[sla.Metric.SLOW]
        assert m[sla.Metric.ESCALATED_AND_COMPLETED] == m[sla.Metric.ESCALATED]
        assert m[sla.Metric.COMPLETED] == m[sla.Metric.CHARGES]
    assert m[sla.Metric.INSTANCES_ENDED] == m[sla.Metric.CHARGES] == 20


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 100_000), criminal=st.booleans())
def test_onboarding_creates_every_customer_after_the_checks_its_model_asks_for(seed, criminal):
    m = onboarding.run(onboarding.Config(seed=seed, registrations=15),
                       process=onboarding_process(criminal_check=criminal)).metrics
    assert m[onboarding.Metric.CREATED] == m[onboarding.Metric.REGISTRATIONS] == 15
    assert m[onboarding.Metric.CREATED_WITHOUT_OTHER_CHECKS] == 0
    assert m[onboarding.Metric.CREATED_AFTER_CRIMINAL_CHECK] == (15 if criminal else 0)


def test_the_shipped_models_run_as_the_starting_points_of_the_exercises():
    assert sla.run().metrics[sla.Metric.ESCALATED] == 0
    assert onboarding.run().metrics[onboarding.Metric.CRIMINAL_CHECKS] == 0
    assert bpmn.read(shipped(onboarding.MODEL)) == onboarding_process()


def test_a_model_the_engine_cannot_run_is_refused_with_the_readers_message():
    broken = shipped(sla.MODEL).replace('targetRef="paid"', 'targetRef="nowhere"')
    feedback = SLA(broken)
    assert feedback.status == "failed"
    assert "nowhere" in repr(feedback)


SLA_WRONG = [
    ("renames the task but adds no timer",
     Process("charge_card", "Charge card",
             [start("requested", "Payment requested"),
              service("charge", "Charge the card", job="charge-card"), end("paid", "Paid")],
             [("requested", "charge"), ("charge", "paid")])),
    ("an interrupting timer cancels the charge", charge_card(interrupting=True)),
    ("a timer that waits two hours escalates late", charge_card(hours=2.0)),
    ("a ten-minute timer escalates normal charges too", charge_card(hours=1 / 6)),
    ("a half-hour timer fires before the SLA is broken", charge_card(hours=0.5)),
    ("the escalation path stops the payment (an interrupting timer to a user task)",
     charge_card(user("look", "Look at the charge"), end("escalated", "Escalated"),
                 flows=[("sla", "look"), ("look", "escalated")], interrupting=True)),
    ("a string that is not BPMN", "a timer on the charge"),
    ("a number", 42),
]
SLA_VALID = [
    ("a non-interrupting timer to an end event", charge_card()),
    ("the modeler's XML text", bpmn.write(charge_card())),
    ("a timer that escalates to someone who looks at it",
     charge_card(user("look", "Look at the charge"), end("escalated", "Escalated"),
                 flows=[("sla", "look"), ("look", "escalated")])),
    ("a timer that repeats while the charge runs", charge_card(repeat=3)),
]


def test_the_sla_checker_says_not_attempted_for_the_untouched_model():
    assert_not_attempted(SLA, None)
    assert_not_attempted(SLA, shipped(sla.MODEL))


@pytest.mark.parametrize(("misconception", "answer"), SLA_WRONG, ids=ids(SLA_WRONG))
def test_the_sla_checker_rejects(misconception, answer):
    assert_rejected(SLA, answer)


@pytest.mark.parametrize(("approach", "answer"), SLA_VALID, ids=ids(SLA_VALID))
def test_the_sla_checker_accepts(approach, answer):
    assert_accepted(SLA, answer)


def onboarding_with(*middle, flows) -> Process:
    base = [start("requested", "Registration requested", message="RegistrationRequested"),
            send("address_send", "Check address", message="CheckAddress"),
            receive("address_received", "Address checked", message="AddressChecked"),
            send("credit_send", "Check credit", message="CheckCredit"),
            receive("credit_received", "Credit checked", message="CreditChecked"),
            end("created", "Customer created", message="CustomerCreated")]
    return Process("onboarding", "Customer on-boarding", [*base, *middle],
                   [("requested", "address_send"), ("address_send", "address_received"),
                    ("address_received", "credit_send"), ("credit_send", "credit_received"),
                    *flows])


CRIMINAL_SEND = send("criminal_send", "Check criminal record", message="CheckCriminalRecord")
CRIMINAL_WAIT = receive("criminal_received", "Criminal record checked",
                        message="CriminalRecordChecked")
CRIMINAL_WRONG = [
    ("sends the check but does not wait for its answer",
     onboarding_with(CRIMINAL_SEND, flows=[("credit_received", "criminal_send"),
                                           ("criminal_send", "created")])),
    ("waits for an answer nobody was asked for",
     onboarding_with(CRIMINAL_WAIT, flows=[("credit_received", "criminal_received"),
                                           ("criminal_received", "created")])),
    ("names the command after the event",
     onboarding_with(send("criminal_send", "Check", message="CriminalCheckRequested"),
                     CRIMINAL_WAIT, flows=[("credit_received", "criminal_send"),
                                           ("criminal_send", "criminal_received"),
                                           ("criminal_received", "created")])),
    ("replaces the credit check by the criminal check",
     Process("onboarding", "Customer on-boarding",
             [start("requested", "Registration requested", message="RegistrationRequested"),
              send("address_send", "Check address", message="CheckAddress"),
              receive("address_received", "Address checked", message="AddressChecked"),
              CRIMINAL_SEND, CRIMINAL_WAIT,
              end("created", "Customer created", message="CustomerCreated")],
             [("requested", "address_send"), ("address_send", "address_received"),
              ("address_received", "criminal_send"), ("criminal_send", "criminal_received"),
              ("criminal_received", "created")])),
]
CRIMINAL_VALID = [
    ("the check after the credit check", onboarding_process(criminal_check=True)),
    ("the check as the modeler's XML", bpmn.write(onboarding_process(criminal_check=True))),
    ("the check in parallel with the credit check",
     Process("onboarding", "Customer on-boarding",
             [start("requested", "Registration requested", message="RegistrationRequested"),
              send("address_send", "Check address", message="CheckAddress"),
              receive("address_received", "Address checked", message="AddressChecked"),
              parallel("fork"), send("credit_send", "Check credit", message="CheckCredit"),
              receive("credit_received", "Credit checked", message="CreditChecked"),
              CRIMINAL_SEND, CRIMINAL_WAIT, parallel("join"),
              end("created", "Customer created", message="CustomerCreated")],
             [("requested", "address_send"), ("address_send", "address_received"),
              ("address_received", "fork"), ("fork", "credit_send"), ("fork", "criminal_send"),
              ("credit_send", "credit_received"), ("criminal_send", "criminal_received"),
              ("credit_received", "join"), ("criminal_received", "join"),
              ("join", "created")])),
]


def test_the_criminal_check_checker_says_not_attempted_for_the_untouched_model():
    assert_not_attempted(CRIMINAL, shipped(onboarding.MODEL))


@pytest.mark.parametrize(("misconception", "answer"), CRIMINAL_WRONG, ids=ids(CRIMINAL_WRONG))
def test_the_criminal_check_checker_rejects(misconception, answer):
    assert_rejected(CRIMINAL, answer)


@pytest.mark.parametrize(("approach", "answer"), CRIMINAL_VALID, ids=ids(CRIMINAL_VALID))
def test_the_criminal_check_checker_accepts(approach, answer):
    assert_accepted(CRIMINAL, answer)


def test_the_replay_sentence_states_the_counts_of_the_run_it_reads():
    from eventlab.engines.workflow.replay import instances, replay
    from eventlab.scenarios import modeling
    from eventlab.scenarios.retail import orchestration as workflow

    order, run = workflow.order_process(), workflow.run(workflow.Config(orders=30))
    text = repr(modeling.replay_sentence(order, run.trace, engine="Order"))
    last = replay(order, run.trace, engine="Order")[-1].counts
    assert text.startswith(f"- {len(instances(run.trace, engine='Order'))} instances started")
    assert f"{last['delivered'].instances} at *Order delivered*" in text


def test_a_send_task_with_only_a_zeebe_job_type_sends_its_command_through_its_worker():
    job_send = bpmn.write(onboarding_process(criminal_check=True)).replace(
        '<bpmn:sendTask id="criminal_send" name="Check criminal record" '
        'messageRef="Message_CheckCriminalRecord" />',
        '<bpmn:sendTask id="criminal_send" name="Check criminal record"><bpmn:extensionElements>'
        '<zeebe:taskDefinition type="CheckCriminalRecord" /></bpmn:extensionElements>'
        '</bpmn:sendTask>')
    if "xmlns:zeebe" not in job_send:
        job_send = job_send.replace(
            "<bpmn:definitions ",
            '<bpmn:definitions xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" ', 1)
    assert 'type="CheckCriminalRecord"' in job_send
    assert CRIMINAL(job_send).status == "passed"
