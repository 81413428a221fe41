"""It is NOT about communication protocols: one command or event over four transports.

Onboarding tells WelcomeLetter about new customers, either as the command
``SendWelcomeLetter`` or as the event ``CustomerCreated``, over each of four transports at
once. Each transport fails in its own way and recovers in its own way:

* ``kafka``: the consumer crashes after sending the letter, before committing its offset;
  after a restart the broker delivers the record again;
* ``rest``: the response to ``POST`` is lost after the letter went out; the caller retries;
* ``workflow_job``: the worker crashes before completing its job; the job's lock times out
  and the engine activates the job again;
* ``webhook``: the receiver answers too late; the sender's dispatcher retries with backoff.

Every failure can cause a second delivery; an idempotent receiver (it remembers which
customers got their letter) turns that into no second letter.

Every transport meets the **same faults**: whether a delivery attempt fails is drawn from one
stream per customer (``failures/customer-NN``), so attempt *k* for customer *n* fails on every
transport or on none (common random numbers: a comparison of transports changes the recovery
and nothing else). The semantics only change the message's name and who owns the channel;
the model gives them no way to change a delivery, so a command and an event behave the same
*by construction*, and :func:`grid` demonstrates that rather than measures it. Times are in
seconds.
"""

from __future__ import annotations

import random
import textwrap
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.world import World, stream_seed
from eventlab.view import graphs

TRANSPORTS: tuple[str, ...] = ("kafka", "rest", "workflow_job", "webhook")
SEMANTICS: tuple[str, ...] = ("command", "event")
MAX_ATTEMPTS = 10  # nobody retries forever; with failure <= 0.5 this is practically never hit

# transport -> (who recovers, how, seconds until the next attempt (per attempt number))
RECOVERY: dict[str, tuple[str, str]] = {
    "kafka": ("the broker", "redelivers the record after the consumer restarts"),
    "rest": ("the caller (Onboarding)", "retries after its request timed out"),
    "workflow_job": ("the workflow engine", "re-activates the job when its lock times out"),
    "webhook": ("the sender's dispatcher", "retries with exponential backoff"),
}
CHANNELS: dict[tuple[str, str], str] = {  # who owns the channel follows the semantics
    ("kafka", "command"): "topic welcome-letter-commands (WelcomeLetter's)",
    ("kafka", "event"): "topic customer-events (Onboarding's)",
    ("rest", "command"): "POST /welcome-letters (WelcomeLetter's API)",
    ("rest", "event"): "POST /customer-events on each subscriber",
    ("workflow_job", "command"): "job type send-welcome-letter (WelcomeLetter's)",
    ("workflow_job", "event"): "message CustomerCreated starts a letter process",
    ("webhook", "command"): "webhook WelcomeLetter offers for letters",
    ("webhook", "event"): "webhook WelcomeLetter registered at Onboarding",
}


def _retry_delay(transport: str, attempt: int) -> float:
    """Seconds from a failed attempt to the next delivery, by transport."""
    if transport == "kafka":
        return 5.0  # consumer restart, then it re-reads from the last committed offset
    if transport == "rest":
        return 2.0  # the client's request timeout
    if transport == "workflow_job":
        return 10.0  # the job's lock timeout
    return float(2 ** (attempt - 1))  # webhook backoff: 1 s, 2 s, 4 s, ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportConfig(Scenario):
    """Knobs of the transport comparison (times in seconds)."""

    semantics: str = param("command", choices=SEMANTICS,
                           help="SendWelcomeLetter (command) or CustomerCreated (event)")
    transport: str = param("all", choices=("all", *TRANSPORTS),
                           help="one transport, or all four side by side (same faults)")
    customers: int = param(20, low=1, high=200, help="new customers, one letter each")
    failure: float = param(0.2, low=0.0, high=0.5, step=0.05,
                           help="probability that one delivery attempt fails")
    idempotent: bool = param(True, help="the receiver remembers whom it sent a letter")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """One letter per customer over each of the four transports, retried after each
        failure (1 / (1 - failure) attempts on average). Measured on a 2-core laptop (CPU
        time, busy machine): about 20 us per attempt; the estimate is 30 us. Every slider at
        its maximum stays far below the budget (0.03 s measured)."""
        attempts = 4 * self.customers / (1 - self.failure)
        return Cost(seconds=0.01 + attempts * 30e-6, megabytes=110 + attempts * 0.002,
                    drivers={"customers": "lower", "failure": "lower"})


