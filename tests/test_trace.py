"""The trace has one schema, survives a CSV round trip, and answers 'who knew what, when'."""

import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlab.core import trace as tr
from eventlab.core.messages import Event, Query

# Any printable text, commas, quotes, newlines and non-ASCII included (not lone "\r").
chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r")
text = st.one_of(st.none(), st.text(chars, min_size=1, max_size=12).filter(str.strip))
names = st.sampled_from(["CRM", "Insurance", "a,b", 'q"uote', "NA", "null", "line\nbreak", "ü"])


@st.composite
def recorders(draw):
    rec = tr.Recorder()
    time = 0.0
    for i in range(draw(st.integers(0, 25))):
        time += draw(st.floats(0, 1e6, allow_nan=False, allow_infinity=False))
        kind = draw(st.sampled_from(tr.KINDS))
        message = None
        if draw(st.booleans()):
            cls = draw(st.sampled_from([Event, Query]))
            message = cls(message_id=f"msg-{i:04d}", type=draw(names), sender=draw(names),
                          key=draw(text), correlation_id=draw(text), causation_id=draw(text),
                          payload={"v": draw(st.integers())})
        rec.record(kind, time, draw(names), target=draw(text), message=message,
                   channel=draw(text), partition=draw(st.one_of(st.none(), st.integers(0, 9))),
                   offset=draw(st.one_of(st.none(), st.integers(0, 2**40))),
                   entity=draw(text), value=draw(st.one_of(text, st.floats(-1e9, 1e9),
                                                         st.integers(), st.booleans())),
                   detail=draw(text))
    return rec


@settings(max_examples=100, deadline=None)
@given(key=text, correlation=text, target=text, channel=names,
       partition=st.integers(0, 9), offset=st.integers(0, 2**40), value=st.integers())
def test_fast_hop_rows_expand_to_the_same_rows_as_full_records(key, correlation, target,
                                                                 channel, partition, offset,
                                                                 value):
    message = Event(message_id="msg-0001", type="OrderPlaced", sender="shop", key=key,
                    correlation_id=correlation, payload={"v": value})
    fast, full = tr.Recorder(), tr.Recorder()
    fast.hop("deliver", 1.0, "billing", target, message, channel)
    full.record("deliver", 1.0, "billing", target=target, message=message, channel=channel)
    fast.log_hop("send", 2.0, "shop", target, message, channel, partition, offset, message.size)
    full.record("send", 2.0, "shop", target=target, message=message, channel=channel,
                partition=partition, offset=offset)
    pd.testing.assert_frame_equal(fast.to_frame(), full.to_frame())


@settings(max_examples=50, deadline=None)
@given(target=text, channel=names, partition=st.integers(0, 9), offset=st.integers(0, 2**40))
def test_log_rows_with_shared_who_and_place_expand_like_full_records(target, channel, partition,
                                                                     offset):
    message = Event(message_id="msg-0001", type="OrderPlaced", sender="shop", key="k",
                    payload={"v": 1})
    fast, full = tr.Recorder(), tr.Recorder()
    who, place = ("send", "shop", target), (channel, partition)
    for i in range(2):  # the same who and place tuples, reused
        fast.log_row(float(i), who, message, place, offset + i, message.size)
        full.record("send", float(i), "shop", target=target, message=message, channel=channel,
                    partition=partition, offset=offset + i)
    pd.testing.assert_frame_equal(fast.to_frame(), full.to_frame())


def test_rows_appended_by_the_caller_expand_like_log_rows():
    message = Event(message_id="msg-0001", type="OrderPlaced", sender="shop", key="k",
                    payload={"v": 1})
    fast, slow = tr.Recorder(), tr.Recorder()
    refs, time, offset = fast.log_rows()
    for i, who in enumerate([("send", "shop", "broker-0"), ("deliver", "billing", "shop")]):
        refs((who, message.trace_columns, ("orders", 2)))
        time(float(i))
        offset(7)
        slow.log_row(float(i), who, message, ("orders", 2), 7, message.size)
        fast.state(float(i), "shop", "orders", i)  # other rows in between keep their order
        slow.state(float(i), "shop", "orders", i)
    fast.log_row(2.0, ("send", "shop", None), message, ("orders", 1), 8, 99)  # its own size
    slow.record("send", 2.0, "shop", message=message, channel="orders", partition=1,
                offset=8, size=99)
    assert len(fast) == len(slow) == 5
    pd.testing.assert_frame_equal(fast.to_frame(), slow.to_frame())


