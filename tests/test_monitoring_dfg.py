"""The directly-follows graph: its counts and durations equal a direct count over the log."""

import itertools
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.engines.monitoring import dfg
from eventlab.engines.monitoring.dfg import END, START
from eventlab.scenarios import monitoring

small = settings(max_examples=50, deadline=None)

events = st.lists(st.tuples(st.sampled_from(["c1", "c2", "c3", "c4"]),
                            st.sampled_from(["Placed", "Paid", "Fetched", "Shipped"]),
                            st.integers(0, 8).map(float)), max_size=40)


def direct_count(rows):
    """The definition, spelled out: per case, sort by time (ties keep log order), pair up."""
    by_case = defaultdict(list)
    for position, (case, activity, time) in enumerate(rows):
        by_case[case].append((time, position, activity))
    counts, durations = Counter(), defaultdict(list)
    for case_rows in by_case.values():
        case_rows.sort()
        for (t1, _, a), (t2, _, b) in itertools.pairwise(case_rows):
            counts[(a, b)] += 1
            durations[(a, b)].append(t2 - t1)
    return counts, durations


def as_log(rows):
    return pd.DataFrame(rows, columns=["case", "activity", "at"])


@small
@given(events)
def test_dfg_counts_and_durations_equal_a_direct_count_over_the_log(rows):
    dfg = monitoring.directly_follows(as_log(rows), case="case", activity="activity",
                                      timestamp="at")
    counts, durations = direct_count(rows)
    assert dict(zip(zip(dfg["from"], dfg["to"], strict=True), dfg["count"], strict=True)) == \
        dict(counts)
    for row in dfg.itertuples(index=False):
        pair = (row[0], row[1])
        assert row.mean_duration == pytest.approx(sum(durations[pair]) / len(durations[pair]))
        assert row.max_duration == max(durations[pair])


@small
@given(events)
def test_the_edges_out_of_the_start_count_the_cases_and_every_case_ends_once(rows):
    dfg = monitoring.directly_follows(as_log(rows), case="case", activity="activity",
                                      timestamp="at", endpoints=True)
    cases = len({case for case, _, _ in rows})
    assert dfg.loc[dfg["from"] == START, "count"].sum() == cases
    assert dfg.loc[dfg["to"] == END, "count"].sum() == cases
    assert dfg["count"].sum() == len(rows) + cases


def test_a_run_trace_gives_the_companion_chain_with_counts_per_edge():
    trace = pd.DataFrame({
        "correlation_id": ["t1", "t1", "t2", "t1", "t2"],
        "message_type": ["OrderPlacedEvent", "PaymentReceivedEvent", "OrderPlacedEvent",
                         "GoodsFetchedEvent", "PaymentReceivedEvent"],
        "time": [0.0, 1.0, 0.5, 5.0, 3.5]})
    dfg = monitoring.directly_follows(trace)
    assert dfg[["from", "to", "count", "mean_duration"]].values.tolist() == [
        ["OrderPlacedEvent", "PaymentReceivedEvent", 2, 2.0],
        ["PaymentReceivedEvent", "GoodsFetchedEvent", 1, 4.0]]
    text = monitoring.dfg_diagram(dfg).text()
    assert "OrderPlacedEvent -> PaymentReceivedEvent: ×2 · ⌀ 2 h [event]" in text


def test_datetime_timestamps_give_durations_in_hours():
    log = pd.DataFrame({"case": ["a", "a"], "step": ["x", "y"],
                        "at": pd.to_datetime(["2019-04-16 11:00", "2019-04-16 12:30"])})
    dfg = monitoring.directly_follows(log, case="case", activity="step", timestamp="at")
    assert dfg["mean_duration"].tolist() == [1.5]


def test_a_csv_log_gives_the_same_dfg_as_the_frame(tmp_path):
    rows = [("c1", "A", 0.0), ("c1", "B", 2.0), ("c2", "A", 1.0), ("c2", "B", 1.5),
            ("c2", "C", 4.0)]
    path = tmp_path / "log.csv"
    as_log(rows).to_csv(path, index=False)
    from_file = monitoring.from_csv(path, case="case", activity="activity", timestamp="at")
    pd.testing.assert_frame_equal(from_file, monitoring.directly_follows(
        as_log(rows), case="case", activity="activity", timestamp="at"))
    dated = tmp_path / "dated.csv"
    dated.write_text("id,what,when\n1,in,2020-01-01T00:00\n1,out,2020-01-01T06:00\n")
    assert monitoring.from_csv(dated, case="id", activity="what",
                               timestamp="when")["mean_duration"].tolist() == [6.0]


def test_an_empty_log_gives_an_empty_table_with_the_columns():
    table = monitoring.directly_follows(as_log([]), case="case", activity="activity",
                                        timestamp="at")
    assert table.empty
    assert list(table.columns) == list(dfg.COLUMNS)


