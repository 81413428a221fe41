"""Two clerks, one account: a race at the counter, on the row model or on the event log.

The morning after the talk's facts (2019-04-17 09:00, balance 2,485.01 $) customers ask
bank clerks to pay out cash from account #12345. A clerk reads the account, thinks for a
while (checks the ID, counts the notes), then decides against what was read and writes
(:mod:`eventlab.scenarios.bank.counter`). Two things can be changed, one at a time:

* ``storage="row"``: the row model of notebook 02 (the balance in a row, with its history
  table). The clerk reads the balance and writes back the balance it computed from that read.
  With ``expected="any"`` the ``UPDATE`` overwrites whatever is there: if the other clerk wrote
  in between, that payout vanishes from the balance, a **lost update** (the cash is gone, the
  balance does not show it, and the history lines no longer add up to the balance). With
  ``expected="exact"`` the ``UPDATE ... AND row_version = ?`` changes nothing, the clerk
  reloads, decides again and retries: optimistic locking, as Camunda 7 does;
* ``storage="log"``: the event log. Nothing can be overwritten, every payout is an event.
  With ``expected="any"`` an append still goes through after someone else's, so a clerk may
  write a decision made on a stale balance (a **stale decision**: no update is lost, but the
  overdraft rule breaks whenever it overdraws the account). With ``expected="exact"`` the store
  says :class:`~eventlab.engines.eventstore.memory.ConcurrencyError`, and the clerk reloads,
  decides again and retries, at most ``retries`` times.

The log runs on both event store backends (``backend``): ``InMemoryEventStore`` or
``SqliteEventStore``, where SQLite's ``UNIQUE (stream, version)`` refuses the second write.
Times are simulated minutes since 2019-04-16 11:00, amounts integer cents.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.errors import ConfigError
from eventlab.core.world import World
from eventlab.domains.account import (
    MINUTES_PER_DAY,
    STREAM,
    balance_of,
    cents,
    dollars,
    new_event,
    when,
)
from eventlab.domains.account_row import AccountRow
from eventlab.engines.eventstore.memory import (
    ANY,
    ConcurrencyError,
    EventStore,
    InMemoryEventStore,
)
from eventlab.engines.eventstore.sqlite import SqliteEventStore
from eventlab.engines.eventstore.upcasting import StoredEvent
from eventlab.scenarios.bank.counter import (
    Counter,
    LogCounter,
    Refused,
    RowCounter,
    State,
    pay_out,
)
from eventlab.view import graphs

__all__ = ["ANY", "BACKENDS", "EXPECTED", "NAMES", "STORAGES", "ClerksResult", "ConcurrencyError",
           "Config", "Counter", "Metric", "PayOut", "Race", "Refused", "compare", "pay_out",
           "run"]

EXPECTED: tuple[str, ...] = ("any", "exact")
STORAGES: tuple[str, ...] = ("log", "row")
BACKENDS: tuple[str, ...] = ("memory", "sqlite")
NAMES: tuple[str, ...] = ("Alice", "Bob", "Chandra", "Dmitri", "Emeka", "Fatima", "Grace",
                          "Hiro")
START = MINUTES_PER_DAY - 2 * 60.0  # 2019-04-17 09:00: the counter opens
TABLE_SQL = "SELECT position, stream, version, type, data, time FROM events ORDER BY position"
# How a clerk serves one payout once the account is read: (counter, state, version) -> outcome
PayOut = Callable[[Counter, State, int], str]
OUTCOMES: tuple[str, ...] = ("paid", "refused", "gave up")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the race at the counter (money in dollars, times in minutes)."""

    clerks: int = param(2, low=1, high=len(NAMES), help="clerks serving the same account")
    requests: int = param(1, low=1, high=50, help="payouts each clerk is asked for")
    amount: float = param(2000.0, low=0.01, high=100000.0, step=10.0,
                          help="mean payout ($)")
    amount_spread: float = param(0.0, low=0.0, high=0.9, step=0.05,
                                 help="payouts vary by up to this fraction of the amount")
    request_interval: float = param(0.0, low=0.0, high=600.0, step=1.0,
                                    help="mean minutes between a clerk's requests (0: a queue "
                                         "is waiting when the counter opens)")
    think_time: float = param(2.0, low=0.0, high=60.0, step=0.5,
                              help="mean minutes between reading the account and writing")
    storage: str = param("log", choices=STORAGES,
                         help="where the account lives: the event log, or the row model "
                              "(a balance row and its history table)")
    expected: str = param("any", choices=EXPECTED,
                          help="the version a write expects: any (no check), or exactly the "
                               "one read")
    backend: str = param("memory", choices=BACKENDS,
                         help="which event store holds the log (storage='log'; the row model "
                              "is always an SQLite table)")
    retries: int = param(3, low=0, high=10, help="retries after a conflict before giving up")
    overdraft: float = param(0.0, low=0.0, high=10000.0, step=50.0,
                             help="how far the balance may go below zero ($)")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """clerks x requests payouts, each read and appended once, and again after every
        conflict when the append expects the version it read (up to `retries` times).
        Measured on a 2-core laptop (CPU time, busy machine): at most 45 us per attempt (the
        SQLite store); the estimate is 60 us. Even every slider at its maximum stays far below
        the budget (4,400 attempts: 0.03 s measured)."""
        attempts = self.clerks * self.requests * (1 + (self.retries if self.expected == "exact"
                                                       else 0))
        return Cost(seconds=0.01 + attempts * 60e-6, megabytes=110 + attempts * 0.001,
                    drivers={"requests": "lower", "clerks": "lower", "retries": "lower"})

    def check(self) -> None:
        cents(self.amount, "amount")
        cents(self.overdraft, "overdraft")


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    PAYOUTS_ASKED_FOR = "payouts asked for"
    PAYOUTS_MADE = "payouts made"
    REFUSED_OVERDRAFT_RULE = "refused (overdraft rule)"
    CONFLICTS = "conflicts"
    RETRIES = "retries"
    GAVE_UP = "gave up"
    STALE_DECISIONS = "decisions written on a stale read"
    LOST_UPDATES = "lost updates"
    OVERDRAFT_VIOLATIONS = "overdraft violations"
    MISSING_FROM_BALANCE = "paid out but missing from the balance ($)"
    FINAL_BALANCE = "final balance, as stored ($)"
    LOWEST_BALANCE = "lowest balance after the payouts ($)"


