"""Dual write vs outbox vs outbox + inbox vs outbox + mail key: what a crash at each point does."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.comparison import vary
from eventlab.scenarios import outbox
from eventlab.scenarios.outbox import Metric

PROPERTY = settings(max_examples=30, deadline=None)
points = st.sampled_from([outbox.EVERYWHERE, *outbox.CRASH_POINTS])


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1), crash_at=points,
       crash_rate=st.floats(min_value=0.0, max_value=0.5),
       commands=st.integers(min_value=1, max_value=30),
       variant=st.sampled_from(["outbox", "outbox_inbox", "outbox_mail_key"]))
def test_with_the_outbox_no_event_is_lost_under_a_crash_at_any_point(
        seed, crash_at, crash_rate, commands, variant):
    result = outbox.run(outbox.Config(variant=variant, crash_at=crash_at, crash_rate=crash_rate,
                                      commands=commands, seed=seed))
    m = result.metrics
    assert m[Metric.LOST_EVENTS] == 0  # MS-2: every stored event is published at least once
    assert m[Metric.PHANTOM_EVENTS] == 0  # MS-3: published ⊆ stored
    assert m[Metric.CUSTOMERS_WITHOUT_MAIL] == 0
    assert m[Metric.MAILS_ABOUT_UNKNOWN_CUSTOMERS] == 0
    assert m[Metric.EVENTS_PUBLISHED] == m[Metric.CUSTOMERS_STORED] + m[Metric.DUPLICATE_PUBLISHES]


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1), crash_at=points,
       crash_rate=st.floats(min_value=0.0, max_value=0.5),
       commands=st.integers(min_value=1, max_value=30))
def test_a_key_the_mail_provider_checks_gives_one_mail_per_event_under_any_crash(
        seed, crash_at, crash_rate, commands):
    m = outbox.run(outbox.Config(variant="outbox_mail_key", crash_at=crash_at,
                                 crash_rate=crash_rate, commands=commands, seed=seed)).metrics
    assert m[Metric.WELCOME_MAILS] == m[Metric.DISTINCT_EVENTS_MAILED] == m[Metric.CUSTOMERS_STORED]
    assert m[Metric.DUPLICATE_MAILS] == 0


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       crash_at=st.sampled_from([p for p in outbox.CRASH_POINTS if p != "consumer_after_mail"]),
       crash_rate=st.floats(min_value=0.0, max_value=0.5),
       commands=st.integers(min_value=1, max_value=30))
def test_an_inbox_absorbs_every_redelivery_whose_mail_it_recorded(
        seed, crash_at, crash_rate, commands):
    m = outbox.run(outbox.Config(variant="outbox_inbox", crash_at=crash_at,
                                 crash_rate=crash_rate, commands=commands, seed=seed)).metrics
    assert m[Metric.WELCOME_MAILS] == m[Metric.DISTINCT_EVENTS_MAILED] == m[Metric.CUSTOMERS_STORED]
    assert m[Metric.DUPLICATE_MAILS] == 0


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       crash_rate=st.floats(min_value=0.0, max_value=0.5),
       commands=st.integers(min_value=1, max_value=30))
def test_an_inbox_mails_twice_once_for_every_crash_between_the_mail_and_its_inbox_row(
        seed, crash_rate, commands):
    # The mail leaves through the provider, outside Mailing's database: no transaction holds
    # the mail and the inbox row, so each crash in between is one mail sent again.
    m = outbox.run(outbox.Config(variant="outbox_inbox", crash_at="consumer_after_mail",
                                 crash_rate=crash_rate, commands=commands, seed=seed)).metrics
    assert m[Metric.DUPLICATE_MAILS] == m[Metric.CONSUMER_CRASHES]
    assert m[Metric.DISTINCT_EVENTS_MAILED] == m[Metric.CUSTOMERS_STORED]


def test_without_crashes_every_variant_mails_every_customer_exactly_once():
    for variant in outbox.VARIANTS:
        m = outbox.run(outbox.Config(variant=variant, crash_rate=0.0, commands=20)).metrics
        assert (m[Metric.CUSTOMERS_STORED], m[Metric.EVENTS_PUBLISHED],
                m[Metric.WELCOME_MAILS]) == (20, 20, 20)


def test_a_crash_between_the_writes_loses_events_or_makes_phantoms_depending_on_the_order():
    config = outbox.Config(crash_at="between_writes", crash_rate=0.2, commands=50)
    for seed in range(5):
        lost = outbox.run(replace(config, seed=seed)).metrics
        phantom = outbox.run(replace(config, variant="publish_then_commit", seed=seed)).metrics
        # The same crash draws hit both orders: each crash is one lost or one phantom event.
        assert lost[Metric.LOST_EVENTS] == lost[Metric.SERVICE_CRASHES] > 0
        assert phantom[Metric.PHANTOM_EVENTS] == phantom[Metric.SERVICE_CRASHES] \
            == lost[Metric.SERVICE_CRASHES]
        assert lost[Metric.PHANTOM_EVENTS] == phantom[Metric.LOST_EVENTS] == 0
        assert phantom[Metric.MAILS_ABOUT_UNKNOWN_CUSTOMERS] == phantom[Metric.PHANTOM_EVENTS]


def test_across_seeds_only_the_dual_writes_lose_or_invent_and_only_the_mail_key_mails_once():
    table = outbox.across_seeds(outbox.Config(commands=100), seeds=5)
    assert table.loc["runs with lost events"].tolist() == [5, 0, 0, 0, 0]
    assert table.loc["runs with phantom events"].tolist() == [0, 5, 0, 0, 0]
    assert table.loc[Metric.DUPLICATE_PUBLISHES, "outbox"] > 0
    duplicates = table.loc[Metric.DUPLICATE_MAILS]
    assert duplicates["outbox"] > duplicates["outbox_inbox"]
    assert table.loc[Metric.DUPLICATE_MAILS, "outbox_inbox"] > 0
    assert table.loc[Metric.DUPLICATE_MAILS, "outbox_mail_key"] == 0
    assert table.loc["runs where mails = distinct events", "outbox_mail_key"] == 5


def test_the_matrix_names_the_anomaly_of_each_crash_point():
    table = outbox.matrix(outbox.Config(commands=60, crash_rate=0.1))
    assert table.loc["between_writes", "commit_then_publish"].endswith("lost")
    assert table.loc["between_writes", "publish_then_commit"].endswith("phantom")
    assert table.loc["between_writes", "outbox"] == "no such point"
    assert table.loc["before_writes"].str.startswith("ok").all()
    assert table.loc["after_writes"].str.startswith("ok").all()
    assert "dup. publishes" in table.loc["relay_after_publish", "outbox_inbox"]
    assert "dup. mails" not in table.loc["relay_after_publish", "outbox_inbox"]
    assert table.loc["consumer_after_effect", "outbox_inbox"].startswith("ok")
    assert table.loc["consumer_after_mail", "outbox_inbox"].endswith("dup. mails")
    assert table.loc["consumer_after_mail", "outbox_mail_key"] == "no such point"
    assert table.loc["consumer_after_effect", "outbox_mail_key"].startswith("ok")


def test_the_graph_counts_what_the_run_measured():
    result = outbox.run(outbox.Config(variant="outbox_inbox"))
    text = result.graph().text()
    m = result.metrics
    assert f"{m[Metric.WELCOME_MAILS]} mails" in text
    assert f"publish ×{m[Metric.EVENTS_PUBLISHED]}" in text
    assert f"append ×{m[Metric.CUSTOMERS_STORED]}" in text
    deliveries = int(((result.trace["kind"] == "deliver")
                      & (result.trace["channel"] == "customer-events")).sum())
    assert f"{deliveries - m[Metric.WELCOME_MAILS]} duplicates skipped" in text
    assert len(result.crashes()) == sum(m[f"{c} crashes"] for c in ("service", "relay",
                                                                      "consumer"))
    assert outbox.run(outbox.Config(commands=5)).frames()


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    first = outbox.run(outbox.Config(seed=3))
    assert first.trace.equals(outbox.run(outbox.Config(seed=3)).trace)
    assert first.metrics != outbox.run(outbox.Config(seed=4)).metrics


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="variant must be one of 'commit_then_publish'"):
        outbox.Config(variant="two_phase_commit")
    with pytest.raises(ValueError, match=r"crash_rate must be <= 0\.5"):
        outbox.Config(crash_rate=0.9)
    with pytest.raises(ValueError, match="crash_at must be one of 'everywhere'"):
        outbox.Config(crash_at="somewhere")
    with pytest.raises(TypeError, match="commands must be an int"):
        outbox.Config(commands=2.5)
    expected = r"config must be outbox\.Config \(or None for its defaults\), got dict"
    with pytest.raises(TypeError, match=expected):
        outbox.run({"variant": "outbox"})
    with pytest.raises(ValueError, match="seeds must be an int between 1 and 200"):
        outbox.across_seeds(seeds=0)


def test_over_20_mornings_the_notebooks_verdicts_on_the_five_designs_hold():
    mornings = outbox.Config(crash_at="everywhere", commands=50)
    designs = vary(outbox.run, mornings, "variant", list(outbox.VARIANTS), n_jobs=1)
    fewer, more = "b higher", "a higher"  # a - b: the first side has fewer / more
    for metric, a, b, verdict in [
            (Metric.LOST_EVENTS, "outbox", "commit_then_publish", fewer),
            (Metric.PHANTOM_EVENTS, "outbox", "publish_then_commit", fewer),
            (Metric.DUPLICATE_PUBLISHES, "outbox", "commit_then_publish", more),
            (Metric.DUPLICATE_MAILS, "outbox_inbox", "outbox", fewer),
            (Metric.DUPLICATE_MAILS, "outbox_mail_key", "outbox_inbox", fewer),
            (Metric.CUSTOMERS_WITHOUT_MAIL, "outbox", "commit_then_publish", fewer)]:
        assert designs.difference(metric, a, b)["verdict"] == verdict, (metric, a, b)
