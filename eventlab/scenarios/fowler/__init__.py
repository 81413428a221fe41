"""Martin Fowler's meanings of "event-driven", as one story run five ways.

Customer 42 moves house. A customer sends ``ChangeAddress`` commands to the CRM; what
happens next depends on the pattern (talk slide "What do you mean by 'Event-Driven'?"):

* ``notification``: the CRM updates its row and publishes a thin ``AddressChanged
  {customerId}``; every consumer calls the CRM back (``GetCustomer``) to learn the address;
* ``state_transfer``: the event carries the address, consumers keep their own copy;
* ``event_sourcing``: the CRM stores no row, only its log of ``AddressChanged`` events; its
  state is a fold over the log, so after a restart it rebuilds by replaying the log;
* ``cqrs``: the write model is an ordinary table (the row, plus a change row written in the
  same transaction); a projector polls the change rows into a separate read model, and the
  CRM's query API answers other services from the read model only. Fowler: CQRS does not
  need event sourcing;
* ``cqrs_event_sourced``: the same, but the write model is the event log, and the projector
  polls the log. Only the write model differs from ``cqrs``.

Every pattern meets the same fault: the CRM restarts after half of the moves and loses its
in-memory state (a row is read back, a log is replayed). Times are in milliseconds. Every
measured number comes from the run's trace and counters.
"""

from __future__ import annotations

import pandas as pd

from eventlab.core import results
from eventlab.core.config import resolve
from eventlab.scenarios.fowler.config import (
    ADDRESSES,
    CONSUMER_NAMES,
    CQRS,
    CUSTOMER,
    EVENT_SOURCED,
    PATTERNS,
    REPLAYED_KINDS,
    Config,
    evolve,
)
from eventlab.scenarios.fowler.model import QUERY_SIDE, Metric, Model
from eventlab.scenarios.fowler.picture import diagram
from eventlab.view import graphs, playback

__all__ = ["ADDRESSES", "CONSUMER_NAMES", "CQRS", "CUSTOMER", "EVENT_SOURCED", "PATTERNS",
           "Config", "FowlerResult", "Metric", "compare", "evolve", "run"]


class FowlerResult(results.RunResult):
    """A run of the patterns story, with its graph and playback frames."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    def graph(self) -> graphs.Diagram:
        """The services and who sends what to whom, with message counts from the trace."""
        return diagram(self.config, self.trace, None)

    def frames(self, max_frames: int = 120) -> list[playback.Frame]:
        """Playback frames: one per send, delivery and state change."""
        return playback.frames(self.trace, lambda so_far, row: diagram(self.config, so_far, row),
                               kinds=REPLAYED_KINDS, max_frames=max_frames)

    def history(self) -> pd.DataFrame:
        """The address changes as the CRM handled them: version, time and new address."""
        rows = self.trace[(self.trace["kind"] == "state") & (self.trace["actor"] == "CRM")
                          & (self.trace["entity"] == "address")
                          & self.trace["detail"].isna()]
        out = rows[["time", "value"]].rename(columns={"value": "address"}).reset_index(drop=True)
        out.insert(0, "version", range(1, len(out) + 1))
        return out


    def reads(self) -> pd.DataFrame:
        """CQRS: every query the CRM's query API answered from the read model, and whether
        the answer was already out of date (the write model had accepted a newer address)."""
        rows = self.trace[(self.trace["kind"] == "note") & (self.trace["actor"] == QUERY_SIDE)]
        return pd.DataFrame({
            "time": rows["time"].to_numpy(),
            "reader": [str(d).split(" for ")[-1] for d in rows["detail"]],
            "answered": rows["value"].to_numpy(),
            "stale": [str(d).startswith("stale") for d in rows["detail"]],
        })


def run(config: Config | None = None) -> FowlerResult:
    """Simulate customer 42 moving `config.changes` times under `config.pattern`."""
    config = resolve(Config, config)
    model = Model(config)
    model.world.env.run()
    trace = model.world.trace.to_frame()
    return FowlerResult(config, trace, model.metrics(trace))


def compare(config: Config | None = None) -> pd.DataFrame:
    """Run the same story (one seed) under every pattern: one row of measurements each."""
    table = results.sweep(run, resolve(Config, config), pattern=list(PATTERNS))
    return table.set_index("pattern")
