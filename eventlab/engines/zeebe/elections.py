"""Raft roles, election timers, votes and check quorum, as a mixin of :class:`RaftGroup`.

A follower whose election deadline passes without hearing from a leader first asks for
*pre-votes* (would you vote for me in the next term?), so a node cut off in a minority keeps
its term and cannot disrupt the majority's leader after the heal. With a quorum of pre-votes
it becomes a candidate in the next term and asks every member for a vote; a member grants one
vote per term, and only to a candidate whose log is at least as up to date as its own. A
candidate with a quorum of votes leads, appends a no-op of its own term and sends heartbeats;
a leader that has not heard from a quorum for an election timeout steps down (check quorum).
A crash drops all volatile state; the term, the vote and the log survive it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventlab.core.world import World
from eventlab.engines.zeebe.members import CANDIDATE, FOLLOWER, LEADER, NOOP, Node
from eventlab.engines.zeebe.network import Fault, Network


class Elections:
    """Roles, timers and votes; :class:`~eventlab.engines.zeebe.raft.RaftGroup` adds replication."""

    world: World
    network: Network
    name: str
    partition: int
    members: tuple[str, ...]
    nodes: dict[str, Node]
    election_timeout: float
    heartbeat: float
    ap_mode: bool
    quorum: int
    leaders: dict[int, list[str]]
    committed: dict[int, int]
    commit_term: dict[int, int]
    violations: list[str]
    _role_listeners: list[Callable[[str, str, int], None]]

    def append(self, node: str, record: Any) -> int | None:
        raise NotImplementedError

    def is_leader(self, node: str, term: int | None = None) -> bool:
        raise NotImplementedError

    def _send_append(self, n: Node, peer: str) -> None:
        raise NotImplementedError

    def _voters(self, n: Node) -> tuple[list[str], int]:
        """Who counts for a quorum, and how many are needed (AP mode: who is reachable)."""
        if not self.ap_mode:
            return list(self.members), self.quorum
        reach = [m for m in self.members if self.network.connected(n.name, m)]
        return reach, len(reach) // 2 + 1

    def _set_role(self, n: Node, role: str) -> None:
        if n.role == role:
            return
        n.role = role
        self.world.trace.record("state", self.world.now, n.name, channel=self.name,
                                partition=self.partition, entity="role", value=role,
                                detail=f"term {n.term}")
        for listener in self._role_listeners:
            listener(n.name, role, n.term)

    def _set_term(self, n: Node, term: int) -> None:
        n.term, n.voted_for = term, None
        self.world.trace.record("state", self.world.now, n.name, channel=self.name,
                                partition=self.partition, entity="term", value=term)

    def _become_follower(self, n: Node, term: int, leader: str | None, *,
                         reset: bool = True) -> None:
        if term > n.term:
            self._set_term(n, term)
        n.leader = leader
        n.hb_gen += 1
        self._set_role(n, FOLLOWER)
        if reset or not n.armed:
            self._reset_timer(n)

    def _become_leader(self, n: Node) -> None:
        n.leader, n.votes = n.name, set()
        leaders = self.leaders.setdefault(n.term, [])
        if leaders and not self.ap_mode:
            self.violations.append(f"two leaders in term {n.term}: {leaders[0]} and {n.name}")
        leaders.append(n.name)
        for i, uid in self.committed.items():  # leader completeness (for earlier terms)
            missing = i > len(n.log) or n.log[i - 1].uid != uid
            if missing and self.commit_term[i] < n.term and not self.ap_mode:
                self.violations.append(f"leader {n.name} (term {n.term}) lacks committed {i}")
        now = self.world.now
        for peer in self.members:
            n.next[peer], n.match[peer], n.last_ack[peer] = len(n.log) + 1, 0, now
        self._set_role(n, LEADER)
        self.append(n.name, NOOP)  # an entry of its own term lets it commit older ones
        n.hb_gen += 1
        self._beat(n, n.hb_gen)

    def _beat(self, n: Node, gen: int) -> None:
        if gen != n.hb_gen or not self.is_leader(n.name):
            return
        for peer in self.members:
            if peer != n.name:
                self._send_append(n, peer)
        horizon = self.world.now - self.election_timeout
        voters, need = self._voters(n)
        heard = sum(1 for m in voters if m == n.name or n.last_ack[m] >= horizon)
        if heard < need:  # check quorum: a leader cut off from the majority steps down
            self._become_follower(n, n.term, None)
            return
        timer = self.world.env.timeout(self.heartbeat)
        timer.callbacks.append(lambda _e: self._beat(n, gen))

    def _reset_timer(self, n: Node) -> None:
        now = self.world.now
        n.deadline = now + n.rng.uniform(self.election_timeout, 2 * self.election_timeout)
        if not n.armed:
            self._arm(n, n.deadline - now)

    def _arm(self, n: Node, delay: float) -> None:
        n.armed, gen = True, n.timer_gen
        timer = self.world.env.timeout(delay)
        timer.callbacks.append(lambda _e: self._timer_fired(n, gen))

    def _timer_fired(self, n: Node, gen: int) -> None:
        if gen != n.timer_gen:
            return
        n.armed = False
        if not self.network.alive[n.name] or n.role == LEADER:
            return
        if self.world.now < n.deadline:
            self._arm(n, n.deadline - self.world.now)
            return
        # Pre-vote first: ask whether a quorum would vote, without raising the term, so a
        # node cut off in a minority cannot disrupt the majority's leader after the heal.
        self.world.trace.record("timer", self.world.now, n.name, channel=self.name,
                                partition=self.partition,
                                detail=f"election timeout: pre-vote for term {n.term + 1}")
        self._reset_timer(n)
        n.prevotes = {n.name}
        if len(n.prevotes) >= self._voters(n)[1]:
            self._start_election(n)
            return
        term, (last_term, last_index), name = n.term + 1, n.last(), n.name
        for peer in self.members:
            if peer != name:
                self.network.send(name, peer, self._prevote_request(
                    peer, name, term, last_term, last_index))

    def _prevote_request(self, peer: str, candidate: str, term: int, last_term: int,
                         last_index: int) -> Callable[[], None]:
        def deliver() -> None:
            n = self.nodes[peer]
            recent = self.world.now - n.heard_at < self.election_timeout
            grant = (term > n.term and not recent and n.role != LEADER
                     and (last_term, last_index) >= n.last())
            self.network.send(peer, candidate, lambda: self._on_prevote(
                candidate, peer, term, grant))
        return deliver

    def _on_prevote(self, name: str, voter: str, term: int, grant: bool) -> None:
        n = self.nodes[name]
        if not grant or n.role == LEADER or n.term + 1 != term:
            return
        n.prevotes.add(voter)
        if len(n.prevotes) == self._voters(n)[1]:
            self._start_election(n)

    def _start_election(self, n: Node) -> None:
        self._set_term(n, n.term + 1)
        n.voted_for, n.votes, n.leader = n.name, {n.name}, None
        n.prevotes = set()
        self._set_role(n, CANDIDATE)
        self._reset_timer(n)
        if len(n.votes) >= self._voters(n)[1]:
            self._become_leader(n)
            return
        for peer in self.members:
            if peer != n.name:
                self._ask_vote(n, peer)

    def _ask_vote(self, n: Node, peer: str) -> None:
        term, (last_term, last_index), name = n.term, n.last(), n.name
        self.network.send(name, peer, lambda: self._on_vote_request(
            peer, name, term, last_term, last_index))

    def _on_vote_request(self, name: str, candidate: str, term: int, last_term: int,
                         last_index: int) -> None:
        n = self.nodes[name]
        if term > n.term:  # a newer term: follow it, but only a granted vote resets the timer
            self._become_follower(n, term, None, reset=False)
        grant = (term == n.term and n.voted_for in (None, candidate)
                 and (last_term, last_index) >= n.last())
        if grant:
            n.voted_for = candidate
            self._reset_timer(n)
        reply_term = n.term
        self.network.send(name, candidate, lambda: self._on_vote(
            candidate, name, term, reply_term, grant))

    def _on_vote(self, name: str, voter: str, term: int, reply_term: int, grant: bool) -> None:
        n = self.nodes[name]
        if reply_term > n.term:
            self._become_follower(n, reply_term, None)
            return
        if n.role != CANDIDATE or n.term != term or not grant:
            return
        n.votes.add(voter)
        if len(n.votes) >= self._voters(n)[1]:
            self._become_leader(n)

    def _on_fault(self, fault: Fault) -> None:
        for name in fault.nodes:
            n = self.nodes.get(name)
            if n is None:
                continue
            if fault.kind == "crash":  # volatile state is gone; disk (term, vote, log) stays
                n.timer_gen += 1
                n.armed = False
                n.hb_gen += 1
                n.leader, n.votes = None, set()
                self._set_role(n, FOLLOWER)
            elif fault.kind == "restart":
                self._reset_timer(n)
