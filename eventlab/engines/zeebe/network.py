"""The network between brokers: latency, slow links, crashes, splits and heals, as data.

A fault schedule is a list of :class:`Fault` rows (``Fault(300.0, "split", ("broker-0",))``),
so a notebook can print it and a property test can draw it. The network is a function of
time: a message is dropped when its two ends are not connected when it leaves *or* when it
arrives (both ends alive, both in the same segment). Times are milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from eventlab.core.errors import ConfigError, check_choice, check_float, check_text
from eventlab.core.world import World

FAULT_KINDS: tuple[str, ...] = ("crash", "restart", "split", "heal", "delay")
SEGMENT_NAMES = "ABCDEFGH"


@dataclass(frozen=True, slots=True)
class Fault:
    """One scheduled fault.

    crash / restart: the listed nodes stop / come back with their disk (term, vote, log);
    split: the listed nodes form a new segment, cut off from everybody else;
    heal: every node is in one segment again (``nodes`` stays empty);
    delay: messages to and from the listed nodes take `value` ms longer (0 removes it).
    """

    at: float
    kind: str
    nodes: tuple[str, ...] = ()
    value: float = 0.0

    def __post_init__(self) -> None:
        check_float("at", self.at, low=0.0)
        check_choice("kind", self.kind, FAULT_KINDS)
        if not isinstance(self.nodes, tuple):
            raise TypeError(f"nodes must be a tuple of node names, got {self.nodes!r}")
        for node in self.nodes:
            check_text("node", node)
        check_float("value", self.value, low=0.0)
        if self.kind != "heal" and not self.nodes:
            raise ConfigError(f"a {self.kind!r} fault needs at least one node in nodes")


class Network:
    """Who can reach whom right now, and how long a message takes."""

    def __init__(self, world: World, nodes: Sequence[str], *, latency: float = 1.0,
                 jitter: float = 0.0, slow: Mapping[str, float] | None = None,
                 name: str = "network") -> None:
        self.world = world
        self.name = check_text("name", name)
        self.latency = check_float("latency", latency, low=0.0)
        self.jitter = check_float("jitter", jitter, low=0.0)
        self.nodes: tuple[str, ...] = tuple(check_text("node", n) for n in nodes)
        if len(set(self.nodes)) != len(self.nodes) or not self.nodes:
            raise ConfigError(f"nodes must be distinct and non-empty, got {list(nodes)}")
        self.alive: dict[str, bool] = dict.fromkeys(self.nodes, True)
        self.segment: dict[str, int] = dict.fromkeys(self.nodes, 0)
        self.extra: dict[str, float] = dict.fromkeys(self.nodes, 0.0)
        self.slow: dict[str, float] = dict.fromkeys(self.nodes, 1.0)
        for node, factor in (slow or {}).items():
            self.check_node(node)
            self.slow[node] = check_float("slow factor", factor, low=1.0)
        self._rng = world.rng(f"{name}/latency")
        self._listeners: list[Callable[[Fault], None]] = []
        self.applied: list[Fault] = []

    def check_node(self, node: str) -> None:
        """Raise a ValueError naming the nodes if `node` is not one of them."""
        if node not in self.alive:
            raise ConfigError(f"node {node!r} is not in the network; nodes: "
                              f"{', '.join(self.nodes)}")

    def connected(self, a: str, b: str) -> bool:
        """Both alive and in the same segment (a node is connected to itself while alive)."""
        alive = self.alive
        return alive[a] and alive[b] and self.segment[a] == self.segment[b]

    def reachable(self, node: str) -> list[str]:
        """The nodes `node` can talk to now, itself included (empty when it is down)."""
        return [n for n in self.nodes if self.connected(node, n)]

    def segment_name(self, node: str) -> str:
        """``A`` for the main segment, ``B``, ``C``, ... for split-off ones."""
        return SEGMENT_NAMES[self.segment[node] % len(SEGMENT_NAMES)]

    def delay(self, src: str, dst: str) -> float:
        """Milliseconds one message from `src` to `dst` takes (one draw of the jitter)."""
        base = self.latency
        if self.jitter:
            base += self._rng.expovariate(1.0 / self.jitter)
        return base * max(self.slow[src], self.slow[dst]) + self.extra[src] + self.extra[dst]

    def send(self, src: str, dst: str, deliver: Callable[[], None]) -> bool:
        """Deliver later if `src` and `dst` stay connected; False if dropped at once."""
        if not self.connected(src, dst):
            return False
        delay = 0.0 if src == dst else self.delay(src, dst)
        timer = self.world.env.timeout(delay)

        def arrive(_event: object) -> None:
            if self.connected(src, dst):
                deliver()

        timer.callbacks.append(arrive)
        return True

    def listen(self, callback: Callable[[Fault], None]) -> None:
        """Call `callback(fault)` right after each fault is applied."""
        self._listeners.append(callback)

    def schedule(self, faults: Iterable[Fault]) -> None:
        """Apply each fault at its time (faults at the same time in the given order)."""
        env = self.world.env
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"faults must be Fault rows, got {fault!r}")
            for node in fault.nodes:
                self.check_node(node)
            timer = env.timeout(max(0.0, fault.at - env.now))
            timer.callbacks.append(self._applier(fault))

    def _applier(self, fault: Fault) -> Callable[[object], None]:
        return lambda _event: self.apply(fault)

    def apply(self, fault: Fault) -> None:
        """Apply `fault` now, record it in the trace and tell the listeners."""
        for node in fault.nodes:
            self.check_node(node)
        world, kind = self.world, fault.kind
        if kind == "crash":
            for node in fault.nodes:
                self.alive[node] = False
        elif kind == "restart":
            for node in fault.nodes:
                self.alive[node] = True
        elif kind == "split":
            new = max(self.segment.values()) + 1
            for node in fault.nodes:
                self.segment[node] = new
        elif kind == "heal":
            self.segment = dict.fromkeys(self.nodes, 0)
        else:
            for node in fault.nodes:
                self.extra[node] = fault.value
        self.applied.append(fault)
        if kind in ("split", "heal"):
            groups = " | ".join("{" + ", ".join(g) + "}" for g in self.segments())
            world.trace.record("fault", world.now, self.name, channel=self.name,
                               detail=f"{kind}: {groups}")
            for node in self.nodes:
                world.trace.state(world.now, node, "segment", self.segment_name(node))
        else:
            what = f"{kind} +{fault.value:g} ms" if kind == "delay" else kind
            for node in fault.nodes:
                world.trace.record("fault", world.now, node, channel=self.name, detail=what)
        for listener in self._listeners:
            listener(fault)

    def segments(self) -> list[tuple[str, ...]]:
        """The current segments, each a tuple of nodes, in order of segment id."""
        ids = sorted(set(self.segment.values()))
        return [tuple(n for n in self.nodes if self.segment[n] == i) for i in ids]
