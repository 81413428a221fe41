"""Two clerks, one account: optimistic concurrency with an event store.

The morning after the talk's facts (2019-04-17 09:00, balance 2,485.01 $) customers ask
bank clerks to pay out cash from account #12345. A clerk reads the account (folds its
stream and notes the version), thinks for a while (checks the ID, counts the notes), then
decides against what was read and appends ``CashWithdrawn``:

* ``expected="any"``: the append never checks the version, so a clerk may write a decision
  made on a stale balance. Each such write is a **stale decision**: both events are in the
  log (nothing was overwritten, so it is not a lost update), but the second was decided
  without the first, and the overdraft rule breaks whenever it overdraws the account;
* ``expected="exact"``: the append names the version that was read. If the other clerk
  wrote first the store says :class:`~eventlab.engines.eventstore.memory.ConcurrencyError`; the
  clerk
  reloads, decides again (now perhaps "refused") and retries, at most ``retries`` times.

The same story runs on both backends: ``InMemoryEventStore`` or ``SqliteEventStore``, where
SQLite's ``UNIQUE (stream, version)`` refuses the second write. Times are simulated minutes
since 2019-04-16 11:00, amounts integer cents.
"""

from __future__ import annotations

from collections.abc import Generator
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
    INITIAL,
    MINUTES_PER_DAY,
    STREAM,
    Command,
    CommandRejectedError,
    balance_of,
    cents,
    decide,
    dollars,
    evolve,
    new_event,
    when,
)
from eventlab.engines.eventstore.memory import (
    ANY,
    ConcurrencyError,
    EventStore,
    InMemoryEventStore,
)
from eventlab.engines.eventstore.projections import load_state
from eventlab.engines.eventstore.sqlite import SqliteEventStore
from eventlab.engines.eventstore.upcasting import StoredEvent
from eventlab.view import graphs

EXPECTED: tuple[str, ...] = ("any", "exact")
BACKENDS: tuple[str, ...] = ("memory", "sqlite")
NAMES: tuple[str, ...] = ("Alice", "Bob", "Chandra", "Dmitri", "Emeka", "Fatima", "Grace",
                          "Hiro")
START = MINUTES_PER_DAY - 2 * 60.0  # 2019-04-17 09:00: the counter opens
TABLE_SQL = "SELECT position, stream, version, type, data, time FROM events ORDER BY position"


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
    expected: str = param("any", choices=EXPECTED,
                          help="the version an append expects: any, or exactly the one read")
    backend: str = param("memory", choices=BACKENDS, help="which event store")
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


@dataclass(frozen=True, repr=False)
class ClerksResult(results.RunResult):
    """A race at the counter: what each clerk did, and the store it was done to."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    store: EventStore = field(default_factory=InMemoryEventStore, repr=False)

    def events(self) -> list[StoredEvent]:
        """The account's stream after the race."""
        return self.store.read_stream(STREAM)

    def timeline(self) -> pd.DataFrame:
        """What each clerk did, in order: reads, conflicts, retries, payouts and refusals."""
        rows = self.trace[self.trace["kind"].isin(["note", "reject"])]
        return pd.DataFrame({
            "time": [when(t, seconds=True)[11:] for t in rows["time"]],
            "clerk": rows["actor"].to_numpy(),
            "what": rows["detail"].to_numpy(),
        })

    def table(self) -> pd.DataFrame:
        """The SQLite ``events`` table as stored (sqlite backend only)."""
        return self.query(TABLE_SQL)

    def query(self, sql: str, *params: Any) -> pd.DataFrame:
        """Run your own SQL against the SQLite event store of this run (read it, don't write)."""
        if not isinstance(self.store, SqliteEventStore):
            raise ConfigError("query needs backend='sqlite'; this run used "
                              f"backend={self.config.backend!r}")
        return self.store.read_sql(sql, params)

    def graph(self) -> graphs.Diagram:
        """The clerks and the stream they write to, with what happened on each arrow."""
        config, trace = self.config, self.trace
        diagram = graphs.Diagram(f"{config.clerks} clerks, one account, expected={config.expected}"
                                 f" ({config.backend})")
        diagram.add_node("account-12345", role="store",
                         note=f"version {self.store.version(STREAM)}, "
                              f"{dollars(balance_of(self.events()))}")
        for name in NAMES[: config.clerks]:
            mine = trace[trace["actor"] == name]
            paid = int((mine["entity"] == "payout").sum())
            conflicts = int((mine["entity"] == "conflict").sum())
            refused = int((mine["kind"] == "reject").sum())
            diagram.add_node(name, role="service", note=f"refused {refused}" if refused else "")
            diagram.add_edge(name, "account-12345", f"append CashWithdrawn ×{paid}", kind="data")
            if conflicts:
                diagram.add_edge("account-12345", name, f"ConcurrencyError ×{conflicts}",
                                 kind="query")
        return diagram


def run(config: Config | None = None) -> ClerksResult:
    """Simulate the clerks paying out cash from account #12345 at the same time."""
    config = resolve(Config, config)
    race = _Race(config)
    race.world.env.run()
    return ClerksResult(config, race.world.trace.to_frame(), race.metrics(), store=race.store)


def compare(config: Config | None = None) -> pd.DataFrame:
    """The same race with both expected versions on both backends: one row each."""
    table = results.sweep(run, resolve(Config, config), expected=list(EXPECTED),
                          backend=list(BACKENDS))
    return table.set_index(["expected", "backend"])


