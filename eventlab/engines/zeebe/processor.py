"""One partition: its Raft group plus a single-writer stream processor on the leader.

The processing loop of the talk, one command at a time, as trace rows (times in ms):

1. the client sends the command (a ``send`` row, client → gateway);
2. the leader appends it to the log (a ``state`` row, entity ``append``, offset = index);
3. it is replicated (``append`` rows on followers) and committed (``commit index`` rows);
4. the processor checks invariants and updates its state (``state`` row, detail
   ``processed``; or a ``reject`` row with the reason);
5. the response is sent (``send`` row, detail ``response OK``) right after the check;
6. the follow-up events are appended (``append`` rows for the event messages) and
7. replicated and committed like the command.

Only the leader processes, only committed records, in log order, one at a time: no locks. A
new leader first waits until its own first entry commits, replays the events of its log to
rebuild the state, then processes every command that has no outcome yet, so each command gets
exactly one outcome even across a failover (WF-1, WF-2, WF-3).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

import simpy

from eventlab.core.errors import check_choice, check_float
from eventlab.core.world import World
from eventlab.engines.zeebe.limits import Limiter
from eventlab.engines.zeebe.network import Network
from eventlab.engines.zeebe.raft import LEADER, RaftGroup
from eventlab.engines.zeebe.records import (
    EXHAUSTED,
    OK,
    REJECTED,
    UNAVAILABLE,
    Record,
    Request,
    State,
    decide,
    evolve,
    replay,
)

RESPOND_AFTER: tuple[str, ...] = ("processing", "events committed")
ALWAYS_ACCEPTED: tuple[str, ...] = ("CompleteJob",)  # backpressure never rejects these


class _Processor:
    """One leader's single-writer processor (a leader term is one incarnation)."""

    __slots__ = ("after_commit", "gen", "node", "pending", "position", "state", "term", "wake")

    def __init__(self, node: str, term: int, gen: int) -> None:
        self.node, self.term, self.gen = node, term, gen
        self.state: State = {}
        self.position = 0  # records up to here are processed (what a snapshot would cover)
        self.wake: simpy.Event | None = None
        self.pending: dict[int, Request] = {}  # log index -> request this leader answers
        self.after_commit: dict[int, Request] = {}


