"""The knobs and the vocabulary of the year of refactorings (see
:mod:`eventlab.scenarios.shared_store`)."""

from __future__ import annotations

from dataclasses import dataclass

from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, seed_param

MODES: tuple[str, ...] = ("shared", "transport")
TEAMS: tuple[str, ...] = ("Billing", "Shipping", "Marketing", "Support", "Analytics",
                          "Insurance", "Loyalty", "Fraud", "Reporting", "Notifications",
                          "Partner portal", "Data lake")
# Internal event -> the public event the translation turns it into.
PUBLIC_OF: dict[str, str] = {
    "CustomerCreated": "CustomerRegistered", "NameCorrected": "CustomerDetailsChanged",
    "AddressChanged": "CustomerMoved", "EmailVerified": "CustomerDetailsChanged",
    "ConsentGiven": "CustomerDetailsChanged", "CustomerMerged": "CustomerRegistered",
    "CustomerDeleted": "CustomerDeregistered",
}
INTERNAL: tuple[str, ...] = tuple(PUBLIC_OF)
PUBLIC: tuple[str, ...] = tuple(dict.fromkeys(PUBLIC_OF.values()))
REFACTORINGS: tuple[str, ...] = ("rename a field", "split the event", "change a unit",
                                 "nest a field", "drop a field")
SERVICE = "Customer service"
STORE = "Customer event store"
TRANSLATOR = "Translator"
TOPIC = "customer (public)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the year of refactorings (times in days)."""

    mode: str = param("shared", choices=MODES,
                      help="consumers read internal events (shared) or public ones (transport)")
    consumers: int = param(6, low=1, high=len(TEAMS), help="teams that consume customer events")
    events_used: int = param(3, low=1, high=len(INTERNAL),
                             help="internal event types each consumer needs")
    refactorings_per_month: float = param(2.0, low=0.0, high=30.0, step=0.1,
                                          help="how often the Customer team changes an "
                                               "internal event")
    public_changes_per_year: float = param(1.0, low=0.0, high=52.0, step=0.5,
                                           help="how often the public contract changes "
                                                "(transport only)")
    fix_days: float = param(5.0, low=0.1, high=90.0, step=0.5,
                            help="mean days a consumer team needs to adapt to a change")
    days: int = param(365, low=1, high=3650, help="days simulated")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """Refactorings at refactorings_per_month (and, under transport, contract changes at
        public_changes_per_year) for `days`; each change breaks the consumers that read it.
        Measured on a 2-core laptop (CPU time, busy machine): about 14 us per breakage (three
        trace rows, 0.8 KB each); the estimate is 20 us, plus 20 us per change. Every slider
        at its maximum stays below the budget (0.6 s measured)."""
        refactorings = self.refactorings_per_month / 30 * self.days
        public = self.public_changes_per_year / 365 * self.days \
            if self.mode == "transport" else 0.0
        breakages = ((refactorings if self.mode == "shared" else 0.0) + public) * self.consumers
        return Cost(seconds=0.01 + (refactorings + public + breakages) * 20e-6,
                    megabytes=110 + breakages * 0.0025,
                    drivers={"days": "lower", "refactorings_per_month": "lower",
                             "consumers": "lower", "public_changes_per_year": "lower"})
