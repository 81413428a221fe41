"""The knobs of the account's story (see :mod:`eventlab.scenarios.bank`)."""

from __future__ import annotations

from dataclasses import dataclass

from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, seed_param
from eventlab.domains.account import cents

# How the interest job's SQL books a credit in the row model: as every other write path does
# (UPDATE the row and INSERT the history line), or UPDATE only (its author forgot the history).
INTEREST_JOBS: tuple[str, ...] = ("writes_history", "forgets_history")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the account's story (money in dollars, times in minutes)."""

    days: int = param(60, low=0, high=730,
                      help="days of activity after the opening (0: only the talk's three facts)")
    payments_per_day: float = param(1.2, low=0.0, high=20.0, step=0.1,
                                    help="mean card payments per day")
    mean_payment: float = param(25.0, low=1.0, high=1000.0, step=1.0,
                                help="mean amount of one card payment ($)")
    salary: float = param(2500.0, low=0.0, high=20000.0, step=50.0,
                          help="transfer received on the 16th of each month ($)")
    rent: float = param(950.0, low=0.0, high=20000.0, step=50.0,
                        help="transfer sent on the 1st of each month ($)")
    overdraft: float = param(0.0, low=0.0, high=10000.0, step=50.0,
                             help="how far the balance may go below zero ($)")
    interest_rate: float = param(1.0, low=0.0, high=20.0, step=0.25,
                                 help="interest a year (%), credited on the last day of each "
                                      "month by a batch job")
    interest_job: str = param("writes_history", choices=INTEREST_JOBS,
                              help="whether the interest job's SQL also writes the row model's "
                                   "history line, or only updates the balance")
    projector_interval: float = param(360.0, low=10.0, high=10080.0, step=10.0,
                                      help="minutes between two polls of the projector")
    snapshot_every: int = param(10, low=1, high=1000,
                                help="take a snapshot after every this many events")
    as_of_day: float = param(30.0, low=0.0, high=730.0, step=0.5,
                             help="time travel: the moment to look at, in days after opening")
    seed: int = seed_param()

    def check(self) -> None:
        for name in ("mean_payment", "salary", "rent", "overdraft"):
            cents(getattr(self, name), name)  # whole cents only

    def estimated_cost(self) -> Cost:
        """Each command loads the snapshot plus up to `snapshot_every` events of tail, so the
        events read grow with commands x snapshot_every. Measured on a 2-core laptop (CPU
        time, busy machine): about 150 us per command, 1.4-2.2 us per event read, 7 us per
        projector poll; the estimate is 1.5-2x that (730 days at 10 payments a day with
        snapshot_every 1000 took 6.6 s)."""
        commands = self.days * (self.payments_per_day + 3 / 30.4)  # + salary, rent, interest
        reads = commands * min(self.snapshot_every, commands) / 2
        polls = self.days * 1440 / self.projector_interval
        return Cost(seconds=commands * 230e-6 + reads * 3e-6 + polls * 10e-6,
                    megabytes=100 + commands * 0.02,
                    drivers={"snapshot_every": "lower", "days": "lower",
                             "payments_per_day": "lower", "projector_interval": "raise"})
