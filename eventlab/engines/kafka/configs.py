"""The knobs of the Kafka model, with Kafka's names and (mostly) Kafka's defaults.

Each knob carries its allowed range, so a notebook slider can never offer a value the model
would reject. Times are simulated milliseconds, as in Kafka's ``*.ms`` settings. Where the model
counts records instead of bytes (segment size, fetch minimum) the help text says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from eventlab.core.config import Scenario, param
from eventlab.core.errors import ConfigError, describe

ACKS: tuple[Any, ...] = (0, 1, "all")
CLEANUP_POLICIES: tuple[str, ...] = ("delete", "compact", "compact,delete")
ASSIGNORS: tuple[str, ...] = ("range", "roundrobin", "cooperative-sticky")
COMMIT_MODES: tuple[str, ...] = ("auto", "commit_then_process", "process_then_commit")
PROCESSING_MODES: tuple[str, ...] = ("sync", "async")
OFFSET_RESETS: tuple[str, ...] = ("latest", "earliest", "none")
MAX_BROKERS = 9
MAX_TOPIC_PARTITIONS = 1000
HOUR = 3_600_000.0  # ms
DAY = 24 * HOUR


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterConfig(Scenario):
    """Broker-side settings shared by every topic of a
    :class:`~eventlab.engines.kafka.broker.Cluster`."""

    brokers: int = param(3, low=1, high=MAX_BROKERS, help="brokers in the cluster")
    replica_fetch_delay: float = param(1.0, low=0.0, high=10_000.0, step=0.5,
                                       help="ms until followers have copied a new record")
    replica_lag_max: float = param(30_000.0, low=1.0, high=DAY, step=100.0,
                                   help="replica.lag.time.max.ms: a follower this far behind "
                                        "leaves the ISR")
    unclean_leader_election: bool = param(False, help="unclean.leader.election.enable: let an "
                                                      "out-of-sync replica lead (loses data)")
    cleaner_interval: float = param(300_000.0, low=1.0, high=DAY, step=1000.0,
                                    help="log.retention.check.interval.ms: how often retention "
                                         "and compaction run (at the next append)")


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicConfig(Scenario):
    """Topic settings: partitions, replication and how old records go away."""

    partitions: int = param(3, low=1, high=MAX_TOPIC_PARTITIONS, help="partitions of the topic")
    replication_factor: int = param(3, low=1, high=MAX_BROKERS, help="copies of each partition")
    min_insync_replicas: int = param(1, low=1, high=MAX_BROKERS,
                                     help="min.insync.replicas: ISR size acks=all needs")
    cleanup_policy: str = param("delete", choices=CLEANUP_POLICIES,
                                help="cleanup.policy: delete old segments, compact, or both")
    retention_ms: float = param(-1.0, low=-1.0, high=365 * DAY, step=1000.0,
                                help="retention.ms: -1 keeps records forever")
    retention_bytes: int = param(-1, low=-1, high=2**40,
                                 help="retention.bytes (payload bytes): -1 means no size limit")
    segment_records: int = param(1000, low=1, high=10_000_000,
                                 help="records per log segment (segment.bytes, counted in "
                                      "records); the active segment is never cleaned")
    delete_retention_ms: float = param(DAY, low=0.0, high=365 * DAY, step=1000.0,
                                       help="delete.retention.ms: how long tombstones survive "
                                            "compaction")

    def check(self) -> None:
        """min.insync.replicas cannot exceed the replication factor; limits are -1 or positive."""
        if self.min_insync_replicas > self.replication_factor:
            raise ConfigError(
                f"min_insync_replicas={self.min_insync_replicas} is more than "
                f"replication_factor={self.replication_factor}: acks=all could never succeed"
            )
        if self.retention_ms != -1.0 and self.retention_ms <= 0.0:
            raise ConfigError(f"retention_ms must be -1 (forever) or > 0, got {self.retention_ms}")
        if self.retention_bytes == 0:
            raise ConfigError("retention_bytes must be -1 (no limit) or > 0, got 0")

    @property
    def compacted(self) -> bool:
        """Whether the log cleaner compacts this topic."""
        return "compact" in self.cleanup_policy

    @property
    def deletes(self) -> bool:
        """Whether old segments are deleted by time or size."""
        return "delete" in self.cleanup_policy and (
            self.retention_ms > 0.0 or self.retention_bytes > 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerConfig(Scenario):
    """Producer settings (Kafka 3.0+ defaults: acks=all and idempotence on)."""

    acks: int | str = param("all", choices=ACKS, help="0: fire and forget; 1: leader has it; "
                                                "all: every in-sync replica has it")
    idempotent: bool = param(True, help="enable.idempotence: sequence numbers let the broker "
                                        "drop retried duplicates")
    retries: int = param(5, low=0, high=1000, help="how often a failed send is tried again")
    max_in_flight: int = param(5, low=1, high=20,
                               help="max.in.flight.requests.per.connection (per partition here)")
    latency: float = param(0.0, low=0.0, high=10_000.0, step=0.5,
                           help="ms a request (or its response) travels one way")
    request_timeout: float = param(30_000.0, low=1.0, high=DAY, step=100.0,
                                   help="request.timeout.ms: after this a send counts as failed")
    retry_backoff: float = param(100.0, low=0.0, high=HOUR, step=10.0,
                                 help="retry.backoff.ms: pause before a retry")
    request_loss: float = param(0.0, low=0.0, high=1.0, step=0.01,
                                help="probability that a request is lost on the way")
    response_loss: float = param(0.0, low=0.0, high=1.0, step=0.01,
                                 help="probability that the ack is lost on the way back")
    sticky_batch: int = param(16, low=1, high=10_000,
                              help="keyless records sent to one partition before switching")

    def check(self) -> None:
        """Idempotence needs acks=all and at most 5 requests in flight, as in Kafka."""
        if self.idempotent and self.acks != "all":
            raise ConfigError(f"idempotent=True needs acks='all' (Kafka refuses "
                              f"enable.idempotence with acks={self.acks!r}); "
                              "set idempotent=False to try other acks")
        if self.idempotent and self.max_in_flight > 5:
            raise ConfigError(f"idempotent=True allows max_in_flight <= 5, got "
                              f"{self.max_in_flight}")


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupConfig(Scenario):
    """Consumer-group settings: assignor, failure detection, where to start."""

    assignor: str = param("range", choices=ASSIGNORS,
                          help="partition.assignment.strategy (cooperative-sticky rebalances "
                               "incrementally)")
    session_timeout: float = param(45_000.0, low=1.0, high=HOUR, step=100.0,
                                   help="session.timeout.ms: a silent member is removed after it")
    rebalance_delay: float = param(50.0, low=0.0, high=HOUR, step=10.0,
                                   help="ms one rebalance round takes (join + sync)")
    max_poll_interval: float = param(300_000.0, low=1.0, high=DAY, step=100.0,
                                     help="max.poll.interval.ms: a member processing longer is "
                                          "removed (and fenced)")
    auto_offset_reset: str = param("latest", choices=OFFSET_RESETS,
                                   help="where to start without a committed offset")


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerConfig(Scenario):
    """Settings of one group member: how it polls, processes and commits."""

    commit: str = param("auto", choices=COMMIT_MODES,
                        help="auto-commit, commit then process (at-most-once) or process then "
                             "commit (at-least-once)")
    auto_commit_interval: float = param(5000.0, low=1.0, high=HOUR, step=100.0,
                                        help="auto.commit.interval.ms")
    commit_on_revoke: bool = param(False, help="commit processed offsets when partitions are "
                                               "revoked (auto-commit always does)")
    max_poll_records: int = param(500, low=1, high=100_000, help="max.poll.records")
    fetch_min_records: int = param(1, low=1, high=100_000,
                                   help="fetch.min.bytes, counted in records")
    fetch_max_wait: float = param(500.0, low=0.0, high=HOUR, step=10.0,
                                  help="fetch.max.wait.ms, counted from the first new record")
    processing_time: float = param(0.0, low=0.0, high=HOUR, step=0.5,
                                   help="ms the handler needs per record")
    processing: str = param("sync", choices=PROCESSING_MODES,
                            help="sync: the poll loop handles each batch before it polls "
                                 "again; async: it hands records to a worker per partition "
                                 "and polls on")
    drain_on_revoke: bool = param(False, help="async only: on revoke, wait until the workers "
                                              "finished the revoked partitions' records, "
                                              "then commit")

    def check(self) -> None:
        """Draining on revoke needs workers to drain."""
        if self.drain_on_revoke and self.processing != "async":
            raise ConfigError("drain_on_revoke=True needs processing='async' (a synchronous "
                              "consumer has no records in flight when it revokes)")


C = TypeVar("C")


def configure(cls: type[C], config: C | None, settings: Mapping[str, Any]) -> C:
    """`config` with `settings` applied (or a fresh `cls` from `settings`), validated."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = [name for name in settings if name not in names]
    if unknown:
        raise TypeError(f"{cls.__name__} has no setting {unknown[0]!r}; "
                        f"its settings are: {', '.join(names)}")
    if config is None:
        return cls(**settings)
    if not isinstance(config, cls):
        raise TypeError(f"config must be a {cls.__name__}, got {describe(config)}")
    return dataclasses.replace(config, **settings)  # type: ignore[type-var]
