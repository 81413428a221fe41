"""Martin Fowler's four meanings of "event-driven", as one story run four ways.

Customer 42 moves house. A customer sends ``ChangeAddress`` commands to the CRM; what
happens next depends on the pattern (talk slide "What do you mean by 'Event-Driven'?"):

* ``notification``: the CRM updates its row and publishes a thin ``AddressChanged
  {customerId}``; every consumer calls the CRM back (``GetCustomer``) to learn the address;
* ``state_transfer``: the event carries the address, consumers keep their own copy;
* ``event_sourcing``: the CRM stores no row, only its log of ``AddressChanged`` events; its
  state is a fold over the log, so after a restart it rebuilds by replaying the log;
* ``cqrs``: commands append to the write side's log; a projector polls it and updates a
  separate read model that readers query, some time later.

Times are in milliseconds. Every measured number comes from the run's trace and counters.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd
import simpy

from eventlab import graphs, playback, results
from eventlab.channels import Channel
from eventlab.config import Scenario, param, seed_param
from eventlab.messages import Message
from eventlab.world import World

PATTERNS: tuple[str, ...] = ("notification", "state_transfer", "event_sourcing", "cqrs")
CONSUMER_NAMES: tuple[str, ...] = ("Insurance", "Communications", "Marketing", "Billing",
                                   "Loyalty", "Analytics", "Shipping", "Support")
ADDRESSES: tuple[str, ...] = ("Zossener Strasse 55, Berlin", "Hauptstrasse 1, Potsdam",
                              "Marktplatz 7, Leipzig", "Ringstrasse 12, Wien",
                              "Bahnhofstrasse 3, Zürich", "Königsallee 90, Düsseldorf")
CUSTOMER = "customer-42"
WRITE_TIME = 1.0  # ms the CRM needs to handle a ChangeAddress command
REPLAYED_KINDS = ("send", "deliver", "state", "fault", "note")  # what playback steps through
REPLAY_TIME = 0.2  # ms the CRM needs to re-apply one event while rebuilding its state


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the four-patterns story (times in milliseconds)."""

    pattern: str = param("notification", choices=PATTERNS,
                         help="which of Fowler's four patterns the CRM follows")
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
                                 help="mean ms between two reads of one CQRS reader")
    seed: int = seed_param()


class FowlerResult(results.RunResult):
    """A run of the four-patterns story, with its graph and playback frames."""

    def graph(self) -> graphs.Diagram:
        """The services and who sends what to whom, with message counts from the trace."""
        return _diagram(self.config, self.trace, None)

    def frames(self, max_frames: int = 120) -> list[playback.Frame]:
        """Playback frames: one per send, delivery and state change."""
        return playback.frames(self.trace, lambda so_far, row: _diagram(self.config, so_far, row),
                               kinds=REPLAYED_KINDS, max_frames=max_frames)

    def history(self) -> pd.DataFrame:
        """The address changes as the CRM handled them: version, time and new address."""
        rows = self.trace[(self.trace["kind"] == "state") & (self.trace["actor"] == "CRM")
                          & (self.trace["entity"] == "address")
                          & self.trace["detail"].isna()]
        out = rows[["time", "value"]].rename(columns={"value": "address"}).reset_index(drop=True)
        out.insert(0, "version", range(1, len(out) + 1))
        return out


def run(config: Config | None = None) -> FowlerResult:
    """Simulate customer 42 moving `config.changes` times under `config.pattern`."""
    config = config or Config()
    if not isinstance(config, Config):
        raise TypeError(f"config must be a fowler.Config, got {type(config).__name__}")
    model = _Model(config)
    model.world.env.run()
    return FowlerResult(config, model.world.trace.to_frame(), model.metrics())


def view(result: FowlerResult) -> tuple[graphs.Diagram, pd.DataFrame]:
    """What the interactive panel shows for one run: the graph and the summary."""
    return result.graph(), result.summary()


def compare(config: Config | None = None) -> pd.DataFrame:
    """Run the same story under all four patterns: one row of measurements per pattern."""
    table = results.sweep(run, config or Config(), pattern=list(PATTERNS))
    return table.set_index("pattern")


