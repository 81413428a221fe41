"""Martin Fowler's four meanings of "event-driven", as one story run four ways.

Customer 42 moves house. A customer sends ``ChangeAddress`` commands to the CRM; what
happens next depends on the pattern (talk slide "What do you mean by 'Event-Driven'?"):

* ``notification``: the CRM updates its row and publishes a thin ``AddressChanged
  {customerId}``; every consumer calls the CRM back (``GetCustomer``) to learn the address;
* ``state_transfer``: the event carries the address, consumers keep their own copy;
* ``event_sourcing``: the CRM stores no row, only its log of ``AddressChanged`` events; its
  state is a fold over the log, so after a restart it rebuilds by replaying the log;
* ``cqrs``: commands append to the write side's log; a projector polls it and updates a
  separate read model that readers query, some time later.

Times are in milliseconds. Every measured number comes from the run's trace and counters.
"""

from __future__ import annotations

import pandas as pd

from eventlab.core import results
from eventlab.core.config import resolve
from eventlab.scenarios.fowler.config import (
    ADDRESSES,
    CONSUMER_NAMES,
    CUSTOMER,
    PATTERNS,
    REPLAYED_KINDS,
    Config,
    evolve,
)
from eventlab.scenarios.fowler.model import Metric, Model
from eventlab.scenarios.fowler.picture import diagram
from eventlab.view import graphs, playback

__all__ = ["ADDRESSES", "CONSUMER_NAMES", "CUSTOMER", "PATTERNS", "Config", "FowlerResult",
           "Metric", "compare", "evolve", "run"]


class FowlerResult(results.RunResult):
    """A run of the four-patterns story, with its graph and playback frames."""

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


def run(config: Config | None = None) -> FowlerResult:
    """Simulate customer 42 moving `config.changes` times under `config.pattern`."""
    config = resolve(Config, config)
    model = Model(config)
    model.world.env.run()
    return FowlerResult(config, model.world.trace.to_frame(), model.metrics())


def compare(config: Config | None = None) -> pd.DataFrame:
    """Run the same story under all four patterns: one row of measurements per pattern."""
    table = results.sweep(run, resolve(Config, config), pattern=list(PATTERNS))
    return table.set_index("pattern")
