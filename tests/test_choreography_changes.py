"""Change requests under three architectures, and the scorecard on the same seeded orders."""

import pytest

from eventlab.scenarios.retail import choreography, compare
from eventlab.scenarios.retail.orchestration import ShopParams


def test_adding_the_criminal_check_changes_one_service_and_adds_one_everywhere():
    """The talk's "Comparison": similar effort, the same degree of coupling."""
    for architecture in choreography.ARCHITECTURES:
        assert choreography.count_changes("criminal_check", architecture) == \
            {"changed": 1, "new": 1, "unchanged": 2, "removed": 0}
    changed = {a: choreography.changes("criminal_check", a).query("change == 'changed'")
               ["service"].tolist() for a in choreography.ARCHITECTURES}
    assert changed == {"sequential": ["Customer"], "parallel": ["Customer"],
                       "orchestration": ["Onboarding"]}


def test_fetching_before_payment_touches_every_choreographed_service_but_two_orchestrated():
    for case in ("vip_fetch_first", "fetch_first"):
        for style in ("sequential", "parallel"):
            table = choreography.changes(case, style).set_index("service")["change"]
            assert table.to_dict() == {"Payment": "changed", "Inventory": "changed",
                                       "Shipping": "changed"}
        table = choreography.changes(case, "orchestration").set_index("service")["change"]
        assert table.to_dict() == {"Order": "changed", "Payment": "unchanged",
                                   "Inventory": "changed", "Shipping": "unchanged"}


def test_the_change_table_covers_every_request_and_architecture():
    table = choreography.change_table()
    assert table.shape == (3, 3)
    assert table.loc["everyone: fetch goods before payment", "orchestration"] == \
        "2 changed + 0 new"


def test_a_change_lists_the_contract_lines_that_differ():
    table = choreography.changes("fetch_first", "sequential").set_index("service")
    assert "PaymentFailedEvent" in table.loc["Payment", "lines added"]
    assert "on PaymentFailedEvent: return goods" in table.loc["Inventory", "lines added"]


def test_the_change_diagram_marks_changed_and_new_services():
    text = choreography.change_diagram("criminal_check", "parallel").text()
    assert "[service] Customer — changed" in text
    assert "[service] CriminalCheck — new" in text
    assert "CriminalCheck -> Customer: CriminalRecordChecked [event]" in text
    orchestrated = choreography.change_diagram("criminal_check", "orchestration").text()
    assert "Onboarding -> CriminalCheck: CheckCriminalRecord [command]" in orchestrated


def test_every_design_is_a_valid_wiring_and_orchestrations_name_their_orchestrator():
    for case in choreography.CHANGE_REQUESTS:
        for architecture in choreography.ARCHITECTURES:
            for changed in (False, True):
                wiring = choreography.design(case, architecture, changed=changed)
                assert wiring.services
                assert bool(wiring.orchestrators) == (architecture == "orchestration")
    table = choreography.retail_wiring("parallel").table()
    assert table["on"].tolist()[1] == "OrderPlacedEvent + PaymentReceivedEvent"


def test_the_scorecard_runs_every_architecture_on_the_same_orders_over_the_same_seeds():
    params = ShopParams(orders=12, seed=4, drop_inventory=0.1)
    runs = compare.runs(params)
    placed = {name: r.facts["placed"].tolist() for name, r in runs.items()}
    assert len({tuple(v) for v in placed.values()}) == 1
    card = choreography.scorecard(params, n_jobs=1)
    assert card.field == "architecture"
    assert card.names == list(compare.COLUMNS)
    assert {tuple(reps.seeds) for reps in card.sides.values()} == {tuple(range(4, 24))}
    nobody = "not delivered, nobody noticed"
    assert card.interval("orchestration", nobody).high == 0
    assert card.interval("sequential choreography + tracking", nobody).high == 0
    for reps in card.sides.values():
        runs_ = reps.runs.pivot(index="seed", columns="metric", values="value")
        total = runs_["orders delivered"] + runs_["not delivered, noticed"] + runs_[nobody]
        assert (total == 12).all()
    table = card.wide(choreography.SCORECARD_ROWS)
    assert list(table.index) == list(compare.COLUMNS)
    assert list(table.columns) == list(choreography.SCORECARD_ROWS)


