"""The knobs of the fair fight, and the fault schedule both styles face (see
:mod:`eventlab.scenarios.styles`)."""

from __future__ import annotations

from dataclasses import dataclass

from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, seed_param
from eventlab.core.errors import ConfigError, check_choice, check_float, check_int

STYLES: tuple[str, ...] = ("choreography", "orchestration")
SCHEDULES: tuple[str, ...] = ("bad_day", "calm_day")
SERVICES: tuple[str, ...] = ("Payment", "Inventory", "Shipping")
HOUR = 3_600_000.0  # the world's clock runs in milliseconds, as the Kafka model's does
MINUTE = 60_000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """One day of the shop in one style; every other field is the same for both styles."""

    style: str = param("choreography", choices=STYLES,
                       help="choreography (services react to events, a process tracker "
                            "watches) or orchestration (the Order's workflow engine commands)")
    orders: int = param(40, low=1, high=400, help="orders placed at the checkout")
    interarrival_minutes: float = param(3.0, low=0.6, high=600.0, step=0.2,
                                        help="mean minutes between two orders")
    pay_minutes: float = param(3.0, low=0.0, high=600.0, step=0.5,
                               help="mean minutes Payment needs for an order")
    fetch_minutes: float = param(18.0, low=0.0, high=600.0, step=1.0,
                                 help="mean minutes Inventory needs to fetch the goods")
    ship_minutes: float = param(30.0, low=0.0, high=600.0, step=1.0,
                                help="mean minutes Shipping needs")
    out_of_stock: float = param(0.05, low=0.0, high=1.0, step=0.01,
                                help="probability that an order's goods are not in stock "
                                     "(the order is cancelled and its payment refunded)")
    sla_hours: float = param(2.0, low=0.1, high=48.0, step=0.1,
                             help="an order not delivered after this is late: escalate")
    deadline_hours: float = param(6.0, low=0.2, high=96.0, step=0.1,
                                  help="an order not delivered after this is cancelled and "
                                       "its completed steps undone")
    tracker_minutes: float = param(15.0, low=1.0, high=240.0, step=1.0,
                                   help="choreography: how often the process tracker looks at "
                                        "the open orders")
    tracking: bool = param(True, help="choreography: run the process tracker (it escalates "
                                      "and cancels through events)")
    tries: int = param(3, low=1, high=20,
                       help="tries of a failing step before an incident (orchestration) or "
                            "before the message is parked (choreography)")
    backoff_minutes: float = param(2.0, low=0.0, high=120.0, step=0.5,
                                   help="wait before the second try; each further wait is "
                                        "twice the one before")
    job_timeout_hours: float = param(2.0, low=0.05, high=48.0, step=0.05,
                                     help="orchestration: a command nobody answered in this "
                                          "time is sent again (the job is activated again)")
    message_ttl_hours: float = param(1.0, low=0.0, high=48.0, step=0.1,
                                     help="orchestration: how long the engine keeps a reply "
                                          "nobody waits for yet (0: discard it)")
    operator_minutes: float = param(5.0, low=0.0, high=600.0, step=1.0,
                                    help="minutes an operator needs to act once told (and "
                                         "once the fix is out)")
    schedule: str = param("bad_day", choices=SCHEDULES,
                          help="bad_day: a broker fails over, a consumer crashes mid-batch, "
                               "Shipping is down for an hour, a poisoned message, the "
                               "coordinator crashes; calm_day: no faults")
    seed: int = seed_param()

    def check(self) -> None:
        """The deadline comes after the SLA."""
        if self.deadline_hours <= self.sla_hours:
            raise ConfigError(f"deadline_hours={self.deadline_hours} must be later than "
                              f"sla_hours={self.sla_hours}: an order is escalated before it "
                              "is cancelled")

    def estimated_cost(self) -> Cost:
        """Measured on a 2-core laptop: about 1.2 ms of CPU per order (orchestration; the
        choreography needs half), plus the process tracker's looks at the open orders, one
        every tracker_minutes over the whole day (about 2 us each)."""
        day_hours = self.orders * self.interarrival_minutes / 60 + self.deadline_hours + 2.0
        looks = day_hours * 60 / self.tracker_minutes if self.style == "choreography" else 0
        seconds = 0.05 + 0.002 * self.orders + 2e-6 * looks
        return Cost(seconds=seconds, megabytes=120 + 0.2 * self.orders + looks * 2e-5,
                    drivers={"orders": "lower", "interarrival_minutes": "lower",
                             "tracker_minutes": "raise"})


@dataclass(frozen=True, slots=True)
class Faults:
    """The faults of one day, the same for both styles (times in hours from the start; None
    leaves a fault out).

    * broker failover: broker `broker` crashes at `broker_at` and is back `broker_hours` later;
    * consumer crash mid-batch: one consumer of `consumer_service` dies after handing a record
      to its service and before committing the batch, at the first record at or after
      `consumer_at`;
    * a service down: `down_service` stops at `down_at` for `down_hours` (its consumers, its
      work in progress and its outbox relay);
    * a poisoned message: order number `poison_order`'s message to `poison_service` cannot be
      processed until the fix is out at `fix_at` (None: never fixed);
    * the coordinator crashes (the Order service, or the process tracker) at `coordinator_at`
      right after its next send and before it saves that it sent, and is back
      `coordinator_minutes` later.
    """

    broker: int = 0
    broker_at: float | None = None
    broker_hours: float = 0.25
    consumer_service: str = "Inventory"
    consumer_at: float | None = None
    down_service: str = "Shipping"
    down_at: float | None = None
    down_hours: float = 1.0
    poison_service: str = "Shipping"
    poison_order: int | None = None
    fix_at: float | None = None
    coordinator_at: float | None = None
    coordinator_minutes: float = 5.0

    def __post_init__(self) -> None:
        check_int("broker", self.broker, low=0, high=2)
        for name in ("consumer_service", "down_service", "poison_service"):
            check_choice(name, getattr(self, name), SERVICES)
        for name in ("broker_at", "consumer_at", "down_at", "fix_at", "coordinator_at"):
            value = getattr(self, name)
            if value is not None:
                check_float(name, value, low=0.0, high=1000.0)
        check_float("broker_hours", self.broker_hours, low=0.0, low_open=True, high=1000.0)
        check_float("down_hours", self.down_hours, low=0.0, low_open=True, high=1000.0)
        check_float("coordinator_minutes", self.coordinator_minutes, low=0.0, low_open=True,
                    high=10_000.0)
        if self.poison_order is not None:
            check_int("poison_order", self.poison_order, low=1)


BAD_DAY = Faults(broker_at=0.5, consumer_at=0.75, down_at=1.0, poison_order=5, fix_at=2.5,
                 coordinator_at=1.25)
CALM_DAY = Faults()


def faults_of(config: Config) -> Faults:
    """The fault schedule a config names."""
    return BAD_DAY if config.schedule == "bad_day" else CALM_DAY
