"""Backpressure under overload, with clients that retry as real clients do.

Requests arrive at `load` × the processor's capacity (Poisson, an open loop: users do not
wait for each other). Every admitted request is appended to the log first and processed
later, one at a time. The partition leader admits a request only while fewer than the limit
are in flight (``none``, ``fixed`` or ``aimd``, see :mod:`eventlab.engines.zeebe.limits`);
``CompleteJob`` (`complete_job_share` of the requests, for instances already created) is
always accepted. A client waits `client_timeout` ms for an answer (its deadline); a request
refused with ``RESOURCE_EXHAUSTED`` or not answered in time is tried again after a backoff
(:mod:`eventlab.engines.zeebe.retries`: exponential with full jitter, at most `max_attempts`
attempts). `limit_rule`, if given, adapts the limit instead of `algorithm` (an exercise writes
its own rule). A request that timed out stays in the log and is
still processed: that work is wasted, nobody waits for its answer any more.

Every number is about whole requests, from the first attempt to the final answer: goodput
counts the requests that succeeded per second, latency runs from the first attempt to the
success. Warm-up deletion: only requests whose first attempt falls between `warmup` and
`duration` count (the first `warmup` ms start from an empty log), and the load goes on after
`duration` until they have all ended, so they never see the overload stop. Times are ms.
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
from eventlab.core.comparison import Comparison
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.errors import ConfigError
from eventlab.core.world import World
from eventlab.engines.zeebe.cluster import Cluster
from eventlab.engines.zeebe.limits import ALGORITHMS, Limiter, LimitRule, RuleLimit, make_limiter
from eventlab.engines.zeebe.records import EXHAUSTED, OK, TIMEOUT, Request
from eventlab.engines.zeebe.retries import MAX_ATTEMPTS, exponential_backoff, next_delay
from eventlab.scenarios.zeebe.common import binned, per_second, percentile, rounded
from eventlab.view import graphs

__all__ = ["HEADLINE", "BackpressureResult", "Config", "compare", "run", "verdicts"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the overload experiment (times in ms)."""

    algorithm: str = param("aimd", choices=ALGORITHMS, help="in-flight limit algorithm")
    limit: int = param(10, low=1, high=1000, help="(initial) in-flight limit")
    aimd_timeout: float = param(50.0, low=1.0, high=5000.0, step=1.0,
                                help="aimd: responses slower than this shrink the limit")
    load: float = param(1.5, low=0.1, high=5.0, step=0.05,
                        help="arrival rate ÷ processing capacity")
    process_time: float = param(4.0, low=0.05, high=50.0, step=0.05,
                                help="processor ms per command")
    complete_job_share: float = param(0.1, low=0.0, high=1.0, step=0.05,
                                      help="share of CompleteJob (never rejected)")
    client_timeout: float = param(100.0, low=1.0, high=10_000.0, step=1.0,
                                  help="a client stops waiting for an answer after this")
    retry_backoff: float = param(10.0, low=0.0, high=1000.0, step=1.0,
                                 help="first retry after up to this long, doubling each time")
    max_attempts: int = param(4, low=1, high=20, help="attempts per request (1 = no retry)")
    replication_factor: int = param(1, choices=(1, 3), help="replicas (one broker each)")
    warmup: float = param(200.0, low=0.0, high=10_000.0, step=10.0,
                          help="requests first sent before this do not count")
    duration: float = param(500.0, low=10.0, high=20_000.0, step=10.0,
                            help="how long requests arrive")
    seed: int = seed_param()
    # an exercise's own limit rule, (limit, rtt ms, dropped) -> new limit; None: `algorithm`
    limit_rule: LimitRule | None = field(default=None, compare=False)

    def check(self) -> None:
        if self.warmup >= self.duration:
            raise ConfigError(f"warmup must be < duration={self.duration}, got {self.warmup}")
        if self.limit_rule is not None and not callable(self.limit_rule):
            raise TypeError("limit_rule must be a function (limit, rtt, dropped) -> new limit "
                            f"(or None), got {self.limit_rule!r}")

    def estimated_cost(self) -> Cost:
        """Requests arrive at load / process_time per ms for `duration` ms, each tried up to
        max_attempts times; replicas add work. Measured on a 2-core laptop: about 300 us and
        5 KB per attempt-replica unit."""
        work = self.duration * self.load / self.process_time * min(self.max_attempts, 3)
        work *= 1 + (self.replication_factor - 1) * 0.5
        return Cost(seconds=work * 300e-6, megabytes=120 + work * 0.005,
                    drivers={"duration": "lower", "load": "lower", "process_time": "raise",
                             "replication_factor": "lower", "max_attempts": "lower"})


