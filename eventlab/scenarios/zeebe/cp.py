"""The "Zeebe is CP" slide: a cluster split into a majority and a minority, then healed.

One partition replicated on every broker; one client per broker sends ``AddItem`` for a few
shared instances through that broker's embedded gateway. ``AddItem`` is a conditional write
with a business invariant: an instance holds at most `item_limit` items, checked by the single
writer before it accepts the command. At `split_at` the network cuts `minority` brokers off;
at `heal_at` it heals. Three designs, chosen by `mode`, each as its practitioners build it:

* ``"CP"`` (Zeebe): Raft; the majority elects (or keeps) a leader and commits; the minority
  cannot reach a quorum, so its clients get ``UNAVAILABLE`` or time out. No split brain.
* ``"AP-LWW"``: every segment elects its own leader and accepts writes; at the heal a
  reconciliation keeps, per instance, the version with the latest write (last writer wins).
* ``"AP-merge"``: the same, but the reconciliation keeps every item either side added (adding
  an item commutes), see :mod:`eventlab.engines.zeebe.reconcile`.

What each gives up is measured: requests refused or timed out during the split
(availability), answers that missed a write acknowledged earlier elsewhere (stale reads),
acknowledged writes that are not in the final state (lost), and items over the limit in the
final state (the invariant broken). The "during split" metrics count the requests sent
during the split; *committed* means acknowledged (OK) before the heal. `quorum_rule`, if
given, replaces ⌊n/2⌋+1 in the Raft group (an exercise plugs its own rule in). Times are ms.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import pandas as pd
import simpy

from eventlab.core import results
from eventlab.core.budget import Cost
from eventlab.core.comparison import Comparison
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.errors import ConfigError
from eventlab.core.world import World
from eventlab.engines.zeebe.cluster import Cluster, instance_key
from eventlab.engines.zeebe.network import Fault
from eventlab.engines.zeebe.raft import quorum
from eventlab.engines.zeebe.reconcile import Reconciler
from eventlab.engines.zeebe.records import OK, TIMEOUT, UNAVAILABLE, Request, replay
from eventlab.scenarios.zeebe.common import binned
from eventlab.scenarios.zeebe.pictures import cluster_diagram, cluster_frames
from eventlab.view import graphs, playback

__all__ = ["MODES", "TRADE_OFFS", "CPResult", "Config", "by_size", "compare", "run",
           "verdicts"]

MODES: tuple[str, ...] = ("CP", "AP-LWW", "AP-merge")
_RULES = {"AP-LWW": "last_writer_wins", "AP-merge": "merge"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the split-brain experiment (times in ms)."""

    cluster_size: int = param(5, choices=(3, 5, 7), help="brokers (= replication factor)")
    minority: int = param(2, low=1, high=3, help="brokers cut off from the rest")
    leader_side: str = param("minority", choices=("minority", "majority"),
                             help="which side the leader is on when the split happens")
    split_at: float = param(200.0, low=0.0, high=5000.0, step=10.0, help="when the split starts")
    heal_at: float = param(600.0, low=1.0, high=10000.0, step=10.0, help="when it heals")
    duration: float = param(900.0, low=10.0, high=20000.0, step=10.0,
                            help="how long clients send")
    request_interval: float = param(40.0, low=1.0, high=1000.0, step=1.0,
                                    help="ms between two requests of one client")
    instances: int = param(3, low=1, high=50, help="shared instances the clients update")
    latency: float = param(2.0, low=0.0, high=100.0, step=0.5, help="network latency")
    election_timeout: float = param(150.0, low=10.0, high=2000.0, step=10.0,
                                    help="followers wait this long (to 2×) before electing")
    mode: str = param("CP", choices=MODES,
                      help="CP (Raft) or AP: both sides accept, merged at the heal")
    item_limit: int = param(18, low=1, high=1000,
                            help="the invariant: an instance holds at most this many items")
    seed: int = seed_param()
    # an exercise's own quorum rule (n -> members needed); None: the majority, n // 2 + 1
    quorum_rule: Callable[[int], int] | None = field(default=None, compare=False)

    def check(self) -> None:
        if self.minority >= quorum(self.cluster_size):
            raise ConfigError(f"minority must be < quorum {quorum(self.cluster_size)} of "
                              f"cluster_size={self.cluster_size}, got {self.minority}")
        if self.heal_at <= self.split_at:
            raise ConfigError(f"heal_at must be > split_at={self.split_at}, got {self.heal_at}")
        if self.quorum_rule is not None and not callable(self.quorum_rule):
            raise TypeError("quorum_rule must be a function n -> members needed (or None), "
                            f"got {self.quorum_rule!r}")

    @property
    def ap(self) -> bool:
        """True for the AP designs (both sides accept writes)."""
        return self.mode != "CP"

    def estimated_cost(self) -> Cost:
        """One client per broker sends every request_interval for `duration` ms, and the
        leader replicates each request to every broker (appends, acks, commit rows), so the
        work is requests x cluster_size; a longer latency keeps more entries in flight, each
        sent and acknowledged in more messages. When latency >= 0.65 x election_timeout a
        candidate's pre-vote and vote (two round trips) rarely finish before its timeout, a
        leader is hardly ever elected and requests are refused at once (measured: full cost
        at 0.5, a third of it at 0.6, refusals only from 0.63). Heartbeats go to every
        follower every election_timeout / 3. Measured on a 2-core laptop (CPU time, busy
        machine): 50-110 us per request and broker (more with more latency), 50 us per
        refused request, 9 us per heartbeat, about 2 KB per request and broker; the estimate
        is 1.5x that."""
        requests = self.cluster_size * self.duration / self.request_interval
        heartbeats = (self.cluster_size - 1) * (self.duration + 3 * self.election_timeout) \
            / (self.election_timeout / 3)
        if self.latency >= 0.65 * self.election_timeout:
            work, memory = requests * 75e-6, requests * 0.003
        else:
            replicated = requests * self.cluster_size
            work = replicated * (80e-6 + 1.5e-6 * min(self.latency, 60.0))
            memory = replicated * 0.0025
        return Cost(seconds=0.02 + work + heartbeats * 15e-6, megabytes=110 + memory,
                    drivers={"request_interval": "raise", "duration": "lower",
                             "cluster_size": "lower"})