class Partition:
    """A partition's replicated log, its stream processor and the requests it answers."""

    def __init__(self, world: World, network: Network, partition: int, members: Sequence[str],
                 *, process_time: float = 1.0, election_timeout: float = 150.0,
                 heartbeat: float = 50.0, ap_mode: bool = False, detail: bool = True,
                 respond_after: str = "processing", limiter: Limiter | None = None,
                 bootstrap: bool = True,
                 quorum_rule: Callable[[int], int] | None = None) -> None:
        self.world, self.network = world, network
        self.process_time = check_float("process_time", process_time, low=0.0)
        self.respond_after = check_choice("respond_after", respond_after, RESPOND_AFTER)
        self.name = f"partition-{partition}"
        self.id = partition
        self.limiter = limiter
        self.raft = RaftGroup(world, network, members, name=self.name, partition=partition,
                              election_timeout=election_timeout, heartbeat=heartbeat,
                              ap_mode=ap_mode, detail=detail,
                              bootstrap=members[0] if bootstrap else None,
                              quorum_rule=quorum_rule)
        self.busy_time = 0.0
        self.processed = 0
        self.commit_time: dict[int, float] = {}
        self._gen = 0
        self._procs: dict[str, _Processor] = {}
        self._last: _Processor | None = None
        self.raft.on_role(self._on_role)
        self.raft.on_commit(self._on_commit)
        leader = self.raft.leader()
        if leader is not None:
            self._on_role(leader, LEADER, self.raft.nodes[leader].term)

    @property
    def state(self) -> State:
        """The live state of the current leader's processor (the last one's if none leads)."""
        proc = self._current()
        return proc.state if proc is not None else {}

    @property
    def position(self) -> int:
        """Log index up to which the current leader has processed every record."""
        proc = self._current()
        return proc.position if proc is not None else 0

    def _current(self) -> _Processor | None:
        leader = self.raft.leader()
        proc = self._procs.get(leader) if leader is not None else None
        return proc or self._last

    # -- leadership -----------------------------------------------------------------------

    def _on_role(self, node: str, role: str, term: int) -> None:
        self._stop(node)
        if role == LEADER:
            self._gen += 1
            proc = self._procs[node] = self._last = _Processor(node, term, self._gen)
            self.world.env.process(self._run(proc))

    def _stop(self, node: str) -> None:
        """A leader's processor stops; its unanswered requests will time out."""
        proc = self._procs.pop(node, None)
        if proc is None:
            return
        proc.gen = -1
        if self.limiter is not None:
            for request in (*proc.pending.values(), *proc.after_commit.values()):
                if request.admitted_at is not None:
                    self.limiter.release(self.world.now, 0.0, dropped=True)
                    request.admitted_at = None
        proc.pending.clear()
        proc.after_commit.clear()
        self._poke(proc)

    @staticmethod
    def _poke(proc: _Processor) -> None:
        wake = proc.wake
        if wake is not None and not wake.triggered:
            wake.succeed()

    def _on_commit(self, node: str, index: int) -> None:
        proc = self._procs.get(node)
        if proc is None:
            return
        now = self.world.now
        for i in range(len(self.commit_time) + 1, index + 1):
            self.commit_time[i] = now
        if proc.after_commit:
            for i in [i for i in proc.after_commit if i <= index]:
                self._respond(node, proc.after_commit.pop(i), OK, "")
        self._poke(proc)

    # -- the single writer ---------------------------------------------------------------------

    def _sleep(self, proc: _Processor) -> Generator[simpy.Event, Any, None]:
        wake = proc.wake = self.world.env.event()
        yield wake
        if proc.wake is wake:
            proc.wake = None

    def _run(self, proc: _Processor) -> Generator[simpy.Event, Any, None]:
        gen = proc.gen
        n = self.raft.nodes[proc.node]
        recovery = len(n.log)  # its own first entry (the no-op) is the last one
        while n.commit < recovery:
            yield from self._sleep(proc)
            if gen != proc.gen:
                return
        head = [entry.record for entry in n.log[:recovery]]
        proc.state = replay(head)
        done = {r.source for r in head if getattr(r, "kind", "") in ("event", "rejection")}
        pos = 0
        while True:
            while pos >= n.commit:
                proc.position = pos
                yield from self._sleep(proc)
                if gen != proc.gen:
                    return
            record = n.log[pos].record
            pos += 1
            if getattr(record, "kind", "") != "command" or pos in done:
                continue
            proc.position = pos - 1
            if self.process_time:
                yield self.world.env.timeout(self.process_time)
                if gen != proc.gen:
                    return
            self.busy_time += self.process_time
            self._process(proc, pos, record)

    def _process(self, proc: _Processor, index: int, command: Record) -> None:
        world, now, node = self.world, self.world.now, proc.node
        self.processed += 1
        events, reason = decide(proc.state, command)
        request = proc.pending.pop(index, None)
        if request is not None and command.key in proc.state:  # what the answer reports
            request.result = dict(proc.state[command.key])
        if reason:
            world.trace.record("reject", now, node, message=command.message,
                               detail=f"rejected: {reason}", channel=self.name,
                               partition=self.id, offset=index)
            self.raft.append(node, Record("rejection", command.type, command.key,
                                          {"reason": reason}, source=index,
                                          message=command.message))
            self._respond(node, request, REJECTED, reason)
            return
        for event_type, payload in events:
            evolve(proc.state, event_type, command.key, payload)
        status = proc.state[command.key]["status"]
        if request is not None:
            request.result = dict(proc.state[command.key])
        world.trace.record("state", now, node, message=command.message, entity=command.key,
                           value=status, detail="processed", channel=self.name,
                           partition=self.id, offset=index)
        if self.respond_after == "processing":
            self._respond(node, request, OK, "")
        last = 0
        for event_type, payload in events:
            message = None
            if command.message is not None:
                message = world.event(event_type, sender=node, key=command.key,
                                      payload=payload, caused_by=command.message)
            last = self.raft.append(node, Record("event", event_type, command.key, payload,
                                                 source=index, message=message)) or 0
        if request is not None and self.respond_after != "processing":
            proc.after_commit[last] = request

    # -- requests --------------------------------------------------------------------------

    def receive(self, node: str, request: Request) -> None:
        """`request` arrives at `node`, which its gateway believes to be the leader."""
        world = self.world
        proc = self._procs.get(node)
        if proc is None or not self.raft.is_leader(node, proc.term):
            self._error(node, request, UNAVAILABLE, "not the leader")
            return
        limited = self.limiter is not None and request.message.type not in ALWAYS_ACCEPTED
        if limited and self.limiter is not None:
            if not self.limiter.try_acquire(world.now):
                self._error(node, request, EXHAUSTED, "in-flight limit reached")
                return
            request.admitted_at = world.now
        message = request.message
        record = Record("command", message.type, message.key or "", message.payload,
                        message=message)
        index = self.raft.append(node, record)
        request.index = index
        if index is not None:
            proc.pending[index] = request

    def _error(self, node: str, request: Request, code: str, reason: str) -> None:
        world = self.world
        world.trace.record("reject", world.now, node, target=request.client,
                           message=request.message, channel=self.name, partition=self.id,
                           detail=f"{code}: {reason}")

        def answer() -> None:
            request.finish(world.now, code, reason)

        self.network.send(node, request.gateway, answer)

    def _respond(self, node: str, request: Request | None, outcome: str, detail: str) -> None:
        if request is None:
            return
        world = self.world
        if self.limiter is not None and request.admitted_at is not None:
            self.limiter.release(world.now, world.now - request.admitted_at)
            request.admitted_at = None
        world.trace.record("send", world.now, node, target=request.client,
                           message=request.message, channel=self.name, partition=self.id,
                           offset=request.index, detail=f"response {outcome}")

        def answer() -> None:
            if request.finish(world.now, outcome, detail):
                world.trace.record("deliver", world.now, request.client, target=node,
                                   message=request.message, channel=self.name,
                                   partition=self.id, detail=f"response {outcome}")

        self.network.send(node, request.gateway, answer)

    # -- checks ------------------------------------------------------------------------------

    def replayed_state(self, node: str | None = None) -> State:
        """The state the committed log of `node` (default: the leader) replays to."""
        name = node or self.raft.leader() or self.raft.members[0]
        return replay(entry.record for entry in self.raft.committed_entries(name))

    def utilisation(self, duration: float) -> float:
        """Share of `duration` the processor spent processing commands."""
        return self.busy_time / duration if duration > 0 else 0.0
