"""State derived from events: one stream's state, decisions against it, and read models.

Event sourcing stores facts, never state. The state of one entity is a fold over its stream
(:func:`load_state`, shortened by a snapshot), and a command is decided against that state
and appended with the exact version it was decided on (:func:`execute`), so a decision made
on stale state is rejected instead of silently overwriting someone else's.

A :class:`Projector` (the query side of CQRS) folds the *global* log into a read model. It
saves the model and its checkpoint (the last applied position) together, in one store
operation, so a crash between "applied" and "remembered" cannot make an event count twice.
``atomic=False`` switches to the classic pitfall (model saved per event, checkpoint only at
the end of a batch) so a notebook can show the double-count that causes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from eventlab.core.errors import check_bool, check_float, check_int, check_text, describe
from eventlab.engines.eventstore.memory import ConcurrencyError, EventStore, Snapshot, fold
from eventlab.engines.eventstore.upcasting import NewEvent, StoredEvent, to_state_json

S = TypeVar("S")
C = TypeVar("C")
M = TypeVar("M")


def load_state(
    store: EventStore, stream: str, evolve: Callable[[S, StoredEvent], S], initial: S, *,
    use_snapshot: bool = True,
) -> tuple[S, int]:
    """(state, version) of `stream`: the latest snapshot (if any) plus the events after it.

    `evolve` should return a new state rather than edit `initial` in place.
    """
    snapshot = store.load_snapshot(stream) if use_snapshot else None
    state, version = (initial, 0) if snapshot is None else (snapshot.state, snapshot.version)
    tail = store.read_stream(stream, from_version=version + 1)
    return fold(evolve, state, tail), (tail[-1].version if tail else version)


def take_snapshot(
    store: EventStore, stream: str, evolve: Callable[[S, StoredEvent], S], initial: S
) -> Snapshot:
    """Fold `stream` to its current version and save that state as its snapshot."""
    state, version = load_state(store, stream, evolve, initial)
    return store.save_snapshot(stream, version, state)


def execute(
    store: EventStore, stream: str, command: C,
    decide: Callable[[S, C], Sequence[NewEvent]], evolve: Callable[[S, StoredEvent], S],
    initial: S, *, retries: int = 0,
) -> tuple[StoredEvent, ...]:
    """Decide `command` against the current state and append with exactly that version.

    On a :class:`ConcurrencyError` the state is reloaded and the command decided again, at
    most `retries` times; a decision made on stale state is never written.
    """
    check_int("retries", retries, low=0)
    for attempt in range(retries + 1):
        state, version = load_state(store, stream, evolve, initial)
        events = decide(state, command)
        if not events:
            return ()
        try:
            return store.append(stream, events, expected=version)
        except ConcurrencyError:
            if attempt == retries:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class Projector(Generic[M]):
    """A read model folded from the global log; model and checkpoint are saved together."""

    def __init__(
        self, store: EventStore, name: str, evolve: Callable[[M, StoredEvent], M], initial: M,
        *, batch_size: int = 100, atomic: bool = True,
    ) -> None:
        if not isinstance(store, EventStore):
            raise TypeError(f"store must be an EventStore, got {describe(store)}")
        if not callable(evolve):
            raise TypeError(f"evolve must be a function (model, event) -> model, "
                            f"got {describe(evolve)}")
        self.store, self.name, self.evolve = store, check_text("name", name), evolve
        # Kept as JSON so every rebuild starts from a fresh copy, whatever evolve mutates.
        self._initial_json = to_state_json("initial", initial)
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.atomic = check_bool("atomic", atomic)

    @property
    def initial(self) -> M:
        """A fresh copy of the empty read model."""
        model: M = json.loads(self._initial_json)
        return model

    def state(self) -> tuple[M, int]:
        """(read model, checkpoint) as saved together; (initial, 0) before the first run."""
        saved = self.store.load_projection(self.name)
        return (self.initial, 0) if saved is None else saved

    @property
    def model(self) -> M:
        """The read model as last saved."""
        return self.state()[0]

    @property
    def checkpoint(self) -> int:
        """The global position of the last event applied to the read model (0: none)."""
        return self.state()[1]

    def run(self, max_events: int | None = None) -> int:
        """Apply events after the checkpoint, batch by batch; return how many were applied."""
        if max_events is not None:
            check_int("max_events", max_events, low=0)
        applied = 0
        while max_events is None or applied < max_events:
            model, checkpoint = self.state()
            room = self.batch_size if max_events is None else max_events - applied
            events = self.store.read_all(checkpoint + 1, limit=min(self.batch_size, room))
            if not events:
                break
            if self.atomic:
                model = fold(self.evolve, model, events)
            else:
                for event in events:
                    model = self.evolve(model, event)
                    # The pitfall: the model moves on but the checkpoint stays behind, so a
                    # crash before the end of the batch replays these events onto it again.
                    self.store.save_projection(self.name, model, checkpoint,
                                               expected_checkpoint=checkpoint)
            self.store.save_projection(self.name, model, events[-1].position,
                                       expected_checkpoint=checkpoint)
            applied += len(events)
        return applied

    def lag(self) -> int:
        """Events stored but not yet applied: head position minus checkpoint."""
        return self.store.head() - self.checkpoint

    def staleness(self, now: float) -> float:
        """Simulated time since the oldest event not yet applied (0.0 when caught up)."""
        check_float("now", now, low=0.0)
        pending = self.store.read_all(self.checkpoint + 1, limit=1)
        return max(0.0, now - pending[0].time) if pending else 0.0

    def reached(self, position: int) -> bool:
        """Whether the read model already includes `position` (read-your-own-writes)."""
        return self.checkpoint >= check_int("position", position, low=0)

    def replay(self) -> tuple[M, int]:
        """(model, position) folded from scratch over the whole log, without saving it."""
        model, last = self.initial, 0
        for event in self.store.iter_all():
            model, last = self.evolve(model, event), event.position
        return model, last

    def rebuild(self) -> M:
        """Replay from scratch and swap the result in atomically; return the new model."""
        model, last = self.replay()
        self.store.save_projection(self.name, model, last, expected_checkpoint=self.checkpoint)
        return model

    def __repr__(self) -> str:
        return f"Projector({self.name!r}, checkpoint={self.checkpoint}, lag={self.lag()})"

