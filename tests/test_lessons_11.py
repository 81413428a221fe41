"""Notebook 11 states only what its runs show: the sentences of sections 3 and 4 still hold.

Section 3 says that without the services' outbox only the services lose messages (the
Order's engine is its own outbox) and that the dual-write column has duplicates to drop;
section 4 says what both styles, each at its best, do equally well and where they differ.
The verdicts are rendered in the notebook; these tests fail when a change to the models
would make the prose around them wrong.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from eventlab.scenarios import recap, styles

M = styles.Metric
SAME = [M.COMPLETED, M.COMPENSATED, M.OPEN, M.LEFT_BEHIND, M.STUCK_UNSEEN, M.HOURS_TO_RECOVER,
        M.DUPLICATE_EFFECTS]
# (metric, the sentence's start) for "Where they differ"
DIFFER = [(M.LATE_ESCALATED, "**orchestration** has more late orders escalated"),
          (M.HOURS_TO_ESCALATE, "**orchestration** has fewer hours from SLA breach"),
          (M.INCIDENTS, "**orchestration** has more incidents"),
          (M.PARKED, "**orchestration** has fewer messages parked"),
          (M.MESSAGES_PER_ORDER, "**orchestration** has more messages per order"),
          (M.SERVICES_CHANGED, "**orchestration** has fewer services changed")]


@pytest.fixture(scope="module")
def both_styles():
    return styles.compare_styles(styles.Config())


@pytest.fixture(scope="module")
def outbox():
    days = replace(recap.Config(), orders=50)
    return recap.compare(days, "outbox", [True, False], n_jobs=1)


def test_section_4_both_styles_at_their_best_do_the_same_where_the_notebook_says_so(both_styles):
    for metric in SAME:
        text = repr(styles.verdicts(both_styles, [metric]))
        assert "have the same" in text, text
        assert "in every seed" in text, text
    for metric in (M.OPEN, M.LEFT_BEHIND, M.STUCK_UNSEEN, M.DUPLICATE_EFFECTS):
        assert both_styles.interval("orchestration", metric).high == 0, metric
    detect = repr(styles.verdicts(both_styles, [M.HOURS_TO_DETECT]))
    assert "cannot tell" in detect or "have the same" in detect, detect


@pytest.mark.parametrize(("metric", "start"), DIFFER, ids=[m for m, _ in DIFFER])
def test_section_4_the_styles_differ_where_the_notebook_says_they_do(both_styles, metric,
                                                                     start):
    assert repr(styles.verdicts(both_styles, [metric])).lstrip("- ").startswith(start)


def test_section_4_the_chart_shows_late_orders_that_orchestration_escalates_all_of(
        both_styles):
    late = both_styles.interval("orchestration", M.LATE).mean
    assert both_styles.interval("orchestration", M.LATE_ESCALATED).mean == late > 0
    assert both_styles.interval("choreography", M.LATE_ESCALATED).mean < late


def test_section_3_without_the_services_outbox_the_engine_still_has_duplicates_to_drop(outbox):
    dual = outbox.sides["dual write"]
    assert outbox.interval("dual write", recap.Metric.DUPLICATES_DROPPED_BY_INBOXES).low > 0
    assert outbox.interval("dual write", recap.Metric.NOT_DELIVERED_NOBODY_NOTICED).low > 0
    assert outbox.interval("outbox", recap.Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH).high == 0
    text = repr(recap.verdicts(outbox))
    assert "**outbox** has more duplicates dropped by inboxes than **dual write**" in text
    assert dual.config.orchestrated
    assert not dual.config.outbox


def test_the_money_kept_without_the_outbox_comes_from_lost_payment_received_events():
    from dataclasses import replace

    from eventlab.scenarios import recap
    days = replace(recap.Config(), orders=50, outbox=False)
    kept_orders = 0
    for seed in range(20):
        result = recap.run(replace(days, seed=seed))
        facts, trace = result.facts, result.trace
        kept = facts[(facts["net charge"] > 0) & (facts["shipped"] == 0)]
        for order in kept["order"]:
            lost = trace[(trace["kind"] == "fault") & (trace["key"] == order)
                         & trace["detail"].str.contains("is lost", na=False)]
            assert "PaymentReceivedEvent" in set(lost["message_type"]), order
            kept_orders += 1
    assert kept_orders > 0
