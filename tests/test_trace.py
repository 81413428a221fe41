"""The trace has one schema, survives a CSV round trip, and answers 'who knew what, when'."""

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
