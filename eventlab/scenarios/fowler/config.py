"""The knobs and the vocabulary of the patterns story (see
:mod:`eventlab.scenarios.fowler`)."""

from __future__ import annotations

from dataclasses import dataclass

from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, seed_param
from eventlab.core.messages import Message

# CQRS twice: with a write model in an ordinary table (Fowler: CQRS does not need event
# sourcing) and with an event-sourced write model, so the two differ in one thing only.
PATTERNS: tuple[str, ...] = ("notification", "state_transfer", "event_sourcing", "cqrs",
                             "cqrs_event_sourced")
EVENT_SOURCED: tuple[str, ...] = ("event_sourcing", "cqrs_event_sourced")
CQRS: tuple[str, ...] = ("cqrs", "cqrs_event_sourced")
BROADCAST: tuple[str, ...] = ("notification", "state_transfer")  # events to other services
CONSUMER_NAMES: tuple[str, ...] = ("Insurance", "Communications", "Marketing", "Billing",
                                   "Loyalty", "Analytics", "Shipping", "Support")
ADDRESSES: tuple[str, ...] = ("Zossener Strasse 55, Berlin", "Hauptstrasse 1, Potsdam",
                              "Marktplatz 7, Leipzig", "Ringstrasse 12, Wien",
                              "Bahnhofstrasse 3, Zürich", "Königsallee 90, Düsseldorf")
CUSTOMER = "customer-42"
WRITE_TIME = 1.0  # ms the CRM needs to handle a ChangeAddress command
REPLAYED_KINDS = ("send", "deliver", "state", "fault", "note")  # what playback steps through
REPLAY_TIME = 0.2  # ms the CRM needs to read one record (a row, or an event to re-apply)
READ_MODEL_QUERY_TIME = 2.0  # mean ms the CQRS query side needs: a read model is one lookup


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the patterns story (times in milliseconds)."""

    pattern: str = param("notification", choices=PATTERNS,
                         help="which of Fowler's patterns the CRM follows (CQRS with its "
                              "write model in a table, or event-sourced)")
    consumers: int = param(3, low=1, high=len(CONSUMER_NAMES),
                           help="services that care about the address")
    changes: int = param(3, low=1, high=200, help="how often customer 42 moves")
    change_interval: float = param(200.0, low=1.0, high=5000.0, step=1.0,
                                   help="mean ms between two moves")
    network_latency: float = param(5.0, low=0.0, high=500.0, step=1.0,
                                   help="ms a message needs on the wire (plus jitter)")
    crm_query_time: float = param(20.0, low=0.1, high=1000.0, step=0.1,
                                  help="mean ms the CRM needs to answer one GetCustomer")
    projector_interval: float = param(50.0, low=1.0, high=5000.0, step=1.0,
                                      help="ms between two polls of the CQRS projector")
    read_interval: float = param(40.0, low=1.0, high=5000.0, step=1.0,
                                 help="mean ms between two queries of one CQRS reader")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """`changes` moves, one per change_interval on average. Under notification and
        state transfer each reaches every consumer (a notification also costs a callback);
        under CQRS the projector polls every projector_interval and every consumer reads every
        read_interval for the whole run (changes x change_interval ms). Measured on a 2-core
        laptop (CPU time, busy machine): 75 us per notified copy, 25 us per carried copy, 9 us
        per poll and 8-13 us per read (6-13 us per poll or read after the query API was
        added, measured on 32,400 and 160,400 of them: 0.4 and 1.0 s; one trace row, about
        1.1 KB, each; the run lasts changes x change_interval on average, and longer by
        chance); the estimate is 1.5-2.5x that."""
        span = self.changes * self.change_interval + 2 * self.projector_interval
        copies = self.changes * self.consumers
        rows = 5.0 * copies
        seconds = 0.01 + self.changes * 110e-6
        if self.pattern == "notification":
            seconds += copies * 110e-6
        elif self.pattern == "state_transfer":
            seconds += copies * 40e-6
        elif self.pattern in ("cqrs", "cqrs_event_sourced"):
            # both CQRS patterns poll and read alike; they differ only in the write model
            polls = span / self.projector_interval
            reads = self.consumers * span / self.read_interval
            seconds += (polls + reads) * 15e-6
            rows += polls + reads
        return Cost(seconds=seconds, megabytes=110 + rows * 0.0012,
                    # Not projector_interval: fewer polls, but the readers read until the
                    # last poll, so a long interval can cost more.
                    drivers={"changes": "lower", "read_interval": "raise",
                             "change_interval": "lower", "consumers": "lower"})


def evolve(address: str, event: Message) -> str:
    """State is a fold: the address after applying one ``AddressChanged`` event."""
    if event.type != "AddressChanged":
        return address
    return str(event.payload.get("address", address))
