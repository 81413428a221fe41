"""Customer on-boarding: the interactions as data, and the knobs of the on-boarding run.

The example of the talk's slides *Example* and *Challenge: Command vs. Event* (after
Rücker's InfoWorld article "How to tame event-driven microservices"). The message names
are reconstructed from the article's text, so treat them as illustrative.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, seed_param

STYLES: tuple[str, ...] = ("command", "event")
ONBOARDING = "Onboarding"


@dataclass(frozen=True, slots=True)
class Step:
    """One interaction of on-boarding, and whose requirement it is that it happens."""

    field: str  # the Config field that toggles it
    name: str
    service: str  # the service (and team) that does the work
    command: str  # what Onboarding sends when it is a command
    trigger: str  # the event the service reacts to when it is an event
    reply: str  # what the service says when it is done
    decides: bool  # Onboarding needs the reply to decide (a check)
    owner: str  # whose requirement is it that this happens?
    why: str


STEPS: tuple[Step, ...] = (
    Step("address_check", "address check", "AddressCheck", "CheckAddress",
         "RegistrationRequested", "AddressChecked", True, ONBOARDING,
         "no customer may be created with an address that does not exist"),
    Step("credit_check", "credit check", "CreditCheck", "CheckCredit",
         "RegistrationRequested", "CreditChecked", True, ONBOARDING,
         "no customer may be created without a credit decision"),
    Step("welcome_letter", "welcome letter", "WelcomeLetter", "SendWelcomeLetter",
         "CustomerCreated", "WelcomeLetterSent", False, ONBOARDING,
         "the letter carries the contract: on-boarding is not done without it"),
    Step("notification_email", "notification email", "NotificationEmail",
         "SendNotificationEmail", "CustomerCreated", "NotificationEmailSent", False,
         "NotificationEmail", "the notification team decides whom it emails about what"),
    Step("loyalty_points", "loyalty points", "LoyaltyPoints", "AddLoyaltyPoints",
         "CustomerCreated", "LoyaltyPointsAdded", False, "LoyaltyPoints",
         "the loyalty programme decides who earns points for what"),
)
STEP_FIELDS: tuple[str, ...] = tuple(s.field for s in STEPS)
# The talk's answer: commands for the checks and the welcome letter, events for the rest.
TALK_ANSWER: dict[str, str] = {s.field: "command" if s.owner == ONBOARDING else "event"
                               for s in STEPS}
REPLAYED_KINDS = ("send", "deliver", "state", "fault", "drop")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the on-boarding run: one toggle per interaction (times in minutes)."""

    address_check: str = param("command", choices=STYLES,
                               help="Onboarding sends CheckAddress, or AddressCheck reacts")
    credit_check: str = param("command", choices=STYLES,
                              help="Onboarding sends CheckCredit, or CreditCheck reacts")
    welcome_letter: str = param("command", choices=STYLES,
                                help="Onboarding sends SendWelcomeLetter, or WelcomeLetter "
                                     "reacts to CustomerCreated")
    notification_email: str = param("event", choices=STYLES,
                                    help="NotificationEmail reacts to CustomerCreated, or is told")
    loyalty_points: str = param("event", choices=STYLES,
                                help="LoyaltyPoints reacts to CustomerCreated, or is told")
    failing: str = param("none", choices=("none", *STEP_FIELDS),
                         help="a service that silently does nothing (crashed, poison message)")
    customers: int = param(5, low=1, high=50, help="registrations to on-board")
    arrival_interval: float = param(30.0, low=1.0, high=600.0, step=1.0,
                                    help="mean minutes between two registrations")
    work_time: float = param(10.0, low=0.1, high=120.0, step=0.5,
                             help="mean minutes a service needs for one piece of work")
    timeout: float = param(240.0, low=1.0, high=2880.0, step=10.0,
                           help="minutes Onboarding waits for a reply before it raises an "
                                "incident (4 h)")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """`customers` registrations, each a handful of commands, events and replies between
        six services. Measured on a 2-core laptop (CPU time, busy machine): at most 0.46 ms
        per customer; the estimate is 0.7 ms. Every slider at its maximum stays far below the
        budget (0.02 s measured)."""
        return Cost(seconds=0.01 + self.customers * 700e-6,
                    megabytes=110 + self.customers * 0.03, drivers={"customers": "lower"})

    def style(self, step: Step) -> str:
        """The toggle of `step`: command or event."""
        value: str = getattr(self, step.field)
        return value
