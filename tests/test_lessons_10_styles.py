"""What notebook 10's section 6 says about the two styles, asserted over the same 20 seeds.

The notebook's prose reads the scorecard and the verdicts it renders; each sentence about who
is better at what is checked here on the same function, config and seeds.
"""

from functools import cache

import pytest

from eventlab.scenarios import styles
from eventlab.scenarios.styles import Metric

ORCH, CHOR = "orchestration", "choreography"


@cache
def cmp():
    return styles.compare_styles(styles.Config(), seeds=20)


def values(side: str, metric: str) -> list[float]:
    return list(cmp().sides[side].values(metric))


@pytest.mark.parametrize("metric", [Metric.COMPLETED, Metric.COMPENSATED,
                                    Metric.DUPLICATE_EFFECTS, Metric.STUCK_UNSEEN])
def test_both_styles_lose_nothing_and_do_nothing_twice_in_every_seed(metric):
    assert values(ORCH, metric) == values(CHOR, metric)
    if metric in (Metric.DUPLICATE_EFFECTS, Metric.STUCK_UNSEEN):
        assert set(values(ORCH, metric)) == {0}


def test_orchestration_escalates_every_late_order_at_its_sla_to_the_minute():
    assert values(ORCH, Metric.LATE_ESCALATED) == values(ORCH, Metric.LATE)
    assert max(values(ORCH, Metric.HOURS_TO_ESCALATE)) < 1 / 60


def test_the_tracker_escalates_later_and_misses_orders_delivered_before_its_look():
    assert cmp().verdict(Metric.LATE_ESCALATED, ORCH, CHOR).startswith(
        f"**{ORCH}** has more late orders escalated")
    assert cmp().verdict(Metric.HOURS_TO_ESCALATE, ORCH, CHOR).startswith(
        f"**{ORCH}** has fewer hours")
    assert all(e <= n for e, n in zip(values(CHOR, Metric.LATE_ESCALATED),
                                      values(CHOR, Metric.LATE), strict=True))


@pytest.mark.parametrize(("metric", "word"), [
    (Metric.MESSAGES_PER_ORDER, "more"), (Metric.DUPLICATES_ABSORBED, "more"),
    (Metric.SERVICES_CHANGED, "fewer"), (Metric.INCIDENTS, "more"),
    (Metric.PARKED, "fewer")])
def test_the_verdicts_the_prose_reads_hold_over_the_same_20_seeds(metric, word):
    assert cmp().verdict(metric, ORCH, CHOR).startswith(f"**{ORCH}** has {word} {metric}")


def test_choreography_sends_about_half_the_messages_per_order():
    ratio = sum(values(CHOR, Metric.MESSAGES_PER_ORDER)) / \
        sum(values(ORCH, Metric.MESSAGES_PER_ORDER))
    assert 0.4 < ratio < 0.6


def test_the_stuck_order_is_missing_only_on_days_it_is_out_of_stock_before_shipping():
    for seed in range(20):
        result = styles.run(styles.Config(style=ORCH, seed=seed))
        seen = result.metrics[Metric.STUCK_SEEN]
        assert seen in (0, 1)
        if seen == 0:
            assert result.orders().set_index("order").loc["order-0005", "outcome"] == \
                "compensated"


def test_under_orchestration_almost_all_absorbed_duplicates_are_commands_sent_again():
    commands = absorbed = 0
    for seed in range(20):
        result = styles.run(styles.Config(style=ORCH, seed=seed))
        notes = result.trace[(result.trace["kind"] == "note")
                             & result.trace["actor"].str.endswith(" inbox")]
        commands += int(notes["message_type"].str.endswith("Command").sum())
        absorbed += result.metrics[Metric.DUPLICATES_ABSORBED]
    assert commands >= 0.8 * absorbed
