"""Define a stable contract instead: a Notification service and the teams that need it.

Over `days` days, `senders` teams start needing messages sent to customers, one after the
other. Two designs:

* ``pseudo_events``: every sender publishes its own "needs a message" event (a command in
  disguise, such as ``CustomerNeedsToBeSentAMessageToConfirmAddressChange``). Notification
  must subscribe to each one and map it to a message: a change of Notification for every
  new sender, shipped `lead_time` days after the sender asks. Until then the sender's
  requests wait: on a ``durable`` channel (a Kafka topic that keeps its records) Notification
  reads them once its change is live, late; on a channel that keeps nothing for a subscriber
  that does not exist yet (``durable=False``) they are lost, which is that channel's doing,
  not the pseudo-events';
* ``send_message``: Notification offers one stable command, ``SendMessage``. A new sender
  calls it from its first day; Notification does not change.

Times are in days.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.channels import Channel
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.view import graphs

STYLES: tuple[str, ...] = ("pseudo_events", "send_message")
# (sender, the pseudo-event it would publish): sender-centric wording, on purpose.
SENDERS: tuple[tuple[str, str], ...] = (
    ("CRM", "CustomerNeedsToBeSentAMessageToConfirmAddressChange"),
    ("Order", "OrderConfirmationMessageRequired"),
    ("Payment", "PaymentReminderNeedsToBeSent"),
    ("Shipping", "ParcelNotificationRequired"),
    ("Loyalty", "PointsStatementShouldBeSent"),
    ("Billing", "InvoiceNeedsToBeEmailed"),
    ("Support", "TicketUpdateMessageRequired"),
    ("Marketing", "NewsletterShouldBeSent"),
)
NOTIFICATION = "Notification"


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyConfig(Scenario):
    """Knobs of the Notification story (times in days)."""

    style: str = param("pseudo_events", choices=STYLES,
                       help="one 'needs a message' event per sender, or one SendMessage command")
    senders: int = param(4, low=1, high=len(SENDERS), help="teams that need messages sent")
    days: float = param(120.0, low=10.0, high=720.0, step=10.0, help="days simulated")
    lead_time: float = param(14.0, low=0.0, high=90.0, step=1.0,
                             help="days the Notification team needs to ship one change")
    messages_per_day: float = param(1.0, low=0.1, high=10.0, step=0.1,
                                    help="messages each sender needs per day")
    durable: bool = param(True, help="the channel keeps messages until Notification reads "
                                     "them (a Kafka topic); off: unheard messages are lost")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """Every sender asks for messages_per_day messages for `days`. Measured on a 2-core
        laptop (CPU time, busy machine): about 19 us per message (1.6 KB); the estimate is
        30 us. Every slider at its maximum stays below the budget (1.1 s measured)."""
        messages = self.senders * self.messages_per_day * self.days
        return Cost(seconds=0.01 + messages * 30e-6, megabytes=110 + messages * 0.002,
                    drivers={"days": "lower", "messages_per_day": "lower",
                             "senders": "lower"})


@dataclass(frozen=True, repr=False)
class NotifyResult(results.RunResult):
    """A run of the Notification story, with its dependency graph."""

    per_sender: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def senders(self) -> pd.DataFrame:
        """One row per sender: when it started, what it sends, what got through."""
        return self.per_sender

    def graph(self) -> graphs.Diagram:
        """Who knows whom: each message goes from its sender to Notification, and a dot marks
        the side that holds the coupling."""
        pseudo = self.config.style == "pseudo_events"
        diagram = graphs.Diagram("one pseudo-event per sender" if pseudo
                                 else "one stable SendMessage command")
        changes = self.metrics[Metric.CHANGES_TO_NOTIFICATION]
        known = self.metrics[Metric.MESSAGE_TYPES_NOTIFICATION_MUST_KNOW]
        types = "message type" if known == 1 else "message types"
        diagram.add_node(NOTIFICATION, note=f"{changes} changes, knows {known} {types}")
        for name, row in self.per_sender.iterrows():
            diagram.add_node(str(name), note=f"from day {row['needs messages from day']:g}")
            diagram.edge(diagram.id_for(str(name)), diagram.id_for(NOTIFICATION),
                         style="invis")  # senders always on the left
            if pseudo:
                diagram.add_edge(str(name), NOTIFICATION,
                                 f"{row['message']} ×{row['sent']}, Notification subscribes",
                                 kind="event", knower=NOTIFICATION)
            else:
                diagram.add_edge(str(name), NOTIFICATION, f"{row['message']} ×{row['sent']}",
                                 kind="command", knower=str(name))
        return diagram


def run_notify(config: NotifyConfig | None = None) -> NotifyResult:
    """Simulate the senders and the Notification service for `config.days` days."""
    config = resolve(NotifyConfig, config)
    model = _Model(config)
    model.world.env.run(until=config.days)
    return NotifyResult(config, model.world.trace.to_frame(), model.metrics(),
                        per_sender=model.table())


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    SENDERS = "senders"
    CHANGES_TO_NOTIFICATION = "changes to Notification"
    CHANGES_TO_SENDERS = "changes to the senders"
    MESSAGE_TYPES_NOTIFICATION_MUST_KNOW = "message types Notification must know"
    MESSAGES_ASKED_FOR = "messages asked for"
    MESSAGES_SENT = "messages sent"
    MESSAGES_THAT_WAITED = "messages that waited for a change of Notification"
    MEAN_DAYS_WAITED = "mean days those messages waited"
    MESSAGES_LOST = "messages lost waiting for Notification"


class _Model:
    def __init__(self, config: NotifyConfig) -> None:
        self.config = config
        self.world = world = World(config.seed)
        self.channel = Channel(world, "messaging")
        self.pseudo = config.style == "pseudo_events"
        self.senders = SENDERS[: config.senders]
        # Sender i starts needing messages on day i * days / senders (the first on day 0).
        self.start = {name: i * config.days / config.senders
                      for i, (name, _) in enumerate(self.senders)}
        self.live: dict[str, float] = {}  # sender -> the day Notification understands it
        self.changes = 0
        self.counts = {name: {"asked": 0, "sent": 0, "waited": 0, "lost": 0}
                       for name, _ in self.senders}
        self.waits: list[float] = []  # days each late message waited
        world.env.process(self.notification(self.channel.subscribe(NOTIFICATION)))
        for name, event in self.senders:
            world.env.process(self.sender(name, event))

    def sender(self, name: str, pseudo_event: str) -> Generator[simpy.Event, Any, None]:
        world, config = self.world, self.config
        rng = world.rng(f"sender/{name}")
        yield world.env.timeout(self.start[name])
        if self.pseudo:  # Notification must learn the new event: a change, some days later
            self.changes += 1
            self.live[name] = world.now + config.lead_time
            world.trace.record("note", world.now, NOTIFICATION, target=name,
                               detail=f"change {self.changes}: subscribe to {pseudo_event}")
        else:
            self.live[name] = world.now  # SendMessage exists already: nothing to change
        while True:
            yield world.env.timeout(rng.expovariate(config.messages_per_day))
            self.counts[name]["asked"] += 1
            body = {"customerId": rng.randrange(1, 1000), "template": pseudo_event}
            message: Message
            if self.pseudo:
                message = world.event(pseudo_event, sender=name, payload=body)
            else:
                message = world.command("SendMessage", sender=name, payload=body)
            self.channel.send(message, to=NOTIFICATION)

    def notification(self, inbox: simpy.Store) -> Generator[simpy.Event, Any, None]:
        world = self.world
        while True:
            message = yield inbox.get()
            counts = self.counts[message.sender]
            if world.now < self.live[message.sender]:  # not subscribed yet: nobody listens
                if self.config.durable:  # the topic keeps it; read once the change is live
                    world.env.process(self._late(message))
                    continue
                counts["lost"] += 1
                world.trace.record("drop", world.now, NOTIFICATION, target=message.sender,
                                   message=message, detail="no subscription yet")
                continue
            self._send(message)

    def _late(self, message: Message) -> Generator[simpy.Event, Any, None]:
        """A message kept on the topic until Notification's change for its sender is live."""
        world = self.world
        yield world.env.timeout(self.live[message.sender] - world.now)
        self.counts[message.sender]["waited"] += 1
        self.waits.append(world.now - message.time)
        self._send(message)

    def _send(self, message: Message) -> None:
        counts = self.counts[message.sender]
        counts["sent"] += 1
        self.world.trace.state(self.world.now, NOTIFICATION, f"{message.sender} messages",
                               counts["sent"])

    def table(self) -> pd.DataFrame:
        rows = [{"sender": name, "message": event if self.pseudo else "SendMessage",
                 "needs messages from day": round(self.start[name], 1),
                 "Notification understands it from day": round(self.live[name], 1),
                 **self.counts[name],
                 "still waiting at the end": self.counts[name]["asked"]
                 - self.counts[name]["sent"] - self.counts[name]["lost"]}
                for name, event in self.senders]
        return pd.DataFrame(rows).set_index("sender")

    def metrics(self) -> dict[str, Any]:
        asked = sum(c["asked"] for c in self.counts.values())
        lost = sum(c["lost"] for c in self.counts.values())
        return {
            Metric.SENDERS: len(self.senders),
            Metric.CHANGES_TO_NOTIFICATION: self.changes,
            Metric.CHANGES_TO_SENDERS: len(self.senders),  # each sender sends something new
            Metric.MESSAGE_TYPES_NOTIFICATION_MUST_KNOW: len(self.senders) if self.pseudo else 1,
            Metric.MESSAGES_ASKED_FOR: asked,
            Metric.MESSAGES_SENT: sum(c["sent"] for c in self.counts.values()),
            Metric.MESSAGES_THAT_WAITED: len(self.waits),
            Metric.MEAN_DAYS_WAITED: round(sum(self.waits) / len(self.waits), 3)
            if self.waits else 0.0,
            Metric.MESSAGES_LOST: lost,
        }