class _Model:
    """The CRM, its consumers, and (for CQRS) the projector and readers of one run."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.world = world = World(config.seed)
        latency = {"latency": config.network_latency, "jitter": config.network_latency / 5}
        self.api = Channel(world, "crm-api", **latency)
        self.events = Channel(world, "crm-events", **latency)
        self.consumers = list(CONSUMER_NAMES[: config.consumers])
        self.crm_inbox = self.api.subscribe("CRM")
        self.api.subscribe("Customer")
        self.address = ""  # what the CRM's live state says
        self.log: list[Message] = []  # event log (event sourcing and CQRS)
        self.changed_at: dict[str, float] = {}  # address -> time the CRM accepted it
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self.held: dict[str, str] = {}
        self.counts = {"callbacks": 0, "replayed": 0, "stale": 0, "reads": 0}
        self.replay_ok: bool | None = None
        self.customer_done = False
        self.projector_done = False
        env = world.env
        env.process(self.customer())
        env.process(self.crm())
        if config.pattern in ("notification", "state_transfer"):
            for name in self.consumers:
                env.process(self.consumer(name, self.events.subscribe(name),
                                          self.api.subscribe(name)))
        if config.pattern == "cqrs":
            env.process(self.projector())
            for name in self.consumers:
                env.process(self.reader(name))

    # -- actors -------------------------------------------------------------------------

    def customer(self) -> Generator[simpy.Event, Any, None]:
        rng = self.world.rng("customer")
        for i in range(self.config.changes):
            yield self.world.env.timeout(rng.expovariate(1.0 / self.config.change_interval))
            address = _address(i)
            self.api.send(self.world.command("ChangeAddress", sender="Customer", key=CUSTOMER,
                                             payload={"customerId": 42, "address": address}),
                          to="CRM")
        self.customer_done = True

    def crm(self) -> Generator[simpy.Event, Any, None]:
        rng = self.world.rng("crm")
        env, pattern = self.world.env, self.config.pattern
        crash_after = math.ceil(self.config.changes / 2)
        while True:
            msg = yield self.crm_inbox.get()
            if msg.type == "GetCustomer":
                yield env.timeout(rng.expovariate(1.0 / self.config.crm_query_time))
                self.counts["callbacks"] += 1
                reply = self.world.query("CustomerData", sender="CRM", key=CUSTOMER,
                                         caused_by=msg,
                                         payload={"customerId": 42, "address": self.address})
                self.api.send(reply, to=msg.sender)
                continue
            yield env.timeout(WRITE_TIME)
            self.accept(msg)
            if pattern == "event_sourcing" and len(self.log) == crash_after:
                yield from self.restart_and_replay()

    def accept(self, command: Message) -> None:
        """Decide on a ChangeAddress and make the change durable the pattern's way."""
        world, pattern, address = self.world, self.config.pattern, command.payload["address"]
        self.address = address
        self.changed_at[address] = world.now
        thin = pattern == "notification"
        event = world.event("AddressChanged", sender="CRM", key=CUSTOMER, caused_by=command,
                            payload={"customerId": 42} if thin
                            else {"customerId": 42, "address": address})
        if pattern in ("event_sourcing", "cqrs"):
            self.log.append(event)
            world.trace.state(world.now, "CRM", "log length", len(self.log))
        world.trace.state(world.now, "CRM", "address", address)
        if pattern in ("notification", "state_transfer"):
            self.events.publish(event)

    def restart_and_replay(self) -> Generator[simpy.Event, Any, None]:
        """Lose all in-memory state, then rebuild it by folding the log (Fowler's test)."""
        world = self.world
        before = self.address
        world.trace.record("fault", world.now, "CRM", detail="restart: in-memory state lost")
        self.address = ""
        for event in self.log:
            yield world.env.timeout(REPLAY_TIME)
            self.address = evolve(self.address, event)
            self.counts["replayed"] += 1
            world.trace.state(world.now, "CRM", "address", self.address, detail="replay")
        self.replay_ok = self.address == before

    def consumer(self, name: str, events: simpy.Store,
                 replies: simpy.Store) -> Generator[simpy.Event, Any, None]:
        world = self.world
        while True:
            event = yield events.get()
            if "address" in event.payload:
                address = event.payload["address"]
            else:  # a thin notification: ask the source for the data (a callback)
                self.api.send(world.query("GetCustomer", sender=name, key=CUSTOMER,
                                          caused_by=event, payload={"customerId": 42}),
                              to="CRM")
                reply = yield replies.get()
                address = reply.payload["address"]
            self.hold(name, address)

    def projector(self) -> Generator[simpy.Event, Any, None]:
        world, checkpoint = self.world, 0
        while not (self.customer_done and checkpoint == len(self.log) and self.crm_idle()):
            yield world.env.timeout(self.config.projector_interval)
            for event in self.log[checkpoint:]:
                self.lags.append(world.now - event.time)
                self.hold("Read model", evolve("", event))
                checkpoint += 1
            world.trace.state(world.now, "Projector", "checkpoint", checkpoint)
        self.projector_done = True

    def reader(self, name: str) -> Generator[simpy.Event, Any, None]:
        world = self.world
        rng = world.rng(f"reader/{name}")
        while not self.projector_done:
            yield world.env.timeout(rng.expovariate(1.0 / self.config.read_interval))
            seen = self.held.get("Read model", "")
            stale = seen != self.address
            self.counts["reads"] += 1
            self.counts["stale"] += stale
            world.trace.record("note", world.now, name, target="Read model", entity="address",
                               value=seen or "(nothing yet)",
                               detail="stale read" if stale else "fresh read")

    # -- bookkeeping ----------------------------------------------------------------------

    def crm_idle(self) -> bool:
        return len(self.log) == self.config.changes

    def hold(self, holder: str, address: str) -> None:
        """`holder` now has a copy of the address; measure how long the change took."""
        now = self.world.now
        self.held[holder] = address
        self.latencies.append(now - self.changed_at[address])
        self.world.trace.state(now, holder, "address", address)

    def metrics(self) -> dict[str, Any]:
        trace = self.world.trace.to_frame()
        delivered = trace[trace["kind"] == "deliver"]
        final = self.address
        copies = [h for h in self.held if h != "Read model"]
        pattern = self.config.pattern
        replay_check = "—" if self.replay_ok is None else ("yes" if self.replay_ok else "no")
        # The fold of the whole log must equal the live state (Fowler's rebuild test).
        if pattern in ("event_sourcing", "cqrs"):
            rebuilt = ""
            for event in self.log:
                rebuilt = evolve(rebuilt, event)
            if rebuilt != final:
                replay_check = "no"
        return {
            "commands handled": self.config.changes,
            "events to other services": int((delivered["message_type"] == "AddressChanged").sum()),
            "callbacks to the CRM": self.counts["callbacks"],
            "bytes on the wire": int(delivered["size"].sum()),
            "copies of the address": 1 + len(copies) + ("Read model" in self.held),
            "copies up to date": 1 + sum(v == final for v in self.held.values()),
            "mean update latency (ms)": _mean(self.latencies),
            "events replayed": self.counts["replayed"],
            "replay equals live state": replay_check,
            "mean read-model lag (ms)": _mean(self.lags),
            "reads of the read model": self.counts["reads"] if pattern == "cqrs" else "—",
            "stale reads": self.counts["stale"] if pattern == "cqrs" else "—",
        }


