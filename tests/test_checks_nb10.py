"""Notebook 10's checkers accept the reference, reject typical mistakes, and never raise."""

from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import checks
from eventlab.checks import nb10
from eventlab.scenarios.retail import choreography


def who_knows_whom(flows):
    return {(p, c) if kind == "command" else (c, p)
            for _, kind, p, c in flows if p != c}


def arrows_as_drawn(flows):  # a typical mistake: the arrow's direction is the dependency
    return {(p, c) for _, _, p, c in flows if p != c}


def stub(*_):
    raise NotImplementedError


def test_exercise_10_1_checks_every_design_before_and_after_each_change():
    assert repr(checks.exercise_10_1(who_knows_whom)) == "✓ Exercise 10.1 passed (20 cases)"
    assert repr(checks.exercise_10_1(arrows_as_drawn)).startswith(
        "✗ Exercise 10.1: for on-boarding, sequential choreography expected")


def test_exercise_10_2_runs_the_lost_payment_command_in_the_fetch_first_order():
    assert nb10.undone_when_payment_never_arrives() == ("return goods",)
    assert repr(checks.exercise_10_2({"return goods"})) == "✓ Exercise 10.2 passed (1 case)"
    assert repr(checks.exercise_10_2("return goods")) == "✓ Exercise 10.2 passed (1 case)"
    assert repr(checks.exercise_10_2({"refund payment", "return goods"})).startswith(
        "✗ Exercise 10.2: you said {'refund payment', 'return goods'}. Hint: ")
    assert repr(checks.exercise_10_2({"refund payment", "return goods"})) == (
        "✗ Exercise 10.2: you said {'refund payment', 'return goods'}; the run undid "
        "{'return goods'}")
    assert "'cancel order' is not a compensation" in repr(checks.exercise_10_2({"cancel order"}))
    assert "nothing" in repr(checks.exercise_10_2(set()))


def test_exercise_10_3_runs_the_shipping_strike_both_ways():
    assert nb10.strike_outcomes() == ("Goods not shipped in time", "completed")
    assert repr(checks.exercise_10_3(("Goods not shipped in time", "completed"))) == \
        "✓ Exercise 10.3 passed (2 cases)"
    assert repr(checks.exercise_10_3(("Order delivered", "completed"))).startswith(
        "✗ Exercise 10.3: you said ('Order delivered', 'completed'). Hint: ")
    assert "must be one of" in repr(checks.exercise_10_3(("late", "completed")))
    assert repr(checks.exercise_10_3("completed")).startswith("✗ Exercise 10.3: write two")


def test_a_stub_or_nothing_is_not_attempted_yet():
    assert repr(checks.exercise_10_1(stub)) == "Exercise 10.1: not attempted yet"
    assert repr(checks.exercise_10_2(None)) == "Exercise 10.2: not attempted yet"
    assert repr(checks.exercise_10_3((None, "completed"))) == "Exercise 10.3: not attempted yet"


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(list(choreography.CHANGE_REQUESTS)),
       st.sampled_from(choreography.ARCHITECTURES), st.booleans())
def test_every_flow_adds_one_dependency_and_the_tables_agree(case, architecture, changed):
    wiring = choreography.design(case, architecture, changed=changed)
    table = wiring.dependencies()
    assert set(zip(table["service"], table["depends on"], strict=True)) == \
        who_knows_whom(wiring.flows())
    assert not table.duplicated(["service", "depends on"]).any()


def test_exercise_10_6_passes_a_choreography_day_operated_until_the_stuck_order_ships():
    from eventlab.scenarios import styles
    day = styles.live(styles.Config()).run_until(2.5)
    day.fix().resolve("order-0005").run_until(4)
    assert repr(checks.exercise_10_6(day)) == "✓ Exercise 10.6 passed (1 case)"


def test_exercise_10_6_says_what_is_missing_at_each_wrong_step():
    from eventlab.scenarios import styles
    assert repr(checks.exercise_10_6(None)) == "Exercise 10.6: not attempted yet"
    assert "styles.live" in repr(checks.exercise_10_6(styles.run(styles.Config())))
    assert "operates the choreography" in repr(
        checks.exercise_10_6(styles.live(styles.Config(style="orchestration"))))
    day = styles.live(styles.Config())
    assert "run the day further" in repr(checks.exercise_10_6(day))
    day.run_until(0.9)
    assert "nobody acted yet" in repr(checks.exercise_10_6(day))
    day.resolve("order-0005").run_until(1.5)  # replayed before the fix
    assert "the fix is not out" in repr(checks.exercise_10_6(day))
    day.fix().run_until(1.6)  # Shipping is down until 2 h: not shipped yet
    assert "not shipped yet at 1.60 h" in repr(checks.exercise_10_6(day))
    day.run_until(3)  # the replayed message is processed after the fix: shipped
    assert repr(checks.exercise_10_6(day)).startswith("✓")
