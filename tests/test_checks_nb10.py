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


def test_exercise_10_6_passes_the_prediction_and_a_choreography_day_operated_until_it_ships():
    from eventlab.scenarios import styles
    assert nb10.choreographed_escalation() == "later"  # the tracker looks every 15 minutes
    day = styles.live(styles.Config()).run_until(2.5)
    day.fix().resolve("order-0005").run_until(4)
    assert repr(checks.exercise_10_6(("later", day))) == "✓ Exercise 10.6 passed (2 cases)"


def test_exercise_10_6_asks_again_for_a_wrong_prediction_then_reveals_the_runs():
    first = repr(checks.exercise_10_6(("earlier", None)))
    assert first.startswith("✗ Exercise 10.6: you said 'earlier'. Hint: who decides")
    assert "choreographed" in repr(checks.exercise_10_6(("at the same time", None)))
    assert "must be one of" in repr(checks.exercise_10_6(("soon", None)))
    assert "give (escalated, chor)" in repr(checks.exercise_10_6("later"))
    assert repr(checks.exercise_10_6((None, None))) == "Exercise 10.6: not attempted yet"


def test_exercise_10_6_says_what_is_missing_at_each_wrong_step():
    from eventlab.scenarios import styles
    check = lambda day: repr(checks.exercise_10_6(("later", day)))  # noqa: E731
    assert repr(checks.exercise_10_6(None)) == "Exercise 10.6: not attempted yet"
    assert "now operate the day" in check(None)
    assert "styles.live" in check(styles.run(styles.Config()))
    assert "operates the choreography" in check(styles.live(styles.Config(style="orchestration")))
    day = styles.live(styles.Config())
    assert "run the day further" in check(day)
    assert "nothing to operate" in check(styles.live(styles.Config()).fix().run_until(1))
    day.run_until(0.9)
    assert "nobody acted yet" in check(day)
    day.resolve("order-0005").run_until(1.5)  # replayed before the fix
    assert "the fix is not out" in check(day)
    day.run_until(2.2)  # Shipping is back at 2 h: the replay fails again and is parked again
    assert "parked again at" in check(day)
    assert "bring the fix out" in check(day)
    day.fix().resolve("order-0005").run_until(2.3)
    assert "not shipped yet at 2.30 h" in check(day)
    day.run_until(3)
    assert check(day).startswith("✓")