@dataclass(frozen=True, repr=False)
class TransportResult(results.RunResult):
    """All four transports run side by side: one row of measurements per transport."""

    per_transport: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def table(self) -> pd.DataFrame:
        """One row per transport: channel, who recovers, attempts, letters, delay."""
        return self.per_transport

    def graph(self) -> graphs.Diagram:
        """Onboarding, the channels and WelcomeLetter, with what travelled where."""
        config = self.config
        message = "SendWelcomeLetter" if config.semantics == "command" else "CustomerCreated"
        lanes = "four transports" if len(self.per_transport) == 4 else "one transport"
        diagram = graphs.Diagram(f"the same {config.semantics} over {lanes}")
        diagram.add_node("Onboarding")
        table = self.per_transport
        once = ", ".join(str(n) for n in table["customers with one letter"])
        diagram.add_node("WelcomeLetter", note=f"customers with\none letter: {once}")
        for transport, row in table.iterrows():
            name = str(transport)
            # the channel on lines of its own: a long one-line box widens the whole picture
            channel = textwrap.fill(CHANNELS[(name, config.semantics)], 22)
            diagram.add_node(name, role="broker", label=f"{name}\n{channel}")
            diagram.add_edge("Onboarding", name, f"{message} ×{config.customers}",
                             kind=config.semantics)
            diagram.add_edge(name, "WelcomeLetter",
                             f"{row['deliveries']} deliveries ({row['redeliveries']} again)",
                             kind=config.semantics)
        return diagram


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    CUSTOMERS = "customers"
    DELIVERIES = "deliveries"
    REDELIVERIES = "redeliveries"
    DUPLICATES_IGNORED = "duplicates ignored"
    DUPLICATE_LETTERS = "duplicate letters"
    CUSTOMERS_WITH_ONE_LETTER = "customers with exactly one letter (all transports)"
    LETTERS_SENT = "letters sent"
    MEAN_SECONDS_TO_THE_LETTER = "mean seconds to the letter"


def run_transports(config: TransportConfig | None = None) -> TransportResult:
    """Send one message per customer over each transport; measure how each recovers."""
    config = resolve(TransportConfig, config)
    world = World(config.seed)
    chosen = TRANSPORTS if config.transport == "all" else (config.transport,)
    lanes = {t: _Lane(world, t, config) for t in chosen}
    world.env.run()
    table = pd.DataFrame([lane.row() for lane in lanes.values()]).set_index("transport")
    delays = [d for lane in lanes.values() for d in lane.delays]
    total: dict[str, int | float] = {Metric.CUSTOMERS: config.customers,
                              Metric.DELIVERIES: int(table["deliveries"].sum()),
                              Metric.REDELIVERIES: int(table["redeliveries"].sum()),
                              Metric.DUPLICATES_IGNORED: int(table["duplicates ignored"].sum()),
                              Metric.DUPLICATE_LETTERS: int(table["duplicate letters"].sum()),
                              Metric.CUSTOMERS_WITH_ONE_LETTER:
                                  int(table["customers with one letter"].min()),
                              Metric.LETTERS_SENT: int(table["letters sent"].sum()),
                              Metric.MEAN_SECONDS_TO_THE_LETTER:
                                  round(sum(delays) / len(delays), 3) if delays else 0.0}
    return TransportResult(config, world.trace.to_frame(), total, per_transport=table)


