"""Commands vs events in on-boarding: the graph follows the toggles, responsibility follows
the direction of the dependency, and only the side that waits ever notices a missing step."""

import itertools
import re
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.scenarios import onboarding
from eventlab.scenarios.onboarding import ONBOARDING, STEPS

seeds = st.integers(min_value=0, max_value=10_000)
small = settings(max_examples=25, deadline=None)
ALL_TOGGLES = [dict(zip(onboarding.STEP_FIELDS, styles, strict=True))
               for styles in itertools.product(onboarding.STYLES, repeat=len(STEPS))]


def drawn_edges(diagram):
    """(tail, head, colour) of every visible arrow in the DOT source."""
    found = []
    for line in diagram.source.splitlines():
        match = re.match(r"\s*(\w+) -> (\w+) \[(.*)\]", line)
        if match and "invis" not in match.group(3):
            colour = re.search(r'color="(#\w+)"', match.group(3)).group(1)
            found.append((match.group(1), match.group(2), colour))
    return found


@pytest.mark.parametrize("toggles", ALL_TOGGLES, ids=lambda t: "-".join(v[0] for v in t.values()))
def test_the_graph_draws_each_message_from_sender_to_receiver_and_dots_the_side_that_knows(
        toggles):
    config = onboarding.Config(**toggles)
    diagram = onboarding.diagram(config)
    edges = drawn_edges(diagram)
    red, blue = "#d93025", "#1a73e8"
    expected, knowers = [], []
    for step in STEPS:
        if toggles[step.field] == "command":
            expected.append((ONBOARDING, step.service, red))  # Onboarding sends, and knows
            knowers.append(ONBOARDING)
        else:
            expected.append((ONBOARDING, step.service, blue))  # Onboarding publishes...
            knowers.append(step.service)  # ...and the subscriber knows it
            if step.decides:  # the check's answer goes back, and Onboarding waits for it
                expected.append((step.service, ONBOARDING, blue))
                knowers.append(ONBOARDING)
    assert edges == expected
    deps = onboarding.dependencies(config)
    assert [d.tail for d in deps] == knowers  # a dependency's tail holds the coupling
    arrows = [line for line in diagram.text().splitlines() if " -> " in line]
    assert len(arrows) == len(expected)
    for line, (sender, receiver, _), knower in zip(arrows, expected, knowers, strict=True):
        assert line.startswith(f"  {sender} -> {receiver}: ")
        assert line.endswith(f"({knower} knows the other)")


@pytest.mark.parametrize("toggles", ALL_TOGGLES[::5])
def test_the_responsible_team_is_the_sender_of_a_command_and_the_receiver_of_an_event(toggles):
    config = onboarding.Config(**toggles)
    table = onboarding.responsibility(config)
    text = onboarding.diagram(config).text()
    for step in STEPS:
        row = table.loc[step.name]
        team = ONBOARDING if toggles[step.field] == "command" else step.service
        assert row["responsible if it does not happen"] == team
        assert row["fits"] == ("yes" if team == step.owner else "no")
        for dep in onboarding.dependencies(config):
            if dep.step == step.name:  # a misfit is marked on every arrow of its step
                sender, receiver = (dep.tail, dep.head) if dep.kind == "command" else \
                    (dep.head, dep.tail)
                marked = f"{sender} -> {receiver}: {dep.label} ⚠ not the owner" in text
                assert marked == (row["fits"] == "no")


def test_the_defaults_are_the_talks_answer_and_every_responsibility_fits():
    config = onboarding.Config()
    assert {s.field: config.style(s) for s in STEPS} == onboarding.TALK_ANSWER
    assert onboarding.TALK_ANSWER == {"address_check": "command", "credit_check": "command",
                                      "welcome_letter": "command",
                                      "notification_email": "event", "loyalty_points": "event"}
    assert (onboarding.responsibility(config)["fits"] == "yes").all()
    assert onboarding.run(config).metrics[onboarding.Metric.RESPONSIBLE_TEAM_NOT_OWNER] == 0


