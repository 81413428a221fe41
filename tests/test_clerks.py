"""Clerks racing on one account: the row loses updates without a version check, the log makes
stale decisions without one, and with an exact expected version both hold the rule."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.comparison import vary
from eventlab.domains import account
from eventlab.scenarios import bank
from eventlab.scenarios.bank import clerks

seeds = st.integers(min_value=0, max_value=10_000)
small = settings(max_examples=30, deadline=None)
# A busy morning: 10 payouts per clerk of 150-450 $ from 2,485.01 $, arriving every ~5 min.
BUSY = clerks.Config(requests=10, amount=300.0, amount_spread=0.5, request_interval=5.0)


@small
@given(seeds, st.integers(2, 5), st.sampled_from(clerks.BACKENDS), st.sampled_from([0.0, 200.0]))
def test_with_the_exact_expected_version_no_update_is_lost_and_the_rule_always_holds(
        seed, n, backend, overdraft):
    config = replace(BUSY, clerks=n, expected="exact", backend=backend, overdraft=overdraft,
                     retries=10, seed=seed)
    result = clerks.run(config)
    metrics = result.metrics
    assert metrics[clerks.Metric.STALE_DECISIONS] == 0
    assert metrics[clerks.Metric.OVERDRAFT_VIOLATIONS] == 0
    state = dict(bank.INITIAL)
    for event in result.events():
        state = bank.evolve(state, event)
        assert state["balance"] >= -account.cents(overdraft)
    assert metrics[clerks.Metric.RETRIES] == \
        metrics[clerks.Metric.CONFLICTS] - metrics[clerks.Metric.GAVE_UP]
    assert metrics[clerks.Metric.PAYOUTS_MADE] + metrics[clerks.Metric.REFUSED_OVERDRAFT_RULE] \
        + metrics[clerks.Metric.GAVE_UP] == metrics[clerks.Metric.PAYOUTS_ASKED_FOR]


@small
@given(seeds, st.sampled_from(clerks.EXPECTED))
def test_both_backends_tell_the_same_story_for_the_same_seed(seed, expected):
    config = replace(BUSY, expected=expected, seed=seed)
    memory = clerks.run(replace(config, backend="memory"))
    sqlite = clerks.run(replace(config, backend="sqlite"))
    assert memory.metrics == sqlite.metrics
    assert [(e.version, e.type, dict(e.data)) for e in memory.events()] == \
        [(e.version, e.type, dict(e.data)) for e in sqlite.events()]


@small
@given(seeds)
def test_with_any_every_stale_decision_is_written_and_counted(seed):
    result = clerks.run(replace(BUSY, expected="any", seed=seed))
    metrics = result.metrics
    assert metrics[clerks.Metric.CONFLICTS] == 0
    lost = result.timeline()["what"].str.contains("stale decision").sum()
    assert metrics[clerks.Metric.STALE_DECISIONS] == lost
    assert metrics[clerks.Metric.OVERDRAFT_VIOLATIONS] <= metrics[clerks.Metric.STALE_DECISIONS]


def test_with_any_the_overdraft_rule_breaks_for_some_seeds():
    broken = [s for s in range(30)
              if clerks.run(replace(BUSY, expected="any", seed=s)).metrics[
                  clerks.Metric.OVERDRAFT_VIOLATIONS]]
    assert broken


@small
@given(seeds, st.integers(1, 5), st.sampled_from(clerks.EXPECTED))
def test_the_log_never_loses_an_update_every_payout_is_an_event(seed, n, expected):
    result = clerks.run(replace(BUSY, clerks=n, expected=expected, seed=seed))
    metrics = result.metrics
    assert metrics[clerks.Metric.LOST_UPDATES] == 0
    assert metrics[clerks.Metric.MISSING_FROM_BALANCE] == 0.0
    paid = [e for e in result.events() if e.type == "CashWithdrawn"]
    assert len(paid) == metrics[clerks.Metric.PAYOUTS_MADE]


@small
@given(seeds, st.integers(1, 5), st.sampled_from([0.0, 200.0]))
def test_a_row_written_back_without_a_version_check_loses_the_updates_it_overwrote(seed, n,
                                                                                  overdraft):
    result = clerks.run(replace(BUSY, storage="row", clerks=n, expected="any",
                                overdraft=overdraft, seed=seed))
    metrics = result.metrics
    _row, history = result.row_tables()
    paid = [round(float(a.replace(",", "").replace(" $", "")) * -100)
            for a, t in zip(history["amount"], history["type"], strict=True)
            if t == "CashWithdrawn"]
    assert len(paid) == metrics[clerks.Metric.PAYOUTS_MADE]  # every payout has its history line
    real = 248_501 - sum(paid)
    stored = round(metrics[clerks.Metric.FINAL_BALANCE] * 100)
    missing = round(metrics[clerks.Metric.MISSING_FROM_BALANCE] * 100)
    assert stored - real == missing == result.row.drift()  # the history adds up; the row not
    assert (metrics[clerks.Metric.LOST_UPDATES] > 0) == (missing > 0)
    # only a write decided on a stale read can overwrite others (one may overwrite several)
    if metrics[clerks.Metric.LOST_UPDATES]:
        assert metrics[clerks.Metric.STALE_DECISIONS] > 0
    if n == 1:  # one clerk alone never races
        assert metrics[clerks.Metric.LOST_UPDATES] == metrics[clerks.Metric.STALE_DECISIONS] == 0


@small
@given(seeds, st.integers(1, 5), st.sampled_from([0.0, 200.0]))
def test_with_a_version_check_the_row_and_the_log_tell_the_same_story(seed, n, overdraft):
    config = replace(BUSY, clerks=n, expected="exact", overdraft=overdraft, retries=10,
                     seed=seed)
    row = clerks.run(replace(config, storage="row"))
    log = clerks.run(replace(config, storage="log"))
    assert row.metrics == log.metrics
    assert row.metrics[clerks.Metric.LOST_UPDATES] == 0
    assert row.metrics[clerks.Metric.OVERDRAFT_VIOLATIONS] == 0
    assert row.row.drift() == 0


def test_over_20_seeds_the_row_loses_updates_and_the_log_does_not():
    row_vs_log = vary(clerks.run, BUSY, "storage", ["row", "log"], n_jobs=1)
    assert row_vs_log.difference(clerks.Metric.LOST_UPDATES, "log", "row")["verdict"] == \
        "b higher"
    assert row_vs_log.difference(clerks.Metric.OVERDRAFT_VIOLATIONS, "log", "row")["verdict"] \
        == "b higher"
    for storage in clerks.STORAGES:
        checked = vary(clerks.run, replace(BUSY, storage=storage), "expected", ["any", "exact"],
                       n_jobs=1)
        assert checked.difference(clerks.Metric.OVERDRAFT_VIOLATIONS, "exact",
                                  "any")["verdict"] == "b higher"


@pytest.mark.parametrize("backend", clerks.BACKENDS)
def test_two_clerks_paying_out_2000_at_the_same_moment(backend):
    race = clerks.Config(backend=backend)
    lost = clerks.run(replace(race, expected="any")).metrics
    assert (lost[clerks.Metric.STALE_DECISIONS], lost[clerks.Metric.OVERDRAFT_VIOLATIONS]) == (1, 1)
    assert lost[clerks.Metric.FINAL_BALANCE] == -1514.99
    held = clerks.run(replace(race, expected="exact")).metrics
    assert (held[clerks.Metric.CONFLICTS], held[clerks.Metric.RETRIES],
            held[clerks.Metric.REFUSED_OVERDRAFT_RULE]) == (1, 1, 1)
    assert held[clerks.Metric.FINAL_BALANCE] == 485.01


def test_two_clerks_writing_back_the_row_without_a_check_lose_2000_dollars_from_the_balance():
    result = clerks.run(clerks.Config(storage="row", expected="any"))
    metrics = result.metrics
    assert metrics[clerks.Metric.LOST_UPDATES] == 1
    assert metrics[clerks.Metric.FINAL_BALANCE] == 485.01  # the row looks fine...
    assert metrics[clerks.Metric.LOWEST_BALANCE] == -1514.99  # ...4,000 $ were paid out
    assert metrics[clerks.Metric.MISSING_FROM_BALANCE] == 2000.0
    row, history = result.row_tables()
    assert row["balance"].tolist() == ["485.01 $"]
    assert history["party"].tolist()[-2:] == ["Bob", "Alice"]


def test_without_retries_a_conflicting_clerk_gives_up():
    metrics = clerks.run(clerks.Config(expected="exact", retries=0)).metrics
    assert (metrics[clerks.Metric.CONFLICTS], metrics[clerks.Metric.RETRIES],
            metrics[clerks.Metric.GAVE_UP]) == (1, 0, 1)


def test_the_timeline_shows_reads_conflicts_retries_and_refusals_in_order():
    timeline = clerks.run(clerks.Config(expected="exact")).timeline()
    assert timeline["what"].tolist()[-3:] == [
        "conflict: expected v3, the stream is at v4", "retries: reads v4: 485.01 $",
        "refuses 2,000.00 $: only 485.01 $ on v4"]
    assert timeline["time"].iloc[0] == "09:00:00"


def test_the_sqlite_table_has_contiguous_versions_and_the_sql_fold_agrees():
    result = clerks.run(replace(BUSY, backend="sqlite", expected="any"))
    table = result.table()
    assert table["version"].tolist() == list(range(1, len(table) + 1))
    (total,) = result.query(bank.BALANCE_SQL, bank.STREAM, 1e9).iloc[0]
    assert total == bank.balance_of(result.events())


def test_the_graph_shows_each_clerks_appends_and_conflicts():
    text = clerks.run(clerks.Config(expected="exact")).graph().text()
    assert "Bob -> account-12345: append CashWithdrawn ×1" in text
    assert "account-12345 -> Alice: ConcurrencyError ×1" in text


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"clerks": 0}, "clerks must be >= 1"),
    ({"expected": "maybe"}, "expected must be one of 'any', 'exact'"),
    ({"backend": "postgres"}, "backend must be one of"),
    ({"storage": "table"}, "storage must be one of 'log', 'row'"),
    ({"amount": 1.001}, "amount must have at most 2 decimals"),
    ({"amount_spread": 1.0}, "amount_spread must be <= 0.9"),
])
def test_bad_config_values_are_refused_naming_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        clerks.Config(**kwargs)


def test_bad_input_to_helpers_names_the_parameter():
    memory = clerks.run()
    with pytest.raises(ValueError, match="query needs storage='log' and backend='sqlite'"):
        memory.query("SELECT 1")
    with pytest.raises(ValueError, match="row_tables needs storage='row'"):
        memory.row_tables()
    with pytest.raises(ValueError, match="events needs storage='log'"):
        clerks.run(clerks.Config(storage="row")).events()
    with pytest.raises(TypeError, match=r"config must be bank\.clerks\.Config"):
        clerks.run(bank.Config())