def evolve(address: str, event: Message) -> str:
    """State is a fold: the address after applying one ``AddressChanged`` event."""
    if event.type != "AddressChanged":
        return address
    return str(event.payload.get("address", address))


def _address(i: int) -> str:
    base = ADDRESSES[i % len(ADDRESSES)]
    return base if i < len(ADDRESSES) else f"{base} (move {i + 1})"


def _mean(values: list[float]) -> float | str:
    return round(sum(values) / len(values), 3) if values else "—"


# -- the picture ------------------------------------------------------------------------------

def _edges(config: Config) -> list[tuple[str, str, str, str]]:
    """(tail, head, label, kind) of every arrow; the label starts with what is counted."""
    edges = [("Customer", "CRM", "ChangeAddress", "command")]
    names = list(CONSUMER_NAMES[: config.consumers])
    if config.pattern in ("notification", "state_transfer"):
        edges.append(("CRM", "CRM database", "update row", "data"))
        label = "AddressChanged{id}" if config.pattern == "notification" else \
            "AddressChanged{id, address}"
        edges += [("CRM", n, label, "event") for n in names]
    if config.pattern == "notification":
        edges += [(n, "CRM", "GetCustomer → CustomerData", "query") for n in names]
    if config.pattern in ("event_sourcing", "cqrs"):
        edges.append(("CRM", "CRM event log", "append AddressChanged", "data"))
    if config.pattern == "cqrs":
        edges += [("CRM event log", "Projector", "poll", "data"),
                  ("Projector", "Read model", "update", "data")]
        edges += [(n, "Read model", "read", "query") for n in names]
    return edges