def test_an_empty_trace_has_every_column_with_its_dtype():
    frame = tr.empty()
    assert tuple(frame.columns) == tr.COLUMNS
    for column, dtype in tr.DTYPES.items():
        assert frame[column].dtype == pd.api.types.pandas_dtype(dtype) or \
            str(frame[column].dtype) == str(dtype)


def test_missing_integers_stay_missing_instead_of_turning_into_float_nan():
    rec = tr.Recorder()
    rec.record("note", 0.0, "CRM")
    rec.record("send", 1.0, "CRM", partition=2, offset=7)
    frame = rec.to_frame()
    assert str(frame["partition"].dtype) == "Int64"
    assert frame["partition"].isna().tolist() == [True, False]
    assert frame.loc[1, "offset"] == 7


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recorders())
def test_any_trace_survives_a_csv_round_trip_unchanged(tmp_path_factory, rec):
    path = tmp_path_factory.mktemp("trace") / "trace.csv"
    frame = rec.to_frame()
    tr.to_csv(frame, path)
    pd.testing.assert_frame_equal(tr.read_csv(path), frame, check_exact=True)


def test_reading_a_csv_with_a_wrong_column_names_what_is_missing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("seq,time,kind\n0,0.0,send\n")
    with pytest.raises(ValueError, match="missing"):
        tr.read_csv(path)


def test_reading_a_csv_with_an_unknown_kind_names_the_value(tmp_path):
    path = tmp_path / "bad.csv"
    frame = tr.empty()
    frame.loc[0] = [0, 1.0, "send"] + [pd.NA] * (len(tr.COLUMNS) - 3)
    frame.astype(tr.DTYPES).to_csv(path, index=False)
    path.write_text(path.read_text().replace(",send,", ",teleport,"))
    with pytest.raises(ValueError, match="'teleport'"):
        tr.read_csv(path)


def test_reading_a_csv_with_text_in_a_number_column_names_the_column(tmp_path):
    rec = tr.Recorder()
    rec.record("send", 1.0, "CRM", partition=1)
    path = tmp_path / "t.csv"
    tr.to_csv(rec.to_frame(), path)
    path.write_text(path.read_text().replace(",1,", ",one,"))
    with pytest.raises(ValueError, match="'partition'"):
        tr.read_csv(path)


def test_validate_rejects_things_that_are_not_dataframes():
    with pytest.raises(TypeError, match="DataFrame"):
        tr.validate([1, 2, 3])


def test_state_at_gives_the_latest_value_per_holder_up_to_the_time():
    rec = tr.Recorder()
    rec.state(1.0, "CRM", "address", "Berlin")
    rec.state(2.0, "Insurance", "address", "Berlin")
    rec.state(3.0, "CRM", "address", "Potsdam")
    frame = rec.to_frame()
    at_2 = tr.state_at(frame, 2.5)
    assert at_2[["actor", "value"]].values.tolist() == [["CRM", "Berlin"], ["Insurance", "Berlin"]]
    at_3 = tr.state_at(frame, 3.0)
    assert at_3["value"].tolist() == ["Potsdam", "Berlin"]
    assert tr.state_at(frame, 0.5).empty


def test_a_float_state_value_is_written_the_same_way_every_time():
    assert tr.as_text(2485.01) == "2485.01"
    assert tr.as_text(0.1 + 0.2) == "0.3"
    assert tr.as_text({"b": 1, "a": 2}) == '{"a":2,"b":1}'
    assert tr.as_text("") is None


def test_messages_and_case_filter_the_trace():
    rec = tr.Recorder()
    event = Event(message_id="msg-0001", type="T", sender="A", correlation_id="c1")
    rec.record("send", 0.0, "A", message=event)
    rec.record("deliver", 1.0, "B", target="A", message=event)
    frame = rec.to_frame()
    assert tr.messages(frame, "deliver")["actor"].tolist() == ["B"]
    assert len(tr.case(frame, "c1")) == 2
    with pytest.raises(ValueError, match="kind"):
        tr.messages(frame, "teleport")


