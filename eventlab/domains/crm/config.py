"""The knobs and the vocabulary of the CRM story (see :mod:`eventlab.scenarios.crm`)."""

from __future__ import annotations

from dataclasses import dataclass

from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, seed_param
from eventlab.core.errors import ConfigError

PATTERNS: tuple[str, ...] = ("notification", "state_transfer")
# The four payload designs of the slide "Event-carried State Transfer", in the slide's order.
PAYLOADS: tuple[str, ...] = ("address_delta", "address_full", "customer_changed",
                             "customer_moved")
FIELDS: tuple[str, ...] = ("address", "status")


@dataclass(frozen=True, slots=True)
class Consumer:
    """A service that reacts to customer changes: what it cares about and what it does."""

    name: str
    cares_about: tuple[str, ...]
    action: str  # what it does when it believes a customer moved (or changed status)


# Fowler's example first (insurance quoting, communications), then more teams of a company.
CONSUMERS: tuple[Consumer, ...] = (
    Consumer("Insurance", ("address",), "re-quotes the home insurance"),
    Consumer("Communications", ("address",), "sends a 'welcome to your new home' letter"),
    Consumer("Marketing", ("status",), "targets campaigns by customer status"),
    Consumer("Billing", ("address",), "updates the invoice address"),
    Consumer("Loyalty", ("status",), "adjusts the loyalty tier"),
    Consumer("Shipping", ("address",), "re-routes open deliveries"),
    Consumer("Analytics", ("address", "status"), "counts moves and status changes"),
    Consumer("Support", ("address", "status"), "refreshes the customer card"),
)
CONSUMER_NAMES: tuple[str, ...] = tuple(c.name for c in CONSUMERS)

WRITE_TIME = 1.0  # ms the CRM needs to accept one change
REPLAYED_KINDS = ("send", "deliver", "state", "fault")  # what playback steps through


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the CRM story (times in milliseconds, rates per second)."""

    pattern: str = param("notification", choices=PATTERNS,
                         help="thin events and callbacks, or events that carry the data")
    payload: str = param("address_full", choices=PAYLOADS,
                         help="the event design under state transfer (notification is thin)")
    consumers: int = param(3, low=1, high=len(CONSUMERS), help="services that react")
    customers: int = param(10, low=1, high=200, help="customers in the CRM")
    duration: float = param(8000.0, low=1000.0, high=60_000.0, step=500.0,
                            help="ms during which customers change their data")
    change_rate: float = param(4.0, low=0.1, high=50.0, step=0.1,
                               help="changes per second over all customers")
    correction_share: float = param(0.2, low=0.0, high=1.0, step=0.05,
                                    help="share of address changes that fix a typo, not a move")
    status_share: float = param(0.3, low=0.0, high=1.0, step=0.05,
                                help="share of changes that change the status, not the address")
    lookup_rate: float = param(1.0, low=0.0, high=20.0, step=0.5,
                               help="customer look-ups per second each consumer serves")
    crm_query_time: float = param(10.0, low=0.1, high=500.0, step=0.5,
                                  help="mean ms the CRM needs to answer one GetCustomer")
    network_latency: float = param(5.0, low=0.0, high=500.0, step=1.0,
                                   help="ms a message needs on the wire (plus jitter)")
    downtime: float = param(0.3, low=0.0, high=0.9, step=0.05,
                            help="share of the time the CRM is down")
    outages: int = param(2, low=1, high=10, help="how many windows the downtime is split into")
    retry_interval: float = param(250.0, low=1.0, high=5000.0, step=10.0,
                                  help="ms a consumer waits before calling a down CRM again")
    duplicates: float = param(0.0, low=0.0, high=0.5, step=0.05,
                              help="probability that an event copy is delivered twice")
    reorder: float = param(0.0, low=0.0, high=0.5, step=0.05,
                           help="probability that an event copy is held back (and overtaken)")
    late_by: float = param(1000.0, low=1.0, high=10_000.0, step=50.0,
                           help="ms a redelivered or held-back copy arrives late")
    seed: int = seed_param()

    def check(self) -> None:
        # Every window must hold at least one millisecond, or "down" means nothing.
        if self.downtime and self.downtime * self.duration / self.outages < 1.0:
            raise ConfigError(f"downtime={self.downtime} split into outages={self.outages} "
                              f"gives windows shorter than 1 ms over duration={self.duration}; "
                              "raise downtime or lower outages")

    def estimated_cost(self) -> Cost:
        """Changes arrive at change_rate for `duration`; each reaches every consumer (more
        with duplicates and held-back copies), and each consumer's users look customers up at
        lookup_rate. Under notification a consumer stuck on a callback while the CRM is down
        calls again every retry_interval (plus the round trip) for the rest of the window:
        that happens when a copy arrives late (duplicates, reorder) or the CRM is still busy
        when a window starts, which the estimate weighs by the changes per outage cycle.
        Measured on a 2-core laptop (CPU time, busy machine): about 60 us per change, 50 us
        per delivered copy, 45-65 us per look-up and 55-65 us per failed call (five trace rows,
        about 1 KB each); the estimate is 1.3-1.5x that."""
        seconds = self.duration / 1000
        changes = self.change_rate * seconds
        deliveries = changes * self.consumers * (1 + self.duplicates + self.reorder)
        look_ups = self.lookup_rate * self.consumers * seconds
        retries = 0.0
        if self.pattern == "notification" and self.downtime:
            most = self.consumers * self.downtime * self.duration \
                / (self.retry_interval + 2 * self.network_latency)
            load = (self.change_rate + self.lookup_rate) * self.consumers / 1000 \
                * self.crm_query_time  # the CRM's utilisation: a queue outlasts the up time
            busy = changes / self.outages * (self.duplicates + self.reorder + min(1.0, load))
            retries = most * min(1.0, busy)
        rows = 3 * changes + 4 * deliveries + 3 * look_ups + 5 * retries
        per_look_up = 100e-6 if self.pattern == "notification" else 70e-6  # + a CRM call
        return Cost(seconds=0.01 + changes * 80e-6 + deliveries * 70e-6
                    + look_ups * per_look_up + retries * 80e-6, megabytes=110 + rows * 0.001,
                    drivers={"duration": "lower", "change_rate": "lower", "consumers": "lower",
                             "lookup_rate": "lower", "retry_interval": "raise",
                             "downtime": "lower", "duplicates": "lower"})


def windows(config: Config) -> list[tuple[float, float]]:
    """The CRM's downtime windows (start, end): equal length, evenly spread over the run.

    Fixed rather than random, so a reader can see in the config when the CRM is down.
    """
    if not config.downtime:
        return []
    length = config.downtime * config.duration / config.outages
    slot = config.duration / config.outages
    return [((i + 0.5) * slot - length / 2, (i + 0.5) * slot + length / 2)
            for i in range(config.outages)]