def across_seeds(config: Config | None = None, seeds: int = 30) -> pd.DataFrame:
    """Run the race for seeds 0..seeds-1 with both expected versions: how often it goes wrong."""
    config = resolve(Config, config)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 500:
        raise ConfigError(f"seeds must be an int between 1 and 500, got {seeds!r}")
    rows = []
    for expected in EXPECTED:
        counted: tuple[str, ...] = (Metric.STALE_DECISIONS, Metric.OVERDRAFT_VIOLATIONS,
                                    Metric.CONFLICTS, Metric.RETRIES)
        metrics = [run(replace(config, expected=expected, seed=s)).metrics for s in range(seeds)]
        runs = [{name: int(m[name]) for name in counted} for m in metrics]
        rows.append({
            "expected": expected, "runs": seeds,
            "runs with a stale decision": sum(m[Metric.STALE_DECISIONS] > 0 for m in runs),
            "runs with a broken overdraft rule":
                sum(m[Metric.OVERDRAFT_VIOLATIONS] > 0 for m in runs),
            **{name: sum(m[name] for m in runs) for name in counted},
        })
    return pd.DataFrame(rows).set_index("expected")


def opening_facts(overdraft: int) -> list[Any]:
    """The talk's three facts: the account as the clerks find it (2,485.01 $)."""
    return [new_event("AccountOpened", 0.0, account="12345", overdraft=overdraft),
            new_event("MoneyTransferReceived", 0.0, amount=250_000, **{"from": "Employer"}),
            new_event("CardPaymentMade", 90.0, amount=1499, merchant="Online shop")]


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    PAYOUTS_ASKED_FOR = "payouts asked for"
    PAYOUTS_MADE = "payouts made"
    REFUSED_OVERDRAFT_RULE = "refused (overdraft rule)"
    CONFLICTS = "conflicts"
    RETRIES = "retries"
    GAVE_UP = "gave up"
    STALE_DECISIONS = "decisions written on a stale read"
    OVERDRAFT_VIOLATIONS = "overdraft violations"
    FINAL_BALANCE = "final balance"
    LOWEST_BALANCE = "lowest balance"


class _Race:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.world = World(config.seed)
        self.store: EventStore = SqliteEventStore() if config.backend == "sqlite" \
            else InMemoryEventStore()
        self.limit = cents(config.overdraft)
        self.store.append(STREAM, opening_facts(self.limit), expected=0)
        self.counts = {"asked": 0, "paid": 0, "refused": 0, "conflicts": 0, "retries": 0,
                       "gave up": 0, "lost": 0, "violations": 0}
        self.lowest = balance_of(self.store.read_stream(STREAM))
        for name in NAMES[: config.clerks]:
            self.world.env.process(self.clerk(name))

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
        """Read, think, decide, append; on a conflict reload, decide again and retry."""
        world, config = self.world, self.config
        self.counts["asked"] += 1
        for attempt in range(config.retries + 1):
            state, version = load_state(self.store, STREAM, evolve, dict(INITIAL))
            verb = "reads" if attempt == 0 else "retries: reads"
            self.note(name, "read", f"{verb} v{version}: {dollars(state['balance'])}")
            if attempt == 0 and think:
                yield world.env.timeout(think)
            command = Command(type="WithdrawCash", time=world.now, amount=amount, party=name)
            try:
                events = decide(state, command)
            except CommandRejectedError:
                self.counts["refused"] += 1
                world.trace.record("reject", world.now, name, entity="refusal",
                                   detail=f"refuses {dollars(amount)}: only "
                                          f"{dollars(state['balance'])} on v{version}")
                return
            try:
                stored = self.store.append(STREAM, events,
                                           expected=ANY if config.expected == "any" else version)
            except ConcurrencyError as conflict:
                self.counts["conflicts"] += 1
                self.note(name, "conflict", f"conflict: expected v{version}, the stream is at "
                                            f"v{conflict.actual}")
                if attempt == config.retries:
                    self.counts["gave up"] += 1
                    self.note(name, "gave up", f"gives up after {config.retries} retries")
                    return
                self.counts["retries"] += 1
                continue
            self.record_payout(name, amount, version, stored[-1].version)
            return

    def record_payout(self, name: str, amount: int, read: int, written: int) -> None:
        self.counts["paid"] += 1
        balance = balance_of(self.store.read_stream(STREAM))
        self.lowest = min(self.lowest, balance)
        what = f"pays out {dollars(amount)}: v{written}, balance {dollars(balance)}"
        if written != read + 1:  # decided on v{read}, but others wrote in between
            self.counts["lost"] += 1
            what += f" (decided on v{read}: stale decision)"
        if balance < -self.limit:
            self.counts["violations"] += 1
            what += " OVERDRAWN"
        self.note(name, "payout", what)

    def note(self, name: str, entity: str, detail: str) -> None:
        self.world.trace.record("note", self.world.now, name, entity=entity, detail=detail)

    def metrics(self) -> dict[str, Any]:
        counts = self.counts
        return {
            Metric.PAYOUTS_ASKED_FOR: counts["asked"],
            Metric.PAYOUTS_MADE: counts["paid"],
            Metric.REFUSED_OVERDRAFT_RULE: counts["refused"],
            Metric.CONFLICTS: counts["conflicts"],
            Metric.RETRIES: counts["retries"],
            Metric.GAVE_UP: counts["gave up"],
            Metric.STALE_DECISIONS: counts["lost"],
            Metric.OVERDRAFT_VIOLATIONS: counts["violations"],
            Metric.FINAL_BALANCE: dollars(balance_of(self.store.read_stream(STREAM))),
            Metric.LOWEST_BALANCE: dollars(self.lowest),
        }
