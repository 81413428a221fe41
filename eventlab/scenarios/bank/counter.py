"""A clerk at the counter, serving one payout: load the account, decide, write.

The same three steps run against either store of notebook 02, so a race between clerks can
be told with one thing changed:

* :class:`LogCounter`: the event log. ``append`` adds the decision's events; with an exact
  expected version it refuses (``ConcurrencyError``) if someone appended since the load, with
  ``ANY`` it appends whatever happened in between (a decision on a stale read);
* :class:`RowCounter`: the row model. ``load`` reads the balance and the row version;
  ``append`` writes back the balance computed from that read (read-modify-write), with its
  history line. With an exact expected version the ``UPDATE ... AND row_version = ?`` changes
  nothing if someone wrote since the read (a conflict); with ``ANY`` it overwrites the other
  clerk's balance: a **lost update**.

:func:`pay_out` is how a careful clerk uses a counter: decide on what was read, write with the
version read, and on a conflict reload and decide again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from eventlab.domains.account import (
    INITIAL,
    STREAM,
    Command,
    CommandRejectedError,
    decide,
    dollars,
    evolve,
    signed_amount,
)
from eventlab.domains.account_row import AccountRow
from eventlab.engines.eventstore.memory import ANY, ConcurrencyError, EventStore, ExpectedVersion
from eventlab.engines.eventstore.projections import load_state
from eventlab.engines.eventstore.upcasting import NewEvent

Refused = CommandRejectedError  # what `decide` raises when the overdraft rule says no
Note = Callable[[str, str], None]  # (entity, what happened): written to the trace
State = dict[str, Any]


class Counter(Protocol):
    """What a clerk can do with the account while serving one payout."""

    clerk: str
    amount: int  # cents

    def load(self) -> tuple[State, int]:
        """Read the account now: (state, version)."""

    def decide(self, state: State) -> list[NewEvent]:
        """The events of paying out `amount` on `state`, or :data:`Refused`."""

    def append(self, events: Sequence[NewEvent], expected: int | ExpectedVersion) -> None:
        """Write the decision; :class:`ConcurrencyError` if `expected` is not the version now."""


class _Base:
    """Bookkeeping both counters share: the clerk, the amount, the clock and the notes."""

    def __init__(self, clerk: str, amount: int, now: Callable[[], float], note: Note) -> None:
        self.clerk, self.amount = clerk, amount
        self._now, self._note = now, note
        self.loads = 0
        self.loaded_version = 0  # the version of the latest load
        self.loaded_balance = 0  # and the balance it read (cents)
        self.conflicts = 0
        self.written: list[tuple[int, int]] = []  # (version decided on, version written)

    def decide(self, state: State) -> list[NewEvent]:
        command = Command(type="WithdrawCash", time=self._now(), amount=self.amount,
                          party=self.clerk)
        return decide(state, command)  # the account's own rule

    def _loaded(self, state: State, version: int) -> tuple[State, int]:
        verb = "reads" if self.loads == 0 else "retries: reads"
        self.loads += 1
        self.loaded_version, self.loaded_balance = version, int(state["balance"])
        self._note("read", f"{verb} v{version}: {dollars(state['balance'])}")
        return state, version

    def _conflict(self, expected: int, actual: int) -> ConcurrencyError:
        self.conflicts += 1
        self._note("conflict", f"conflict: expected v{expected}, the "
                               f"{'stream' if isinstance(self, LogCounter) else 'row'} is at "
                               f"v{actual}")
        return ConcurrencyError(STREAM, expected, actual)


class LogCounter(_Base):
    """The clerk's counter on the event log."""

    def __init__(self, store: EventStore, clerk: str, amount: int, now: Callable[[], float],
                 note: Note) -> None:
        super().__init__(clerk, amount, now, note)
        self.store = store

    def load(self) -> tuple[State, int]:
        state, version = load_state(self.store, STREAM, evolve, dict(INITIAL))
        return self._loaded(state, version)

    def append(self, events: Sequence[NewEvent], expected: int | ExpectedVersion) -> None:
        before = self.store.version(STREAM)
        try:
            stored = self.store.append(STREAM, list(events), expected=expected)
        except ConcurrencyError as conflict:
            raise self._conflict(conflict.expected, conflict.actual) from None
        if stored:
            self.written.append((self.loaded_version, before + 1))


class RowCounter(_Base):
    """The clerk's counter on the row model: a balance read, then written back."""

    def __init__(self, row: AccountRow, limit: int, clerk: str, amount: int,
                 now: Callable[[], float], note: Note) -> None:
        super().__init__(clerk, amount, now, note)
        self.row, self.limit = row, limit
        self.read_balance = 0

    def load(self) -> tuple[State, int]:
        balance, version = self.row.read()
        self.read_balance = balance
        return self._loaded({"open": True, "balance": balance, "overdraft": self.limit}, version)

    def append(self, events: Sequence[NewEvent], expected: int | ExpectedVersion) -> None:
        # Read-modify-write: the new balance is computed from the balance that was read.
        change = sum(signed_amount(e) for e in events)
        new_balance = self.read_balance + change
        checked = None if expected == ANY else int(expected)
        before = self.row.row_version
        ok = self.row.write_balance(new_balance, self._now(), type_=events[0].type,
                                    amount=change, party=self.clerk, read_version=checked)
        if not ok:
            raise self._conflict(int(expected), before)
        self.written.append((self.loaded_version, before + 1))


def pay_out(counter: Counter, state: State, version: int, *, retries: int = 3,
            expected: str = "exact") -> str:
    """Serve one payout on what was read (`state` at `version`): "paid", "refused" or
    "gave up". With ``expected="exact"`` a conflict means: reload, decide again, retry (at most
    `retries` times); with ``"any"`` the write never checks."""
    for attempt in range(retries + 1):
        try:
            events = counter.decide(state)
        except Refused:
            return "refused"
        try:
            counter.append(events, expected=ANY if expected == "any" else version)
            return "paid"
        except ConcurrencyError:
            if attempt == retries:
                return "gave up"
            state, version = counter.load()  # someone wrote first: decide again on this
    return "gave up"  # pragma: no cover - the loop always returns