@small
@given(seeds, st.integers(1, 12), st.sampled_from(ALL_TOGGLES))
def test_without_a_failing_service_every_step_happens(seed, customers, toggles):
    result = onboarding.run(onboarding.Config(**toggles, customers=customers, seed=seed))
    metrics = result.metrics
    assert metrics[onboarding.Metric.CUSTOMERS_CREATED] == customers
    assert metrics[onboarding.Metric.STEPS_THAT_SHOULD_HAVE_HAPPENED] == 5 * customers
    assert metrics[onboarding.Metric.STEPS_THAT_DID_NOT_HAPPEN] == 0


@small
@given(seeds, st.integers(1, 8), st.sampled_from(ALL_TOGGLES), st.sampled_from(STEPS))
def test_only_onboarding_notices_a_missing_step_and_only_when_it_waits_for_it(seed, customers,
                                                                             toggles, step):
    config = onboarding.Config(**toggles, customers=customers, seed=seed, failing=step.field)
    metrics = onboarding.run(config).metrics
    missing = metrics[f"{step.name}: expected"] - metrics[f"{step.name}: done"]
    noticed = metrics[f"{step.name}: noticed"]
    assert missing == customers  # a broken service does none of its work
    waits = toggles[step.field] == "command" or step.decides
    assert noticed == (missing if waits else 0)
    if step.decides:  # no customer without both checks
        assert metrics[onboarding.Metric.CUSTOMERS_CREATED] == 0


def test_everything_as_events_loses_the_welcome_letter_without_anybody_noticing():
    events = replace(onboarding.Config(), address_check="event", credit_check="event",
                     welcome_letter="event")
    table = onboarding.failures(events)
    assert table.loc["WelcomeLetter", "nobody noticed"] == 5
    assert table.loc["WelcomeLetter", "responsible team"] == "WelcomeLetter"
    assert table.loc["WelcomeLetter", "whose requirement"] == ONBOARDING
    talk = onboarding.failures(onboarding.Config())
    assert talk.loc["WelcomeLetter", "noticed by Onboarding"] == 5


def test_an_incident_comes_exactly_one_timeout_after_the_reply_was_due():
    result = onboarding.run(onboarding.Config(failing="welcome_letter", customers=1, timeout=90.0))
    faults = result.trace[result.trace["kind"] == "fault"]
    lost, incident = faults.iloc[0], faults.iloc[-1]
    assert lost["actor"] == "WelcomeLetter"
    assert incident["actor"] == ONBOARDING
    assert incident["time"] == pytest.approx(lost["time"] - 0.1 + 90.0)  # sent 0.1 min earlier


@small
@given(seeds)
def test_the_same_seed_gives_the_same_trace(seed):
    config = onboarding.Config(seed=seed, failing="credit_check", address_check="event")
    pd.testing.assert_frame_equal(onboarding.run(config).trace, onboarding.run(config).trace)


def test_the_responsibility_table_reports_what_the_run_measured():
    table = onboarding.run(onboarding.Config(failing="loyalty_points")).responsibility()
    assert table.loc["loyalty points", "done"] == "0 of 5"
    assert table.loc["loyalty points", "missing, noticed by"] == "nobody"
    assert table.loc["address check", "missing, noticed by"] == "—"
    broken = onboarding.run(onboarding.Config(failing="welcome_letter")).responsibility()
    assert broken.loc["welcome letter", "missing, noticed by"] == "Onboarding (5 incidents)"


def test_the_interactions_table_is_the_steps_data():
    table = onboarding.interactions()
    assert table.index.tolist() == [s.name for s in STEPS]
    assert table.loc["address check", "as a command"] == "CheckAddress"
    assert table.loc["loyalty points", "whose requirement"] == "LoyaltyPoints"


@pytest.mark.parametrize(("kwargs", "error", "word"), [
    ({"address_check": "query"}, ValueError, "address_check"),
    ({"welcome_letter": True}, ValueError, "welcome_letter"),
    ({"failing": "everything"}, ValueError, "failing"),
    ({"customers": 0}, ValueError, "customers"),
    ({"timeout": "4h"}, TypeError, "timeout"),
])
def test_bad_settings_are_rejected_before_anything_runs(kwargs, error, word):
    with pytest.raises(error, match=word):
        onboarding.Config(**kwargs)


def test_run_and_responsible_reject_what_is_not_theirs():
    with pytest.raises(TypeError, match=r"onboarding\.Config"):
        onboarding.run(onboarding.TransportConfig())
    with pytest.raises(ValueError, match="style"):
        onboarding.responsible(STEPS[0], "query")
