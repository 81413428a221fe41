"""Every metric name is written once, in its scenario's `Metric` enum, and looked up through it.

A run's `metrics` keys must be exactly its enum's values, in order, so a metric that is
renamed, added or dropped has to be declared there; and no code in `eventlab/` looks a metric
up by a string of its own, which would silently miss a renamed metric.
"""

import ast
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from eventlab.scenarios import (
    bank,
    crm,
    fowler,
    merged_store,
    onboarding,
    outbox,
    recap,
    shared_store,
    styles,
)
from eventlab.scenarios.bank import clerks
from eventlab.scenarios.kafka_transport import (
    cleanup,
    commits,
    durability,
    groups,
    ordering,
    rebalances,
    routing,
)
from eventlab.scenarios.monitoring import options
from eventlab.scenarios.retail import architectures, choreography, orchestration
from eventlab.scenarios.zeebe import (
    backpressure,
    cp,
    jobs,
    partitions,
    read_models,
    replication,
    single_writer,
)

PACKAGE = Path(__file__).resolve().parent.parent / "eventlab"

# (scenario, its run with default config, its Metric enum)
SCENARIOS: list[tuple[str, Callable[[], Any], type[StrEnum]]] = [
    ("fowler", fowler.run, fowler.Metric),
    ("crm", crm.run, crm.Metric),
    ("bank", bank.run, bank.Metric),
    ("bank.clerks", clerks.run, clerks.Metric),
    ("outbox", outbox.run, outbox.Metric),
    ("shared_store", shared_store.run, shared_store.Metric),
    ("merged_store", merged_store.run, merged_store.Metric),
    ("onboarding.run_notify", onboarding.run_notify, onboarding.NotifyMetric),
    ("onboarding.run_transports", onboarding.run_transports, onboarding.TransportMetric),
    ("retail.choreography", choreography.run, choreography.Metric),
    ("retail.architectures", architectures.run, architectures.Metric),
    ("recap", recap.run, recap.Metric),
    ("styles", styles.run, styles.Metric),
    ("kafka_transport.commits", commits.run, commits.Metric),
    ("kafka_transport.durability", durability.run, durability.Metric),
    ("kafka_transport.groups", groups.run, groups.Metric),
    ("kafka_transport.ordering", ordering.run, ordering.Metric),
    ("kafka_transport.rebalances", rebalances.run, rebalances.Metric),
    ("kafka_transport.routing", routing.run, routing.Metric),
    ("zeebe.backpressure", backpressure.run, backpressure.Metric),
    ("zeebe.cp", cp.run, cp.Metric),
    ("zeebe.jobs", jobs.run, jobs.Metric),
    ("zeebe.partitions", partitions.run, partitions.Metric),
    ("zeebe.replication", replication.run, replication.Metric),
    ("zeebe.single_writer", single_writer.run, single_writer.Metric),
]


@pytest.mark.parametrize(("run", "metric"), [(run, metric) for _, run, metric in SCENARIOS],
                         ids=[name for name, _, _ in SCENARIOS])
def test_a_default_run_measures_exactly_the_declared_metrics_in_order(run, metric):
    assert list(run().metrics) == [m.value for m in metric]


def test_onboarding_measures_its_totals_then_three_counts_per_step():
    names = [m.value for m in onboarding.Metric]
    names += [f"{step.name}: {what}" for step in onboarding.STEPS
              for what in ("expected", "done", "noticed")]
    assert list(onboarding.run().metrics) == names


def test_the_monitoring_options_measure_their_totals_then_each_option_s_measures():
    names = [m.value for m in options.Metric]
    names += [f"{o}: {m}" for o in options.OPTIONS for m in options.Measure]
    assert list(options.run().metrics) == names


def test_the_orchestrated_order_measures_its_side_effects_only_when_it_has_them():
    side = (orchestration.Metric.CUSTOMERS_NOTIFIED, orchestration.Metric.LOYALTY_POINTS_ADDED)
    names = [m.value for m in orchestration.Metric]
    assert list(orchestration.run().metrics) == [n for n in names if n not in side]
    with_side_effects = orchestration.Config(side_effects=True)
    assert list(orchestration.run(with_side_effects).metrics) == names


def test_the_cleanup_measures_its_totals_then_the_records_of_its_first_customer():
    metrics = list(cleanup.run().metrics)
    assert metrics[:-2] == [m.value for m in cleanup.Metric]
    assert [name.split(": ")[1] for name in metrics[-2:]] == ["written", "left"]


def test_the_read_models_measure_their_totals_then_each_exporter_s_position():
    result = read_models.run()
    metrics = list(result.metrics)
    positions = len(metrics) - len(read_models.Metric)
    assert metrics[:-positions] == [m.value for m in read_models.Metric]
    assert all(name.endswith(" position") for name in metrics[-positions:])


def test_metric_values_are_plain_strings_that_print_as_themselves():
    # Summary tables, CSVs and notebook outputs show the value, never "Metric.CALLBACKS".
    assert f"{fowler.Metric.CALLBACKS}" == str(fowler.Metric.CALLBACKS) == "callbacks to the CRM"
    assert {"callbacks to the CRM": 1}[fowler.Metric.CALLBACKS] == 1


def _declared_names() -> set[str]:
    names = {m.value for _, _, metric in SCENARIOS for m in metric}
    return names | {m.value for m in options.Metric} | {
        f"{o}: {m}" for o in options.OPTIONS for m in options.Measure}


def _string_lookups(path: Path, names: set[str]) -> list[str]:
    """`metrics["..."]` / `m["..."]` / `x.metrics["..."]` with a declared metric name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Subscript):
            continue
        target = node.value
        called = target.id if isinstance(target, ast.Name) else \
            target.attr if isinstance(target, ast.Attribute) else None
        key = node.slice
        if called in ("metrics", "m") and isinstance(key, ast.Constant) \
                and isinstance(key.value, str) and key.value in names:
            where = path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE) else path.name
            found.append(f"{where}:{node.lineno}: {called}[{key.value!r}]")
    return found


def test_no_code_looks_a_metric_up_by_a_string_literal():
    names = _declared_names()
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _string_lookups(path, names)]
    assert found == []


def test_the_string_lookup_check_finds_a_string_lookup(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('x = result.metrics["callbacks to the CRM"] + metrics[Metric.CALLBACKS]\n'
                      'y = m["stale reads"] + table["stale reads"]\n', encoding="utf-8")
    assert _string_lookups(sample, _declared_names()) == [
        "sample.py:1: metrics['callbacks to the CRM']", "sample.py:2: m['stale reads']"]
