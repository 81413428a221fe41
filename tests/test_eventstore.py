"""The event-store contract, checked against every backend (in-memory and SQLite alike).

Like pyeventsourcing's recorder test cases, one set of tests runs against each backend; the
properties (reliability reference §3.1, ES-1..ES-8) are checked with Hypothesis over many
generated histories and interleavings rather than a few hand-picked examples.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.errors import ConfigError
from eventlab.core.messages import Command, Event
from eventlab.engines.eventstore.memory import (
    ANY,
    NO_STREAM,
    ConcurrencyError,
    EventStore,
    ExpectedVersion,
    InMemoryEventStore,
    NewEvent,
    StoredEvent,
    StreamNotFoundError,
    Upcasters,
    fold,
)
from eventlab.engines.eventstore.projections import execute, load_state
from eventlab.engines.eventstore.sqlite import SqliteEventStore

BACKENDS = ["memory", "sqlite"]
PROPERTY = settings(max_examples=120, deadline=None)
STREAMS = ["acc-1", "acc-2", "acc-3"]


@contextmanager
def open_store(kind: str, upcasters: Upcasters | None = None) -> Iterator[EventStore]:
    store: EventStore = (InMemoryEventStore(upcasters=upcasters) if kind == "memory"
                         else SqliteEventStore(upcasters=upcasters))
    with store:
        yield store


def deposit(amount: int, time: float = 0.0) -> NewEvent:
    return NewEvent(type="Deposited", data={"amount": amount}, time=time)


def withdraw(amount: int) -> NewEvent:
    return NewEvent(type="Withdrawn", data={"amount": amount})


def balance(state: int, event: StoredEvent) -> int:
    sign = -1 if event.type == "Withdrawn" else 1
    return state + sign * event.data["amount"]


def assert_invariants(store: EventStore) -> None:
    """ES-1 and ES-3: contiguous versions per stream, unique increasing global positions."""
    everything = store.read_all()
    assert [e.position for e in everything] == list(range(1, store.head() + 1))
    for stream in store.streams():
        events = store.read_stream(stream)
        assert [e.version for e in events] == list(range(1, store.version(stream) + 1))
        assert events == [e for e in everything if e.stream == stream]


# An operation: (stream index, batch size, how the writer states its expectation, offset).
operations = st.lists(
    st.tuples(st.integers(0, 2), st.integers(1, 4),
              st.sampled_from(["exact", "stale", "any", "no_stream"]), st.integers(-3, 3)),
    max_size=25,
)


@pytest.mark.parametrize("kind", BACKENDS)
@PROPERTY
@given(ops=operations)
def test_an_append_succeeds_iff_its_expected_version_matches_and_a_rejected_batch_changes_nothing(
    kind: str, ops: list[tuple[int, int, str, int]]
) -> None:
    with open_store(kind) as store:
        versions = dict.fromkeys(STREAMS, 0)
        for index, size, how, offset in ops:
            stream, current = STREAMS[index], versions[STREAMS[index]]
            expected: Any = {"exact": current, "any": ANY, "no_stream": NO_STREAM,
                             "stale": max(0, current + offset)}[how]
            matches = how == "any" or (0 if how == "no_stream" else expected) == current
            before, head = store.read_all(), store.head()
            batch = [deposit(i) for i in range(size)]
            if matches:
                stored = store.append(stream, batch, expected)
                assert [e.version for e in stored] == list(range(current + 1, current + size + 1))
                assert [e.position for e in stored] == list(range(head + 1, head + size + 1))
                versions[stream] += size
            else:
                with pytest.raises(ConcurrencyError):
                    store.append(stream, batch, expected)
                assert store.read_all() == before
                assert store.version(stream) == current
        assert {s: store.version(s) for s in STREAMS} == versions
        assert_invariants(store)


@pytest.mark.parametrize("kind", BACKENDS)
@PROPERTY
@given(amounts=st.lists(st.tuples(st.integers(0, 2), st.integers(-50, 50)), max_size=40),
       start=st.integers(1, 10))
def test_replaying_the_streams_equals_the_state_a_live_catch_up_subscription_kept(
    kind: str, amounts: list[tuple[int, int]], start: int
) -> None:
    with open_store(kind) as store:
        half = len(amounts) // 2
        for index, amount in amounts[:half]:
            store.append(STREAMS[index], [deposit(amount) if amount >= 0 else withdraw(-amount)])
        live: dict[str, int] = {}
        seen: list[int] = []

        def handler(event: StoredEvent) -> None:
            seen.append(event.position)
            live[event.stream] = balance(live.get(event.stream, 0), event)

        subscription = store.subscribe(handler, from_position=1)
        for index, amount in amounts[half:]:
            store.append(STREAMS[index], [deposit(amount) if amount >= 0 else withdraw(-amount)])
        assert seen == list(range(1, store.head() + 1))
        assert subscription.lag() == 0
        replayed = {s: fold(balance, 0, store.read_stream(s)) for s in store.streams()}
        assert replayed == live
        late = []
        store.subscribe(lambda e: late.append(e.position), from_position=start, live=False)
        assert late == list(range(start, store.head() + 1))


@pytest.mark.parametrize("kind", BACKENDS)
@PROPERTY
@given(amounts=st.lists(st.integers(-20, 100), min_size=1, max_size=30), data=st.data())
def test_a_snapshot_at_any_version_plus_the_tail_equals_a_full_replay(
    kind: str, amounts: list[int], data: st.DataObject
) -> None:
    def evolve(state: dict[str, Any], event: StoredEvent) -> dict[str, Any]:
        return {"balance": balance(state["balance"], event),
                "history": [*state["history"], event.data["amount"]]}

    initial: dict[str, Any] = {"balance": 0, "history": []}
    with open_store(kind) as store:
        for amount in amounts:
            store.append("acc", [deposit(amount) if amount >= 0 else withdraw(-amount)])
        k = data.draw(st.integers(1, len(amounts)), label="snapshot version")
        store.save_snapshot("acc", k, fold(evolve, initial, store.read_stream("acc", to_version=k)))
        assert store.load_snapshot("acc").version == k  # type: ignore[union-attr]
        with_snapshot = load_state(store, "acc", evolve, initial)
        full = load_state(store, "acc", evolve, initial, use_snapshot=False)
        assert with_snapshot == full == (fold(evolve, initial, store.read_stream("acc")),
                                         len(amounts))


@pytest.mark.parametrize("kind", BACKENDS)
@PROPERTY
@given(amounts=st.lists(st.integers(1, 60), min_size=2, max_size=4), data=st.data())
def test_no_update_is_lost_when_every_writer_uses_its_exact_expected_version(
    kind: str, amounts: list[int], data: st.DataObject
) -> None:
    # Each writer reads (state, version), decides "withdraw if the money is there", then
    # writes; Hypothesis picks the interleaving of all reads and writes.
    with open_store(kind) as store:
        store.append("acc", [deposit(100)], NO_STREAM)
        pending = dict.fromkeys(range(len(amounts)), "read")
        seen: dict[int, tuple[int, int]] = {}
        accepted: list[int] = []
        while pending:
            writer = data.draw(st.sampled_from(sorted(pending)), label="next writer")
            if pending[writer] == "read":
                seen[writer] = load_state(store, "acc", balance, 0)
                pending[writer] = "write"
                continue
            del pending[writer]
            state, version = seen[writer]
            if state < amounts[writer]:
                continue  # the business rule says no: nothing to write
            try:
                store.append("acc", [withdraw(amounts[writer])], expected=version)
                accepted.append(amounts[writer])
                assert version == store.version("acc") - 1  # it was decided on the latest state
            except ConcurrencyError:
                assert store.version("acc") != version
        final, _ = load_state(store, "acc", balance, 0)
        assert final == 100 - sum(accepted) >= 0
        assert [e.data["amount"] for e in store.read_stream("acc", from_version=2)] == accepted


def test_with_expected_version_any_two_writers_break_the_business_rule() -> None:
    # The pitfall ES-8 guards against: both writers saw 100 and both withdrew 80.
    store = InMemoryEventStore()
    store.append("acc", [deposit(100)])
    first, _ = load_state(store, "acc", balance, 0)
    second, _ = load_state(store, "acc", balance, 0)
    assert first == second == 100
    store.append("acc", [withdraw(80)], ANY)
    store.append("acc", [withdraw(80)], ANY)
    assert load_state(store, "acc", balance, 0)[0] == -60


@pytest.mark.parametrize("kind", BACKENDS)
def test_execute_decides_against_the_current_state_and_retries_after_a_conflict(
    kind: str,
) -> None:
    def decide(state: int, amount: int) -> list[NewEvent]:
        return [withdraw(amount)] if state >= amount else []

    with open_store(kind) as store:
        store.append("acc", [deposit(100)])
        original = store.append
        calls = 0

        def append_after_a_rival(*args: Any, **kwargs: Any) -> tuple[StoredEvent, ...]:
            nonlocal calls
            calls += 1
            if calls == 1:  # a rival slips in between our read and our write
                original("acc", [withdraw(30)])
            return original(*args, **kwargs)

        store.append = append_after_a_rival  # type: ignore[method-assign]
        assert [e.version for e in execute(store, "acc", 50, decide, balance, 0, retries=1)] == [3]
        assert load_state(store, "acc", balance, 0)[0] == 20
        assert execute(store, "acc", 50, decide, balance, 0) == ()  # only 20 left: no event


def test_execute_without_retries_passes_the_conflict_on() -> None:
    store = InMemoryEventStore()
    store.append("acc", [deposit(10)])

    def decide(state: int, amount: int) -> list[NewEvent]:
        store.append("acc", [deposit(1)])  # someone else writes while we decide
        return [withdraw(amount)]

    with pytest.raises(ConcurrencyError, match="expected version 1 but it is at version 2"):
        execute(store, "acc", 5, decide, balance, 0)


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_conflict_error_names_the_stream_and_the_expected_and_actual_version(
    kind: str,
) -> None:
    with open_store(kind) as store:
        store.append("acc-7", [deposit(1), deposit(2)])
        with pytest.raises(ConcurrencyError) as caught:
            store.append("acc-7", [deposit(3)], expected=1)
        assert (caught.value.stream, caught.value.expected, caught.value.actual) == ("acc-7", 1, 2)
        for words in ("'acc-7'", "expected version 1", "at version 2"):
            assert words in str(caught.value)
        with pytest.raises(ConcurrencyError, match="expected no stream"):
            store.append("acc-7", [deposit(3)], expected=NO_STREAM)
        assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)


@pytest.mark.parametrize("kind", BACKENDS)
def test_both_spellings_of_the_expected_version_constants_work(kind: str) -> None:
    with open_store(kind) as store:
        store.append("a", [deposit(1)], "no_stream")
        store.append("a", [deposit(1)], "any")
        store.append("a", [deposit(1)], ExpectedVersion.ANY)
        assert store.version("a") == 3


@pytest.mark.parametrize("kind", BACKENDS)
def test_old_schema_events_are_read_as_the_current_version_and_stay_old_in_the_store(
    kind: str,
) -> None:
    upcasters = Upcasters()
    upcasters.register("Deposited", 1, lambda d: {"cents": d["amount"] * 100})

    @upcasters.register("Deposited", 2)
    def add_currency(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "currency": "EUR"}

    with open_store(kind, upcasters) as store:
        store.append("acc", [NewEvent(type="Deposited", data={"amount": 3}, schema_version=1),
                             NewEvent(type="Deposited", data={"cents": 50}, schema_version=2)])
        store.append("acc", [NewEvent(type="Deposited", data={"cents": 7, "currency": "USD"})])
        events = store.read_stream("acc")
        assert [(e.schema_version, dict(e.data)) for e in events] == [
            (3, {"cents": 300, "currency": "EUR"}),
            (3, {"cents": 50, "currency": "EUR"}),
            (3, {"cents": 7, "currency": "USD"}),  # written at the current version: untouched
        ]
        assert upcasters.current_version("Deposited") == 3
        assert upcasters.current_version("Withdrawn") == 1
        # The rows themselves keep the schema they were written with.
        assert [row[4] for row in store._rows_from(1, None)] == [1, 2, 3]


def test_a_broken_upcaster_is_reported_and_never_yields_a_silently_wrong_event() -> None:
    upcasters = Upcasters()
    store = InMemoryEventStore(upcasters=upcasters)
    store.append("acc", [NewEvent(type="Deposited", data={"amount": 1}, schema_version=1)])
    upcasters.register("Deposited", 1, lambda d: [d])  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="upcaster for type 'Deposited' from_version 1"):
        store.read_all()
    # Appending an old-schema event upcasts it first, so the broken step fails the append
    # before anything is written.
    with pytest.raises(TypeError, match="must return a mapping"):
        store.append("acc", [NewEvent(type="Deposited", data={"amount": 2}, schema_version=1)])
    assert store.head() == 1
    with pytest.raises(ConfigError, match="already registered"):
        upcasters.register("Deposited", 1, lambda d: d)
    with pytest.raises(ConfigError, match="from_version must be >= 1"):
        upcasters.register("Deposited", 0, lambda d: d)
    with pytest.raises(TypeError, match="fn must be a function"):
        upcasters.register("Deposited", 2, "not a function")  # type: ignore[call-overload]


@pytest.mark.parametrize("kind", BACKENDS)
def test_editing_data_read_from_the_store_cannot_change_what_is_stored(kind: str) -> None:
    with open_store(kind) as store:
        original: dict[str, Any] = {"items": [1, 2], "meta": {"k": "v"}}
        store.append("cart", [NewEvent(type="ItemsAdded", data=original)])
        original["items"].append(99)  # the caller's dict changes after the append
        event = store.read_stream("cart")[0]
        with pytest.raises(TypeError):
            event.data["items"] = []  # type: ignore[index]
        event.data["items"].append(3)
        event.data["meta"]["k"] = "changed"
        assert dict(store.read_stream("cart")[0].data) == {"items": [1, 2], "meta": {"k": "v"}}


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_failing_subscriber_does_not_fail_the_append_and_resumes_where_it_stopped(
    kind: str,
) -> None:
    with open_store(kind) as store:
        received: list[int] = []
        broken = True

        def handler(event: StoredEvent) -> None:
            if broken and event.data["amount"] == 2:
                raise RuntimeError("read model is down")
            received.append(event.data["amount"])

        subscription = store.subscribe(handler)
        store.append("acc", [deposit(1), deposit(2), deposit(3)])  # the write still succeeds
        assert store.version("acc") == 3
        assert received == [1]
        assert isinstance(subscription.error, RuntimeError)
        assert (subscription.position, subscription.lag()) == (1, 2)
        store.append("acc", [deposit(4)])  # a parked subscription is not pushed to
        assert received == [1]
        broken = False
        assert subscription.poll() == 3
        assert received == [1, 2, 3, 4]
        assert subscription.error is None
        subscription.close()
        store.append("acc", [deposit(5)])
        assert received == [1, 2, 3, 4]


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_subscriber_that_appends_sees_its_own_events_once_and_in_order(kind: str) -> None:
    with open_store(kind) as store:
        seen: list[str] = []

        def react(event: StoredEvent) -> None:
            seen.append(event.type)
            if event.type == "OrderPlaced":
                store.append("payment-1", [NewEvent(type="PaymentRequested")])

        store.subscribe(react)
        store.append("order-1", [NewEvent(type="OrderPlaced")])
        assert seen == ["OrderPlaced", "PaymentRequested"]


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_catch_up_iterator_also_yields_events_appended_while_it_runs(kind: str) -> None:
    with open_store(kind) as store:
        store.append("a", [deposit(i) for i in range(5)])
        seen = []
        for event in store.iter_all(2, batch_size=2):
            seen.append(event.position)
            if event.position == 3:
                store.append("b", [deposit(9)])
        assert seen == [2, 3, 4, 5, 6]


@pytest.mark.parametrize("kind", BACKENDS)
def test_eventlab_events_can_be_appended_and_read_back_as_messages(kind: str) -> None:
    with open_store(kind) as store:
        message = Event(message_id="msg-0001", type="OrderPlaced", sender="checkout", time=2.5,
                        key="order-1", correlation_id="ord-1", payload={"total": 30})
        stored = store.append("order-1", [message])[0]
        assert (stored.type, stored.time, stored.sender, dict(stored.data)) == (
            "OrderPlaced", 2.5, "checkout", {"total": 30})
        back = store.read_stream("order-1")[0].to_message()
        assert back == message


def test_both_backends_store_and_return_exactly_the_same_events() -> None:
    with open_store("memory") as memory, open_store("sqlite") as sqlite:
        for store in (memory, sqlite):
            store.append("a", [NewEvent(type="T", data={"x": (1, 2.5), "s": "é", "n": None},
                                        time=1.0, message_id="m-1", causation_id="c-0")])
            store.append("b", [deposit(3, time=2)], NO_STREAM)
        assert memory.read_all() == sqlite.read_all()
        assert memory.read_all()[0].data == {"n": None, "s": "é", "x": [1, 2.5]}


def test_fold_applies_evolve_left_to_right_from_the_initial_state() -> None:
    assert fold(lambda s, e: s * 10 + e, 0, [1, 2, 3]) == 123
    assert fold(lambda s, e: s + e, 7, []) == 7


# -- bad input: a clear ValueError or TypeError that names the parameter --------------------
any_event: Any = NewEvent  # what a learner may type, whatever the type hints say

@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda s: s.append("a", [deposit(1)], -1), ConfigError, "expected must be >= 0"),
        (lambda s: s.append("a", [deposit(1)], True), TypeError, "expected must be an int"),
        (lambda s: s.append("a", [deposit(1)], "latest"), ConfigError, "'no_stream'"),
        (lambda s: s.append("a", deposit(1)), TypeError, "events must be a list"),
        (lambda s: s.append("a", []), ConfigError, "at least one event"),
        (lambda s: s.append("a", [{"type": "X"}]), TypeError, "events[0] must be a NewEvent"),
        (lambda s: s.append("a", [Command(message_id="c", type="Pay", sender="x")]), TypeError,
         "events[0] must be a NewEvent or an Event, got Command"),
        (lambda s: s.append("", [deposit(1)]), ConfigError, "stream must be a non-empty"),
        (lambda s: s.append(7, [deposit(1)]), TypeError, "stream must be a string"),
        (lambda s: s.read_stream("a", from_version=-1), ConfigError, "from_version must be >= 1"),
        (lambda s: s.read_stream("a", to_version=-2), ConfigError, "to_version must be >= 0"),
        (lambda s: s.read_stream("nope", strict=True), StreamNotFoundError, "'nope' does not"),
        (lambda s: s.read_all(0), ConfigError, "from_position must be >= 1"),
        (lambda s: s.read_all(limit=0), ConfigError, "limit must be >= 1"),
        (lambda s: s.save_snapshot("a", 5, {}), ConfigError, "version must be <= the version"),
        (lambda s: s.save_snapshot("a", -1, {}), ConfigError, "version must be >= 1"),
        (lambda s: s.subscribe("not callable"), TypeError, "handler must be a function"),
        (lambda s: s.save_projection("p", {}, 9, expected_checkpoint=0), ConfigError,
         "checkpoint must be <= the head"),
    ],
)
def test_bad_arguments_are_rejected_with_an_error_naming_the_parameter(
    kind: str, call: Any, error: type[Exception], words: str
) -> None:
    with open_store(kind) as store:
        store.append("a", [deposit(1)])
        before = store.read_all()
        with pytest.raises(error) as caught:
            call(store)
        assert words in str(caught.value)
        assert store.read_all() == before


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: any_event(type="", data={}), ConfigError, "type must be a non-empty"),
        (lambda: any_event(type="T", data=[1]), TypeError, "data must be a mapping"),
        (lambda: any_event(type="T", data={"s": {1, 2}}), TypeError, "data['s'] must be JSON"),
        (lambda: any_event(type="T", data={1: "x"}), TypeError, "keys must be strings"),
        (lambda: any_event(type="T", data={"x": float("nan")}), ConfigError, "finite"),
        (lambda: any_event(type="T", schema_version=0), ConfigError, "schema_version must be >= 1"),
        (lambda: any_event(type="T", time=-1.0), ConfigError, "time must be >= 0"),
        (lambda: any_event(type="T", message_id=""), ConfigError, "message_id must be a non-empty"),
    ],
)
def test_a_new_event_with_bad_fields_is_rejected_when_it_is_made(
    make: Any, error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as caught:
        make()
    assert words in str(caught.value)


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_snapshot_state_that_would_not_survive_json_is_rejected(kind: str) -> None:
    with open_store(kind) as store:
        store.append("a", [deposit(1)])
        with pytest.raises(TypeError, match="state must survive a JSON round trip"):
            store.save_snapshot("a", 1, {"items": (1, 2)})
        with pytest.raises(TypeError, match=r"state\['when'\] must be JSON data"):
            store.save_snapshot("a", 1, {"when": object()})
        assert store.load_snapshot("a") is None


def test_a_store_rejects_an_upcasters_argument_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="upcasters must be an Upcasters registry"):
        InMemoryEventStore(upcasters={"Deposited": 1})  # type: ignore[arg-type]


def test_stored_data_is_json_text_in_both_backends() -> None:
    store = InMemoryEventStore()
    store.append("a", [NewEvent(type="T", data={"b": 1, "a": [True, None]})])
    assert json.loads(store._log[0][5]) == {"a": [True, None], "b": 1}  # type: ignore[attr-defined]
    assert store._log[0][5] == '{"a":[true,null],"b":1}'  # type: ignore[attr-defined]


def test_decoding_many_rows_at_once_gives_what_decoding_each_row_gives() -> None:
    from eventlab.engines.eventstore.upcasting import Upcasters, decode_row, decode_rows

    upcasters = Upcasters()
    upcasters.register("Old", 1, lambda data: {**data, "new": True})
    rows = [
        (1, "s", 1, "Plain", 1, '{"a":1}', 0.5, "m-1", "me", "c", None),  # the common row
        (2, "s", 2, "Plain", 1, ' {"a": 2} ', 1, None, None, None, None),  # spaces, int time
        (3, "s", 3, "Old", 1, '{"a":3}', 2.0, None, None, None, None),  # upcast on read
        (4, "s", 4, "Plain", 1, '{"a":{"b":[1,2,{"c":null}]}}', 3.0, None, None, None, None),
    ]
    one_by_one = [decode_row(row, upcasters) for row in rows]
    assert decode_rows(rows, upcasters) == one_by_one
    without_stream = [(row[0], *row[2:]) for row in rows]  # as SQLite reads one stream
    assert decode_rows(without_stream, upcasters, "s") == one_by_one
    for broken in ('{"a":1', '[1]', '{"a":1}x'):  # each fails just as decode_row fails
        row = (5, "s", 5, "Plain", 1, broken, 4.0, None, None, None, None)
        with pytest.raises(ValueError, match="position 5") as many:
            decode_rows([row], upcasters)
        with pytest.raises(ValueError, match=r"position 5 \(stream 's'") as narrow:
            decode_rows([(row[0], *row[2:])], upcasters, "s")
        with pytest.raises(ValueError, match="position 5") as one:
            decode_row(row, upcasters)
        assert str(many.value) == str(narrow.value) == str(one.value)


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_events_the_store_hands_out_are_real_frozen_stored_events(kind: str) -> None:
    import dataclasses

    with open_store(kind) as store:
        appended = store.append("s", [NewEvent(type="T", data={"a": 1}, time=2.0,
                                               message_id="m-1", sender="me")])
        for event in (*appended, *store.read_stream("s"), *store.read_all()):
            assert type(event) is StoredEvent  # built without __init__, but a StoredEvent
            assert event == StoredEvent(stream="s", version=1, position=1, type="T",
                                        schema_version=1, data={"a": 1}, time=2.0,
                                        message_id="m-1", sender="me")
            with pytest.raises(dataclasses.FrozenInstanceError):
                event.version = 2  # type: ignore[misc]
            assert dataclasses.replace(event, version=3).version == 3
