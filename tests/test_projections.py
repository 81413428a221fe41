"""Projectors (CQRS read models), snapshots in use, and decisions against folded state.

The read model and its checkpoint are saved together, so the properties below hold for any
interleaving of writes, partial catch-ups and crashes (reliability reference ES-4, ES-6, ES-7).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.errors import ConfigError
from eventlab.engines.eventstore.memory import (
    ConcurrencyError,
    EventStore,
    InMemoryEventStore,
    NewEvent,
)
from eventlab.engines.eventstore.projections import Projector, load_state, take_snapshot
from eventlab.engines.eventstore.sqlite import SqliteEventStore
from eventlab.engines.eventstore.upcasting import StoredEvent

BACKENDS = ["memory", "sqlite"]
PROPERTY = settings(max_examples=100, deadline=None)
Model = dict[str, Any]
EMPTY: Model = {"balances": {}, "applied": []}


@contextmanager
def open_store(kind: str) -> Iterator[EventStore]:
    with InMemoryEventStore() if kind == "memory" else SqliteEventStore() as store:
        yield store


class CrashError(Exception):
    """The projector process dies mid-batch."""


def balances(model: Model, event: StoredEvent) -> Model:
    """A read model that also records each applied position, so double-counting shows."""
    totals = dict(model["balances"])
    totals[event.stream] = totals.get(event.stream, 0) + event.data["amount"]
    return {"balances": totals, "applied": [*model["applied"], event.position]}


def deposit(amount: int, time: float = 0.0) -> NewEvent:
    return NewEvent(type="Deposited", data={"amount": amount}, time=time)


# A step: append a batch to a stream, or let the projector catch up by at most n events.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 2), st.lists(st.integers(-9, 9),
                                                                   min_size=1, max_size=3)),
        st.tuples(st.just("run"), st.integers(0, 7), st.just([])),
    ),
    max_size=20,
)


@pytest.mark.parametrize("kind", BACKENDS)
@PROPERTY
@given(script=steps, batch_size=st.integers(1, 4))
def test_rebuilding_from_scratch_equals_the_live_read_model(
    kind: str, script: list[tuple[str, int, list[int]]], batch_size: int
) -> None:
    with open_store(kind) as store:
        projector = Projector(store, "balances", balances, EMPTY, batch_size=batch_size)
        for action, n, amounts in script:
            if action == "append":
                store.append(f"acc-{n}", [deposit(a) for a in amounts])
            else:
                projector.run(max_events=n)
            model, checkpoint = projector.state()
            assert model["applied"] == list(range(1, checkpoint + 1))
            assert projector.lag() == store.head() - checkpoint >= 0
        projector.run()
        live = projector.model
        assert (projector.lag(), projector.checkpoint) == (0, store.head())
        assert projector.replay() == (live, store.head())
        assert projector.rebuild() == live == projector.model


@pytest.mark.parametrize("kind", BACKENDS)
@PROPERTY
@given(amounts=st.lists(st.integers(1, 9), min_size=1, max_size=25),
       crashes=st.sets(st.integers(0, 40), max_size=6), batch_size=st.integers(1, 5))
def test_a_checkpoint_means_every_event_up_to_it_was_applied_exactly_once(
    kind: str, amounts: list[int], crashes: set[int], batch_size: int
) -> None:
    calls = 0

    def crashing(model: Model, event: StoredEvent) -> Model:
        nonlocal calls
        calls += 1
        if calls in crashes:
            raise CrashError(f"crash on call {calls}")
        return balances(model, event)

    with open_store(kind) as store:
        for i, amount in enumerate(amounts):
            store.append(f"acc-{i % 3}", [deposit(amount)])
        projector = Projector(store, "balances", crashing, EMPTY, batch_size=batch_size)
        for _ in range(len(crashes) + 1):  # each crash point fires once; then it gets through
            with suppress(CrashError):
                projector.run()
            model, checkpoint = projector.state()
            assert model["applied"] == list(range(1, checkpoint + 1))
        assert projector.model["applied"] == list(range(1, len(amounts) + 1))
        totals = {f"acc-{k}": sum(amounts[k::3]) for k in range(min(3, len(amounts)))}
        assert projector.model["balances"] == totals


@pytest.mark.parametrize("kind", BACKENDS)
def test_without_an_atomic_checkpoint_a_crash_applies_events_twice(kind: str) -> None:
    # The pitfall (ES-6 / E-4): the model is saved per event, the checkpoint per batch.
    calls = 0

    def crash_on_the_third(model: Model, event: StoredEvent) -> Model:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise CrashError("crash after two events of the batch were saved")
        return balances(model, event)

    with open_store(kind) as store:
        store.append("acc", [deposit(10) for _ in range(4)])
        projector = Projector(store, "balances", crash_on_the_third, EMPTY, batch_size=4,
                              atomic=False)
        with pytest.raises(CrashError):
            projector.run()
        assert projector.checkpoint == 0  # ...but the model already holds two events
        projector.run()
        assert projector.model["applied"] == [1, 2, 1, 2, 3, 4]
        assert projector.model["balances"] == {"acc": 60}  # 40 deposited, 60 counted


@pytest.mark.parametrize("kind", BACKENDS)
def test_lag_counts_unapplied_events_and_staleness_is_the_age_of_the_oldest(kind: str) -> None:
    with open_store(kind) as store:
        projector = Projector(store, "balances", balances, EMPTY)
        assert (projector.lag(), projector.staleness(now=5.0)) == (0, 0.0)
        store.append("acc", [deposit(1, time=1.0), deposit(2, time=2.0), deposit(3, time=4.0)])
        assert (projector.lag(), projector.staleness(now=5.0)) == (3, 4.0)
        assert projector.run(max_events=2) == 2
        assert (projector.lag(), projector.staleness(now=5.0)) == (1, 1.0)
        assert not projector.reached(3)
        projector.run()
        assert (projector.lag(), projector.staleness(now=5.0)) == (0, 0.0)
        assert projector.reached(3)


@pytest.mark.parametrize("kind", BACKENDS)
def test_two_instances_of_one_projector_never_apply_an_event_twice(kind: str) -> None:
    with open_store(kind) as store:
        store.append("acc", [deposit(5), deposit(7)])
        rival = Projector(store, "balances", balances, EMPTY)
        rival_ran = False

        def slow(model: Model, event: StoredEvent) -> Model:
            nonlocal rival_ran
            if not rival_ran:  # while we fold, another instance catches up and saves
                rival_ran = True
                rival.run()
            return balances(model, event)

        ours = Projector(store, "balances", slow, EMPTY)
        with pytest.raises(ConcurrencyError, match="projection:balances"):
            ours.run()
        assert ours.model == {"balances": {"acc": 12}, "applied": [1, 2]}


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_snapshot_is_used_and_only_the_tail_is_read(kind: str) -> None:
    def count(state: int, event: StoredEvent) -> int:
        return state + event.data["amount"]

    with open_store(kind) as store:
        store.append("acc", [deposit(1), deposit(2)])
        snapshot = take_snapshot(store, "acc", count, 0)
        assert (snapshot.version, snapshot.state) == (2, 3)
        store.append("acc", [deposit(4)])
        assert load_state(store, "acc", count, 0) == (7, 3)
        # A tampered snapshot shows up in the result, which is why snapshot + tail must be
        # checked against a full replay (ES-5) whenever evolve changes.
        store.save_snapshot("acc", 2, 100)
        assert load_state(store, "acc", count, 0) == (104, 3)
        assert load_state(store, "acc", count, 0, use_snapshot=False) == (7, 3)


def test_the_sqlite_read_model_and_checkpoint_live_in_one_row() -> None:
    with SqliteEventStore() as store:
        store.append("acc", [deposit(3)])
        Projector(store, "balances", balances, EMPTY).run()
        rows = store._query("SELECT name, checkpoint, model FROM projections")
        assert rows == [("balances", 1, '{"applied":[1],"balances":{"acc":3}}')]


any_projector: Any = Projector  # what a learner may type, whatever the type hints say


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda s: any_projector("store", "p", balances, EMPTY), TypeError, "store must be an"),
        (lambda s: any_projector(s, "", balances, EMPTY), ConfigError, "name must be a non-empty"),
        (lambda s: any_projector(s, "p", "f", EMPTY), TypeError, "evolve must be a function"),
        (lambda s: any_projector(s, "p", balances, EMPTY, batch_size=0), ConfigError,
         "batch_size must be >= 1"),
        (lambda s: any_projector(s, "p", balances, EMPTY, atomic=1), TypeError, "atomic must be"),
        (lambda s: any_projector(s, "p", balances, ("a",)), TypeError, "initial must survive"),
        (lambda s: any_projector(s, "p", balances, EMPTY).run(max_events=-1), ConfigError,
         "max_events must be >= 0"),
        (lambda s: any_projector(s, "p", balances, EMPTY).staleness(now=-1.0), ConfigError,
         "now must be >= 0"),
        (lambda s: any_projector(s, "p", lambda m, e: {1, 2}, EMPTY).run(), TypeError,
         "model must be JSON data"),
    ],
)
def test_bad_projector_arguments_are_rejected_naming_the_parameter(
    make: Any, error: type[Exception], words: str
) -> None:
    store = InMemoryEventStore()
    store.append("acc", [deposit(1)])
    with pytest.raises(error) as caught:
        make(store)
    assert words in str(caught.value)
    assert store.load_projection("p") is None
