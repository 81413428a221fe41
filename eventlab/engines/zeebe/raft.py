"""A replicated log per partition: Raft terms, votes, append-entries and quorum commit.

One :class:`RaftGroup` is one partition's replication group (Zeebe uses Raft via Atomix).
Only the leader appends; an entry is *committed* once a quorum (⌊n/2⌋+1 members) holds it,
and only committed entries are processed. A follower that hears nothing for an election
timeout (drawn per node from its own ``world.rng`` stream) asks for pre-votes and, with a
quorum of them, becomes a candidate in the next term (see :mod:`eventlab.engines.zeebe.elections`);
a leader that cannot reach a quorum for an election timeout steps down (check quorum), so
the minority side of a network split stops accepting work: Zeebe is CP.

``ap_mode=True`` is the contrast: a quorum is a majority of the members a node can reach
*now*, so every segment of a split elects its own leader and keeps committing (split brain);
after the heal the higher term wins and the other side's acknowledged writes are overwritten
(they are counted in :attr:`RaftGroup.lost`). Entries are matched by their unique id (plain
Raft matches terms; in CP mode the two are the same). :meth:`RaftGroup.on_truncate` tells a
listener which entries a node is about to drop, so a reconciliation can bring the other side's
writes back in by a merge rule (:mod:`eventlab.engines.zeebe.reconcile`).

`quorum_rule` replaces ⌊n/2⌋+1 by another rule (an exercise plugs its own in, to see what a
wrong quorum does under a split). Times are milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventlab.core.errors import ConfigError, check_bool, check_float, check_int, check_text
from eventlab.core.world import World
from eventlab.engines.zeebe.elections import Elections
from eventlab.engines.zeebe.members import (
    CANDIDATE,
    FOLLOWER,
    LEADER,
    NOOP,
    Entry,
    Node,
    Noop,
    quorum,
)
from eventlab.engines.zeebe.network import Network

__all__ = ["CANDIDATE", "FOLLOWER", "LEADER", "NOOP", "Entry", "Node", "Noop", "RaftGroup",
           "quorum"]

MAX_BATCH = 64  # entries per append-entries message


class RaftGroup(Elections):
    """The replication group of one partition over a :class:`Network`."""

    def __init__(self, world: World, network: Network, members: Sequence[str], *,
                 name: str = "partition-1", partition: int = 1,
                 election_timeout: float = 150.0, heartbeat: float = 50.0,
                 ap_mode: bool = False, bootstrap: str | None = None,
                 detail: bool = True,
                 quorum_rule: Callable[[int], int] | None = None) -> None:
        self.world, self.network = world, network
        self.name = check_text("name", name)
        self.partition = check_int("partition", partition, low=1)
        self.election_timeout = check_float("election_timeout", election_timeout, low=1.0)
        self.heartbeat = check_float("heartbeat", heartbeat, low=0.1,
                                     high=self.election_timeout)
        self.ap_mode = check_bool("ap_mode", ap_mode)
        self.detail = check_bool("detail", detail)
        self.members = tuple(members)
        for m in self.members:
            network.check_node(m)
        if not self.members or len(set(self.members)) != len(self.members):
            raise ConfigError(f"members must be distinct and non-empty, got {list(members)}")
        self.quorum = quorum(len(self.members))
        if quorum_rule is not None:
            if not callable(quorum_rule):
                raise TypeError(f"quorum_rule must be a function n -> members needed, "
                                f"got {quorum_rule!r}")
            self.quorum = check_int("quorum_rule(n)", quorum_rule(len(self.members)), low=1,
                                    high=len(self.members))
        self.nodes = {m: Node(m, world, self.name) for m in self.members}
        self.leaders: dict[int, list[str]] = {}  # term -> who became leader in it
        self.decisions: list[tuple[float, str, int]] = []  # (time, leader, index) commits
        self.committed: dict[int, int] = {}  # index -> uid of the entry committed there
        self.commit_term: dict[int, int] = {}  # index -> term of the leader that committed it
        self.lost: list[tuple[float, str, int, int]] = []  # (time, node, index, uid)
        self.violations: list[str] = []
        self._uid = 0
        self._flush: set[str] = set()
        self._role_listeners: list[Callable[[str, str, int], None]] = []
        self._commit_listeners: list[Callable[[str, int], None]] = []
        self._truncate_listeners: list[Callable[[str, str, int, list[Entry]], None]] = []
        network.listen(self._on_fault)
        if bootstrap is not None:
            if bootstrap not in self.nodes:
                raise ConfigError(f"bootstrap={bootstrap!r} is not a member; members: "
                                  f"{', '.join(self.members)}")
            for node in self.nodes.values():
                self._set_term(node, 1)
                node.voted_for = node.leader = bootstrap
        for node in self.nodes.values():
            if node.name == bootstrap:
                self._become_leader(node)
            else:
                self._reset_timer(node)

    # -- queries ----------------------------------------------------------------------------

    def on_role(self, callback: Callable[[str, str, int], None]) -> None:
        """Call `callback(node, role, term)` whenever a member changes role."""
        self._role_listeners.append(callback)

    def on_commit(self, callback: Callable[[str, int], None]) -> None:
        """Call `callback(node, commit_index)` whenever a member's commit index grows."""
        self._commit_listeners.append(callback)

    def on_truncate(self, callback: Callable[[str, str, int, list[Entry]], None]) -> None:
        """Call `callback(node, leader, index, dropped)` before `node` drops its entries from
        log index `index` on (`dropped`), because `leader`'s log disagrees with them."""
        self._truncate_listeners.append(callback)

    def leader(self) -> str | None:
        """The live leader with the highest term, if any."""
        live = [n for n in self.nodes.values() if n.role == LEADER and self.network.alive[n.name]]
        return max(live, key=lambda n: n.term).name if live else None

    def leader_hint(self, node: str) -> str | None:
        """Whom `node` believes to lead (itself if it leads); None if down or unsure."""
        n = self.nodes[node]
        if not self.network.alive[node]:
            return None
        return node if n.role == LEADER else n.leader

    def is_leader(self, node: str, term: int | None = None) -> bool:
        """True while `node` is alive and leads (in `term`, if given)."""
        n = self.nodes[node]
        return (n.role == LEADER and self.network.alive[node]
                and (term is None or n.term == term))

    def committed_entries(self, node: str) -> list[Entry]:
        """The committed prefix of `node`'s log."""
        n = self.nodes[node]
        return n.log[: n.commit]

    # -- appending and replicating -----------------------------------------------------------

    def append(self, node: str, record: Any) -> int | None:
        """Leader `node` appends `record`; returns its log index (None if not the leader)."""
        n = self.nodes[node]
        if not self.is_leader(node):
            return None
        self._uid += 1
        n.log.append(Entry(self._uid, n.term, record))
        index = len(n.log)
        self._trace_append(n, index)
        if node not in self._flush:  # batch everything appended at this instant
            self._flush.add(node)
            timer, term = self.world.env.timeout(0), n.term
            timer.callbacks.append(lambda _e: self._flush_now(n, term))
        return index

    def _trace_append(self, n: Node, index: int) -> None:
        if self.detail:
            record = n.log[index - 1].record
            self.world.trace.record(
                "state", self.world.now, n.name, message=getattr(record, "message", None),
                channel=self.name, partition=self.partition, offset=index, entity="append",
                value=getattr(record, "type", "entry"))

    def _flush_now(self, n: Node, term: int) -> None:
        self._flush.discard(n.name)
        if not self.is_leader(n.name, term):
            return
        for peer in self.members:
            if peer != n.name and n.next[peer] <= len(n.log):
                self._send_append(n, peer)
        self._advance_commit(n)

    def _send_append(self, n: Node, peer: str) -> None:
        prev = n.next[peer] - 1
        prev_uid = n.log[prev - 1].uid if prev >= 1 else 0
        entries = n.log[prev: prev + MAX_BATCH]
        n.next[peer] = prev + len(entries) + 1  # pipelined: assume it arrives
        term, commit, leader = n.term, n.commit, n.name
        self.network.send(leader, peer, lambda: self._on_append(
            peer, leader, term, prev, prev_uid, entries, commit))

    def _on_append(self, name: str, leader: str, term: int, prev: int, prev_uid: int,
                   entries: list[Entry], commit: int) -> None:
        n = self.nodes[name]
        if term < n.term:
            self._reply(n, leader, term, False, 0)
            return
        if term == n.term and n.role == LEADER and not self.ap_mode:
            self.violations.append(f"two leaders in term {term}: {name} and {leader}")
        self._become_follower(n, term, leader)
        n.heard_at = self.world.now
        if prev > len(n.log):
            self._reply(n, leader, term, False, len(n.log) + 1)
            return
        if prev >= 1 and n.log[prev - 1].uid != prev_uid:
            conflict_term, hint = n.log[prev - 1].term, prev
            while hint > 1 and n.log[hint - 2].term == conflict_term:
                hint -= 1
            self._reply(n, leader, term, False, hint)
            return
        index = prev
        for entry in entries:
            index += 1
            if index <= len(n.log):
                if n.log[index - 1].uid == entry.uid:
                    continue
                self._truncate(n, index, leader)
            n.log.append(entry)
            self._trace_append(n, index)
        last_new = prev + len(entries)
        if commit > n.commit and min(commit, last_new) > n.commit:
            self._set_commit(n, min(commit, last_new))
        self._reply(n, leader, term, True, last_new)

    def _truncate(self, n: Node, index: int, leader: str) -> None:
        """Drop `n`'s entries from `index` on (they conflict with `leader`'s)."""
        now = self.world.now
        for listener in self._truncate_listeners:
            listener(n.name, leader, index, n.log[index - 1:])
        if n.commit >= index:
            for i in range(index, n.commit + 1):
                self.lost.append((now, n.name, i, n.log[i - 1].uid))
            if not self.ap_mode:
                self.violations.append(f"committed entries {index}..{n.commit} truncated "
                                       f"on {n.name}")
            self.world.trace.record(
                "fault", now, n.name, channel=self.name, partition=self.partition,
                offset=index, entity="lost entries", value=n.commit - index + 1,
                detail=f"committed entries {index}–{n.commit} overwritten by the new leader")
            n.commit = index - 1
        del n.log[index - 1:]

    def _reply(self, n: Node, leader: str, term: int, ok: bool, value: int) -> None:
        reply_term, name = n.term, n.name
        self.network.send(name, leader, lambda: self._on_reply(
            leader, name, term, reply_term, ok, value))

    def _on_reply(self, name: str, peer: str, term: int, reply_term: int, ok: bool,
                  value: int) -> None:
        n = self.nodes[name]
        if reply_term > n.term:
            self._become_follower(n, reply_term, None)
            return
        if n.role != LEADER or n.term != term:
            return
        n.last_ack[peer] = self.world.now
        if ok:
            if value > n.match[peer]:
                n.match[peer] = value
                self._advance_commit(n)
            n.next[peer] = max(n.next[peer], value + 1)
        else:
            n.next[peer] = max(n.match[peer] + 1, min(value, n.next[peer]))
            self._send_append(n, peer)

    def _advance_commit(self, n: Node) -> None:
        voters, need = self._voters(n)
        matches = sorted((len(n.log) if m == n.name else n.match[m] for m in voters),
                         reverse=True)
        if len(matches) < need:
            return
        index = matches[need - 1]
        if index > n.commit and n.log[index - 1].term == n.term:
            self.decisions.append((self.world.now, n.name, index))
            for i in range(n.commit + 1, index + 1):
                uid = n.log[i - 1].uid
                old = self.committed.get(i)
                if old is not None and old != uid and not self.ap_mode:
                    self.violations.append(f"index {i} committed twice with different entries")
                self.committed[i] = uid
                self.commit_term.setdefault(i, n.term)
            self._set_commit(n, index)

    def _set_commit(self, n: Node, index: int) -> None:
        n.commit = index
        self.world.trace.record("state", self.world.now, n.name, channel=self.name,
                                partition=self.partition, offset=index,
                                entity="commit index", value=index)
        for listener in self._commit_listeners:
            listener(n.name, index)