def _edge_counts(trace: pd.DataFrame) -> dict[tuple[str, str], int]:
    """How often each arrow was used, counted from the trace rows it stands for."""
    counts: dict[tuple[str, str], int] = {}
    kind, actor, entity = trace["kind"], trace["actor"], trace["entity"]
    delivered = trace[kind == "deliver"]
    for group, n in delivered.groupby(["target", "actor", "message_type"],
                                      sort=False).size().items():
        sender, receiver, mtype = (str(part) for part in cast(tuple[Any, ...], group))
        if mtype != "CustomerData":  # a reply travels back along its query's arrow
            counts[(sender, receiver)] = int(n)
    writes = int(((kind == "state") & (actor == "CRM") & (entity == "address")
                  & trace["detail"].isna()).sum())
    counts[("CRM", "CRM database")] = counts[("CRM", "CRM event log")] = writes
    counts[("CRM event log", "Projector")] = int(((kind == "state") & (actor == "Projector")).sum())
    counts[("Projector", "Read model")] = int(((kind == "state") & (actor == "Read model")).sum())
    for reader, n in trace[kind == "note"].groupby("actor", sort=False).size().items():
        counts[(str(reader), "Read model")] = int(n)
    return counts


def _diagram(config: Config, trace: pd.DataFrame, row: Any) -> graphs.Diagram:
    """The pattern's topology; counts from `trace`; the edge of `row` highlighted."""
    title = f"{config.pattern.replace('_', ' ')}: customer 42 moves"
    diagram = graphs.Diagram(title)
    holders = _latest_values(trace)
    roles = {"Customer": "client", "CRM database": "store", "CRM event log": "store",
             "Read model": "readmodel", "Projector": "service"}
    nodes: dict[str, None] = {}
    edges = _edges(config)
    for tail, head, _, _ in edges:
        nodes.setdefault(tail, None)
        nodes.setdefault(head, None)
    for name in nodes:
        note = holders.get(name, "")
        diagram.add_node(name, role=roles.get(name, "service"),
                         note=f"address: {note.split(',')[0]}" if note else "")
    counts = _edge_counts(trace)
    for tail, head, label, kind in edges:
        n = counts.get((tail, head), 0)
        shown = f"{label} ×{n}" if n else label
        diagram.add_edge(tail, head, shown, kind=kind, highlight=_is_current(row, tail, head))
    return diagram


def _is_current(row: Any, tail: str, head: str) -> bool:
    if row is None:
        return False
    if row.kind == "deliver":
        return bool(row.target == tail and row.actor == head)
    if row.kind == "send" and isinstance(row.target, str):
        return False
    if row.kind == "state" and row.actor == "CRM":
        return head in ("CRM database", "CRM event log")
    if row.kind == "state":
        return head == row.actor and tail in ("Projector",)
    return row.kind == "note" and tail == row.actor and head == "Read model"


def _latest_values(trace: pd.DataFrame) -> dict[str, str]:
    rows = trace[(trace["kind"] == "state") & (trace["entity"] == "address")]
    latest = rows.drop_duplicates("actor", keep="last")
    return dict(zip(latest["actor"], latest["value"], strict=True))
