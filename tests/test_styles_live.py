"""A day you operate yourself (styles.live) and one order's story (history)."""

import itertools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.errors import ConfigError
from eventlab.scenarios import styles
from eventlab.scenarios.styles import Config

STUCK = "order-0005"  # BAD_DAY poisons order 5's message to Shipping
ORCHESTRATED = Config(style="orchestration")


def whats(day_or_result, order=STUCK) -> list[str]:
    return list(day_or_result.history(order)["what"])


def test_without_an_operator_the_incident_stays_open_and_the_sla_escalates_meanwhile():
    day = styles.live(ORCHESTRATED).run_until(2.5)
    assert day.waiting() == [STUCK]
    story = whats(day)
    assert [w for w in story if " failed (try " in w] == [
        "ship-goods failed (try 1); tries left: 2", "ship-goods failed (try 2); tries left: 1",
        "ship-goods failed (try 3); tries left: 0"]
    assert "incident at 'Ship goods'" in story
    assert story.index("timer 'SLA' fired (non-interrupting)") > \
        story.index("incident at 'Ship goods'")
    assert "shipped" not in story
    assert not any("cancelled" in w for w in story)


def test_the_failed_tries_wait_longer_each_time():
    table = styles.live(ORCHESTRATED).run_until(2.5).history(STUCK)
    sends = table[table["what"] == "sends ShipGoodsCommand"]["at (h)"].tolist()
    gaps = [b - a for a, b in itertools.pairwise(sends)]
    assert len(gaps) == 2
    assert gaps[1] > 1.5 * gaps[0] > 0


def test_resolving_after_the_fix_continues_from_the_failed_step_and_repeats_nothing_before():
    day = styles.live(ORCHESTRATED).run_until(2.5)
    day.fix().resolve(STUCK).run_until(4)
    story = whats(day)
    assert story[-2:] == ["completed: Order delivered", "sends OrderCompletedEvent"]
    assert story.count("charged") == 1
    assert story.count("picked") == 1
    assert story.count("shipped") == 1
    assert day.waiting() == []
    orders = day.orders().set_index("order")
    assert orders.loc[STUCK, "outcome"] == "completed"


def test_resolving_before_the_fix_only_fails_again_into_a_new_incident():
    day = styles.live(ORCHESTRATED).run_until(0.7)  # Shipping goes down at 1 h
    day.resolve(STUCK).run_until(3.0)  # the backoff keeps growing; Shipping is back at 2 h
    told = day.incidents()
    assert list(told["order"]) == [STUCK, STUCK]
    assert told["acted at (h)"].iloc[0] == pytest.approx(0.7)
    assert pd.isna(told["acted at (h)"].iloc[1])
    assert day.waiting() == [STUCK]


def test_in_a_choreography_the_message_is_parked_and_a_replay_after_the_fix_ships_it():
    day = styles.live(Config()).run_until(2.5)
    assert day.incidents()["how"].tolist() == ["parked"]
    assert "parks GoodsFetchedEvent on the dead-letter topic" in whats(day)
    day.fix().resolve(STUCK).run_until(4)
    assert "shipped" in whats(day)
    with pytest.raises(ConfigError, match=r"replayed at 2\.50 h"):
        day.resolve(STUCK)


def test_until_somebody_acts_a_live_day_is_the_same_day_as_run():
    ran = styles.run(ORCHESTRATED).trace
    day = styles.live(ORCHESTRATED).run_until(2.5)
    lived = day._day.world.trace.to_frame()
    before = ran[ran["time"] <= 2.5 * styles.config.HOUR]
    pd.testing.assert_frame_equal(lived.reset_index(drop=True)[before.columns].iloc[:len(before)],
                                  before.reset_index(drop=True))


def test_a_live_day_names_the_parameter_and_the_value_it_refuses():
    day = styles.live(ORCHESTRATED).run_until(1.0)
    with pytest.raises(ValueError, match="hours"):
        day.run_until(0.5)
    with pytest.raises(ValueError, match=r"hours=1000000.0 is after the day's end at 10\.09 h"):
        day.run_until(1e6)
    with pytest.raises(ConfigError, match="order='order-0001': nobody was told"):
        day.resolve("order-0001")
    with pytest.raises(TypeError, match="faults"):
        styles.live(ORCHESTRATED, faults="bad day")
    day.fix().resolve(STUCK).run_until(2.0)
    with pytest.raises(ConfigError, match="no open incident"):
        day.resolve(STUCK)


@pytest.mark.parametrize("style", styles.STYLES)
def test_every_step_of_every_order_fits_a_table_column(style):
    result = styles.run(Config(style=style))
    for order in result.orders()["order"]:
        story = result.history(order)
        assert len(story) > 0
        assert story["what"].str.len().max() <= 50, story  # pandas cuts longer cells
        assert story["at (h)"].is_monotonic_increasing


def test_history_names_an_order_that_is_not_in_the_run():
    with pytest.raises(ConfigError, match=r"order=.order-9999. is not in this run.*order-0001"):
        styles.run(Config(orders=3)).history("order-9999")


@given(seed=st.integers(0, 10_000), at=st.floats(0.7, 5.0))
@settings(max_examples=10, deadline=None)
def test_whenever_you_fix_and_resolve_the_stuck_order_is_shipped_exactly_once(seed, at):
    for style in styles.STYLES:
        day = styles.live(Config(style=style, orders=12, interarrival_minutes=5.0, seed=seed))
        day.run_until(at)
        if STUCK not in day.waiting():
            continue  # the deadline or out-of-stock ended it, or it is not told yet
        day.fix().resolve(STUCK).run_until(day._day.until / styles.config.HOUR)
        assert whats(day).count("shipped") == 1


def test_the_fix_comes_out_once():
    day = styles.live(ORCHESTRATED).run_until(1.0).fix()
    day.run_until(2.0).fix()
    assert day.fixed_at == pytest.approx(1.0)
