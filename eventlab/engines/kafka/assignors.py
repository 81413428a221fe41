"""Who reads which partition: Kafka's consumer-group assignors, as pure functions.

The Kafka notebook uses them to show range vs round robin, why a consumer beyond the partition
count sits idle, and how a cooperative rebalance moves only the partitions it must (round one:
revoke them; round two: hand them over). Ports of Kafka's ``RangeAssignor``,
``RoundRobinAssignor`` and the everyone-subscribes-alike path of ``AbstractStickyAssignor`` that
``CooperativeStickyAssignor`` builds on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eventlab.core.errors import ConfigError, check_choice, check_int, check_text, describe

TopicPartition = tuple[str, int]
Assignment = dict[str, list[TopicPartition]]

STRATEGIES = ("range", "roundrobin")
MAX_PARTITIONS = 10_000  # partitions per topic; far beyond any lesson, small enough to stay instant


@dataclass(frozen=True, slots=True, kw_only=True)
class CooperativeRebalance:
    """A cooperative rebalance: what each member revokes, owns in between, and ends up with."""

    revoked: Assignment  # round one: partitions each member gives up, and only those
    first_round: Assignment  # what each member owns while the revoked partitions are in transit
    target: Assignment  # round two: the balanced assignment the group ends with

    @property
    def handed_over(self) -> Assignment:
        """What each member receives in round two, once the previous owner has revoked it."""
        return {
            m: [tp for tp in parts if tp not in self.first_round[m]]
            for m, parts in self.target.items()
        }


def assign(
    strategy: str, members: Sequence[str] | Mapping[str, Sequence[str]], topics: Mapping[str, int],
) -> Assignment:
    """Assign partitions to group members exactly as Kafka's range or round-robin assignor does."""
    check_choice("strategy", strategy, STRATEGIES)
    counts = _partition_counts(topics)
    subscriptions = _subscriptions(members, counts)
    if strategy == "range":
        return _range(subscriptions, counts)
    return _round_robin(subscriptions, counts)


def cooperative_rebalance(
    current_assignment: Mapping[str, Sequence[TopicPartition]], members: Sequence[str],
    topics: Mapping[str, int],
) -> CooperativeRebalance:
    """Plan a cooperative-sticky rebalance: a balanced target that moves as little as possible.

    Every member subscribes to every topic in `topics`. Members of `current_assignment` missing
    from `members` have left: their partitions are free and are assigned in round one.
    """
    counts = _partition_counts(topics)
    group = _member_list(members)
    claims = _claims(current_assignment, counts)
    owned = {m: [tp for tp in claims.get(m, []) if tp[0] in counts] for m in group}
    plan = _sticky(group, owned, counts)
    revoked: Assignment = {}
    for member in group:
        keeps = set(plan[member])
        # Also revoked: partitions of topics that are gone (deleted, or no longer subscribed).
        revoked[member] = _sorted([tp for tp in claims.get(member, []) if tp not in keeps])
    # CooperativeStickyAssignor holds back every partition another member still has to revoke;
    # free partitions (new ones, or a departed member's) are handed out at once.
    moving = {tp for parts in revoked.values() for tp in parts}
    first_round = {m: [tp for tp in plan[m] if tp not in moving] for m in group}
    # Kafka keeps no plan between rounds: the follow-up rebalance runs the assignor again on
    # what members own now, which hands the revoked partitions out and revokes nothing more.
    target = _sticky(group, first_round, counts)
    return CooperativeRebalance(revoked=revoked, first_round=first_round, target=target)


def _range(subscriptions: dict[str, tuple[str, ...]], counts: dict[str, int]) -> Assignment:
    assignment: Assignment = {m: [] for m in subscriptions}
    for topic, count in counts.items():
        consumers = [m for m, subscribed in subscriptions.items() if topic in subscribed]
        if not consumers:
            continue
        # Per topic: consecutive ranges, the first `count % consumers` members get one extra.
        per_member, extra = divmod(count, len(consumers))
        for i, member in enumerate(consumers):
            start = per_member * i + min(i, extra)
            length = per_member + (1 if i < extra else 0)
            assignment[member].extend((topic, p) for p in range(start, start + length))
    return assignment


def _round_robin(subscriptions: dict[str, tuple[str, ...]], counts: dict[str, int]) -> Assignment:
    assignment: Assignment = {m: [] for m in subscriptions}
    ring = list(subscriptions)
    position = 0
    for topic, count in counts.items():
        if not any(topic in subscribed for subscribed in subscriptions.values()):
            continue
        for partition in range(count):
            # Kafka's CircularIterator skips members not subscribed to this topic.
            while topic not in subscriptions[ring[position]]:
                position = (position + 1) % len(ring)
            assignment[ring[position]].append((topic, partition))
            position = (position + 1) % len(ring)
    return assignment


def _sticky(group: list[str], owned: Assignment, counts: dict[str, int]) -> Assignment:
    """Kafka's ConstrainedAssignmentBuilder: keep owned partitions up to the quota, then fill."""
    total = sum(counts.values())
    min_quota, expected_over = divmod(total, len(group))
    max_quota = min_quota + (1 if expected_over else 0)
    assignment: Assignment = {m: [] for m in group}
    under: list[str] = []  # below min_quota: filled first
    at_min: list[str] = []  # at min_quota: may take one more while max_quota slots remain
    over = 0
    # Kafka walks a HashMap here, so which member keeps max_quota on a tie is an accident of
    # Java hashing; walking sorted member ids gives the same kind of answer, reproducibly.
    for member in group:
        # Kafka keeps the lowest partition numbers first (then topic), spreading topics evenly.
        mine = sorted(owned[member], key=lambda tp: (tp[1], _java_order(tp[0])))
        if len(mine) < min_quota:
            assignment[member] = mine
            under.append(member)
        elif len(mine) >= max_quota and over < expected_over:
            assignment[member] = mine[:max_quota]
            over += 1
            if over == expected_over:
                at_min.clear()
        else:
            assignment[member] = mine[:min_quota]
            if over < expected_over:
                at_min.append(member)
    kept = {tp for parts in assignment.values() for tp in parts}
    free = [(t, p) for t, count in counts.items() for p in range(count) if (t, p) not in kept]
    _fill(assignment, free, under, deque(at_min), min_quota)
    return {m: _sorted(parts) for m, parts in assignment.items()}


