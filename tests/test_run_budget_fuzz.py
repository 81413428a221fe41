"""Nothing a learner does with a config or a slider breaks the workbook.

Hypothesis draws every scenario's config (each field at its default, an edge or anywhere in
its range, in any combination), and every notebook widget's sliders go to both edges. Each
draw must end one of three ways: the run finishes within the budget, it is refused before it
starts, or it is stopped while it runs; a refusal is one ValueError or TypeError naming a
field. Any other exception is a crash. The budget is lowered to 1 s here to keep the suite
fast: what holds for 1 s holds for the 10 s a learner gets.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import pkgutil
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventlab.scenarios
from eventlab.core import budget
from eventlab.core.budget import OverBudgetError
from eventlab.core.config import spec_of

TEST_SECONDS = 1.0
TEST_MEGABYTES = 600.0
# A run stopped by the in-run guard still builds nothing afterwards; one that finishes
# within the budget may spend a little more on its tables. Both stay well under this.
WALL_LIMIT = 6.0
# Draws per scenario; EVENTLAB_FUZZ_EXAMPLES=200 for a long hunt before a release.
EXAMPLES = int(os.environ.get("EVENTLAB_FUZZ_EXAMPLES", "5"))


def _runs() -> list[tuple[str, Callable[[Any], Any], type]]:
    found = []
    for info in pkgutil.walk_packages(eventlab.scenarios.__path__, "eventlab.scenarios."):
        module = importlib.import_module(info.name)
        run = getattr(module, "run", None)
        if run is None or getattr(run, "__module__", None) != info.name:
            continue
        if list(inspect.signature(run).parameters)[:1] != ["config"]:
            continue
        hint = inspect.get_annotations(run, eval_str=True)["config"]
        found.append((info.name.removeprefix("eventlab.scenarios."), run,
                      next(a for a in hint.__args__ if a is not type(None))))
    return found


RUNS = _runs()


def field_values(config_class: type) -> dict[str, st.SearchStrategy[Any]]:
    """Per field: its default, an edge, or any allowed value."""
    default = config_class()
    out = {}
    for f in dataclasses.fields(config_class):
        if "eventlab" not in f.metadata:
            continue
        spec = spec_of(config_class, f.name)
        value = getattr(default, f.name)
        if f.name == "seed":
            out[f.name] = st.integers(0, 1000)
        elif spec.kind == "int":
            low, high = int(spec.low), int(spec.high)  # type: ignore[arg-type]
            out[f.name] = st.one_of(st.just(value), st.sampled_from([low, high]),
                                    st.integers(low, high))
        elif spec.kind == "float":
            low, high = float(spec.low), float(spec.high)  # type: ignore[arg-type]
            if spec.low_open:
                low += spec.step or 1e-6
            # On the slider's grid when it has a step (a money field refuses 508.1234).
            anywhere = st.floats(low, high) if not spec.step else st.integers(
                0, int((high - low) / spec.step)).map(
                lambda k, low=low, step=spec.step: round(low + k * step, 6))
            out[f.name] = st.one_of(st.just(value), st.sampled_from([low, high]), anywhere)
        elif spec.kind == "choice":
            out[f.name] = st.sampled_from(spec.choices)
        elif spec.kind == "bool":
            out[f.name] = st.booleans()
        else:
            out[f.name] = st.just(value)
    return out


def attempt(run: Callable[[Any], Any], make: Callable[[], Any]) -> str:
    """Build the config and run it under the test budget; how it ended, or fail."""
    names = []
    try:
        config = make()
        names = [f.name for f in dataclasses.fields(config)]
        with budget.budget(seconds=TEST_SECONDS, megabytes=TEST_MEGABYTES):
            started = time.perf_counter()
            try:
                run(config)
            finally:
                spent = time.perf_counter() - started
        assert spent < WALL_LIMIT, f"{config} took {spent:.1f} s"
        return "ran"
    except OverBudgetError as refused:
        message = str(refused)
        assert "budget" in message
        assert any(name in message for name in names) or "Lower the counts" in message
        return "refused"
    except (TypeError, ValueError) as refused:  # a cross-field rule: one clear line
        message = str(refused)
        assert message
        assert "\n" not in message.strip()
        return "refused"


@pytest.mark.parametrize(("name", "run", "config_class"), RUNS, ids=[r[0] for r in RUNS])
def test_every_random_combination_runs_within_the_budget_or_is_refused_naming_a_field(
        name: str, run: Callable[[Any], Any], config_class: type) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(values=st.fixed_dictionaries(field_values(config_class)))
    def check(values: dict[str, Any]) -> None:
        attempt(run, lambda: config_class(**values))

    check()


WIDGETS: list[tuple[str, list[str]]] = [  # the explore() panels of the notebooks
    ("fowler", ["pattern", "consumers", "changes", "crm_query_time", "projector_interval"]),
    ("bank", ["as_of_day", "days", "payments_per_day", "mean_payment"]),
    ("bank.clerks", ["clerks", "think_time", "expected", "backend", "retries"]),
    ("zeebe.single_writer", ["mode", "clients", "hot_spot", "connections", "partitions"]),
    ("zeebe.cp", ["cluster_size", "minority", "leader_side", "heal_at", "mode", "item_limit"]),
    ("zeebe.partitions", ["brokers", "partitions", "coordination_cost", "key_skew",
                          "offered_rate"]),
    ("zeebe.read_models", ["batch_size", "flush_interval", "index_delay", "query_delay",
                           "stall_for"]),
    ("zeebe.backpressure", ["algorithm", "limit", "load", "client_timeout", "max_attempts"]),
    ("zeebe.jobs", ["workers", "crash_probability", "lock_timeout", "work_time",
                    "idempotent"]),
    ("outbox", ["variant", "crash_at", "crash_rate", "relay_interval"]),
    ("merged_store", ["store", "view_lag", "instances", "own_writes", "duplicate_share"]),
    ("shared_store", ["mode", "consumers", "refactorings_per_month",
                      "public_changes_per_year", "fix_days"]),
    ("kafka_transport.ordering", ["key", "partitions", "orders", "members",
                                  "processing_time"]),
    ("kafka_transport.groups", ["assignor", "start_members", "peak_members", "end_members",
                                "scale_down"]),
    ("crm", ["pattern", "payload", "consumers", "downtime", "duplicates", "reorder",
             "crm_query_time"]),
    ("onboarding", ["failing", "customers", "timeout"]),
    ("retail.chain", ["style", "tracking", "drop_payment", "drop_inventory", "drop_shipping",
                      "pick_hours", "ship_hours", "fetch_sla", "ship_sla"]),
    ("retail.orchestrated", ["p_card", "p_update", "update_hours", "card_update_timer",
                             "payment_timer", "fetch_timer", "ship_timer", "variant"]),
    ("recap.scorecard", ["coordination", "payment", "inventory", "shipping", "notification",
                         "loyalty", "outbox", "partitions", "crash_rate", "schedule"]),
]
BY_NAME = {name: (run, config_class) for name, run, config_class in RUNS}


def slider_edges() -> list[tuple[str, str, Any]]:
    edges = []
    for scenario, fields in WIDGETS:
        config_class = BY_NAME[scenario][1]
        for field in fields:
            spec = spec_of(config_class, field)
            if spec.kind in ("int", "float"):
                low = spec.low + (spec.step or 1e-6) if spec.low_open else spec.low
                values = [low, spec.high]
                if spec.kind == "int":
                    values = [int(v) for v in values]  # type: ignore[arg-type]
            elif spec.kind == "choice":
                values = list(spec.choices)
            else:
                values = [True, False]
            edges += [(scenario, field, value) for value in values]
    return edges


def test_the_widget_table_matches_the_notebooks() -> None:
    assert {name for name, _ in WIDGETS} <= set(BY_NAME)


@pytest.mark.parametrize(("scenario", "field", "value"), slider_edges(),
                         ids=lambda v: str(v))
def test_every_slider_edge_either_runs_or_says_why_not(scenario: str, field: str,
                                                        value: Any) -> None:
    run, config_class = BY_NAME[scenario]
    attempt(run, lambda: dataclasses.replace(config_class(), **{field: value}))


def edge(config_class: type, field: str, which: str) -> Any:
    spec = spec_of(config_class, field)
    if which == "low":
        value = spec.low + (spec.step or 1e-6) if spec.low_open else spec.low
    else:
        value = spec.high
    return int(value) if spec.kind == "int" else float(value)  # type: ignore[arg-type]


PAIRS = [(name, a.name, b.name) for name, _, config_class in RUNS
         for i, a in enumerate(dataclasses.fields(config_class))
         for b in dataclasses.fields(config_class)[i + 1:]
         if "seed" not in (a.name, b.name)
         and all("eventlab" in f.metadata and spec_of(config_class, f.name).kind in
                 ("int", "float") for f in (a, b))]


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(pair=st.sampled_from(PAIRS), first=st.sampled_from(["low", "high"]),
       second=st.sampled_from(["low", "high"]))
def test_any_two_fields_at_their_extremes_run_or_are_refused_naming_a_field(
        pair: tuple[str, str, str], first: str, second: str) -> None:
    scenario, a, b = pair
    run, config_class = BY_NAME[scenario]
    values = {a: edge(config_class, a, first), b: edge(config_class, b, second)}
    attempt(run, lambda: dataclasses.replace(config_class(), **values))
