"""Persistent state, built fairly: account #12345 as a row plus its history table.

A bank that keeps its accounts in a relational database does not keep only the balance. The
way practitioners build it, every change runs one transaction that ``UPDATE``s the account's
row and ``INSERT``s a line into a ``transactions`` table (the account's history): both commit
or neither does. :class:`AccountRow` is that model, in a real SQLite database.

What it cannot promise by itself is that every write path keeps the two together. The balance
is stored in one place and the history in another, so

* a write path that updates the balance and forgets the history line (a batch job, a support
  tool, a fix typed into the SQL console: :meth:`AccountRow.update_balance_only`) leaves a
  balance the history cannot explain;
* two writers that read the balance, compute a new one and write it back without checking the
  row's version (:meth:`AccountRow.write_balance` with ``read_version=None``) overwrite each
  other: one update is lost from the balance, while both history lines are there.

:meth:`AccountRow.drift` measures the difference. The event log has no second place to keep in
step: the balance is the fold of the events.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd

from eventlab.core.errors import ConfigError, check_float, check_int, check_text
from eventlab.domains.account import ACCOUNT, Event, dollars, party_of, signed_amount, when

ROW_TABLES_SQL = """\
CREATE TABLE accounts (
    number      TEXT PRIMARY KEY,
    balance     INTEGER NOT NULL,        -- cents; overwritten by every change
    updated     REAL    NOT NULL,        -- when the row was last changed
    row_version INTEGER NOT NULL         -- optimistic locking, as Camunda 7 does
);
CREATE TABLE transactions (              -- the account's history, one line per change
    id     INTEGER PRIMARY KEY,
    number TEXT    NOT NULL,
    time   REAL    NOT NULL,
    type   TEXT    NOT NULL,
    amount INTEGER NOT NULL,             -- signed cents
    party  TEXT
);
"""
# One change, as the application books it: both statements in one transaction.
ROW_UPDATE_SQL = ("UPDATE accounts SET balance = balance + ?, updated = ?, "
                  "row_version = row_version + 1 WHERE number = ?")
HISTORY_INSERT_SQL = ("INSERT INTO transactions (number, time, type, amount, party) "
                      "VALUES (?, ?, ?, ?, ?)")
ROW_DELETE_SQL = "DELETE FROM transactions WHERE id = ?"
# Read-modify-write, as a clerk's screen does it: read the balance, decide, write it back.
ROW_READ_SQL = "SELECT balance, row_version FROM accounts WHERE number = ?"
ROW_WRITE_SQL = ("UPDATE accounts SET balance = ?, updated = ?, row_version = row_version + 1 "
                 "WHERE number = ?")
# The same write with a version check: it changes nothing if someone wrote since the read.
ROW_WRITE_CHECKED_SQL = ROW_WRITE_SQL + " AND row_version = ?"


class AccountRow:
    """Persistent state: account #12345 as one SQLite row that every change overwrites, and
    the history table that the same transaction appends to."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", isolation_level=None)
        self._conn.executescript(ROW_TABLES_SQL)
        self._without_history = 0

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One database transaction: everything inside commits together, or nothing does."""
        # isolation_level=None is autocommit: without an explicit BEGIN every statement would
        # commit on its own, and the row and its history line could part.
        self._conn.execute("BEGIN")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def record(self, event: Event) -> None:
        """Book one change as a CRUD application does: UPDATE the row in place and INSERT the
        history line, in one transaction."""
        with self._transaction() as db:
            if event.type == "AccountOpened":
                db.execute("INSERT INTO accounts VALUES (?, 0, ?, 1)", (ACCOUNT, event.time))
                return
            amount = signed_amount(event)
            db.execute(HISTORY_INSERT_SQL, (ACCOUNT, event.time, event.type, amount,
                                            party_of(event)))
            db.execute(ROW_UPDATE_SQL, (amount, event.time, ACCOUNT))

    def update_balance_only(self, event: Event) -> None:
        """A write path that changes the balance and forgets the history line (a batch job
        written elsewhere, a fix in the SQL console): the row moves, the history does not."""
        with self._transaction() as db:
            db.execute(ROW_UPDATE_SQL, (signed_amount(event), event.time, ACCOUNT))
        self._without_history += 1

    def read(self) -> tuple[int, int]:
        """(balance in cents, row version), as a screen reads them before a change."""
        found = self._conn.execute(ROW_READ_SQL, (ACCOUNT,)).fetchone()
        if found is None:
            raise ConfigError(f"account #{ACCOUNT} has no row yet: record its AccountOpened")
        return int(found[0]), int(found[1])

    def write_balance(self, new_balance: int, time: float, *, type_: str, amount: int,
                      party: str, read_version: int | None) -> bool:
        """Write a balance computed from an earlier read, with its history line, in one
        transaction. With `read_version` the UPDATE checks that nobody wrote since the read
        and changes nothing if someone did (returns False: a conflict); with None it
        overwrites whatever is there now (a lost update if someone wrote in between)."""
        check_int("new_balance", new_balance)
        check_float("time", time, low=0.0)
        check_text("type_", type_)
        check_int("amount", amount)
        with self._transaction() as db:
            if read_version is None:
                db.execute(ROW_WRITE_SQL, (new_balance, time, ACCOUNT))
            else:
                check_int("read_version", read_version, low=1)
                changed = db.execute(ROW_WRITE_CHECKED_SQL,
                                     (new_balance, time, ACCOUNT, read_version)).rowcount
                if changed == 0:
                    return False  # nothing written, not even the history line
            db.execute(HISTORY_INSERT_SQL, (ACCOUNT, time, type_, amount, party))
        return True

    def delete_transaction(self, transaction_id: int, time: float) -> None:
        """DELETE a transaction and take its effect out of the balance: allowed, and final."""
        check_int("transaction_id", transaction_id, low=1)
        with self._transaction() as db:
            found = db.execute("SELECT amount FROM transactions WHERE id = ?",
                               (transaction_id,)).fetchone()
            if found is None:
                ids = [i for (i,) in db.execute("SELECT id FROM transactions")]
                raise ConfigError(f"transaction_id {transaction_id} is not in the transactions "
                                  f"table; ids there: {ids}")
            db.execute(ROW_DELETE_SQL, (transaction_id,))
            db.execute(ROW_UPDATE_SQL, (-found[0], time, ACCOUNT))

    @property
    def balance(self) -> int:
        """The balance in cents, as stored (not derived from anything)."""
        row = self._conn.execute("SELECT balance FROM accounts").fetchone()
        return 0 if row is None else int(row[0])

    @property
    def row_version(self) -> int:
        """How often the row was written (1 when it was inserted)."""
        row = self._conn.execute("SELECT row_version FROM accounts").fetchone()
        return 0 if row is None else int(row[0])

    @property
    def writes_without_history(self) -> int:
        """How many changes moved the balance without a history line."""
        return self._without_history

    def sum_of_transactions(self, until: float | None = None) -> int:
        """The history table summed (up to `until`): the balance the history can explain."""
        if until is None:
            (total,) = self._conn.execute(
                "SELECT COALESCE(SUM(amount), 0) FROM transactions").fetchone()
        else:
            check_float("until", until)
            (total,) = self._conn.execute("SELECT COALESCE(SUM(amount), 0) FROM transactions "
                                          "WHERE time <= ?", (until,)).fetchone()
        return int(total)

    def drift(self) -> int:
        """The stored balance minus the sum of its history, in cents: 0 while every change
        wrote both; anything else is money the history cannot explain."""
        return self.balance - self.sum_of_transactions()

    def table(self) -> pd.DataFrame:
        """The accounts table: one row, as the database holds it now."""
        rows = self._conn.execute("SELECT number, balance, updated, row_version FROM accounts")
        return pd.DataFrame([(f"#{n}", dollars(b), when(u), v) for n, b, u, v in rows],
                            columns=["account", "balance", "last updated", "row version"])

    def transactions(self) -> pd.DataFrame:
        """The transactions table as it is now (deleted rows are simply not there)."""
        rows = self._conn.execute("SELECT id, time, type, amount, party FROM transactions "
                                  "ORDER BY id")
        return pd.DataFrame([(i, when(t), ty, dollars(a), p) for i, t, ty, a, p in rows],
                            columns=["id", "when", "type", "amount", "party"])

    def history_balances(self) -> list[tuple[float, int]]:
        """(time, balance after it) for every history line: the balance over time, as far as
        the history can tell it."""
        rows = self._conn.execute("SELECT time, amount FROM transactions ORDER BY time, id")
        out, total = [], 0
        for time, amount in rows:
            total += int(amount)
            out.append((float(time), total))
        return out

    def copy(self) -> AccountRow:
        """An independent copy of both tables (SQLite's backup API)."""
        other = AccountRow.__new__(AccountRow)
        other._conn = sqlite3.connect(":memory:", isolation_level=None)
        self._conn.backup(other._conn)
        other._without_history = self._without_history
        return other

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def __repr__(self) -> str:
        return f"AccountRow(#{ACCOUNT}, balance={dollars(self.balance)})"
