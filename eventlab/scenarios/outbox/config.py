"""The knobs and the vocabulary of the dual-write story (see :mod:`eventlab.scenarios.outbox`)."""

from __future__ import annotations

from dataclasses import dataclass

from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, seed_param

VARIANTS: tuple[str, ...] = ("commit_then_publish", "publish_then_commit", "outbox",
                             "outbox_inbox", "outbox_mail_key")
# Every place where a component can die, in the order a command passes them.
SERVICE_POINTS: tuple[str, ...] = ("before_writes", "between_writes", "after_writes")
# consumer_after_mail: the mail is out, Mailing has not yet recorded it anywhere (only the
# variants that record something, an inbox row or a mail key, have this moment apart from
# consumer_after_effect: the mail is out and recorded, the offset not yet committed).
CRASH_POINTS: tuple[str, ...] = (*SERVICE_POINTS, "relay_after_publish",
                                 "consumer_after_mail", "consumer_after_effect")
EVERYWHERE = "everywhere"
SERVICE = "Customer service"
STORE = "Customer event store"
RELAY = "Relay"
TOPIC = "customer-events"
CONSUMER = "Mailing"
INBOX = "Mailing inbox"
PROVIDER = "Mail provider"
CLIENT = "Customer"
EVENT_TYPE = "CustomerCreated"


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the service that stores a change and tells others about it (times in ms)."""

    variant: str = param("commit_then_publish", choices=VARIANTS,
                         help="dual write in either order, outbox + relay, outbox + relay + "
                              "an inbox at Mailing, or outbox + relay + an idempotency key "
                              "the mail provider checks")
    commands: int = param(100, low=1, high=2000, help="RegisterCustomer commands sent")
    command_interval: float = param(10.0, low=0.1, high=1000.0, step=0.1,
                                    help="mean ms between two commands")
    crash_at: str = param(EVERYWHERE, choices=(EVERYWHERE, *CRASH_POINTS),
                          help="where crashes are injected (everywhere: at every point)")
    crash_rate: float = param(0.05, low=0.0, high=0.5, step=0.01,
                              help="probability of a crash each time a component passes an "
                                   "armed point")
    restart_time: float = param(50.0, low=1.0, high=5000.0, step=1.0,
                                help="ms a crashed component needs to come back")
    relay_interval: float = param(20.0, low=1.0, high=5000.0, step=1.0,
                                  help="ms between two polls of the relay (outbox variants)")
    seed: int = seed_param()

    @property
    def uses_outbox(self) -> bool:
        """Whether the event store is the outbox that a relay tails."""
        return self.variant in ("outbox", "outbox_inbox", "outbox_mail_key")

    def armed(self, point: str) -> bool:
        """Whether crashes are injected at `point` in this run."""
        return self.crash_rate > 0.0 and self.crash_at in (EVERYWHERE, point)

    def estimated_cost(self) -> Cost:
        """A Mailing member that crashes after its effect gets its records again, and may
        crash again: without the inbox the replays grow steeply with crash_rate (measured
        with the outbox variant, 100 commands: 20-25 trace rows per command at 0.2, 96 at
        0.35, 680-1160 at 0.46, 1950 at 0.5), bounded here by (1 - crash_rate)^-12. The
        relay polls every relay_interval for the whole run. Measured on a 2-core laptop (CPU
        time, busy machine): about 10-11 us and 0.85 KB per row; the estimate is 16 us."""
        replaying = self.armed("consumer_after_effect") and self.variant != "outbox_inbox"
        rate = self.crash_rate if replaying else 0.0
        rows = self.commands * (7 + 1.1 * ((1 - rate) ** -12 - 1))
        if self.uses_outbox:
            rows += self.commands * self.command_interval / self.relay_interval
        return Cost(seconds=rows * 16e-6, megabytes=110 + rows * 0.001,
                    drivers={"crash_rate": "lower", "commands": "lower",
                             "relay_interval": "raise"})