def test_the_scorecard_verdicts_say_only_what_the_intervals_allow():
    card = choreography.scorecard(ShopParams(orders=30, seed=1), n_jobs=1)
    text = repr(choreography.scorecard_verdicts(card))
    assert text.count("\n- ") == 7  # eight sentences, one per question
    assert ("**sequential choreography + tracking** and **orchestration** have the same "
            "undelivered orders that nobody noticed in every seed") in text
    assert "over the same 20 seeds" in text
    with pytest.raises(TypeError, match="card must be a Comparison"):
        choreography.scorecard_verdicts(compare.runs(ShopParams(orders=2)))
    with pytest.raises(ValueError, match="card must compare architecture"):
        choreography.scorecard_verdicts(
            choreography.change_effects(ShopParams(orders=2), seeds=2, n_jobs=1))


def test_the_change_effects_compare_the_orchestrated_shop_before_and_after_the_change():
    effects = choreography.change_effects(ShopParams(orders=10, seed=2, p_card=0.3,
                                                     p_update=0.5), case="fetch_first",
                                          n_jobs=1)
    assert effects.field == "variant"
    assert effects.names == ["payment first", "fetch first"]
    assert effects.interval("payment first", "returned picks").high == 0  # nothing to return
    assert effects.interval("fetch first", "returned picks").mean > 0
    assert set(choreography.CHANGE_ROWS) <= set(effects.metrics())
    sentences = repr(choreography.change_verdicts(effects))
    assert "**fetch first** has more returned picks than **payment first**" in sentences


def test_the_coupling_is_read_from_the_wiring_tables():
    table = choreography.coupling()
    assert table["dependencies (A knows B)"].tolist() == [3, 7, 5, 4]
    assert table.loc["orchestration", "who depends on whom"] == \
        "Order→Checkout, Payment, Inventory, Shipping"
    assert table.loc["sequential choreography + tracking", "services changed: fetch first"] == \
        "3 changed + 0 new + tracking model"
    assert table["services changed: criminal check"].nunique() == 1
    tracked = compare.dependencies("sequential choreography + tracking")
    assert set(tracked.loc[tracked["service"] == "Tracking", "depends on"]) == {
        "Checkout", "Payment", "Inventory", "Shipping"}


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="case must be one of"):
        choreography.changes("gdpr", "sequential")
    with pytest.raises(ValueError, match="architecture must be one of"):
        choreography.changes("fetch_first", "mesh")
    with pytest.raises(ValueError, match="case must be one of 'vip_fetch_first'"):
        choreography.change_effects(case="criminal_check")
    with pytest.raises(TypeError, match=r"params must be retail\.shop\.ShopParams"):
        choreography.scorecard({"orders": 3})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="architecture must be one of"):
        compare.dependencies("microservices")


def test_dependencies_follow_events_to_their_producer_and_commands_to_their_receiver():
    chain = choreography.retail_wiring("sequential").dependencies()
    assert list(zip(chain["service"], chain["depends on"], strict=True)) == [
        ("Payment", "Checkout"), ("Inventory", "Payment"), ("Shipping", "Inventory")]
    orchestrated = choreography.orchestrated_wiring().dependencies().set_index("depends on")
    assert set(orchestrated["service"]) == {"Order"}
    assert "sends RetrievePaymentCommand" in orchestrated.loc["Payment", "because it"]
    assert "listens to PaymentReceivedEvent" in orchestrated.loc["Payment", "because it"]
    balanced = choreography.orchestrated_wiring(side_effects=True).dependencies()
    assert ("Notification", "Order") in set(zip(balanced["service"], balanced["depends on"],
                                                strict=True))


def test_the_change_diff_lists_the_lines_each_touched_service_loses_and_gains():
    diff = choreography.change_diff("criminal_check", "parallel").splitlines()
    assert diff[0] == "on-boarding: add a criminal records check: parallel choreography"
    assert "Customer (changed)" in diff
    assert "CriminalCheck (new)" in diff
    assert "  + on RegistrationRequested: check criminal record → CriminalRecordChecked" in diff
    assert not any(line.startswith("AddressCheck") for line in diff)  # unchanged: left out
