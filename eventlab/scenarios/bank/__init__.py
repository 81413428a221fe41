"""Persistent state vs persistent change: account #12345 lived two ways at once.

Every run starts with the talk's three facts (account opened 2019-04-16 11:00, 2,500 $
received, 14.99 $ paid by card: 2,485.01 $). Then a SimPy customer keeps using the account
for ``days`` days: a salary on the 16th, rent on the 1st, card payments at random, and a
batch job credits interest on the last day of each month. The account service decides each
command against the state folded from its log (with a snapshot every ``snapshot_every``
events) and appends with the exact version it read. Every accepted fact is also booked in
:class:`~eventlab.domains.account_row.AccountRow`, the row updated in place plus its history
table, as practitioners build it (both in one transaction), so the two models can be compared
at the end. ``interest_job="forgets_history"`` makes the interest job's row SQL update the
balance only, as a write path written elsewhere may. A projector polls the log every
``projector_interval`` minutes into a read model (monthly spending) and its lag is recorded.

Times are simulated minutes since 2019-04-16 11:00 (:func:`when` shows them as dates).
The domain (events, fold, rules, the row) lives in :mod:`eventlab.domains.account`, the SimPy model
in :mod:`eventlab.scenarios.bank.simulation` and the charts and diagram in
:mod:`eventlab.scenarios.bank.pictures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from eventlab.core import results
from eventlab.core.config import resolve
from eventlab.core.errors import check_text
from eventlab.domains.account import (
    ACCOUNT,
    BALANCE_SQL,
    INITIAL,
    MINUTES_PER_DAY,
    STREAM,
    audit,
    balance_as_of,
    balance_of,
    cents,
    correction,
    decide,
    dollars,
    evolve,
    minutes_at,
    monthly_spending,
    when,
)
from eventlab.domains.account_row import AccountRow
from eventlab.engines.eventstore.memory import InMemoryEventStore, fold
from eventlab.engines.eventstore.projections import Projector
from eventlab.engines.eventstore.upcasting import NewEvent, StoredEvent
from eventlab.scenarios.bank import pictures as pictures
from eventlab.scenarios.bank.config import INTEREST_JOBS, Config
from eventlab.scenarios.bank.simulation import Metric, Model
from eventlab.view import graphs, playback
from eventlab.view.charts import Chart

__all__ = [
    "ACCOUNT", "BALANCE_SQL", "INITIAL", "INTEREST_JOBS", "STREAM", "AccountRow", "BankResult",
    "Chart", "Config", "Deletion", "Metric", "audit", "balance_as_of", "balance_of", "cents",
    "decide",
    "delete_transaction", "dollars", "evolve", "fold", "monthly_spending", "run", "when",
]

REPLAYED_KINDS = ("send", "state", "reject")




@dataclass(frozen=True, repr=False)
class BankResult(results.RunResult):
    """A run of the account's story: the log, the row, the read model and their measurements."""

    store: InMemoryEventStore = field(default_factory=InMemoryEventStore, repr=False)
    row: AccountRow = field(default_factory=AccountRow, repr=False)
    projector: Projector[dict[str, int]] | None = field(default=None, repr=False)
    # (minutes, stream version, events read without / with snapshots) of every load
    load_rows: list[tuple[float, int, int, int]] = field(default_factory=list, repr=False)
    transaction_ids: dict[int, int] = field(default_factory=dict, repr=False)
    end: float = 0.0

    def panel(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The time-travel panel: the balance as of ``as_of_day``, and the last facts before it."""
        minutes = min(self.config.as_of_day * MINUTES_PER_DAY, self.end)
        table = self.audit()
        before = table[[e.time <= minutes for e in self.events()]]
        return self.as_of(minutes), before.tail(5).set_index("version")

    # -- the log ----------------------------------------------------------------------------
    def events(self) -> list[StoredEvent]:
        """The account's stream: every fact, oldest first."""
        return self.store.read_stream(STREAM)

    def balance(self) -> int:
        """The current balance in cents: the fold of the whole log."""
        return balance_of(self.events())

    def audit(self) -> pd.DataFrame:
        """Every fact with its time, amount and the balance right after it."""
        return audit(self.events())

    def as_of(self, moment: str | float) -> pd.DataFrame:
        """Time travel: what the log, the row's history table and the row alone can say about
        the balance at `moment`."""
        minutes = min(minutes_at(moment), self.end)
        known = [e for e in self.events() if e.time <= minutes]
        updated = self.row.table()["last updated"].iloc[0]
        lines = sum(1 for t, _ in self.row.history_balances() if t <= minutes)
        return pd.DataFrame(
            [("log (append only)", dollars(balance_of(known)),
              f"fold of its {len(known)} events up to then"),
             ("row's history table", dollars(self.row.sum_of_transactions(minutes)),
              f"sum of its {lines} lines up to then"),
             ("row alone (updated in place)", dollars(self.row.balance),
              f"its last update, {updated}")],
            columns=["model", f"balance as of {when(minutes)}", "how it knows"],
        ).set_index("model")

    def storage(self) -> pd.DataFrame:
        """What each model stores for this account, counted in the stores themselves."""
        lines = len(self.row.transactions())
        return pd.DataFrame(
            [("row model", "accounts + transactions", f"1 row + {lines} history lines",
              "a stored balance, and a history kept in step"),
             ("event log", "events", f"{len(self.events())} events",
              "the facts (the balance is their fold)")],
            columns=["model", "tables", "records", "what is the truth"],
        ).set_index("model")

    def balance_chart(self, as_of: str | float | None = None) -> Chart:
        """The balance over time, folded from the log (the row could not draw this)."""
        events = self.events()
        times = [pictures.date(e.time) for e in events] + [pictures.date(self.end)]
        balances, state = [], dict(INITIAL)
        for event in events:
            state = evolve(state, event)
            balances.append(state["balance"] / 100)
        balances.append(balances[-1])
        figure, axes = pictures.figure()
        axes.step(times, balances, where="post", label="from the log (fold up to each moment)")
        history = self.row.history_balances()
        axes.step([pictures.date(t) for t, _ in history] + [times[-1]],
                  [b / 100 for _, b in history] + [history[-1][1] / 100], where="post",
                  ls="--", color="#188038", label="from the row's history table (summed)")
        axes.plot([times[-1]], [self.row.balance / 100], "o", color="#d93025",
                  label="the row alone: only this point")
        if as_of is not None:
            axes.axvline(pictures.date(min(minutes_at(as_of), self.end)), color="#f29900", ls="--",
                         label=f"as of {when(min(minutes_at(as_of), self.end))}")
        axes.axhline(0, color="#5f6368", lw=0.8)
        pictures.finish(figure, axes, f"balance of account #{ACCOUNT}", "balance ($)")
        return Chart(figure, f"balance of #{ACCOUNT}, {len(events)} events from "
                             f"{when(0)} to {when(self.end)}")

    # -- the read model ---------------------------------------------------------------------
    def read_model(self) -> pd.DataFrame:
        """Monthly spending as the projector last saved it (with its checkpoint)."""
        assert self.projector is not None
        model, checkpoint = self.projector.state()
        return _spending_table(model).rename(columns={"spending": f"spending (checkpoint "
                                                                  f"{checkpoint})"})

    def rebuild(self) -> pd.DataFrame:
        """Replay the whole log into an empty read model and compare it with the live one."""
        assert self.projector is not None
        live = self.projector.model
        rebuilt, _ = self.projector.replay()
        months = sorted(set(live) | set(rebuilt))
        return pd.DataFrame(
            [(m, dollars(live.get(m, 0)), dollars(rebuilt.get(m, 0)),
              "yes" if live.get(m) == rebuilt.get(m) else "no") for m in months],
            columns=["month", "live (projector)", "rebuilt from the log", "equal"],
        ).set_index("month")

    def lag(self) -> pd.DataFrame:
        """The projector's lag in events, at every change of it (appends raise it, polls end it)."""
        rows = self.trace[(self.trace["kind"] == "state") & (self.trace["actor"] == "Projector")
                          & (self.trace["entity"] == "lag")]
        return pd.DataFrame({"time": rows["time"].to_numpy(),
                             "lag (events)": rows["value"].astype(int).to_numpy()})

    def lag_chart(self, until: str | float | None = None) -> Chart:
        """How far the read model trailed the log while the simulation ran (up to `until`)."""
        stop = self.end if until is None else min(minutes_at(until), self.end)
        lag = self.lag()
        lag = lag[lag["time"] <= stop]
        times = [pictures.date(t) for t in lag["time"]] + [pictures.date(stop)]
        values = [*lag["lag (events)"], lag["lag (events)"].iloc[-1]]
        polls = self.trace[(self.trace["kind"] == "state") & (self.trace["actor"] == "Projector")
                           & (self.trace["entity"] == "checkpoint") & (self.trace["time"] <= stop)]
        figure, axes = pictures.figure()
        axes.fill_between(times, values, step="post", color="#188038", alpha=0.35, lw=0)
        axes.step(times, values, where="post", color="#188038",
                  label="events appended but not yet applied")
        axes.plot([pictures.date(t) for t in polls["time"]], [0] * len(polls), "^", color="#5f6368",
                  markersize=5, label=f"projector polls that found new events ({len(polls)})")
        axes.yaxis.get_major_locator().set_params(integer=True)
        pictures.finish(figure, axes, f"read model lag, projector polling every "
                              f"{self.config.projector_interval:g} min", "lag (events)")
        return Chart(figure, f"projector lag from {when(0)} to {when(stop)}: {len(polls)} "
                             f"catch-ups, at most {max(values)} events behind")

    # -- snapshots ----------------------------------------------------------------------------
    def snapshot_reads(self) -> pd.DataFrame:
        """Events read by each load of the account's state, without and with snapshots."""
        return pd.DataFrame([(when(t), *rest) for t, *rest in self.load_rows],
                            columns=["when", "stream version", "read without snapshots",
                                     "read with snapshots"])

    def snapshot_chart(self) -> Chart:
        """Events read per load as the stream grows: all of them, or only the tail."""
        loads = self.snapshot_reads()
        figure, axes = pictures.figure()
        axes.plot(loads["stream version"], loads["read without snapshots"],
                  label="without snapshots: the whole stream")
        axes.plot(loads["stream version"], loads["read with snapshots"],
                  label=f"with a snapshot every {self.config.snapshot_every} events")
        axes.yaxis.get_major_locator().set_params(integer=True)
        pictures.finish(figure, axes, "events read to load the account once", "events read",
                xlabel="stream version at the load")
        return Chart(figure, f"events read per load, {len(loads)} loads")

    # -- pictures -----------------------------------------------------------------------------
    def graph(self) -> graphs.Diagram:
        """Who writes and reads what, with counts from the trace."""
        return pictures.diagram(self.trace, None)

    def frames(self, max_frames: int = 120) -> list[playback.Frame]:
        """Playback frames: one per command, state change and refusal."""
        return playback.frames(self.trace, pictures.diagram, kinds=REPLAYED_KINDS,
                               max_frames=max_frames)


def run(config: Config | None = None) -> BankResult:
    """Simulate account #12345: the talk's three facts, then `config.days` days of use."""
    config = resolve(Config, config)
    model = Model(config)
    model.world.env.run(until=model.end)
    model.final_poll()
    return BankResult(config, model.world.trace.to_frame(), model.metrics(), store=model.store,
                      row=model.row, projector=model.projector,
                      load_rows=model.loads,
                      transaction_ids=model.transaction_ids, end=model.end)




@dataclass(frozen=True)
class Deletion:
    """One transaction deleted from the row model and corrected in the log, side by side."""

    version: int
    at: float
    row: AccountRow = field(repr=False)
    events: list[StoredEvent] = field(repr=False)

    def audit(self) -> pd.DataFrame:
        """The log after the correction: the original fact is still there."""
        return audit(self.events)

    def summary(self) -> pd.DataFrame:
        """What each model did, and what it can still tell afterwards."""
        original = self.events[self.version - 1]
        just_after = original.time
        row_past = self.row.sum_of_transactions(just_after)
        log_past = balance_as_of(self.events, just_after)
        records = sum(1 for e in self.events if e.version == self.version
                      or e.data.get("corrects") == self.version)
        return pd.DataFrame(
            [("what the delete did", "DELETE the transaction, UPDATE the balance",
              f"append TransactionCorrected (v{self.events[-1].version})"),
             ("balance now", dollars(self.row.balance), dollars(balance_of(self.events))),
             (f"records of the {original.type}", "0", str(records)),
             (f"balance as of {when(just_after)}", dollars(row_past), dollars(log_past))],
            columns=["", "row model (update in place)", "log (append only)"],
        ).set_index("")


def delete_transaction(result: BankResult, *, version: int, at: str | float,
                       reason: str) -> Deletion:
    """Delete the transaction of log `version` from a copy of the row; correct it in the log."""
    check_text("reason", reason)
    events = result.events()
    if version not in result.transaction_ids:
        raise ValueError(f"version must be the version of a transaction (2..{len(events)}), "
                         f"got {version!r}")
    minutes = minutes_at(at)
    if minutes < result.end:
        raise ValueError(f"at must be after the end of the run ({when(result.end)}), got {at!r}")
    row = result.row.copy()
    row.delete_transaction(result.transaction_ids[version], minutes)
    store = InMemoryEventStore()
    store.append(STREAM, [_again(e) for e in events], expected=0)
    store.append(STREAM, [correction(events[version - 1], minutes, reason)],
                 expected=len(events))
    return Deletion(version, minutes, row, store.read_stream(STREAM))


# -- helpers --------------------------------------------------------------------------------------

def _again(event: StoredEvent) -> NewEvent:
    return NewEvent(type=event.type, data=dict(event.data), time=event.time,
                    sender=event.sender)


def _spending_table(model: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([(m, dollars(v)) for m, v in sorted(model.items())],
                        columns=["month", "spending"]).set_index("month")
