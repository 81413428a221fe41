"""Reconciling a healed split in an AP system: a declared merge rule decides what survives.

An AP system keeps accepting writes on both sides of a network split (a Raft group in
``ap_mode``: every segment elects its own leader). When the split heals, the side with the
higher term wins the log and the other side's entries are truncated. What becomes of the
*writes* those entries carried, which clients were already told were OK, is the merge rule's
decision, made by the winning leader from the entries the losing nodes drop:

* ``"last_writer_wins"``: per instance, the version whose latest write carries the later
  timestamp wins whole, and the other version's writes since the split are gone, as in a
  register with last-writer-wins (Cassandra's cells, Dynamo-style stores). Nothing it keeps
  breaks an invariant, because each version passed its own side's checks; it loses
  acknowledged writes.
* ``"merge"``: every item either side added is kept. Adding an item commutes (a grow-only set
  is a CRDT), so nothing acknowledged is lost; but an invariant that each side checked alone
  ("at most `limit` items") can be broken by the union: each side saw room for its own items.

Only ``ItemAdded`` writes are reconciled (see :mod:`eventlab.engines.zeebe.records`). The
winning leader appends one ``MergeItems`` or ``ReplaceItems`` command per instance, and the
single writer processes it like any command, so every replica ends with the same log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventlab.core.errors import check_choice, check_float
from eventlab.core.world import World
from eventlab.engines.zeebe.members import Entry
from eventlab.engines.zeebe.processor import Partition
from eventlab.engines.zeebe.records import Record, replay

MERGE_RULES: tuple[str, ...] = ("last_writer_wins", "merge")


class Reconciler:
    """Collects the entries the losing side drops after a heal and merges their writes back."""

    def __init__(self, world: World, partition: Partition, rule: str, *,
                 gather: float = 5.0) -> None:
        self.world = world
        self.partition = partition
        self.rule = check_choice("rule", rule, MERGE_RULES)
        # the losing nodes learn of the winner a few network hops apart: wait for all of
        # them, but no longer, so that few writes happen between the heal and the merge
        self.gather = check_float("gather", gather, low=0.0)
        self.branch: dict[str, dict[Any, float]] = {}  # key -> item -> its write time
        self.diverged_at: int | None = None  # first log index the two sides disagree on
        self.seen: set[int] = set()
        self.scheduled = False
        self.decisions: list[tuple[float, str, str, int]] = []  # (time, key, command, items)
        partition.raft.on_truncate(self._dropped)

    def _dropped(self, node: str, leader: str, index: int, dropped: Sequence[Entry]) -> None:
        fresh = [e for e in dropped if e.uid not in self.seen]
        self.seen.update(e.uid for e in fresh)
        writes = [e.record for e in fresh
                  if getattr(e.record, "kind", "") == "event" and e.record.type == "ItemAdded"]
        if not writes:
            return
        self.diverged_at = index if self.diverged_at is None else min(self.diverged_at, index)
        for record in writes:
            self.branch.setdefault(record.key, {})[record.payload.get("item")] = \
                float(record.payload.get("at", 0.0))
        if not self.scheduled:
            self.scheduled = True
            timer = self.world.env.timeout(self.gather)
            timer.callbacks.append(lambda _e: self._reconcile())

    def _reconcile(self) -> None:
        raft = self.partition.raft
        leader = raft.leader()
        if leader is None:  # no leader right now: try again a little later
            timer = self.world.env.timeout(max(self.gather, 1.0))
            timer.callbacks.append(lambda _e: self._reconcile())
            return
        self.scheduled = False
        log = raft.nodes[leader].log
        start = (self.diverged_at or 1) - 1
        base = replay(e.record for e in log[:start])
        ours: dict[str, dict[Any, float]] = {}  # this side's writes since the divergence
        for entry in log[start:]:
            record = entry.record
            if getattr(record, "kind", "") == "event" and record.type == "ItemAdded":
                ours.setdefault(record.key, {})[record.payload.get("item")] = \
                    float(record.payload.get("at", 0.0))
        now = replay(e.record for e in log)
        for key in sorted(self.branch):
            record = self._decide(key, self.branch[key], ours.get(key, {}),
                                  now.get(key, {}), base.get(key, {}))
            if record is not None:
                raft.append(leader, record)
                self.decisions.append((self.world.now, key, record.type,
                                       len(record.payload.get("items", ()))))
        self.branch.clear()
        self.diverged_at = None

    def _decide(self, key: str, theirs: dict[Any, float], ours: dict[Any, float],
                current: dict[str, Any], base: dict[str, Any]) -> Record | None:
        have = tuple(current.get("items", ()))
        if self.rule == "merge":
            missing = tuple((item, at) for item, at in theirs.items() if item not in have)
            return Record("command", "MergeItems", key, {"items": missing}) if missing else None
        # Last writer wins: the version of this instance whose latest write is later
        # survives whole, the other one's writes since the split are gone
        their_last = max(theirs.values())
        our_last = max(ours.values(), default=float(base.get("written_at", 0.0)))
        if their_last <= our_last:
            return None
        common = set(base.get("items", ()))
        items = (*(i for i in have if i in common), *theirs)
        return Record("command", "ReplaceItems", key, {"items": items, "at": their_last})