def written(tmp_path, rows=3):
    """A valid trace CSV with `rows` rows, and its lines (header first)."""
    rec = tr.Recorder()
    for i in range(rows):
        rec.record("send", float(i), "CRM", partition=i)
    path = tmp_path / "trace.csv"
    tr.to_csv(rec.to_frame(), path)
    return path, path.read_text().splitlines()


@pytest.mark.parametrize(("column", "bad", "words"), [
    ("time", "inf", "'time' must hold finite numbers >= 0"),
    ("time", "-1.5", "'time' must hold finite numbers >= 0"),
    ("time", "1e999", "'time' must hold finite numbers >= 0"),
    ("time", "", "'time' has a missing value"),
    ("time", "noon", "'time' must hold numbers"),
    ("seq", "", "'seq' has a missing value"),
    ("seq", "-3", "'seq' must hold numbers >= 0"),
    ("seq", "0", "'seq' must hold distinct numbers"),
    ("seq", "1.5", "'seq' must hold whole numbers"),
    ("kind", "teleport", "'kind' has value 'teleport'"),
    ("kind", "", "'kind' has a missing value"),
    ("partition", "x", "'partition' must hold whole numbers"),
    ("message_kind", "rumour", "'message_kind' has value 'rumour'"),
])
@given(line=st.integers(min_value=2, max_value=4))
@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_reading_a_csv_with_a_nonsense_value_names_the_file_the_row_and_the_value(
        tmp_path, column, bad, words, line):
    path, lines = written(tmp_path)
    cells = lines[line - 1].split(",")
    if column == "seq" and bad == "0" and line == 2:
        line, cells = 3, lines[2].split(",")  # seq 0 is row 0's own number: copy it below
    cells[tr.COLUMNS.index(column)] = bad
    lines[line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=re.escape(words)) as caught:
        tr.read_csv(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    if column != "kind" or bad:
        assert f"row {line - 2} (line {line} of the file)" in message


@pytest.mark.parametrize(("content", "words"), [
    (b"", "the file is empty"),
    (b"\xff\xfe\x00\x80", "not UTF-8 text"),
    (b'seq,time\n0,"unterminated\n', "not valid CSV"),
])
def test_reading_a_broken_file_names_the_file_and_the_problem(tmp_path, content, words):
    path = tmp_path / "trace.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=words) as caught:
        tr.read_csv(path)
    assert str(path) in str(caught.value)


def test_reading_a_missing_file_or_a_folder_names_it(tmp_path):
    with pytest.raises(ValueError, match=r"nope\.csv: no such file"):
        tr.read_csv(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="is a folder, not a file"):
        tr.read_csv(tmp_path)
    with pytest.raises(TypeError, match="path must be a file path"):
        tr.read_csv(3)


def test_validate_names_the_row_label_of_a_frame_with_a_duplicate_seq():
    rec = tr.Recorder()
    rec.record("send", 0.0, "CRM")
    rec.record("send", 1.0, "CRM")
    frame = rec.to_frame()
    frame.loc[1, "seq"] = 0
    with pytest.raises(ValueError, match="0 is in row 0 and again in row 1"):
        tr.validate(frame)


def test_a_log_row_keeps_no_object_of_its_own():
    # Why log rows are stored as they are: a Kafka run keeps two per message, and each kept
    # object would count towards the garbage collector's next run and be visited by every
    # full collection (docs/benchmarks.md, the Kafka notes).
    import gc

    message = Event(message_id="msg-0001", type="OrderPlaced", sender="shop", key="k",
                    payload={"v": 1})
    recorder = tr.Recorder()
    refs, time, offset = recorder.log_rows()
    who, columns, place = ("send", "shop", "broker-0"), message.trace_columns, ("orders", 2)
    gc.collect()
    before = len(gc.get_objects())
    for i in range(1000):
        refs((who, columns, place))
        time(float(i))
        offset(i)
    gc.collect()
    assert len(gc.get_objects()) - before < 10
    assert len(recorder) == 1000
