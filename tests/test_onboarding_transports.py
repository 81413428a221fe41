"""Transport × semantics, and the Notification service: same outcome whatever the transport,
and every new sender of a pseudo-event costs Notification a change."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.scenarios import onboarding
from eventlab.scenarios.onboarding import NotifyMetric

seeds = st.integers(min_value=0, max_value=10_000)
small = settings(max_examples=25, deadline=None)


@small
@given(seeds, st.integers(1, 40), st.floats(0.0, 0.5))
def test_every_transport_gives_every_customer_exactly_one_letter(seed, customers, failure):
    config = onboarding.TransportConfig(customers=customers, failure=failure, seed=seed)
    table = onboarding.run_transports(config).table()
    assert (table["letters sent"] == customers).all()
    assert (table["customers with one letter"] == customers).all()
    assert (table["redeliveries"] >= table["duplicates ignored"]).all()


@small
@given(seeds, st.integers(1, 40), st.floats(0.0, 0.5))
def test_every_transport_meets_the_same_faults_and_only_recovers_at_its_own_pace(
        seed, customers, failure):
    config = onboarding.TransportConfig(customers=customers, failure=failure, seed=seed)
    table = onboarding.run_transports(config).table()
    for column in ("deliveries", "redeliveries", "duplicates ignored", "letters sent"):
        assert table[column].nunique() == 1, column
    for transport in onboarding.TRANSPORTS:  # one lane alone is the same lane
        alone = onboarding.run_transports(replace(config, transport=transport)).table()
        assert alone.loc[transport].equals(table.loc[transport])


@small
@given(seeds, st.floats(0.05, 0.5))
def test_a_command_and_an_event_fail_and_recover_the_same_way_on_each_transport(seed, failure):
    grid = onboarding.transport_grid(onboarding.TransportConfig(failure=failure, seed=seed))
    numbers = grid.drop(columns=["channel"])
    for transport in onboarding.TRANSPORTS:
        command = numbers.loc[(transport, "command")]
        event = numbers.loc[(transport, "event")]
        assert command.equals(event)
    channels = grid["channel"]
    assert channels[("kafka", "command")] != channels[("kafka", "event")]


@small
@given(seeds)
def test_without_idempotency_each_late_failure_sends_a_second_letter(seed):
    careful = onboarding.run_transports(onboarding.TransportConfig(seed=seed)).table()
    careless = onboarding.run_transports(onboarding.TransportConfig(seed=seed,
                                                                    idempotent=False)).table()
    assert (careless["duplicate letters"] == careful["duplicates ignored"]).all()
    assert (careless["redeliveries"] == careful["redeliveries"]).all()


def test_each_transport_recovers_in_its_own_way():
    table = onboarding.run_transports(onboarding.TransportConfig(failure=0.0)).table()
    assert (table["redeliveries"] == 0).all()
    assert table.loc["kafka", "failure handled by"] == "the broker"
    assert table.loc["workflow_job", "how"].startswith("re-activates the job")
    slow = onboarding.run_transports(onboarding.TransportConfig(failure=0.5, customers=60)).table()
    assert slow.loc["workflow_job", "mean seconds to the letter"] > \
        slow.loc["rest", "mean seconds to the letter"]
    graph = onboarding.run_transports().graph().source
    assert graph.count("SendWelcomeLetter ×20") == 4


@small
@given(seeds, st.integers(1, 8), st.floats(0.0, 60.0))
def test_every_new_sender_of_a_pseudo_event_costs_notification_a_change(seed, senders, lead):
    config = onboarding.NotifyConfig(senders=senders, seed=seed, lead_time=lead)
    pseudo = onboarding.run_notify(config).metrics
    stable = onboarding.run_notify(replace(config, style="send_message")).metrics
    assert pseudo[NotifyMetric.CHANGES_TO_NOTIFICATION] == senders
    assert pseudo[NotifyMetric.MESSAGE_TYPES_NOTIFICATION_MUST_KNOW] == senders
    assert stable[NotifyMetric.CHANGES_TO_NOTIFICATION] == 0
    assert stable[NotifyMetric.MESSAGE_TYPES_NOTIFICATION_MUST_KNOW] == 1
    assert stable[NotifyMetric.MESSAGES_LOST] == 0
    assert stable[NotifyMetric.MESSAGES_SENT] == stable[NotifyMetric.MESSAGES_ASKED_FOR] \
        == pseudo[NotifyMetric.MESSAGES_ASKED_FOR]
    assert pseudo[NotifyMetric.MESSAGES_LOST] == 0  # the topic keeps what nobody reads yet
    table = onboarding.run_notify(config).senders()
    assert (table["sent"] + table["still waiting at the end"] == table["asked"]).all()


@small
@given(seeds, st.integers(1, 8), st.floats(0.0, 60.0))
def test_on_a_durable_topic_a_pseudo_event_is_late_not_lost_and_waits_at_most_the_lead_time(
        seed, senders, lead):
    config = onboarding.NotifyConfig(senders=senders, seed=seed, lead_time=lead)
    durable = onboarding.run_notify(config)
    fleeting = onboarding.run_notify(replace(config, durable=False))
    d, f = durable.metrics, fleeting.metrics
    assert d[NotifyMetric.MESSAGES_ASKED_FOR] == f[NotifyMetric.MESSAGES_ASKED_FOR]
    assert f[NotifyMetric.MESSAGES_THAT_WAITED] == 0
    late = durable.senders()
    assert (late["waited"] + late["still waiting at the end"] ==
            fleeting.senders()["lost"]).all()  # the same messages: late here, lost there
    assert d[NotifyMetric.MEAN_DAYS_WAITED] <= lead + 1e-9


def test_without_a_lead_time_no_message_waits_but_the_changes_remain():
    metrics = onboarding.run_notify(onboarding.NotifyConfig(lead_time=0.0,
                                                            durable=False)).metrics
    assert metrics[NotifyMetric.MESSAGES_LOST] == 0
    assert metrics[NotifyMetric.MESSAGES_THAT_WAITED] == 0
    assert metrics[NotifyMetric.CHANGES_TO_NOTIFICATION] == 4


def test_the_notification_graph_sends_to_notification_and_dots_whoever_holds_the_coupling():
    pseudo = onboarding.run_notify().graph().text()
    stable = onboarding.run_notify(onboarding.NotifyConfig(style="send_message")).graph().text()
    line = next(x for x in pseudo.splitlines() if x.startswith("  CRM -> Notification: "))
    assert "CustomerNeedsToBeSentAMessageToConfirm" in line
    assert line.endswith("(Notification knows the other)")
    line = next(x for x in stable.splitlines() if x.startswith("  CRM -> Notification: "))
    assert "SendMessage" in line
    assert line.endswith("(CRM knows the other)")


@pytest.mark.parametrize(("cls", "kwargs", "word"), [
    (onboarding.TransportConfig, {"semantics": "query"}, "semantics"),
    (onboarding.TransportConfig, {"failure": 0.9}, "failure"),
    (onboarding.TransportConfig, {"idempotent": 1}, "idempotent"),
    (onboarding.NotifyConfig, {"style": "events"}, "style"),
    (onboarding.NotifyConfig, {"senders": 9}, "senders"),
])
def test_bad_settings_are_rejected_before_anything_runs(cls, kwargs, word):
    with pytest.raises((TypeError, ValueError), match=word):
        cls(**kwargs)


def test_the_runners_reject_each_others_configs():
    with pytest.raises(TypeError, match="TransportConfig"):
        onboarding.run_transports(onboarding.NotifyConfig())
    with pytest.raises(TypeError, match="NotifyConfig"):
        onboarding.run_notify(onboarding.TransportConfig())
    with pytest.raises(TypeError, match="TransportConfig"):
        onboarding.transport_grid(onboarding.Config())
    with pytest.raises(TypeError, match=r"onboarding\.Config"):
        onboarding.failures(onboarding.NotifyConfig())