def _fill(
    assignment: Assignment, free: list[TopicPartition], under: list[str], at_min: deque[str],
    min_quota: int,
) -> None:
    """Round robin over members below min_quota; then one extra each to members at min_quota."""
    index = 0
    for tp in free:
        if not under:
            assignment[at_min.popleft()].append(tp)
            continue
        index %= len(under)  # Kafka restarts its iterator over the unfilled members
        member = under[index]
        assignment[member].append(tp)
        if len(assignment[member]) == min_quota:
            under.pop(index)  # `index` now points at the next unfilled member
            at_min.append(member)
        else:
            index += 1


def _java_order(text: str) -> bytes:
    """Sort key equal to Java's ``String.compareTo`` (UTF-16 code units), which Kafka sorts by."""
    return text.encode("utf-16-be", "surrogatepass")


def _sorted(parts: list[TopicPartition]) -> list[TopicPartition]:
    return sorted(parts, key=lambda tp: (_java_order(tp[0]), tp[1]))


def _partition_counts(topics: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(topics, Mapping):
        raise TypeError(
            f"topics must be a mapping topic -> partition count, got {describe(topics)}"
        )
    for topic, count in topics.items():
        check_text("topic name", topic)
        check_int(f"topics[{topic!r}]", count, low=1, high=MAX_PARTITIONS)
    return {t: topics[t] for t in sorted(topics, key=_java_order)}


def _member_list(members: Sequence[str]) -> list[str]:
    # A str is a Sequence too: "abc" would silently become three members a, b and c.
    if isinstance(members, str) or not isinstance(members, Sequence):
        raise TypeError(f"members must be a list of member ids, got {describe(members)}")
    if not members:
        raise ConfigError("members must name at least one consumer, got an empty list")
    for i, member in enumerate(members):
        check_text(f"members[{i}]", member)
        if member in members[:i]:
            raise ConfigError(f"members lists {member!r} twice; a consumer joins a group once")
    return sorted(members, key=_java_order)


def _subscriptions(
    members: Sequence[str] | Mapping[str, Sequence[str]], counts: dict[str, int],
) -> dict[str, tuple[str, ...]]:
    """Member -> subscribed topics, members in Kafka's (sorted) order."""
    if not isinstance(members, Mapping):
        return {m: tuple(counts) for m in _member_list(members)}
    if not members:
        raise ConfigError("members must name at least one consumer, got an empty mapping")
    for member in members:
        check_text("member id", member)
    subscriptions: dict[str, tuple[str, ...]] = {}
    for member in sorted(members, key=_java_order):
        subscribed = members[member]
        if isinstance(subscribed, str) or not isinstance(subscribed, Sequence):
            raise TypeError(
                f"members[{member!r}] must be a list of topics, got {describe(subscribed)}"
            )
        for topic in subscribed:
            check_text(f"topic subscribed by {member!r}", topic)
        # Topics the cluster does not have are ignored, as Kafka does (RangeAssignorTest).
        subscriptions[member] = tuple(dict.fromkeys(subscribed))
    return subscriptions


def _claims(
    current: Mapping[str, Sequence[TopicPartition]], counts: dict[str, int],
) -> dict[str, list[TopicPartition]]:
    """Validated current ownership; a partition claimed twice is an error, as it is in Kafka."""
    if not isinstance(current, Mapping):
        raise TypeError(
            f"current_assignment must be a mapping member -> partitions, got {describe(current)}"
        )
    owner: dict[TopicPartition, str] = {}
    claims: dict[str, list[TopicPartition]] = {}
    for member, parts in current.items():
        name = f"current_assignment[{member!r}]"
        check_text("current_assignment member id", member)
        if isinstance(parts, str) or not isinstance(parts, Sequence):
            raise TypeError(f"{name} must be a list of (topic, partition), got {describe(parts)}")
        claims[member] = [_partition(name, tp, counts) for tp in parts]
        for tp in claims[member]:
            if tp in owner:
                raise ConfigError(
                    f"{name} repeats {tp!r}, already owned by {owner[tp]!r}; "
                    "a partition has at most one owner in a group"
                )
            owner[tp] = member
    return claims


def _partition(name: str, tp: object, counts: dict[str, int]) -> TopicPartition:
    if not isinstance(tp, tuple | list) or len(tp) != 2:
        raise TypeError(f"{name} must hold (topic, partition) pairs, got {describe(tp)}")
    topic = check_text(f"{name} topic", tp[0])
    partition = check_int(f"{name} partition of {topic!r}", tp[1], low=0)
    if topic in counts and partition >= counts[topic]:
        raise ConfigError(
            f"{name} names ({topic!r}, {partition}) but {topic!r} has {counts[topic]} partitions "
            f"(0..{counts[topic] - 1}); Kafka can add partitions but never removes them"
        )
    return (topic, partition)
