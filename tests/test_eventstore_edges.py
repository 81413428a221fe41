"""One error vocabulary for both event-store backends, at the edges a curious learner finds.

Every probe runs against the in-memory and the SQLite store. Both must give the same answer:
the same result, or the same error class with the same words, and an error is always one of
eventlab's own (a ValueError or TypeError naming the parameter), never a raw
UnicodeEncodeError, OverflowError or RecursionError from inside the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.errors import EventlabError
from eventlab.engines.eventstore import (
    EventStore,
    InMemoryEventStore,
    NewEvent,
    SqliteEventStore,
)
from eventlab.engines.eventstore.upcasting import MAX_DEPTH, MAX_NUMBER

Probe = Callable[[EventStore], Any]


def nested(depth: int, leaf: Any = 1) -> Any:
    """{"a": {"a": ... leaf}} with `depth` dicts."""
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def nested_list(depth: int) -> Any:
    """[[[...]]] with `depth` lists."""
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def event(**fields: Any) -> NewEvent:
    return NewEvent(type="Ticked", **fields)


def outcome(probe: Probe, store: EventStore) -> tuple[str, str]:
    """('ok', repr of the result) or (error class, message); raw errors fail the test."""
    try:
        result = probe(store)
    except (EventlabError, TypeError) as exc:
        return type(exc).__name__, str(exc)
    return "ok", repr(result)


def both(probe: Probe) -> tuple[str, str]:
    """Run `probe` on a fresh store of each backend (with one event in stream "a")."""
    answers = []
    for store in (InMemoryEventStore(), SqliteEventStore()):
        with store:
            store.append("a", [event()])
            answers.append(outcome(probe, store))
    assert answers[0] == answers[1], f"the backends disagree: {answers}"
    return answers[0]


SURROGATE = "\ud800"
TOO_BIG = 2**63  # SQLite cannot even bind it; the in-memory store used to accept it

EDGE_PROBES: dict[str, tuple[Probe, str]] = {
    # name: (probe, words in the error; "" means it succeeds)
    "stream with a lone surrogate": (lambda s: s.append("a" + SURROGATE, [event()]),
                                     "stream must be valid Unicode text"),
    "event type with a lone surrogate": (lambda s: s.append("a", [NewEvent(type=SURROGATE)]),
                                         "type must be valid Unicode text"),
    "data key with a lone surrogate": (lambda s: s.append("a", [event(data={SURROGATE: 1})]),
                                       "data key must be valid Unicode text"),
    "data value with a lone surrogate": (
        lambda s: s.append("a", [event(data={"k": ["x", SURROGATE]})]),
        "data['k'][1] must be valid Unicode text"),
    "sender with a lone surrogate": (lambda s: s.append("a", [event(sender=SURROGATE)]),
                                     "sender must be valid Unicode text"),
    "version of a surrogate stream": (lambda s: s.version(SURROGATE),
                                      "stream must be valid Unicode text"),
    "strict read of a surrogate stream": (lambda s: s.read_stream(SURROGATE, strict=True),
                                          "stream must be valid Unicode text"),
    "snapshot of a surrogate stream": (lambda s: s.load_snapshot(SURROGATE),
                                       "stream must be valid Unicode text"),
    "projection named with a surrogate": (
        lambda s: s.save_projection(SURROGATE, {}, 0, expected_checkpoint=0),
        "name must be valid Unicode text"),
    "snapshot state with a surrogate": (lambda s: s.save_snapshot("a", 1, {"x": SURROGATE}),
                                        "state['x'] must be valid Unicode text"),
    "expected version 2**63": (lambda s: s.append("a", [event()], expected=TOO_BIG),
                               "expected must be <= 2**62"),
    "expected version 2**63 - 1": (lambda s: s.append("a", [event()], expected=TOO_BIG - 1),
                                   "expected must be <= 2**62"),
    "expected version 2**62": (lambda s: s.append("a", [event()], expected=MAX_NUMBER),
                               "expected version 4611686018427387904 but it is at version 1"),
    "from_version 2**63": (lambda s: s.read_stream("a", from_version=TOO_BIG),
                           "from_version must be <= 2**62"),
    "to_version 2**63": (lambda s: s.read_stream("a", to_version=TOO_BIG),
                         "to_version must be <= 2**62"),
    "to_version 2**62": (lambda s: [e.version for e in s.read_stream("a", to_version=MAX_NUMBER)],
                         ""),
    "from_position 2**63": (lambda s: s.read_all(TOO_BIG), "from_position must be <= 2**62"),
    "limit 2**64": (lambda s: s.read_all(1, limit=2**64), "limit must be <= 2**62"),
    "snapshot version 2**63": (lambda s: s.save_snapshot("a", TOO_BIG, {}),
                               "version must be <= 2**62"),
    "checkpoint 2**63": (lambda s: s.save_projection("p", {}, TOO_BIG, expected_checkpoint=0),
                         "checkpoint must be <= 2**62"),
    "expected checkpoint 2**63": (
        lambda s: s.save_projection("p", {}, 0, expected_checkpoint=TOO_BIG),
        "expected_checkpoint must be <= 2**62"),
    "schema version 2**63": (lambda s: s.append("a", [event(schema_version=TOO_BIG)]),
                             "schema_version must be <= 2**62"),
    "data nested 5000 deep": (lambda s: s.append("a", [event(data=nested(5000))]),
                              f"is nested more than {MAX_DEPTH} levels deep"),
    "a list nested 5000 deep": (lambda s: s.append("a", [event(data={"x": nested_list(5000)})]),
                                f"is nested more than {MAX_DEPTH} levels deep"),
    f"data nested {MAX_DEPTH} deep": (
        lambda s: s.append("a", [event(data=nested(MAX_DEPTH))])[0].version, ""),
    "snapshot nested 5000 deep": (lambda s: s.save_snapshot("a", 1, nested(5000)),
                                  f"is nested more than {MAX_DEPTH} levels deep"),
    "an int of 5000 digits in the data": (lambda s: s.append("a", [event(data={"n": 10**5000})]),
                                          "must be an int of at most 3900 digits"),
    "an int of 2**70 in the data": (
        lambda s: s.append("a", [event(data={"n": 2**70})]) and dict(s.read_all()[-1].data),
        ""),
    "a NUL inside a stream name": (lambda s: (s.append("a\x00b", [event()]), s.streams(),
                                              s.version("a\x00b"))[1:], ""),
    "numpy expected version": (lambda s: s.append("a", [event()], expected=np.int64(1))[0].version,
                               ""),
    "to_version below from_version": (lambda s: s.read_stream("a", from_version=3, to_version=1),
                                      ""),
    "a stale projection checkpoint": (
        lambda s: (s.save_projection("p", {}, 1, expected_checkpoint=0),
                   s.save_projection("p", {}, 1, expected_checkpoint=0)),
        "expected no stream (version 0) but it is at version 1"),
}


@pytest.mark.parametrize("name", list(EDGE_PROBES))
def test_both_backends_answer_each_edge_probe_the_same_in_eventlabs_own_words(name: str) -> None:
    probe, words = EDGE_PROBES[name]
    kind, text = both(probe)
    if words:
        assert kind != "ok", f"{name} should be refused, got {text}"
        assert words in text
        assert len(text) < 400  # one readable line, even for a 5000-deep path
    else:
        assert kind == "ok", text


def test_the_rejected_probes_leave_both_stores_unchanged() -> None:
    for store in (InMemoryEventStore(), SqliteEventStore()):
        with store:
            store.append("a", [event()])
            for probe, words in EDGE_PROBES.values():
                if words and "checkpoint" not in words and "projection" not in words:
                    outcome(probe, store)
            assert [(e.stream, e.version) for e in store.read_all()] == [("a", 1)]


# Text as a learner might paste it: any code point, lone surrogates and NUL included.
texts = st.text(st.characters(categories=["Cs", "Cc", "L", "N", "S", "P", "Z", "M"]),
                min_size=1, max_size=6)
numbers = st.one_of(st.integers(min_value=-3, max_value=3),
                    st.integers(min_value=2**61, max_value=2**65))
json_data = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), texts,
              st.floats(allow_nan=True, allow_infinity=True)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(stream=texts, data=json_data, expected=numbers, first=numbers, limit=numbers)
def test_whatever_a_learner_passes_both_backends_agree_and_never_leak_a_raw_error(
        stream: str, data: Any, expected: int, first: int, limit: int) -> None:
    def probe(store: EventStore) -> Any:
        stored = store.append(stream, [NewEvent(type="T", data={"d": data})],
                              expected=max(expected, 0))
        return (stored, store.read_stream(stream, from_version=first),
                store.read_all(max(first, 1), limit=max(limit, 1)), store.streams())

    both(probe)


@pytest.mark.parametrize(("path", "words"), [
    ("a\x00b.db", "no NUL character"),
    ("   ", "not blank"),
    ("\ud800.db", "path must be valid Unicode text"),
])
def test_an_odd_sqlite_path_is_refused_naming_path(path: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        SqliteEventStore(path)


def test_read_sql_reads_the_file_the_store_was_opened_on_even_after_a_chdir(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with SqliteEventStore("events.db") as store:
        store.append("a", [event()])
        (tmp_path / "elsewhere").mkdir()
        monkeypatch.chdir(tmp_path / "elsewhere")
        assert store.read_sql("SELECT count(*) AS n FROM events")["n"].tolist() == [1]
