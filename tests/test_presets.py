"""Facilitator presets load with validation and run as the scenario they name."""

import json

import pytest

from eventlab.scenarios import fowler, presets


def test_every_preset_in_the_data_file_builds_its_config_and_runs():
    loaded = presets.load()
    assert len(loaded) >= 5
    for preset in loaded:
        result = presets.run(preset.name)
        assert result.config == preset.config
        assert len(result.trace) > 0


def test_the_table_lists_every_preset_once():
    table = presets.table()
    assert table["preset"].is_unique
    assert set(table.columns) == {"preset", "notebook", "scenario", "what it shows"}


def test_a_preset_changes_the_mechanism_it_says_it_changes():
    crowded = presets.run("many-consumers").metrics
    assert crowded[fowler.Metric.CALLBACKS] == 8 * 5


@pytest.mark.parametrize(("entry", "words"), [
    ({"name": "x", "notebook": "01", "scenario": "nope", "why": "w", "config": {}},
     ["entry 0", "'nope'", "fowler"]),
    ({"name": "x", "notebook": "01", "scenario": "fowler", "why": "w",
      "config": {"consumers": 0}}, ["entry 0", "'x'", "consumers"]),
    ({"name": "x", "notebook": "01", "scenario": "fowler", "why": "w",
      "config": {"consumerz": 1}}, ["entry 0", "consumerz"]),
    ({"name": "x", "scenario": "fowler", "why": "w", "config": {}}, ["entry 0", "keys"]),
])
def test_a_bad_preset_file_is_reported_with_its_entry_and_field(tmp_path, entry, words):
    path = tmp_path / "presets.json"
    path.write_text(json.dumps([entry]))
    with pytest.raises(ValueError, match="entry 0") as info:
        presets.load(path)
    for word in words:
        assert word in str(info.value)


def test_asking_for_an_unknown_preset_lists_the_known_ones():
    with pytest.raises(ValueError, match="slow-crm"):
        presets.config("slow-cmr")


def test_a_file_that_is_not_json_is_a_clear_error(tmp_path):
    path = tmp_path / "presets.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="cannot be read as JSON"):
        presets.load(path)


PAIRS = [("busy-counter", "busy-counter-safe", "expected"),
         ("slow-crm", "slow-crm-state-transfer", "pattern")]


@pytest.mark.parametrize(("base", "variant", "field"), PAIRS)
def test_presets_meant_as_a_pair_change_one_field_and_compare_over_twenty_seeds(base, variant,
                                                                                field):
    cmp = presets.compare(base, variant, n_jobs=1)
    assert cmp.names == [base, variant]
    assert cmp.field == field
    assert all(len(reps.seeds) == 20 for reps in cmp.sides.values())


def test_the_safe_counter_makes_no_decision_on_a_stale_read():
    stale = presets.compare("busy-counter", "busy-counter-safe", n_jobs=1)
    assert "**busy-counter** has more" in stale.verdict("decisions written on a stale read",
                                                       "busy-counter", "busy-counter-safe")


def test_comparing_presets_that_change_several_fields_at_once_is_refused():
    with pytest.raises(ValueError, match=r"changes .* at once"):
        presets.compare("many-consumers", "slow-crm", n_jobs=1)
    with pytest.raises(ValueError, match="different scenarios"):
        presets.compare("slow-crm", "busy-counter", n_jobs=1)
    with pytest.raises(TypeError, match="at least two preset names"):
        presets.compare("slow-crm")
