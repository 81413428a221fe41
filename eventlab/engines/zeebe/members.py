"""What each Raft member keeps: its term, vote and log (on disk) and its volatile state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventlab.core.errors import check_int
from eventlab.core.world import World

FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"


def quorum(n: int) -> int:
    """Members that must hold an entry before it counts as committed: ⌊n/2⌋ + 1."""
    check_int("n", n, low=1)
    return n // 2 + 1


@dataclass(frozen=True, slots=True)
class Entry:
    """One log entry: a unique id, the term it was appended in, and its record."""

    uid: int
    term: int
    record: Any


class Node:
    """One member's Raft state. Term, vote and log survive a crash; the rest does not."""

    __slots__ = ("armed", "commit", "deadline", "hb_gen", "heard_at", "last_ack", "leader",
                 "log", "match", "name", "next", "prevotes", "rng", "role", "term",
                 "timer_gen", "voted_for", "votes")

    def __init__(self, name: str, world: World, group: str) -> None:
        self.name = name
        self.term = 0
        self.voted_for: str | None = None
        self.log: list[Entry] = []
        self.commit = 0
        self.role = FOLLOWER
        self.leader: str | None = None
        self.votes: set[str] = set()
        self.prevotes: set[str] = set()
        self.heard_at = -1e18  # when it last heard from a leader
        self.next: dict[str, int] = {}
        self.match: dict[str, int] = {}
        self.last_ack: dict[str, float] = {}
        self.deadline = 0.0
        self.armed = False
        self.timer_gen = 0
        self.hb_gen = 0
        self.rng = world.rng(f"raft/{group}/{name}")

    def last(self) -> tuple[int, int]:
        """(term, index) of the last entry: how up to date this log is."""
        return (self.log[-1].term if self.log else 0, len(self.log))


@dataclass(frozen=True, slots=True)
class Noop:
    """The entry a new leader appends in its own term (processors skip it)."""

    kind: str = "noop"
    type: str = "Noop"


NOOP = Noop()
