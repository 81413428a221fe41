"""The event store: append-only streams, optimistic concurrency, and state as a fold.

Two backends with one interface (:class:`EventStore`): :class:`InMemoryEventStore` and
:class:`SqliteEventStore`, where the database itself enforces the expected version.
Projections, snapshots and upcasting work on either.
"""

from eventlab.engines.eventstore.memory import (
    ConcurrencyError,
    EventStore,
    ExpectedVersion,
    InMemoryEventStore,
    Snapshot,
    StreamNotFoundError,
    Subscription,
    fold,
)
from eventlab.engines.eventstore.projections import Projector, load_state, take_snapshot
from eventlab.engines.eventstore.sqlite import SqliteEventStore
from eventlab.engines.eventstore.upcasting import (
    CorruptEventError,
    NewEvent,
    StoredEvent,
    Upcasters,
)

__all__ = ["ConcurrencyError", "CorruptEventError", "EventStore", "ExpectedVersion",
           "InMemoryEventStore", "NewEvent", "Projector", "Snapshot", "SqliteEventStore",
           "StoredEvent", "StreamNotFoundError", "Subscription", "Upcasters", "fold",
           "load_state", "take_snapshot"]