class _Lane:
    """One transport: the deliveries of every customer's message, and the receiver."""

    def __init__(self, world: World, transport: str, config: TransportConfig) -> None:
        self.world, self.transport, self.config = world, transport, config
        self.sent: dict[int, int] = {}  # customer -> letters sent
        self.attempts = 0
        self.ignored = 0
        self.delays: list[float] = []
        for customer in range(1, config.customers + 1):
            world.env.process(self.deliver(customer))

    def deliver(self, customer: int) -> Generator[simpy.Event, Any, None]:
        world, config = self.world, self.config
        yield world.env.timeout(customer * 1.0)  # one new customer per second
        start = world.now
        # The same faults on every transport and for both semantics: one stream per customer.
        faults = random.Random(stream_seed(world.seed, f"failures/customer-{customer:02d}"))
        kind = world.command if config.semantics == "command" else world.event
        message = kind("SendWelcomeLetter" if config.semantics == "command"
                       else "CustomerCreated", sender="Onboarding",
                       key=f"customer-{customer:02d}", payload={"customerId": customer})
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.attempts += 1
            yield world.env.timeout(0.05)  # on the wire
            world.trace.hop("deliver", world.now, "WelcomeLetter", "Onboarding", message,
                            self.transport)
            # Half the failures strike before the letter is out, half after it (before the
            # acknowledgement): only the second kind can cause a duplicate.
            draw = faults.random()
            if draw >= config.failure / 2:
                self.letter(customer, start)
            if draw >= config.failure:
                return  # acknowledged: committed, answered, completed
            world.trace.record("fault", world.now, "WelcomeLetter", message=message,
                               channel=self.transport, detail=RECOVERY[self.transport][1])
            yield world.env.timeout(_retry_delay(self.transport, attempt))

    def letter(self, customer: int, start: float) -> None:
        """The side effect: a letter goes out, unless an idempotent receiver sent one."""
        world = self.world
        if self.config.idempotent and customer in self.sent:
            self.ignored += 1  # it remembers this customer: no second letter
            return
        if customer not in self.sent:
            self.delays.append(world.now - start)
        self.sent[customer] = self.sent.get(customer, 0) + 1
        world.trace.state(world.now, "WelcomeLetter", f"customer-{customer:02d} letters",
                          self.sent[customer], detail=self.transport)

    def row(self) -> dict[str, Any]:
        who, how = RECOVERY[self.transport]
        letters = sum(self.sent.values())
        return {"transport": self.transport,
                "channel": CHANNELS[(self.transport, self.config.semantics)],
                "failure handled by": who, "how": how,
                "deliveries": self.attempts, "redeliveries": self.attempts - self.config.customers,
                "duplicates ignored": self.ignored,
                "letters sent": letters, "duplicate letters": letters - len(self.sent),
                "customers with one letter": sum(n == 1 for n in self.sent.values()),
                "mean seconds to the letter": round(sum(self.delays) / len(self.delays), 2)
                if self.delays else "—"}


def grid(config: TransportConfig | None = None) -> pd.DataFrame:
    """Transport × semantics: the 4×2 grid of measurements (same seed for all eight).

    A demonstration, not a measurement: the model gives the semantics no way to change a
    delivery, so each command row equals its event row by construction."""
    config = replace(resolve(TransportConfig, config), transport="all")
    tables = {s: run_transports(replace(config, semantics=s)).table() for s in SEMANTICS}
    rows = [{"transport": t, "semantics": s, **tables[s].loc[t].to_dict()}
            for t in TRANSPORTS for s in SEMANTICS]
    return pd.DataFrame(rows).set_index(["transport", "semantics"])


def channels() -> pd.DataFrame:
    """Who owns the channel, per transport and semantics: the receiver's for a command, the
    sender's (or a subscription the receiver registers there) for an event."""
    table = pd.DataFrame([{"transport": t, "semantics": s, "channel": CHANNELS[(t, s)]}
                          for t in TRANSPORTS for s in SEMANTICS])
    return table.pivot(index="transport", columns="semantics", values="channel").loc[
        list(TRANSPORTS), list(SEMANTICS)]