@dataclass(frozen=True, repr=False)
class ClerksResult(results.RunResult):
    """A race at the counter: what each clerk did, and the store it was done to."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    store: EventStore | None = field(default=None, repr=False)
    row: AccountRow | None = field(default=None, repr=False)

    def summary(self) -> pd.DataFrame:
        """The measured numbers as a two-column table (counts stay whole numbers)."""
        rows = [(name, round(value, 2) if isinstance(value, float) else value)
                for name, value in self.metrics.items()]
        return pd.DataFrame(rows, columns=["metric", "value"], dtype=object).set_index("metric")

    def events(self) -> list[StoredEvent]:
        """The account's stream after the race (storage='log')."""
        if self.store is None:
            raise ConfigError("events needs storage='log'; this run used storage='row' "
                              "(see row_tables)")
        return self.store.read_stream(STREAM)

    def row_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The row model after the race (storage='row'): the accounts row and its history."""
        if self.row is None:
            raise ConfigError("row_tables needs storage='row'; this run used storage='log' "
                              "(see events)")
        return self.row.table(), self.row.transactions()

    def timeline(self) -> pd.DataFrame:
        """What each clerk did, in order: reads, conflicts, retries, payouts and refusals."""
        rows = self.trace[self.trace["kind"].isin(["note", "reject"])]
        return pd.DataFrame({
            "time": [when(t, seconds=True)[11:] for t in rows["time"]],
            "clerk": rows["actor"].to_numpy(),
            "what": rows["detail"].to_numpy(),
        })

    def table(self) -> pd.DataFrame:
        """The SQLite ``events`` table as stored (backend='sqlite' only)."""
        return self.query(TABLE_SQL)

    def query(self, sql: str, *params: Any) -> pd.DataFrame:
        """Run your own SQL against the SQLite event store of this run (read it, don't write)."""
        if not isinstance(self.store, SqliteEventStore):
            raise ConfigError("query needs storage='log' and backend='sqlite'; this run used "
                              f"storage={self.config.storage!r}, "
                              f"backend={self.config.backend!r}")
        return self.store.read_sql(sql, params)

    def graph(self) -> graphs.Diagram:
        """The clerks and the account they write to, with what happened on each arrow."""
        config, trace = self.config, self.trace
        where = f"{config.backend} log" if config.storage == "log" else "row model"
        diagram = graphs.Diagram(f"{config.clerks} clerks, one account, expected={config.expected}"
                                 f" ({where})")
        if self.row is not None:
            target, verb, error = "accounts row", "UPDATE balance", "0 rows updated"
            note = f"row version {self.row.row_version}, {dollars(self.row.balance)}"
        else:
            target, verb, error = "account-12345", "append CashWithdrawn", "ConcurrencyError"
            note = f"version {self.store.version(STREAM) if self.store else 0}, " \
                   f"{dollars(balance_of(self.events()))}"
        diagram.add_node(target, role="store", note=note)
        for name in NAMES[: config.clerks]:
            mine = trace[trace["actor"] == name]
            paid = int((mine["entity"] == "payout").sum())
            conflicts = int((mine["entity"] == "conflict").sum())
            refused = int((mine["kind"] == "reject").sum())
            diagram.add_node(name, role="service", note=f"refused {refused}" if refused else "")
            diagram.add_edge(name, target, f"{verb} ×{paid}", kind="data")
            if conflicts:
                diagram.add_edge(target, name, f"{error} ×{conflicts}", kind="query")
        return diagram


def run(config: Config | None = None) -> ClerksResult:
    """Simulate the clerks paying out cash from account #12345 at the same time."""
    config = resolve(Config, config)
    race = Race(config)
    race.world.env.run()
    return ClerksResult(config, race.world.trace.to_frame(), race.metrics(),
                        store=race.store, row=race.row)


def compare(config: Config | None = None) -> pd.DataFrame:
    """The same race (one seed) with both expected versions, on the row and on the log (in
    both event store backends): one row each."""
    config = resolve(Config, config)
    sides = [("row", "any", "—"), ("row", "exact", "—")] + \
        [("log", e, b) for e in EXPECTED for b in BACKENDS]
    rows = []
    for storage, expected, backend in sides:
        chosen = replace(config, storage=storage, expected=expected,
                         backend="memory" if backend == "—" else backend)
        rows.append({"storage": storage, "expected": expected, "backend": backend,
                     **run(chosen).metrics})
    # object columns: counts stay whole numbers when the table is turned on its side
    return pd.DataFrame(rows, dtype=object).set_index(["storage", "expected", "backend"])


def opening_facts(overdraft: int) -> list[Any]:
    """The talk's three facts: the account as the clerks find it (2,485.01 $)."""
    return [new_event("AccountOpened", 0.0, account="12345", overdraft=overdraft),
            new_event("MoneyTransferReceived", 0.0, amount=250_000, **{"from": "Employer"}),
            new_event("CardPaymentMade", 90.0, amount=1499, merchant="Online shop")]


class Race:
    """One morning at the counter. `pay_out` is how a clerk serves a payout once the account is
    read (default: :func:`~eventlab.scenarios.bank.counter.pay_out` with the config's expected
    version and retries); the exercise of notebook 02 passes its own."""

    def __init__(self, config: Config, pay_out: PayOut | None = None) -> None:
        self.config = config
        self.world = World(config.seed)
        self.limit = cents(config.overdraft)
        self.store: EventStore | None = None
        self.row: AccountRow | None = None
        if config.storage == "row":
            self.row = AccountRow()
            for fact in opening_facts(self.limit):
                self.row.record(fact)
        else:
            self.store = SqliteEventStore() if config.backend == "sqlite" \
                else InMemoryEventStore()
            self.store.append(STREAM, opening_facts(self.limit), expected=0)
        self.opening = 248_501  # the talk's balance, before the first payout
        self.pay_out = pay_out or self._default
        self.counts = {"asked": 0, "paid": 0, "refused": 0, "conflicts": 0, "retries": 0,
                       "gave up": 0, "stale": 0, "violations": 0}
        self.paid_out = 0  # cents really handed out
        self.lowest = self.opening  # the lowest real balance: opening minus what was paid
        self.counters: list[Counter] = []
        # Which payouts (by number) the stored balance of each version contains: a row written
        # from an old read contains only what that read contained, plus its own payout.
        self.contains: dict[int, frozenset[int]] = {self.version(): frozenset()}
        for name in NAMES[: config.clerks]:
            self.world.env.process(self.clerk(name))

    def _default(self, counter: Counter, state: State, version: int) -> str:
        return pay_out(counter, state, version, retries=self.config.retries,
                       expected=self.config.expected)

    def counter(self, name: str, amount: int) -> LogCounter | RowCounter:
        """A counter for one payout of `amount` cents by clerk `name`."""
        now, note = (lambda: self.world.now), self.noter(name)
        if self.row is not None:
            return RowCounter(self.row, self.limit, name, amount, now, note)
        assert self.store is not None
        return LogCounter(self.store, name, amount, now, note)

    def clerk(self, name: str) -> Generator[simpy.Event, Any, None]:
        config, world = self.config, self.world
        env = world.env
        rng = world.rng(f"clerk/{name}")
        yield env.timeout(START)
        for _ in range(config.requests):
            if config.request_interval:
                yield env.timeout(rng.expovariate(1.0 / config.request_interval))
            spread = config.amount_spread
            amount = round(cents(config.amount) * rng.uniform(1 - spread, 1 + spread))
            think = config.think_time * rng.uniform(0.5, 1.5)
            yield from self.serve(name, max(amount, 1), think)

    def serve(self, name: str, amount: int, think: float) -> Generator[simpy.Event, Any, None]:
        """Read, think, then serve the payout on what was read (decide, write, retry)."""
        world = self.world
        self.counts["asked"] += 1
        number = self.counts["asked"]  # this payout's number
        counter = self.counter(name, amount)
        self.counters.append(counter)
        state, version = counter.load()
        if think:
            yield world.env.timeout(think)
        outcome = self.pay_out(counter, state, version)
        self.counts["conflicts"] += counter.conflicts
        self.counts["retries"] += counter.loads - 1
        for decided_on, written in counter.written:
            base = decided_on if self.row is not None else written - 1  # a log loses nothing
            self.contains[written] = self.contains.get(base, frozenset()) | {number}
            self.record_payout(name, amount, decided_on, written)
        if outcome == "refused":
            self.counts["refused"] += 1
            world.trace.record("reject", world.now, name, entity="refusal",
                               detail=f"refuses {dollars(amount)}: only "
                                      f"{dollars(counter.loaded_balance)} on "
                                      f"v{counter.loaded_version}")
        elif outcome == "gave up":
            self.counts["gave up"] += 1
            self.note(name, "gave up", f"gives up after {self.config.retries} retries")

    def version(self) -> int:
        """The version of the account now (the row's version, or the stream's)."""
        if self.row is not None:
            return self.row.row_version
        assert self.store is not None
        return self.store.version(STREAM)

    def shown(self) -> int:
        """The balance the store shows now (the row's, or the fold of the log)."""
        if self.row is not None:
            return self.row.balance
        assert self.store is not None
        return balance_of(self.store.read_stream(STREAM))

    def record_payout(self, name: str, amount: int, read: int, written: int) -> None:
        self.counts["paid"] += 1
        self.paid_out += amount
        real = self.opening - self.paid_out
        self.lowest = min(self.lowest, real)
        what = f"pays out {dollars(amount)}: v{written}, balance {dollars(self.shown())}"
        if written != read + 1:  # decided on v{read}, but others wrote in between
            self.counts["stale"] += 1
            what += f" (decided on v{read}: stale decision)"
        if real < -self.limit:
            self.counts["violations"] += 1
            what += " OVERDRAWN" if self.shown() == real else \
                f" OVERDRAWN: {dollars(real)} really"
        self.note(name, "payout", what)

    def noter(self, name: str) -> Callable[[str, str], None]:
        return lambda entity, detail: self.note(name, entity, detail)

    def note(self, name: str, entity: str, detail: str) -> None:
        self.world.trace.record("note", self.world.now, name, entity=entity, detail=detail)

    def metrics(self) -> dict[str, Any]:
        counts = self.counts
        shown = self.shown()
        real = self.opening - self.paid_out
        # A lost update is a payout whose debit the stored balance does not contain.
        lost = counts["paid"] - len(self.contains.get(self.version(), frozenset()))
        return {
            Metric.PAYOUTS_ASKED_FOR: counts["asked"],
            Metric.PAYOUTS_MADE: counts["paid"],
            Metric.REFUSED_OVERDRAFT_RULE: counts["refused"],
            Metric.CONFLICTS: counts["conflicts"],
            Metric.RETRIES: counts["retries"],
            Metric.GAVE_UP: counts["gave up"],
            Metric.STALE_DECISIONS: counts["stale"],
            Metric.LOST_UPDATES: lost,
            Metric.OVERDRAFT_VIOLATIONS: counts["violations"],
            Metric.MISSING_FROM_BALANCE: (shown - real) / 100,
            Metric.FINAL_BALANCE: shown / 100,
            Metric.LOWEST_BALANCE: self.lowest / 100,
        }
