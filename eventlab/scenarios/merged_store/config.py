"""The knobs of the Customer service that keeps its events on Kafka (see
:mod:`eventlab.scenarios.merged_store`)."""

from __future__ import annotations

from dataclasses import dataclass

from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, seed_param

STORES: tuple[str, ...] = ("kafka", "event_store")
TOPIC = "customers"
SERVICE = "Customer service"
LAGS: tuple[float, ...] = (0.0, 10.0, 25.0, 50.0, 100.0, 200.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the Customer service that keeps its events on Kafka (times in ms)."""

    store: str = param("kafka", choices=STORES,
                       help="kafka: the topic is the store; event_store: expected-version "
                            "appends")
    commands: int = param(200, low=1, high=5000, help="people who sign up (each once, or "
                                                      "twice: see duplicate_share)")
    command_interval: float = param(20.0, low=0.1, high=1000.0, step=0.1,
                                    help="mean ms between two commands")
    duplicate_share: float = param(0.2, low=0.0, high=1.0, step=0.05,
                                   help="share of people who sign up a second time with the "
                                        "same email")
    repeat_delay: float = param(20.0, low=0.1, high=5000.0, step=0.1,
                                help="mean ms until that second sign-up")
    view_lag: float = param(50.0, low=0.0, high=2000.0, step=5.0,
                            help="ms the local view of emails waits before it fetches new "
                                 "records (its consumer's fetch.max.wait)")
    instances: int = param(1, low=1, high=4, help="service instances that write (each with "
                                                  "its own view)")
    own_writes: bool = param(False, help="also put the service's own appends into its view "
                                         "once Kafka acknowledges them")
    decide_time: float = param(2.0, low=0.0, high=100.0, step=0.5,
                               help="ms between checking the view and appending")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """commands sign-ups (plus duplicate_share second ones), each decided, appended and
        read back by the view of every instance. Measured on a 2-core laptop (CPU time, busy
        machine): about 50 us per sign-up plus 15 us per sign-up and instance; the estimate is
        1.5x that. Every slider at its maximum stays below the budget (1.1 s measured)."""
        sign_ups = self.commands * (1 + self.duplicate_share)
        return Cost(seconds=0.01 + sign_ups * (75e-6 + 22e-6 * self.instances),
                    megabytes=110 + sign_ups * (0.006 + 0.003 * self.instances),
                    drivers={"commands": "lower", "instances": "lower",
                             "duplicate_share": "lower"})