@dataclass(frozen=True, repr=False)
class BackpressureResult(results.RunResult):
    """Latency, goodput and rejections of one limit algorithm under overload."""

    PANEL = ("graph", "summary")  # what its interactive panel shows

    request_table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    call_table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    limit_table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)

    def requests(self) -> pd.DataFrame:
        """One row per attempt: sent, answered, outcome, latency."""
        return self.request_table

    def calls(self) -> pd.DataFrame:
        """One row per whole request: first sent, attempts, outcome, done, latency."""
        return self.call_table

    def limits(self) -> pd.DataFrame:
        """(time, in flight, limit) after every admission."""
        return self.limit_table

    def over_time(self, bin_ms: float = 50.0) -> pd.DataFrame:
        """Per time bin of first attempts (before `duration`): whole requests by outcome, and
        the p99 latency (first attempt to success) of those that succeeded."""
        calls = self.call_table
        calls = calls[calls["first_sent"] < self.config.duration]  # the ones that all ended
        counts = binned(calls, "first_sent", bin_ms, ["outcome"])
        ok = calls[calls["outcome"] == OK]
        p99 = ok.groupby(ok["first_sent"] // bin_ms * bin_ms)["latency"].quantile(0.99)
        counts["p99 latency (ms)"] = p99.rename_axis("time")
        return counts

    def graph(self) -> graphs.Diagram:
        """Clients → limiter → log → processor, with attempts, rejections and retries."""
        m = self.metrics
        requests = self.request_table
        rejected = int((requests["outcome"] == EXHAUSTED).sum())
        timed_out = int((requests["outcome"] == TIMEOUT).sum())
        return graphs.diagram(
            [("clients", "client"), ("in-flight limit", "service"), ("log", "store"),
             ("processor", "service")],
            [("clients", "in-flight limit", f"attempts ×{len(requests)}", "command"),
             ("in-flight limit", "clients", f"RESOURCE_EXHAUSTED ×{rejected}", "query"),
             ("in-flight limit", "log", f"admitted ×{len(requests) - rejected}", "command"),
             ("log", "processor", "one at a time", "data"),
             ("processor", "clients", f"answers (too late ×{timed_out})", "data")],
            title=f"backpressure: {self.config.algorithm}, goodput "
                  f"{m[Metric.GOODPUT_REQUESTS_S]}/s")


class Metric(StrEnum):
    """The names of this run's metrics, each written once (the keys of `metrics`)."""

    ALGORITHM = "algorithm"
    REQUESTS = "requests"
    GOODPUT_REQUESTS_S = "goodput (requests/s)"
    SUCCEEDED = "succeeded"
    GAVE_UP = "gave up"
    P50_LATENCY_MS = "p50 latency (ms)"
    P99_LATENCY_MS = "p99 latency (ms)"
    ATTEMPTS_PER_REQUEST = "attempts per request"
    REJECTED_ATTEMPTS = "rejected attempts"
    TIMED_OUT_ATTEMPTS = "timed-out attempts"
    WASTED_PROCESSING = "wasted processing"
    MAX_IN_FLIGHT = "max in flight"
    MEAN_LIMIT = "mean limit"


@dataclass(slots=True)
class _Call:
    """One whole request: its first attempt, how many it took, and how it ended."""

    number: int
    type: str
    first_sent: float
    attempts: int = 0
    outcome: str = ""
    done_at: float | None = None


def run(config: Config | None = None) -> BackpressureResult:
    """Overload one partition for `duration` ms and measure whole requests."""
    cfg = resolve(Config, config)
    world = World(cfg.seed)
    rf = cfg.replication_factor
    limiters: list[Limiter] = []

    def limiter() -> Limiter:
        limiters.append(RuleLimit(cfg.limit, cfg.limit_rule) if cfg.limit_rule is not None
                        else make_limiter(cfg.algorithm, cfg.limit, timeout=cfg.aimd_timeout))
        return limiters[-1]

    cluster = Cluster(world, brokers=rf, partitions=1, replication_factor=rf, latency=0.5,
                      process_time=cfg.process_time, detail=False,
                      request_timeout=cfg.client_timeout, limiter=limiter)
    calls: list[_Call] = []
    world.env.process(_clients(world, cluster, cfg, calls))
    world.env.run(until=cfg.duration)
    # run on, under the same load, until every request first sent before `duration` has
    # ended; a client stops after MAX_ATTEMPTS attempts, each a timeout and a backoff at most
    settled = world.env.process(_settled(world, cfg, calls))
    world.env.run(until=world.env.any_of([settled, world.env.timeout(
        MAX_ATTEMPTS * (cfg.client_timeout + _LONGEST_BACKOFF))]))
    frame = cluster.requests_frame()
    call_table = _call_table(calls)
    history = pd.DataFrame(limiters[0].history, columns=["time", "in flight", "limit"])
    metrics = _metrics(cfg, cluster, frame, call_table, history)
    return BackpressureResult(cfg, world.trace.to_frame(), metrics, request_table=frame,
                              call_table=call_table, limit_table=history)


_LONGEST_BACKOFF = 1000.0  # ms: a backoff longer than this is cut off at the end of the run


def _settled(world: World, cfg: Config, calls: list[_Call]) -> Generator[simpy.Event, Any, None]:
    """Ends once every request first sent before `duration` has ended."""
    while any(not c.outcome for c in calls if c.first_sent < cfg.duration):
        yield world.env.timeout(cfg.client_timeout / 4)


def _call_table(calls: list[_Call]) -> pd.DataFrame:
    table = pd.DataFrame([(c.number, c.type, c.first_sent, c.attempts, c.outcome or "open",
                           c.done_at) for c in calls],
                         columns=["call", "type", "first_sent", "attempts", "outcome",
                                  "done_at"])
    table["latency"] = table["done_at"] - table["first_sent"]
    return table


def _metrics(cfg: Config, cluster: Cluster, frame: pd.DataFrame, calls: pd.DataFrame,
             history: pd.DataFrame) -> dict[str, float | int | str]:
    window = cfg.duration - cfg.warmup
    counted = calls[(calls["first_sent"] >= cfg.warmup) & (calls["first_sent"] < cfg.duration)]
    ok = counted[counted["outcome"] == OK]
    done_in_window = ok[ok["done_at"] < cfg.duration]
    latencies = ok["latency"].tolist()
    attempts = frame[frame["sent_at"] < cfg.duration]
    timed_out = attempts[attempts["outcome"] == TIMEOUT]
    processed = cluster.partitions[1].processed
    # an attempt the client gave up on but the log still held was processed for nobody
    wasted = int(timed_out["message_id"].isin(_processed_ids(cluster)).sum())
    return {
        Metric.ALGORITHM: cfg.algorithm,
        Metric.REQUESTS: len(counted),
        Metric.GOODPUT_REQUESTS_S: rounded(per_second(len(done_in_window), window), 1),
        Metric.SUCCEEDED: rounded(len(ok) / len(counted), 3) if len(counted) else 0.0,
        Metric.GAVE_UP: rounded(float((counted["outcome"] == "gave up").mean()), 3)
        if len(counted) else 0.0,
        Metric.P50_LATENCY_MS: rounded(percentile(latencies, 50)),
        Metric.P99_LATENCY_MS: rounded(percentile(latencies, 99)),
        Metric.ATTEMPTS_PER_REQUEST: rounded(float(counted["attempts"].mean()), 2)
        if len(counted) else 0.0,
        Metric.REJECTED_ATTEMPTS: int((attempts["outcome"] == EXHAUSTED).sum()),
        Metric.TIMED_OUT_ATTEMPTS: len(timed_out),
        Metric.WASTED_PROCESSING: rounded(wasted / processed, 3) if processed else 0.0,
        Metric.MAX_IN_FLIGHT: int(history["in flight"].max()) if len(history) else 0,
        Metric.MEAN_LIMIT: rounded(float(history["limit"].mean()), 1)
        if (cfg.algorithm != "none" or cfg.limit_rule is not None) and len(history) else "—",
    }


def _processed_ids(cluster: Cluster) -> set[str]:
    """Message ids of the commands the leader's processor processed (their log records)."""
    part = cluster.partitions[1]
    leader = part.raft.leader() or part.raft.members[0]
    log = part.raft.nodes[leader].log
    done = {entry.record.source for entry in log
            if getattr(entry.record, "kind", "") in ("event", "rejection")}
    return {entry.record.message.message_id for index, entry in enumerate(log, start=1)
            if index in done and entry.record.message is not None}


def _clients(world: World, cluster: Cluster, cfg: Config,
             calls: list[_Call]) -> Generator[simpy.Event, Any, None]:
    arrivals, backoff = world.rng("clients"), world.rng("clients/backoff")
    rate = cfg.load / cfg.process_time  # per ms
    policy = exponential_backoff(cfg.retry_backoff, cfg.max_attempts)
    created: list[str] = []  # instances whose creation succeeded: their jobs can complete

    def attempt(call: _Call, key: str) -> None:
        call.attempts += 1
        cluster.send(call.type, key, client="client", gateway="broker-0",
                     payload={"call": call.number, "attempt": call.attempts},
                     on_done=lambda request: answered(call, request))

    def answered(call: _Call, request: Request) -> None:
        if call.outcome:
            return
        if request.outcome == OK:
            call.outcome, call.done_at = OK, world.now
            if call.type == "CreateProcessInstance":
                created.append(request.message.key or "")
            return
        if request.outcome not in (EXHAUSTED, TIMEOUT):  # a business rejection is final
            call.outcome, call.done_at = str(request.outcome), world.now
            return
        delay = next_delay(policy, call.attempts, backoff.random())
        if delay is None:
            call.outcome, call.done_at = "gave up", world.now
            return
        timer = world.env.timeout(delay)
        key = cluster.new_instance() if call.type == "CreateProcessInstance" else \
            request.message.key or ""
        timer.callbacks.append(lambda _e: attempt(call, key))

    while True:  # the overload goes on while the counted requests finish (no cool-down)
        yield world.env.timeout(arrivals.expovariate(rate))
        if created and arrivals.random() < cfg.complete_job_share:
            call = _Call(len(calls) + 1, "CompleteJob", world.now)
            key = created.pop(arrivals.randrange(len(created)))
        else:
            call = _Call(len(calls) + 1, "CreateProcessInstance", world.now)
            key = cluster.new_instance()  # the broker assigns a new key to every attempt
        calls.append(call)
        attempt(call, key)


# what a limit changes for whole requests under overload
HEADLINE: tuple[str, ...] = (Metric.GOODPUT_REQUESTS_S, Metric.SUCCEEDED, Metric.P50_LATENCY_MS,
                             Metric.WASTED_PROCESSING)


def verdicts(limits: Comparison, *, limited: str = "aimd", unlimited: str = "none") -> list[str]:
    """The sentences a comparison over `algorithm` allows about whole requests."""
    for side in (limited, unlimited):
        if side not in limits.sides:
            raise ConfigError(f"limits must have the sides {limited!r} and {unlimited!r}; it has "
                              f"{', '.join(limits.sides)}")
    return [
        limits.verdict(Metric.GOODPUT_REQUESTS_S, limited, unlimited,
                       label="requests done per second (goodput)"),
        limits.verdict(Metric.SUCCEEDED, limited, unlimited, digits=2,
                       label="requests that succeeded (share)"),
        limits.verdict(Metric.P50_LATENCY_MS, limited, unlimited,
                       label="milliseconds of p50 latency (first attempt to success)"),
        limits.verdict(Metric.WASTED_PROCESSING, limited, unlimited, digits=2,
                       label="processed commands whose client had given up (share)"),
    ]


def compare(config: Config | None = None, **grid: Any) -> pd.DataFrame:
    """One row of metrics per variant (one seed); by default no limit, fixed and AIMD."""
    return results.sweep(run, resolve(Config, config), **(grid or {"algorithm": list(ALGORITHMS)}))
