"""The consumer-group coordinator: members, generations, assignments and committed offsets.

Every membership change starts a rebalance that ends in a new *generation*; each partition is
owned by at most one member per generation; a new owner starts at the committed offset (or at
``auto_offset_reset`` if there is none, which is logged); a commit from a member that is not the
current owner, or not of the current generation, is refused (Kafka's ``CommitFailedException``),
so a committed offset never goes back. A member that crashes keeps its partitions until
``session_timeout`` has passed: that is where lag piles up.

A rebalance has two phases, as Kafka's JoinGroup and SyncGroup. First every member must rejoin;
it does so at its next poll, after the batch in hand, revoking (and committing) there. A member
that does not come back is waited for until the coordinator removes it (its session times out,
or it exceeds ``max_poll_interval``). Then, ``rebalance_delay`` later, the new assignment
applies. ``range`` and ``roundrobin`` rebalance eagerly (everyone revokes everything);
``cooperative-sticky`` revokes only what moves, and hands it over in a second round.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eventlab.core.errors import ConfigError, check_text, describe
from eventlab.engines.kafka.assignors import CooperativeRebalance, assign, cooperative_rebalance
from eventlab.engines.kafka.broker import Cluster
from eventlab.engines.kafka.configs import ConsumerConfig, GroupConfig, configure
from eventlab.engines.kafka.consumer import Consumer
from eventlab.engines.kafka.log import Record
from eventlab.engines.kafka.partition import Partition

TopicPartition = tuple[str, int]


class ConsumerGroup:
    """A consumer group reading `topics` of a :class:`~eventlab.engines.kafka.broker.Cluster`."""

    def __init__(self, cluster: Cluster, group_id: str, topics: str | Sequence[str],
                 config: GroupConfig | None = None, **settings: Any) -> None:
        if not isinstance(cluster, Cluster):
            raise TypeError(f"cluster must be a Cluster, got {describe(cluster)}")
        self.cluster = cluster
        self.world = cluster.world
        self.group_id = check_text("group_id", group_id)
        names = [topics] if isinstance(topics, str) else list(topics)
        if not names:
            raise ConfigError("topics must name at least one topic")
        self.topics = [cluster.topic(name) for name in names]
        self.config = configure(GroupConfig, config, settings)
        self.generation = 0
        self.members: dict[str, Consumer] = {}  # as the coordinator sees them (join order)
        self.assignment: dict[str, list[Partition]] = {}
        self.history: list[tuple[int, dict[str, list[TopicPartition]]]] = []
        self._committed: dict[Partition, int] = {}
        self._partitions = {(p.topic, p.index): p for t in self.topics for p in t.partitions}
        self._counts = {t.name: len(t.partitions) for t in self.topics}
        self._rebalancing = False
        self._again = False
        self._plan: CooperativeRebalance | None = None
        self._reason = ""
        self._waiting: dict[str, None] = {}  # members not yet rejoined in this rebalance
        self._revoking: dict[str, list[Partition]] = {}  # what each of them gives up
        self._syncing = False  # every member rejoined: the new assignment is on its way

    def __repr__(self) -> str:
        return (f"ConsumerGroup({self.group_id!r}, generation={self.generation}, "
                f"members={list(self.members)})")

    def join(self, member_id: str, handler: Callable[[Record], Any] | None = None, *,
             types: Sequence[str] | None = None, config: ConsumerConfig | None = None,
             **settings: Any) -> Consumer:
        """Start a member that calls `handler(record)` for each record (of `types`, if given)."""
        check_text("member_id", member_id)
        if member_id in self.members:
            raise ConfigError(f"member {member_id!r} is already in group {self.group_id!r}")
        if handler is not None and not callable(handler):
            raise TypeError(f"handler must be a function of one record, got {describe(handler)}")
        if types is not None:
            if isinstance(types, str) or not isinstance(types, Sequence):
                raise TypeError(f"types must be a list of message types, got {describe(types)}")
            types = tuple(check_text("types entry", t) for t in types)
        member = Consumer(self, member_id, handler, types,
                          configure(ConsumerConfig, config, settings))
        self.members[member_id] = member
        self._rebalance(f"{member_id} joined")
        return member

    def member(self, member_id: str) -> Consumer:
        """The member called `member_id`; the error lists the current members."""
        member = self.members.get(member_id)
        if member is None:
            raise ConfigError(f"no member {member_id!r} in group {self.group_id!r}; members: "
                              f"{', '.join(self.members) or 'none'}")
        return member

    def leave(self, member_id: str) -> None:
        """`member_id` shuts down cleanly: at its next poll, after the batch in hand, it commits
        (if it would on revoke) and leaves the group."""
        self.member(member_id).stop()

    def crash(self, member_id: str) -> None:
        """`member_id` dies now; the coordinator notices only after ``session_timeout``."""
        self.member(member_id).crash()

    @property
    def committed(self) -> dict[TopicPartition, int]:
        """Committed offsets: the next offset each partition's next owner will read."""
        return {(p.topic, p.index): offset for p, offset in self._committed.items()}

    def lag(self) -> dict[TopicPartition, int]:
        """Per partition: committed records not yet committed by the group (HW - committed)."""
        out: dict[TopicPartition, int] = {}
        for (topic, index), part in self._partitions.items():
            committed = self._committed.get(part)
            if committed is None:
                committed = part.log.start_offset if part.log is not None else 0
            out[(topic, index)] = max(part.high_watermark - committed, 0)
        return out

    def total_lag(self) -> int:
        """The group's lag summed over all partitions."""
        return sum(self.lag().values())

    def commit(self, member: Consumer, offsets: Mapping[Partition, int]) -> bool:
        """Store `offsets` for `member` if it owns them in the current generation."""
        current = self.members.get(member.member_id) is member
        owned = self.assignment.get(member.member_id, []) if current else []
        ok = True
        now = self.world.now
        for part, offset in offsets.items():
            if not (current and member.generation == self.generation and part in owned):
                ok = False
                self.world.trace.record(
                    "reject", now, self.group_id, target=member.member_id, channel=part.topic,
                    partition=part.index, offset=offset,
                    detail=f"CommitFailedException: {member.member_id} (generation "
                           f"{member.generation}) does not own {part.name} in generation "
                           f"{self.generation}")
            elif self._committed.get(part) != offset:
                self._committed[part] = offset
                self.world.trace.state(now, self.group_id, f"committed p{part.index}", offset,
                                       target=member.member_id, channel=part.topic,
                                       partition=part.index, offset=offset)
        return ok

    def start_position(self, member: Consumer, part: Partition) -> int:
        """Where a new owner starts: the committed offset, else ``auto_offset_reset``."""
        committed = self._committed.get(part)
        log = part.log
        if committed is not None and (log is None
                                      or log.start_offset <= committed <= log.end_offset):
            why = "committed offset"
            position = committed
        else:
            why = ("no committed offset" if committed is None
                   else f"committed offset {committed} is gone")
            position = self.reset_position(part)
            why += f": auto_offset_reset={self.config.auto_offset_reset}"
        self.world.trace.state(self.world.now, member.member_id, f"position p{part.index}",
                               position, channel=part.topic, partition=part.index,
                               offset=position if position >= 0 else None, detail=why)
        return position

    def reset_position(self, part: Partition) -> int:
        """``earliest``: the log start; ``latest``: the high watermark; ``none``: -1 (fail)."""
        policy = self.config.auto_offset_reset
        if policy == "none":
            return -1
        log = part.log
        if policy == "earliest":
            return log.start_offset if log is not None else 0
        return part.high_watermark

    def remove(self, member: Consumer, reason: str) -> None:
        """Drop `member` from the group (left, timed out, or too slow) and rebalance."""
        if self.members.get(member.member_id) is not member:
            return
        del self.members[member.member_id]
        self.assignment.pop(member.member_id, None)
        self._waiting.pop(member.member_id, None)  # a rebalance waits no longer for it
        self._revoking.pop(member.member_id, None)
        self.world.trace.record("note", self.world.now, self.group_id,
                                target=member.member_id, detail=f"{member.member_id}: {reason}")
        self._rebalance(f"{member.member_id} {reason}")
        self._sync_when_all_rejoined()

    def rejoin(self, member: Consumer) -> None:
        """A member that was removed while still running comes back (Kafka: on its next poll)."""
        self.members[member.member_id] = member
        self._rebalance(f"{member.member_id} rejoined")

    def joined(self, member: Consumer) -> None:
        """`member` rejoined at its poll, having revoked (and committed) what it gives up."""
        member_id = member.member_id
        if self.members.get(member_id) is not member or member_id not in self._waiting:
            return
        del self._waiting[member_id]
        lost = self._revoking.pop(member_id, [])
        if lost:
            kept = self.assignment.get(member_id, [])
            self.assignment[member_id] = [p for p in kept if p not in lost]
        self._sync_when_all_rejoined()

    def _rebalance(self, reason: str) -> None:
        if self._rebalancing:
            self._again = True  # a member that joins now is in the plan made at the end
            return
        self._rebalancing = True
        self._again = False
        self._reason = reason
        moving: dict[str, list[Partition]]
        if self.config.assignor == "cooperative-sticky":
            self._plan = self._cooperative_plan()
            revoked = self._plan.revoked if self._plan is not None else {}
            moving = {m: [self._partitions[tp] for tp in tps] for m, tps in revoked.items()}
        else:
            self._plan = None  # eager: everyone gives up everything, the plan comes at the end
            moving = {m: list(self.assignment.get(m, [])) for m in self.members}
        # Nobody gives anything up yet: each member revokes at its own next poll.
        self._revoking = {m: lost for m, lost in moving.items() if lost}
        self._waiting = dict.fromkeys(self.members)
        for member_id in list(self._waiting):
            self.members[member_id].rejoin_needed(self._revoking.get(member_id, []))
        self._sync_when_all_rejoined()

    def _sync_when_all_rejoined(self) -> None:
        if not self._rebalancing or self._waiting or self._syncing:
            return
        self._syncing = True
        reason = self._reason
        timer = self.world.env.timeout(self.config.rebalance_delay)
        timer.callbacks.append(lambda _event: self._complete(reason))

    def _complete(self, reason: str) -> None:
        self._rebalancing = False
        self._syncing = False
        self.generation += 1
        plan: Mapping[str, list[TopicPartition]] = {}
        follow_up = ""  # eager: whoever joined meanwhile is in the plan made now
        if self.config.assignor != "cooperative-sticky":
            ids = list(self.members)
            if ids:
                plan = assign(self.config.assignor, ids, self._counts)
        else:
            # Members that joined or left meanwhile are not in this plan: another round.
            if self._again:
                follow_up = "members changed during the rebalance"
            if self._plan is not None:
                plan = self._plan.first_round
                if any(self._plan.revoked.values()):
                    # Partitions revoked in round one are handed over in a second round.
                    follow_up = "second round: hand over revoked partitions"
        self.assignment = {m: [self._partitions[tp] for tp in plan.get(m, [])]
                           for m in self.members}
        self.world.trace.state(self.world.now, self.group_id, "generation", self.generation,
                               detail=f"{self.config.assignor}: {reason}")
        self.history.append((self.generation, {
            m: [(p.topic, p.index) for p in parts] for m, parts in self.assignment.items()}))
        for member_id, parts in self.assignment.items():
            self.members[member_id].assign(parts, self.generation)
        if follow_up:
            self._rebalance(follow_up)

    def _cooperative_plan(self) -> CooperativeRebalance | None:
        if not self.members:
            return None
        current = {m: [(p.topic, p.index) for p in self.assignment.get(m, [])]
                   for m in self.members}
        return cooperative_rebalance(current, list(self.members), self._counts)
