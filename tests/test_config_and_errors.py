"""Bad input gets a clear error naming the parameter, the value and what is allowed."""

import math
from dataclasses import dataclass, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventlab import ConfigError, EventlabError
from eventlab.core.config import Scenario, param, seed_param, spec_of
from eventlab.core.errors import (
    check_choice,
    check_float,
    check_int,
    check_probability,
    check_text,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Demo(Scenario):
    mode: str = param("a", choices=("a", "b"))
    count: int = param(3, low=1, high=10)
    rate: float = param(0.5, low=0.0, high=1.0)
    flag: bool = param(False)
    seed: int = seed_param()

    def check(self) -> None:
        if self.mode == "b" and self.count > 5:
            raise ConfigError(f"count must be <= 5 when mode='b', got {self.count}")


def test_a_valid_config_is_accepted_and_frozen():
    config = Demo(count=4)
    assert config.count == 4
    with pytest.raises(AttributeError):
        config.count = 5


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"count": 0}, ValueError, ["count", ">= 1", "0"]),
    ({"count": 11}, ValueError, ["count", "<= 10", "11"]),
    ({"count": True}, TypeError, ["count", "int", "bool"]),
    ({"count": "3"}, TypeError, ["count", "int", "'3'"]),
    ({"count": 2.0}, TypeError, ["count", "int", "float"]),
    ({"rate": math.nan}, ValueError, ["rate", "finite", "nan"]),
    ({"rate": -0.1}, ValueError, ["rate", ">= 0.0"]),
    ({"rate": "x"}, TypeError, ["rate", "number", "'x'"]),
    ({"flag": 1}, TypeError, ["flag", "True or False", "1"]),
    ({"mode": "c"}, ValueError, ["mode", "'a', 'b'", "'c'"]),
    ({"seed": -1}, ValueError, ["seed", ">= 0"]),
])
def test_each_bad_field_value_is_rejected_with_a_message_naming_it(kwargs, error, words):
    with pytest.raises(error) as info:
        Demo(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_an_unknown_field_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="counts"):
        Demo(counts=3)


def test_cross_field_rules_run_after_the_single_fields_are_valid():
    with pytest.raises(ConfigError, match="mode='b'"):
        Demo(mode="b", count=6)
    with pytest.raises(ConfigError):
        replace(Demo(mode="b", count=5), count=6)


def test_config_errors_are_both_value_errors_and_eventlab_errors():
    with pytest.raises(ConfigError) as info:
        Demo(count=0)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, EventlabError)


def test_spec_of_reports_the_range_and_rejects_unknown_fields():
    spec = spec_of(Demo, "count")
    assert (spec.kind, spec.low, spec.high) == ("int", 1, 10)
    with pytest.raises(ValueError, match="no field 'nope'"):
        spec_of(Demo, "nope")


@given(st.integers(min_value=1, max_value=10))
def test_every_int_inside_the_range_is_accepted(n):
    assert Demo(count=n).count == n


@given(st.one_of(st.integers(max_value=0), st.integers(min_value=11)))
def test_every_int_outside_the_range_is_rejected(n):
    with pytest.raises(ValueError, match="count"):
        Demo(count=n)


def test_the_small_checkers_return_the_value_when_it_is_fine():
    assert check_int("n", 3, low=0) == 3
    assert check_float("x", 2, low=0.0) == 2.0
    assert check_probability("p", 1) == 1.0
    assert check_text("name", "CRM") == "CRM"
    assert check_choice("mode", "a", ("a",)) == "a"


def test_check_float_can_exclude_its_lower_bound():
    with pytest.raises(ValueError, match="> 0"):
        check_float("interval", 0.0, low=0.0, low_open=True)


def test_check_text_rejects_blank_strings_and_non_strings():
    with pytest.raises(ValueError, match="non-empty"):
        check_text("name", "  ")
    with pytest.raises(TypeError, match="name must be a string"):
        check_text("name", 3)


def test_a_learner_names_a_scenario_by_the_module_they_imported_without_its_layer():
    from eventlab.core.naming import class_as_imported, learner_name

    assert learner_name("eventlab.scenarios.bank.config") == "bank"
    assert learner_name("eventlab.scenarios.zeebe.jobs") == "zeebe.jobs"
    assert learner_name("eventlab.domains.crm.config") == "crm"
    assert learner_name("somewhere.else") == "else"
    from eventlab.scenarios import bank
    assert class_as_imported(bank.Config) == "bank.Config"