@dataclass(frozen=True, repr=False)
class CPResult(results.RunResult):
    """A split-and-heal run: per-segment outcomes, the cluster picture and its playback."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    cluster: Cluster = field(default=None, compare=False)  # type: ignore[assignment]

    def requests(self) -> pd.DataFrame:
        """One row per client request (segment of its gateway, outcome, latency)."""
        return self.cluster.requests_frame()

    def over_time(self, bin_ms: float = 50.0) -> pd.DataFrame:
        """Requests per time bin, by segment and outcome (OK = committed)."""
        frame = self.requests()
        return binned(frame, "sent_at", bin_ms, ["segment", "outcome"])

    def conflicts(self) -> pd.DataFrame:
        """Instances with writes acknowledged on both sides of the split (AP only)."""
        return _conflicts(self.requests(), self.config)

    def graph(self, at: float | None = None) -> graphs.Diagram:
        """The cluster at time `at` (default: mid-split), brokers coloured by segment."""
        cfg = self.config
        t = (cfg.split_at + cfg.heal_at) / 2 if at is None else at
        so_far = self.trace[self.trace["time"] <= t]
        return cluster_diagram(so_far, self.cluster.brokers, title=f"t={t:g} ms")

    def frames(self, max_frames: int = 60) -> list[playback.Frame]:
        """Playback of the split and the heal: faults, role changes, commits, rejections."""
        return cluster_frames(self.trace, self.cluster.brokers, max_frames=max_frames)


def _committed_during_split(requests: pd.DataFrame, cfg: Config) -> pd.Series:
    """Sent during the split and acknowledged (OK) before the heal."""
    return ((requests["sent_at"] >= cfg.split_at) & (requests["outcome"] == OK)
            & (requests["done_at"] < cfg.heal_at))


def _conflicts(requests: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    during = requests[_committed_during_split(requests, cfg)]
    sides = during.groupby("key")["segment"].nunique()
    keys = sides[sides > 1].index
    rows = during[during["key"].isin(keys)]
    return rows.groupby(["key", "segment"]).size().unstack("segment", fill_value=0)


def run(config: Config | None = None) -> CPResult:
    """Split the cluster at `split_at`, heal at `heal_at`, measure each side."""
    cfg = resolve(Config, config)
    world = World(cfg.seed)
    n = cfg.cluster_size
    cluster = Cluster(world, brokers=n, partitions=1, replication_factor=n,
                      latency=cfg.latency, jitter=cfg.latency / 4,
                      election_timeout=cfg.election_timeout,
                      heartbeat=cfg.election_timeout / 3, ap_mode=cfg.ap,
                      request_timeout=4 * cfg.election_timeout, detail=False,
                      process_time=0.2, quorum_rule=cfg.quorum_rule)
    if cfg.ap:
        Reconciler(world, cluster.partitions[1], _RULES[cfg.mode], gather=4 * cfg.latency + 1)
    brokers = cluster.brokers
    cut = brokers[: cfg.minority] if cfg.leader_side == "minority" else brokers[-cfg.minority:]
    cluster.network.schedule([Fault(cfg.split_at, "split", tuple(cut)),
                              Fault(cfg.heal_at, "heal")])
    keys = [str(instance_key(1, i + 1)) for i in range(cfg.instances)]
    for i, broker in enumerate(brokers):
        world.env.process(_client(world, cluster, f"client-{i}", broker, keys, cfg))
    world.env.run(until=cfg.duration + 3 * cfg.election_timeout)  # let the heal settle
    return CPResult(cfg, world.trace.to_frame(), _metrics(cluster, cfg, cut), cluster=cluster)


def _client(world: World, cluster: Cluster, name: str, gateway: str, keys: list[str],
            cfg: Config) -> Generator[simpy.Event, Any, None]:
    rng = world.rng(f"client/{name}")
    count = 0
    while world.now + cfg.request_interval <= cfg.duration:
        yield world.env.timeout(rng.uniform(0.5, 1.5) * cfg.request_interval)
        count += 1
        cluster.send("AddItem", rng.choice(keys), client=name, gateway=gateway,
                     payload={"item": f"{name}#{count}", "limit": cfg.item_limit})


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    CLUSTER_SIZE = "cluster size"
    QUORUM = "quorum"
    MODE = "mode"
    COMMITTED_IN_MAJORITY_DURING_SPLIT = "committed in majority during split"
    COMMITTED_IN_MINORITY_DURING_SPLIT = "committed in minority during split"
    NOT_COMMITTED_IN_MINORITY_DURING_SPLIT = "not committed in minority during split"
    NOT_COMMITTED_IN_MAJORITY_DURING_SPLIT = "not committed in majority during split"
    REFUSED_OR_TIMED_OUT_DURING_SPLIT = "refused or timed out during split"
    STALE_ANSWERS_DURING_SPLIT = "stale answers during split"
    ACKNOWLEDGED_WRITES_LOST = "acknowledged writes lost"
    ITEMS_OVER_THE_LIMIT = "items over the limit"
    INSTANCES_WRITTEN_ON_BOTH_SIDES = "instances written on both sides"
    MOST_LEADERS_IN_ONE_TERM = "most leaders in one term"
    LEADERS_ELECTED = "leaders elected"
    LOGS_AGREE_AFTER_HEAL = "logs agree after heal"
    SAFETY_VIOLATIONS = "safety violations"


def _stale(requests: list[Request], cfg: Config) -> int:
    """OK answers to requests sent during the split whose view of their instance missed an
    item acknowledged (anywhere) before the request was sent: a stale read."""
    acked = sorted((r for r in requests if r.outcome == OK and r.done_at is not None),
                   key=lambda r: r.done_at or 0.0)
    stale = 0
    for request in acked:
        if not cfg.split_at <= request.sent_at < cfg.heal_at or request.result is None:
            continue
        seen = set(request.result.get("items", ()))
        key = request.message.key
        earlier = (r.message.payload.get("item") for r in acked
                   if r.message.key == key and (r.done_at or 0.0) < request.sent_at)
        stale += any(item not in seen for item in earlier)
    return stale


def _metrics(cluster: Cluster, cfg: Config, cut: list[str]) -> dict[str, float | int | str]:
    raft = cluster.partitions[1].raft
    frame = cluster.requests_frame()
    frame["committed during split"] = _committed_during_split(frame, cfg)
    during = frame[(frame["sent_at"] >= cfg.split_at) & (frame["sent_at"] < cfg.heal_at)]
    cut_segment = "B"
    minority = during[during["segment"] == cut_segment]
    majority = during[during["segment"] != cut_segment]
    final = {n: [e.uid for e in raft.committed_entries(n)] for n in raft.members}
    agree = len({tuple(v) for v in final.values()}) == 1
    leader = raft.leader() or max(raft.members, key=lambda m: raft.nodes[m].commit)
    state = replay(e.record for e in raft.committed_entries(leader))
    kept = {(key, item) for key, instance in state.items() for item in instance["items"]}
    acked = [r for r in cluster.requests if r.outcome == OK and r.message.type == "AddItem"]
    lost = sum((r.message.key, r.message.payload.get("item")) not in kept for r in acked)
    over = sum(max(0, len(instance["items"]) - cfg.item_limit) for instance in state.values())
    return {
        Metric.CLUSTER_SIZE: cfg.cluster_size,
        Metric.QUORUM: raft.quorum,
        Metric.MODE: cfg.mode,
        Metric.COMMITTED_IN_MAJORITY_DURING_SPLIT: int(majority["committed during split"].sum()),
        Metric.COMMITTED_IN_MINORITY_DURING_SPLIT: int(minority["committed during split"].sum()),
        Metric.NOT_COMMITTED_IN_MINORITY_DURING_SPLIT:
            int((~minority["committed during split"]).sum()),
        Metric.NOT_COMMITTED_IN_MAJORITY_DURING_SPLIT:
            int((~majority["committed during split"]).sum()),
        Metric.REFUSED_OR_TIMED_OUT_DURING_SPLIT:
            int(during["outcome"].isin([UNAVAILABLE, TIMEOUT]).sum()),
        Metric.STALE_ANSWERS_DURING_SPLIT: _stale(cluster.requests, cfg),
        Metric.ACKNOWLEDGED_WRITES_LOST: lost,
        Metric.ITEMS_OVER_THE_LIMIT: over,
        Metric.INSTANCES_WRITTEN_ON_BOTH_SIDES: len(_conflicts(frame, cfg)),
        Metric.MOST_LEADERS_IN_ONE_TERM: max((len(v) for v in raft.leaders.values()), default=0),
        Metric.LEADERS_ELECTED: sum(len(v) for v in raft.leaders.values()),
        Metric.LOGS_AGREE_AFTER_HEAL: "yes" if agree else "no",
        Metric.SAFETY_VIOLATIONS: len(raft.violations),
    }


# what each design gives up during a split: availability, fresh reads, writes, the invariant
TRADE_OFFS: tuple[str, ...] = (Metric.REFUSED_OR_TIMED_OUT_DURING_SPLIT,
                               Metric.STALE_ANSWERS_DURING_SPLIT,
                               Metric.ACKNOWLEDGED_WRITES_LOST, Metric.ITEMS_OVER_THE_LIMIT)


def verdicts(designs: Comparison) -> list[str]:
    """The sentences a comparison of the three modes (``vary(run, config, "mode", MODES)``)
    allows about what each design gives up, one per trade-off."""
    for mode in MODES:
        if mode not in designs.sides:
            raise ConfigError(f"designs must compare the modes {', '.join(MODES)}; it has "
                              f"{', '.join(designs.sides)}")
    return [
        designs.verdict(Metric.REFUSED_OR_TIMED_OUT_DURING_SPLIT, "CP", "AP-merge",
                        label="requests refused or timed out during the split"),
        designs.verdict(Metric.STALE_ANSWERS_DURING_SPLIT, "AP-merge", "CP",
                        label="stale answers during the split"),
        designs.verdict(Metric.ACKNOWLEDGED_WRITES_LOST, "AP-LWW", "AP-merge",
                        label="acknowledged writes lost"),
        designs.verdict(Metric.ITEMS_OVER_THE_LIMIT, "AP-merge", "AP-LWW",
                        label="items over the limit"),
    ]


def compare(config: Config | None = None, **grid: Any) -> pd.DataFrame:
    """One row of metrics per variant (one seed); by default the three designs."""
    return results.sweep(run, resolve(Config, config), **(grid or {"mode": list(MODES)}))


def by_size(config: Config | None = None, *, sizes: tuple[int, ...] = (3, 5, 7)) -> pd.DataFrame:
    """One row per cluster size (the index), each split with its largest minority (1, 2, 3)."""
    base = resolve(Config, config)
    rows = []
    for size in sizes:
        variant = replace(base, cluster_size=size, minority=(size - 1) // 2)
        rows.append({"cluster_size": variant.cluster_size, "minority": variant.minority,
                     **run(variant).metrics})
    return pd.DataFrame(rows).drop(columns=["cluster size"]).set_index("cluster_size")