@pytest.mark.parametrize(("log", "kwargs", "error", "message"), [
    ("log.csv", {}, TypeError, "log must be a pandas DataFrame"),
    (as_log([("c", "A", 0.0)]), {"case": "order"}, ValueError,
     "case='order' is not a column of the log; columns: case, activity, at"),
    (as_log([("c", "A", 0.0)]), {"case": "at"}, ValueError, "three different columns"),
    (as_log([("c", None, 0.0)]), {}, ValueError, "activity column 'activity' has 1 missing"),
    (as_log([("c", "A", "noon")]), {}, ValueError, "must hold numbers or datetimes"),
    (as_log([("c", "A", 0.0)]), {"endpoints": 1}, TypeError, "endpoints must be True or False"),
])
def test_bad_input_names_the_parameter_and_what_is_allowed(log, kwargs, error, message):
    arguments = {"case": "case", "activity": "activity", "timestamp": "at", **kwargs}
    with pytest.raises(error, match=message):
        monitoring.directly_follows(log, **arguments)


def test_bad_csv_input_is_rejected_clearly(tmp_path):
    with pytest.raises(ValueError, match=r"missing\.csv: no such file"):
        monitoring.from_csv(tmp_path / "missing.csv", case="a", activity="b", timestamp="c")
    with pytest.raises(TypeError, match="path must be a file path"):
        monitoring.from_csv(42, case="a", activity="b", timestamp="c")  # type: ignore[arg-type]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,what,when\n1,in,soon\n")
    with pytest.raises(ValueError, match="row 0 has 'soon'"):
        monitoring.from_csv(bad, case="id", activity="what", timestamp="when")
    with pytest.raises(ValueError, match="make it with directly_follows"):
        monitoring.dfg_diagram(pd.DataFrame({"from": []}))


RECORDED = Path(__file__).resolve().parent.parent / "data" / "retail_monitor_log_seed7.csv"


def test_the_recorded_log_is_what_its_documented_run_exports():
    from eventlab.scenarios.retail import choreography

    run = choreography.run(choreography.Config(
        seed=7, orders=150, interarrival=0.5, p_card=0.15, drop_payment=0.02,
        drop_inventory=0.03, drop_shipping=0.02))
    exported = monitoring.export_log(run.trace)
    on_disk = pd.read_csv(RECORDED, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(exported.astype(str).reset_index(drop=True), on_disk,
                                  check_dtype=False)
    log = monitoring.read_monitor_log(RECORDED)
    assert len(log) == len(exported)
    assert log["traceId"].nunique() == 150
    assert pd.api.types.is_datetime64_any_dtype(log["timestamp"])


def test_an_export_reads_back_with_the_same_directly_follows_graph(tmp_path):
    from eventlab.scenarios.retail import choreography

    run = choreography.run(choreography.Config(orders=8, seed=3))
    path = tmp_path / "log.csv"
    monitoring.export_log(run.trace, start="2020-01-01 00:00").to_csv(path, index=False)
    back = monitoring.read_monitor_log(path)
    dfg = monitoring.directly_follows(back, case="traceId", activity="messageType",
                                      timestamp="timestamp")
    direct = monitoring.directly_follows(monitoring.message_log(run.trace))
    merged = dfg.merge(direct, on=["from", "to"], suffixes=("", "_run"))
    assert len(merged) == len(direct)
    assert (merged["count"] == merged["count_run"]).all()
    # timestamps are rounded to the second: durations agree within a second
    assert (merged["mean_duration"] - merged["mean_duration_run"]).abs().max() < 1 / 3600


@pytest.mark.parametrize(("text", "message"), [
    ("traceId,timestamp,messageType,kind\nt1,2019-01-01T00:00:00,A,event\n",
     "columns must be traceId, timestamp, messageType, kind, sender"),
    ("traceId,timestamp,messageType,kind,sender\nt1,2019-01-01T00:00:00,A,fact,S\n",
     "row 0 has kind 'fact'; allowed: event, command"),
    ("traceId,timestamp,messageType,kind,sender\nt1,3.5,A,event,S\n",
     "timestamps must be ISO dates"),
    ("traceId,timestamp,messageType,kind,sender\nt1,2019-01-02T00:00:00,A,event,S\n"
     "t1,2019-01-01T00:00:00,B,event,S\n", r"row 1 \(t1\) is earlier than the row before"),
    ("traceId,timestamp,messageType,kind,sender\nt1,2019-01-01T00:00:00,A,event,\n",
     "row 0 has no sender"),
])
def test_the_monitor_log_loader_names_the_row_and_what_is_allowed(tmp_path, text, message):
    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        monitoring.read_monitor_log(path)
    with pytest.raises(ValueError, match="start must be an ISO date"):
        monitoring.export_log(pd.DataFrame(), start="soon")


def test_events_a_nanosecond_apart_keep_their_time_order_however_far_from_the_first_event():
    # 150 days after the log's first event, hours as floats can no longer tell 1 ns apart:
    # the order must come from the timestamps, not from the log's row order.
    start = pd.Timestamp("2019-01-01T00:00:00")
    later = pd.Timestamp("2019-06-01T00:00:00")
    log = pd.DataFrame({
        "case": ["x", "y", "y"],
        "activity": ["first", "b", "a"],
        "at": [start, later + pd.Timedelta(1, "ns"), later],
    })
    table = monitoring.directly_follows(log, case="case", activity="activity", timestamp="at")
    assert list(zip(table["from"], table["to"], strict=True)) == [("a", "b")]
