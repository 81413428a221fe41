"""The simulation behind :func:`eventlab.scenarios.bank.run`: a customer, an interest job, the
account service, the row and its history, the projector and the snapshots of one run, in SimPy
(times in minutes since opening).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import simpy

from eventlab.core.world import World
from eventlab.domains.account import (
    INITIAL,
    MINUTES_PER_DAY,
    OPENED_AT,
    STREAM,
    Command,
    CommandRejectedError,
    balance_of,
    cents,
    decide,
    dollars,
    evolve,
    monthly_spending,
)
from eventlab.domains.account_row import AccountRow
from eventlab.engines.eventstore.memory import InMemoryEventStore
from eventlab.engines.eventstore.projections import Projector, load_state, take_snapshot
from eventlab.engines.eventstore.upcasting import StoredEvent

if TYPE_CHECKING:
    from eventlab.scenarios.bank.config import Config

SERVICE = "Account #12345"
INTEREST_JOB = "Interest job"
TALK_PAYMENT_AT = 90.0  # the slide gives no time for the 14.99 $ card payment: 12:30
MERCHANTS = ("Bakery", "Supermarket", "Bookshop", "Pharmacy", "Cinema", "Online shop",
             "Petrol station", "Restaurant")
OPENING_DAY_END = 13 * 60.0  # minutes from 11:00 to midnight


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    DAYS_SIMULATED = "days simulated"
    COMMANDS = "commands"
    REFUSED_OVERDRAFT_RULE = "refused (overdraft rule)"
    EVENTS_IN_LOG = "events in the log"
    BALANCE_FROM_LOG = "balance from the log"
    BALANCE_IN_ROW = "balance in the row"
    ROW_AND_LOG_AGREE = "row and log agree"
    BALANCE_FROM_HISTORY = "balance from the row's history"
    ROW_MINUS_HISTORY = "row minus its history ($)"
    WRITES_WITHOUT_HISTORY = "row writes without a history line"
    INTEREST_CREDITED = "interest credits"
    ROW_WRITES_ROW_VERSION = "row writes (row version)"
    PROJECTOR_POLLS = "projector polls"
    POLLS_THAT_FOUND_NEW_EVENTS = "polls that found new events"
    MAX_PROJECTOR_LAG_EVENTS = "max projector lag (events)"
    MAX_STALENESS_HOURS = "max staleness (hours)"
    READ_MODEL_EQUALS_REBUILD = "read model equals rebuild"
    SNAPSHOTS_TAKEN = "snapshots taken"
    LAST_LOAD_EVENTS_NO_SNAPSHOTS = "events read by the last load, no snapshots"
    LAST_LOAD_EVENTS_WITH_SNAPSHOTS = "events read by the last load, with snapshots"


class Model:
    """The customer, the account service, the row, the projector and the snapshots of one run."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.world = world = World(config.seed)
        self.store = InMemoryEventStore()
        self.row = AccountRow()
        self.projector: Projector[dict[str, int]] = Projector(
            self.store, "monthly spending", monthly_spending, {})
        # days=0: only the opening day, 11:00 to midnight (the talk's three facts).
        self.end = config.days * MINUTES_PER_DAY or OPENING_DAY_END
        # (minutes, stream version, events read without / with snapshots) of every load;
        # the minutes become dates only when the table is shown (formatting costs)
        self.loads: list[tuple[float, int, int, int]] = []
        self.transaction_ids: dict[int, int] = {}
        self.counts = {"commands": 0, "refused": 0, "snapshots": 0, "polls": 0, "catch-ups": 0,
                       "interest": 0, "history lines": 0}
        self.max_lag = 0
        self.staleness: list[float] = []
        world.env.process(self.customer())
        world.env.process(self.projector_loop())

    def customer(self) -> Generator[simpy.Event, Any, None]:
        """The talk's three facts, then salary, rent and random card payments."""
        env, config = self.world.env, self.config
        self.handle(Command(type="OpenAccount", overdraft=cents(config.overdraft, "overdraft")))
        self.handle(Command(type="ReceiveTransfer", amount=250_000, party="Employer"))
        yield env.timeout(TALK_PAYMENT_AT)
        self.handle(Command(type="PayByCard", time=env.now, amount=1499, party="Online shop"))
        if config.days:
            env.process(self.monthly(16, 8 * 60, "ReceiveTransfer", config.salary, "Employer"))
            env.process(self.monthly(1, 9 * 60, "SendTransfer", config.rent, "Landlord"))
            env.process(self.card_payments())
            if config.interest_rate:
                env.process(self.interest_job())

    def monthly(self, day: int, minute_of_day: int, kind: str, amount: float,
                party: str) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        year, mon = OPENED_AT.year, OPENED_AT.month
        while True:
            mon, year = (1, year + 1) if mon == 12 else (mon + 1, year)
            due = (datetime(year, mon, day) - OPENED_AT).total_seconds() / 60 + minute_of_day
            yield env.timeout(due - env.now)
            if amount:
                self.handle(Command(type=kind, time=env.now, amount=cents(amount), party=party))

    def interest_job(self) -> Generator[simpy.Event, Any, None]:
        """A batch job, written by another team: on the last day of each month at 23:00 it
        credits a month of interest on the balance of that moment."""
        env, rate = self.world.env, self.config.interest_rate
        year, mon = OPENED_AT.year, OPENED_AT.month
        while True:
            first_of_next = datetime(year + (mon == 12), 1 if mon == 12 else mon + 1, 1)
            due = first_of_next - timedelta(hours=1)  # 23:00 on the last day of the month
            mon, year = first_of_next.month, first_of_next.year
            yield env.timeout((due - OPENED_AT).total_seconds() / 60 - env.now)
            state, _ = load_state(self.store, STREAM, evolve, dict(INITIAL))
            amount = round(max(state["balance"], 0) * rate / 100 / 12)
            if amount >= 1:  # no interest on an empty or overdrawn account
                self.handle(Command(type="CreditInterest", time=env.now, amount=amount,
                                    party=INTEREST_JOB))

    def card_payments(self) -> Generator[simpy.Event, Any, None]:
        env, config = self.world.env, self.config
        if config.payments_per_day == 0:
            return
        rng = self.world.rng("card payments")
        sigma = 0.8  # lognormal spread: many small payments, a few big ones
        mu = math.log(config.mean_payment) - sigma ** 2 / 2
        while True:
            yield env.timeout(rng.expovariate(config.payments_per_day / MINUTES_PER_DAY))
            amount = max(50, round(rng.lognormvariate(mu, sigma) * 100))
            self.handle(Command(type="PayByCard", time=env.now, amount=amount,
                                party=rng.choice(MERCHANTS)))

    def handle(self, command: Command) -> None:
        """Load (snapshot + tail), decide, append with the version read, update the row."""
        world, now = self.world, self.world.now
        sender = INTEREST_JOB if command.type == "CreditInterest" else "Customer"
        message = world.command(command.type, sender=sender, key=STREAM,
                                payload={"amount": command.amount, "party": command.party})
        world.trace.record("send", now, sender, target=SERVICE, message=message)
        self.counts["commands"] += 1
        read = [0]

        def counting(state: dict[str, Any], event: StoredEvent) -> dict[str, Any]:
            read[0] += 1
            return evolve(state, event)

        state, version = load_state(self.store, STREAM, counting, dict(INITIAL))
        if version:
            self.loads.append((now, version, version, read[0]))
        try:
            events = decide(state, command)
        except CommandRejectedError as refused:
            self.counts["refused"] += 1
            world.trace.record("reject", now, SERVICE, message=message, detail=str(refused))
            return
        for stored in self.store.append(STREAM, events, expected=version):
            booked = self.book_in_row(stored)
            if booked and stored.type != "AccountOpened":
                self.counts["history lines"] += 1
                self.transaction_ids[stored.version] = len(self.transaction_ids) + 1
            world.trace.state(now, "event log", "version", stored.version,
                              detail=stored.type)
            if stored.version % self.config.snapshot_every == 0:
                take_snapshot(self.store, STREAM, evolve, dict(INITIAL))
                self.counts["snapshots"] += 1
                world.trace.state(now, "snapshots", "version", stored.version)
        world.trace.state(now, "accounts row", "balance", dollars(self.row.balance))
        world.trace.state(now, "accounts row", "history lines", self.counts["history lines"])
        lag = self.projector.lag()
        self.max_lag = max(self.max_lag, lag)
        world.trace.state(now, "Projector", "lag", lag)

    def book_in_row(self, event: StoredEvent) -> bool:
        """The row model books the same change with its own SQL: the row and its history line
        in one transaction, except where the interest job's author forgot the history.
        Returns whether a history line was written."""
        forgets = self.config.interest_job == "forgets_history"
        if event.type == "InterestCredited":
            self.counts["interest"] += 1
            if forgets:
                self.row.update_balance_only(event)
                return False
        self.row.record(event)
        return True

    def projector_loop(self) -> Generator[simpy.Event, Any, None]:
        while True:
            yield self.world.env.timeout(self.config.projector_interval)
            self.poll()

    def poll(self) -> None:
        world, now = self.world, self.world.now
        self.counts["polls"] += 1
        if not self.projector.lag():
            return  # nothing new: the read model and its checkpoint stay as they are
        self.staleness.append(self.projector.staleness(now))
        self.projector.run()
        self.counts["catch-ups"] += 1
        model, checkpoint = self.projector.state()
        world.trace.state(now, "Projector", "checkpoint", checkpoint)
        world.trace.state(now, "Projector", "lag", self.projector.lag())
        latest = max(model) if model else None
        world.trace.state(now, "monthly spending", "months", len(model),
                          detail=None if latest is None else
                          f"{latest}: {dollars(model[latest])}")

    def final_poll(self) -> None:
        """The run ends; the projector catches up once more so it can be compared."""
        if self.projector.lag():
            self.poll()

    def metrics(self) -> dict[str, Any]:
        log_balance = balance_of(self.store.read_stream(STREAM))
        loads = self.loads
        rebuilt, _ = self.projector.replay()
        return {
            Metric.DAYS_SIMULATED: self.config.days,
            Metric.COMMANDS: self.counts["commands"],
            Metric.REFUSED_OVERDRAFT_RULE: self.counts["refused"],
            Metric.EVENTS_IN_LOG: self.store.version(STREAM),
            Metric.BALANCE_FROM_LOG: dollars(log_balance),
            Metric.BALANCE_IN_ROW: dollars(self.row.balance),
            Metric.ROW_AND_LOG_AGREE: "yes" if log_balance == self.row.balance else "no",
            Metric.BALANCE_FROM_HISTORY: dollars(self.row.sum_of_transactions()),
            Metric.ROW_MINUS_HISTORY: self.row.drift() / 100,
            Metric.WRITES_WITHOUT_HISTORY: self.row.writes_without_history,
            Metric.INTEREST_CREDITED: self.counts["interest"],
            Metric.ROW_WRITES_ROW_VERSION: self.row.row_version,
            Metric.PROJECTOR_POLLS: self.counts["polls"],
            Metric.POLLS_THAT_FOUND_NEW_EVENTS: self.counts["catch-ups"],
            Metric.MAX_PROJECTOR_LAG_EVENTS: self.max_lag,
            Metric.MAX_STALENESS_HOURS: round(max(self.staleness, default=0.0) / 60, 3),
            Metric.READ_MODEL_EQUALS_REBUILD: "yes" if rebuilt == self.projector.model else "no",
            Metric.SNAPSHOTS_TAKEN: self.counts["snapshots"],
            Metric.LAST_LOAD_EVENTS_NO_SNAPSHOTS: loads[-1][2] if loads else 0,
            Metric.LAST_LOAD_EVENTS_WITH_SNAPSHOTS: loads[-1][3] if loads else 0,
        }
