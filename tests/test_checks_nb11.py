"""Notebook 11's checkers accept the reference, reject typical mistakes, and never raise."""

from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import checks
from eventlab.checks import nb11
from eventlab.scenarios import recap


def test_exercise_11_1_runs_the_design_and_names_the_first_target_it_misses():
    assert repr(checks.exercise_11_1(recap.Config(partitions=8))) == \
        "✓ Exercise 11.1 passed (4 cases)"
    assert repr(checks.exercise_11_1(recap.Config())) == (
        "✗ Exercise 11.1: target not met: the consumer lag stays within 1 h (the run: max "
        "consumer lag 1.12 h)")
    commanded = recap.Config(partitions=8, notification="command")
    assert repr(checks.exercise_11_1(commanded)).endswith(
        "nobody depends on Notification or Loyalty (the run: Order depends on Notification)")
    chained = recap.Config(partitions=8, coordination="choreography")
    assert "every order that was not delivered is noticed" in \
        repr(checks.exercise_11_1(chained))


def test_exercise_11_1_keeps_the_shop_and_the_day_fixed():
    assert "keep the shop and the day as they are: orders is 20" in \
        repr(checks.exercise_11_1(recap.Config(partitions=8, orders=20)))
    assert "schedule is 'none'" in repr(checks.exercise_11_1(recap.Config(schedule="none")))
    assert repr(checks.exercise_11_1({"partitions": 8})).startswith("✗ Exercise 11.1: write")


def test_exercise_11_2_finds_the_lost_message_no_timer_can_notice():
    assert nb11.unnoticed_losses() == ("OrderPlacedEvent",)
    assert repr(checks.exercise_11_2("OrderPlacedEvent")) == "✓ Exercise 11.2 passed (1 case)"
    assert repr(checks.exercise_11_2("ShipGoodsCommand")).startswith(
        "✗ Exercise 11.2: you said 'ShipGoodsCommand'. Hint: ")
    assert repr(checks.exercise_11_2("ShipGoodsCommand")) == (
        "✗ Exercise 11.2: you said 'ShipGoodsCommand'; in the run, the lost messages nobody "
        "noticed were OrderPlacedEvent")
    assert repr(checks.exercise_11_2(3)).startswith("✗ Exercise 11.2: write one message type")


def test_exercise_11_3_runs_one_partition_against_four():
    assert nb11.delivered_by_partitions() == (100, 93, 52)
    assert repr(checks.exercise_11_3("about half")) == "✓ Exercise 11.3 passed (1 case)"
    assert "Hint:" in repr(checks.exercise_11_3("almost none"))
    assert "the run delivered 52 of 100 orders with 1 partition" in \
        repr(checks.exercise_11_3("almost none"))
    assert "choose one of" in repr(checks.exercise_11_3("most"))


def test_nothing_is_not_attempted_yet():
    for checker in (checks.exercise_11_1, checks.exercise_11_2, checks.exercise_11_3):
        assert repr(checker(None)).endswith("not attempted yet")


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 500), st.data())
def test_the_buckets_are_ordered_and_cover_every_count(orders, data):
    with_four = data.draw(st.integers(0, orders))
    one, other = sorted(data.draw(st.lists(st.integers(0, orders), min_size=2, max_size=2)))
    order = {b: i for i, b in enumerate(nb11.BUCKETS)}
    assert nb11.bucket_of(orders, with_four, one) in nb11.BUCKETS
    # fewer orders delivered never lands in a better bucket
    assert order[nb11.bucket_of(orders, with_four, one)] >= \
        order[nb11.bucket_of(orders, with_four, other)]


def test_the_11_3_reveal_says_how_the_undelivered_orders_ended_and_when_they_were_placed():
    from eventlab.checks import nb11
    from eventlab.scenarios import recap
    facts = recap.run(recap.Config(partitions=1)).facts.reset_index(drop=True)
    missed = facts.index[facts["outcome"] != "delivered"].tolist()
    middle = [i for i in missed if 20 <= i < 70]
    assert len(middle) >= 0.8 * len(missed)  # "most were placed in the middle of the day"
    assert "'not shipped'" in nb11.undelivered_with_one()
