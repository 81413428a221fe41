"""Brokers, partitions, placement and the gateway that routes each request.

* Placement: partition ``p`` (numbered from 1) lives on brokers ``(p-1+i) % B`` for
  ``i < replication_factor``; the first one is its preferred (bootstrap) leader. So leaders go
  round-robin over brokers and a broker leads some partitions and follows others.
* Keys: a workflow instance key carries its partition, ``partition << 51 | counter`` as in
  Zeebe's ``Protocol.encodePartitionId``; every command for the instance goes there.
* New instances go round-robin over partitions; a message goes to the partition of its
  correlation key's murmur2 hash (Kafka's stable hash, never Python's ``hash()``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from eventlab.core.errors import check_float, check_int, check_text
from eventlab.core.partitioner import partition_for
from eventlab.core.world import World
from eventlab.engines.zeebe.limits import Limiter
from eventlab.engines.zeebe.network import Network
from eventlab.engines.zeebe.processor import Partition
from eventlab.engines.zeebe.records import TIMEOUT, UNAVAILABLE, Request

KEY_BITS = 51


def placement(brokers: int, partitions: int, replication_factor: int) -> dict[int, tuple[str, ...]]:
    """Which brokers hold each partition (first = preferred leader), round-robin."""
    check_int("brokers", brokers, low=1, high=64)
    check_int("partitions", partitions, low=1, high=512)
    check_int("replication_factor", replication_factor, low=1, high=brokers)
    return {p: tuple(f"broker-{(p - 1 + i) % brokers}" for i in range(replication_factor))
            for p in range(1, partitions + 1)}


def instance_key(partition: int, counter: int) -> int:
    """Zeebe's key layout: the partition id in the high bits, a counter below."""
    check_int("partition", partition, low=1, high=8191)
    check_int("counter", counter, low=0, high=2**KEY_BITS - 1)
    return (partition << KEY_BITS) | counter


def partition_of_key(key: int | str) -> int:
    """The partition encoded in an instance key (as int or as its decimal text)."""
    value = int(key) if isinstance(key, str) and key.isdigit() else key
    value = check_int("key", value, low=1 << KEY_BITS)
    return value >> KEY_BITS


def message_partition(correlation_key: str, partitions: int) -> int:
    """The partition (from 1) a message with this correlation key goes to."""
    check_text("correlation_key", correlation_key)
    return partition_for(correlation_key, partitions) + 1


class Cluster:
    """Brokers on one network, one :class:`Partition` per partition, and the gateways."""

    def __init__(self, world: World, *, brokers: int = 3, partitions: int = 1,
                 replication_factor: int = 3, latency: float = 1.0, jitter: float = 0.0,
                 slow: Mapping[str, float] | None = None, request_timeout: float = 500.0,
                 limiter: Callable[[], Limiter] | None = None, **partition_options: Any) -> None:
        self.world = world
        self.placement = placement(brokers, partitions, replication_factor)
        self.brokers = [f"broker-{i}" for i in range(brokers)]
        self.network = Network(world, self.brokers, latency=latency, jitter=jitter, slow=slow)
        self.request_timeout = check_float("request_timeout", request_timeout, low=1.0)
        self.partitions = {
            p: Partition(world, self.network, p, members,
                         limiter=limiter() if limiter is not None else None,
                         **partition_options)
            for p, members in self.placement.items()}
        self.requests: list[Request] = []
        self._round_robin = 0
        self._counters = dict.fromkeys(self.partitions, 0)

    def new_instance(self) -> str:
        """The key of a new instance on the next partition in round-robin order."""
        p = self._round_robin % len(self.partitions) + 1
        self._round_robin += 1
        self._counters[p] += 1
        return str(instance_key(p, self._counters[p]))

    def route(self, command_type: str, key: str) -> int:
        """The partition a command goes to: messages by hash, everything else by key."""
        if command_type == "PublishMessage":
            return message_partition(key, len(self.partitions))
        return partition_of_key(key)

    def send(self, command_type: str, key: str, *, client: str, gateway: str,
             payload: Mapping[str, Any] | None = None,
             on_done: Callable[[Request], None] | None = None) -> Request:
        """A client sends a command through `gateway` (a broker's embedded gateway)."""
        world, network = self.world, self.network
        network.check_node(gateway)
        p = self.route(command_type, key)
        part = self.partitions[p]
        message = world.command(command_type, sender=client, key=key, payload=payload)
        request = Request(message, client, gateway, p, world.now, on_done)
        request.segment = network.segment_name(gateway)
        self.requests.append(request)
        world.trace.hop("send", world.now, client, gateway, message, part.name)
        leader = self._leader_for(part, gateway)
        if leader is None or not network.connected(gateway, leader):
            reason = "no leader known" if leader is None else f"leader {leader} unreachable"
            world.trace.record("reject", world.now, gateway, target=client, message=message,
                               channel=part.name, partition=p, detail=f"{UNAVAILABLE}: {reason}")
            request.finish(world.now, UNAVAILABLE, reason)
            return request
        network.send(gateway, leader, lambda: part.receive(leader, request))
        timer = world.env.timeout(self.request_timeout)
        timer.callbacks.append(lambda _e: self._timed_out(request, part))
        return request

    def _leader_for(self, part: Partition, gateway: str) -> str | None:
        if not self.network.alive[gateway]:
            return None
        if gateway in part.raft.nodes:
            return part.raft.leader_hint(gateway)
        return part.raft.leader()  # a gateway outside the group learns it by gossip

    def _timed_out(self, request: Request, part: Partition) -> None:
        world = self.world
        if request.finish(world.now, TIMEOUT, "no answer in time"):
            world.trace.record("timer", world.now, request.client, target=request.gateway,
                               message=request.message, channel=part.name,
                               partition=part.id, detail=f"{TIMEOUT}")

    def requests_frame(self) -> pd.DataFrame:
        """One row per request: who, where, when, outcome and latency (ms)."""
        rows = [(r.message.message_id, r.message.type, r.message.key, r.client, r.gateway,
                 r.segment, r.partition, r.sent_at, r.done_at, r.outcome, r.detail, r.latency)
                for r in self.requests]
        return pd.DataFrame(rows, columns=["message_id", "type", "key", "client", "gateway",
                                           "segment", "partition", "sent_at", "done_at",
                                           "outcome", "detail", "latency"])

    def leaders(self) -> dict[int, str | None]:
        """The current leader of each partition."""
        return {p: part.raft.leader() for p, part in self.partitions.items()}
