"""Account #12345 as a row and as a log: what notebook 02 states must hold for every seed."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.domains import account, account_row
from eventlab.domains.account import (
    Command,
    CommandRejectedError,
    cents,
    dollars,
    minutes_at,
    when,
)
from eventlab.engines.eventstore.memory import InMemoryEventStore, NewEvent, fold
from eventlab.engines.eventstore.projections import load_state
from eventlab.scenarios import bank

seeds = st.integers(min_value=0, max_value=10_000)
small = settings(max_examples=30, deadline=None)
SHORT = bank.Config(days=20)


def test_the_talks_account_holds_2485_01_dollars_as_a_row_and_as_a_log():
    slide = bank.run(bank.Config(days=0))
    assert [e.type for e in slide.events()] == ["AccountOpened", "MoneyTransferReceived",
                                                 "CardPaymentMade"]
    assert slide.balance() == slide.row.balance == 248_501
    assert slide.row.table()["balance"].tolist() == ["2,485.01 $"]
    assert slide.audit()["balance after"].tolist() == ["0.00 $", "2,500.00 $", "2,485.01 $"]
    assert when(slide.events()[0].time) == "2019-04-16 11:00"


def test_money_is_integer_cents_and_is_shown_as_dollars():
    assert dollars(248_501) == "2,485.01 $"
    assert dollars(-1499) == "-14.99 $"
    assert dollars(5) == "0.05 $"
    assert cents(14.99) == 1499
    assert cents(2500) == 250_000
    with pytest.raises(ValueError, match="amount must have at most 2 decimals"):
        cents(0.1 + 0.2)


def test_simulated_minutes_are_shown_as_dates_from_the_opening():
    assert when(0) == "2019-04-16 11:00"
    assert when(59.99999) == "2019-04-16 12:00"
    assert when(90.5, seconds=True) == "2019-04-16 12:30:30"
    assert minutes_at("2019-04-17 11:00") == 1440
    assert minutes_at("2019-04-17") == 13 * 60
    assert minutes_at(12.5) == 12.5


@small
@given(seeds, st.integers(0, 90))
def test_the_row_and_the_fold_of_the_log_always_agree_on_the_balance(seed, days):
    result = bank.run(bank.Config(days=days, seed=seed))
    assert result.row.balance == result.balance()
    assert result.metrics[bank.Metric.ROW_AND_LOG_AGREE] == "yes"
    assert result.row.row_version == result.store.version(bank.STREAM)


@small
@given(seeds, st.sampled_from([0.0, 100.0, 500.0]))
def test_the_overdraft_rule_holds_after_every_fact_of_a_single_writer(seed, overdraft):
    result = bank.run(bank.Config(days=60, payments_per_day=4.0, mean_payment=40.0,
                                  overdraft=overdraft, seed=seed))
    state = dict(bank.INITIAL)
    for event in result.events():
        state = bank.evolve(state, event)
        assert state["balance"] >= -cents(overdraft)


def test_a_heavy_spender_gets_refusals_and_they_leave_no_fact_behind():
    result = bank.run(bank.Config(days=60, payments_per_day=6.0, mean_payment=60.0))
    refused = result.metrics[bank.Metric.REFUSED_OVERDRAFT_RULE]
    assert refused > 0
    assert result.metrics[bank.Metric.COMMANDS] == \
        refused + result.metrics[bank.Metric.EVENTS_IN_LOG]
    assert (result.trace["kind"] == "reject").sum() == refused


@small
@given(seeds)
def test_time_travel_gives_the_balance_right_after_the_last_fact_before_the_moment(seed):
    result = bank.run(replace(SHORT, seed=seed))
    events, table = result.events(), result.audit()
    for event in events:
        last_at_that_time = max(i for i, e in enumerate(events) if e.time <= event.time)
        expected = table["balance after"].iloc[last_at_that_time]
        assert dollars(account.balance_as_of(events, event.time)) == expected
    assert result.as_of(result.end).iloc[0, 0] == dollars(result.balance())


def test_the_rows_history_tells_any_moment_like_the_log_and_the_row_alone_only_the_present():
    result = bank.run()
    table = result.as_of("2019-05-01 12:00")
    assert table.index.tolist() == ["log (append only)", "row's history table",
                                    "row alone (updated in place)"]
    assert table.iloc[2, 0] == dollars(result.row.balance)
    assert table.iloc[0, 0] == dollars(account.balance_as_of(result.events(), "2019-05-01 12:00"))
    assert table.iloc[1, 0] == table.iloc[0, 0]
    assert table.iloc[0, 0] != table.iloc[2, 0]


@small
@given(seeds, st.integers(0, 120), st.floats(0.0, 120 * 1440.0))
def test_while_every_write_path_books_history_the_history_is_the_log_at_every_moment(seed, days,
                                                                                      moment):
    result = bank.run(bank.Config(days=days, seed=seed))
    assert result.row.drift() == 0
    assert result.metrics[bank.Metric.ROW_MINUS_HISTORY] == 0.0
    assert result.metrics[bank.Metric.WRITES_WITHOUT_HISTORY] == 0
    assert result.row.sum_of_transactions(moment) == \
        account.balance_as_of(result.events(), moment)


@small
@given(seeds, st.integers(0, 120), st.sampled_from([0.5, 1.0, 5.0]))
def test_an_interest_job_that_forgets_its_history_line_makes_the_row_drift_by_its_credits(
        seed, days, rate):
    result = bank.run(bank.Config(days=days, seed=seed, interest_rate=rate,
                                  interest_job="forgets_history"))
    credits = [e for e in result.events() if e.type == "InterestCredited"]
    # the balance is still right (row and log agree); the history cannot explain it
    assert result.row.balance == result.balance()
    assert result.row.drift() == sum(int(e.data["amount"]) for e in credits)
    assert result.metrics[bank.Metric.WRITES_WITHOUT_HISTORY] == len(credits)
    assert result.metrics[bank.Metric.INTEREST_CREDITED] == len(credits)
    # a month-end falls in every run longer than a month
    if days >= 46:
        assert credits
        assert result.row.drift() > 0


def test_the_interest_job_credits_a_month_of_interest_at_2300_on_the_last_day():
    result = bank.run(bank.Config(days=80, interest_rate=12.0))
    credits = [e for e in result.events() if e.type == "InterestCredited"]
    assert [when(e.time) for e in credits] == ["2019-04-30 23:00", "2019-05-31 23:00",
                                               "2019-06-30 23:00"]
    for credit in credits:
        before = account.balance_as_of([e for e in result.events() if e.version < credit.version],
                                       credit.time)
        assert credit.data["amount"] == round(before * 0.12 / 12)


def test_a_row_transaction_that_fails_halfway_leaves_neither_the_row_nor_the_history_changed():
    row = account_row.AccountRow()
    row.record(account.new_event("AccountOpened", 0.0, account="12345", overdraft=0))
    row.record(account.new_event("MoneyTransferReceived", 0.0, amount=500, **{"from": "x"}))

    def half_done():
        with row._transaction() as db:
            db.execute(account_row.HISTORY_INSERT_SQL,
                       ("12345", 1.0, "CardPaymentMade", -100, "y"))
            raise RuntimeError("the second statement never runs")

    with pytest.raises(RuntimeError):
        half_done()
    assert row.balance == row.sum_of_transactions() == 500
    assert len(row.transactions()) == 1


@small
@given(seeds, st.data())
def test_a_deleted_transaction_is_lost_in_the_row_and_kept_and_corrected_in_the_log(seed, data):
    result = bank.run(replace(SHORT, seed=seed))
    version = data.draw(st.integers(2, len(result.events())))
    fix = bank.delete_transaction(result, version=version, at=result.end + 60, reason="test")
    original = result.events()[version - 1]
    types = [(t, a) for t, a in zip(fix.row.transactions()["type"],
                                    fix.row.transactions()["when"], strict=True)]
    assert len(types) == len(result.events()) - 2  # opened is no transaction; one deleted
    assert fix.events[:-1] == result.events()  # the log only grew
    assert fix.events[-1].type == "TransactionCorrected"
    assert fix.events[-1].data["corrects"] == version
    assert fix.row.balance == bank.balance_of(fix.events)
    assert fix.row.balance == result.balance() - account.signed_amount(original)
    # The past: the log still knows the balance right after the original; the row does not.
    assert account.balance_as_of(fix.events, original.time) == \
        account.balance_as_of(result.events(), original.time)
    assert fix.row.sum_of_transactions(original.time) == \
        account.balance_as_of(result.events(), original.time) - account.signed_amount(original)
    assert result.row.balance == result.balance()  # the run's own row is untouched


def test_the_deletion_summary_names_what_each_model_can_still_tell():
    slide = bank.run(bank.Config(days=0))
    summary = bank.delete_transaction(slide, version=3, at="2019-04-17 10:00",
                                      reason="disputed").summary()
    assert summary.loc["balance now"].tolist() == ["2,500.00 $", "2,500.00 $"]
    assert summary.loc["records of the CardPaymentMade"].tolist() == ["0", "2"]
    assert summary.loc["balance as of 2019-04-16 12:30"].tolist() == ["2,500.00 $", "2,485.01 $"]


@small
@given(seeds, st.sampled_from([10.0, 60.0, 360.0, 2000.0]))
def test_rebuilding_the_read_model_from_the_log_equals_the_live_one(seed, interval):
    result = bank.run(replace(SHORT, seed=seed, projector_interval=interval))
    assert result.rebuild()["equal"].eq("yes").all()
    assert result.projector.lag() == 0
    assert result.metrics[bank.Metric.READ_MODEL_EQUALS_REBUILD] == "yes"
    expected = fold(account.monthly_spending, {}, result.events())
    assert result.projector.model == expected


@small
@given(seeds, st.sampled_from([30.0, 360.0, 1440.0]))
def test_the_projector_lag_ends_at_every_poll_and_staleness_stays_within_one_interval(
        seed, interval):
    result = bank.run(replace(SHORT, seed=seed, projector_interval=interval))
    lag = result.lag()
    assert (lag["lag (events)"] >= 0).all()
    polls = result.trace[(result.trace["entity"] == "checkpoint")]["time"]
    after_polls = lag[lag["time"].isin(polls)]
    assert (after_polls.groupby("time")["lag (events)"].last() == 0).all()
    assert result.metrics[bank.Metric.MAX_STALENESS_HOURS] <= interval / 60 + 1e-9


@small
@given(seeds, st.integers(1, 25))
def test_a_snapshot_plus_its_tail_equals_a_full_replay(seed, every):
    result = bank.run(replace(SHORT, seed=seed, snapshot_every=every))
    with_snapshot = load_state(result.store, bank.STREAM, bank.evolve, dict(bank.INITIAL))
    without = load_state(result.store, bank.STREAM, bank.evolve, dict(bank.INITIAL),
                         use_snapshot=False)
    assert with_snapshot == without
    loads = result.snapshot_reads()
    assert (loads["read without snapshots"] == loads["stream version"]).all()
    # Only the tail after the latest snapshot is read: at most every - 1 events.
    assert (loads["read with snapshots"] == loads["stream version"] % every).all()


def test_snapshots_keep_loads_short_as_the_stream_grows():
    result = bank.run(bank.Config(days=365))
    loads = result.snapshot_reads()
    assert loads["read without snapshots"].iloc[-1] >= result.store.version(bank.STREAM) - 1
    assert loads["read without snapshots"].iloc[-1] > 400
    assert loads["read with snapshots"].max() <= 9
    assert result.metrics[bank.Metric.SNAPSHOTS_TAKEN] == result.store.version(bank.STREAM) // 10


def test_evolve_returns_a_new_state_and_ignores_types_it_does_not_know():
    state = dict(bank.INITIAL)
    opened = account.new_event("AccountOpened", 0.0, account="12345", overdraft=100)
    after = bank.evolve(state, opened)
    assert state == bank.INITIAL
    assert after == {"open": True, "balance": 0, "overdraft": 100}
    assert bank.evolve(after, NewEvent(type="SomethingNew", data={"amount": 5})) == after


def test_decide_enforces_the_overdraft_rule_and_the_account_lifecycle():
    opened = {"open": True, "balance": 10_000, "overdraft": 5_000}
    assert decide_type(opened, "WithdrawCash", 15_000) == ["CashWithdrawn"]
    with pytest.raises(CommandRejectedError, match=r"below the overdraft limit of -50\.00 \$"):
        account.decide(opened, Command(type="WithdrawCash", amount=15_001, party="Bob"))
    assert decide_type(opened, "ReceiveTransfer", 1) == ["MoneyTransferReceived"]
    with pytest.raises(CommandRejectedError, match="not open"):
        account.decide(bank.INITIAL, Command(type="PayByCard", amount=1, party="Cinema"))
    with pytest.raises(CommandRejectedError, match="already open"):
        account.decide(opened, Command(type="OpenAccount"))


def decide_type(state, kind, amount):
    return [e.type for e in account.decide(state, Command(type=kind, amount=amount, party="x"))]


def test_monthly_spending_counts_debits_per_month_and_subtracts_corrections():
    events = [account.new_event("CardPaymentMade", 0.0, amount=1499, merchant="Shop"),
              account.new_event("MoneyTransferSent", 30_000.0, amount=95_000, to="Landlord"),
              account.new_event("MoneyTransferReceived", 30_000.0, amount=1, **{"from": "x"}),
              account.new_event("TransactionCorrected", 31_000.0, amount=1499, corrects=2,
                                reason="refund")]
    assert fold(account.monthly_spending, {}, events) == {"2019-04": 1499,
                                                          "2019-05": 95_000 - 1499}


def test_the_balance_sql_is_the_same_fold_in_sql():
    from eventlab.engines.eventstore.sqlite import SqliteEventStore

    result = bank.run(SHORT)
    with SqliteEventStore() as store:
        store.append(bank.STREAM, [NewEvent(type=e.type, data=dict(e.data), time=e.time)
                                   for e in result.events()], expected=0)
        (total,) = store._query(bank.BALANCE_SQL, (bank.STREAM, 1e9))[0]
        (at_may,) = store._query(bank.BALANCE_SQL, (bank.STREAM, minutes_at("2019-05-01")))[0]
    assert total == result.balance()
    assert at_may == account.balance_as_of(result.events(), "2019-05-01")


def test_the_graph_counts_commands_appends_updates_and_polls():
    result = bank.run()
    text = result.graph().text()
    metrics = result.metrics
    interest = metrics[bank.Metric.INTEREST_CREDITED]
    assert f"Customer -> Account #12345: commands ×{metrics[bank.Metric.COMMANDS] - interest}" \
        in text
    assert f"Interest job -> Account #12345: CreditInterest ×{interest}" in text
    assert f"append ×{metrics[bank.Metric.EVENTS_IN_LOG]}" in text
    lines = metrics[bank.Metric.EVENTS_IN_LOG] - 1  # the opening inserts the row, no line
    assert f"write row ×{metrics[bank.Metric.EVENTS_IN_LOG]}, history line ×{lines}" in text
    forgetful = bank.run(bank.Config(interest_job="forgets_history")).graph().text()
    assert f"history line ×{lines - interest}" in forgetful
    assert f"catch up ×{metrics[bank.Metric.POLLS_THAT_FOUND_NEW_EVENTS]}" in text
    assert f"snapshot ×{metrics[bank.Metric.SNAPSHOTS_TAKEN]}" in text


def test_playback_frames_step_through_commands_and_changes():
    frames = bank.run(bank.Config(days=3)).frames(max_frames=40)
    assert 1 < len(frames) <= 40
    assert frames[0].caption.startswith("t=0: Customer sends OpenAccount")


def test_charts_render_as_png_and_describe_themselves_in_text():
    result = bank.run(bank.Config(days=10))
    for chart in (result.balance_chart(as_of="2019-04-20"), result.lag_chart(),
                  result.snapshot_chart()):
        assert chart.png().startswith(b"\x89PNG")
        assert repr(chart).startswith("Chart: ")


def test_the_time_travel_view_shows_the_moment_and_the_facts_before_it():
    result = bank.run(bank.Config(as_of_day=1.0))
    moment, before = result.panel()
    assert moment.columns[0] == "balance as of 2019-04-17 11:00"
    assert len(before) <= 5
    assert all(minutes_at(w) <= 1440 for w in before["when"])
    far = bank.run(bank.Config(days=2, as_of_day=700.0)).panel()[0]
    assert far.columns[0] == f"balance as of {when(2 * 1440)}"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"days": -1}, "days must be >= 0"),
    ({"payments_per_day": 50.0}, "payments_per_day must be <= 20"),
    ({"salary": 10.001}, "salary must have at most 2 decimals"),
    ({"snapshot_every": 0}, "snapshot_every must be >= 1"),
    ({"projector_interval": 5.0}, "projector_interval must be >= 10"),
])
def test_bad_config_values_are_refused_naming_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bank.Config(**kwargs)


def test_bad_input_to_helpers_names_the_parameter():
    slide = bank.run(bank.Config(days=0))
    with pytest.raises(ValueError, match="version must be the version of a transaction"):
        bank.delete_transaction(slide, version=1, at="2019-04-17", reason="x")
    with pytest.raises(ValueError, match="at must be after the end of the run"):
        bank.delete_transaction(slide, version=3, at="2019-04-16 12:00", reason="x")
    with pytest.raises(ValueError, match="moment must look like"):
        minutes_at("yesterday")
    with pytest.raises(ValueError, match="amount must be >= 1"):
        Command(type="PayByCard", amount=0)
    with pytest.raises(ValueError, match="type must be one of"):
        Command(type="Steal", amount=5)
    with pytest.raises(ValueError, match="type must be one of"):
        account.new_event("Stolen", 0.0, amount=1)
    with pytest.raises(TypeError, match=r"config must be bank\.Config"):
        bank.run(object())
    with pytest.raises(ValueError, match="transaction_id 9 is not in the transactions"):
        slide.row.copy().delete_transaction(9, 1000.0)


def test_the_row_model_is_a_real_sql_row_updated_in_place():
    row = account_row.AccountRow()
    store = InMemoryEventStore()
    for event in store.append(bank.STREAM, [
            account.new_event("AccountOpened", 0.0, account="12345", overdraft=0),
            account.new_event("MoneyTransferReceived", 0.0, amount=500, **{"from": "x"})],
            expected=0):
        row.record(event)
    assert row.balance == 500
    assert row.row_version == 2
    assert repr(row) == "AccountRow(#12345, balance=5.00 $)"
    row.close()
