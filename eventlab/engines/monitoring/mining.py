"""Mining the log: every message exported to a log, analysed by a job that runs now and then.

Process mining works on a log of what happened, not on the running system. :class:`Miner`
models both halves: a sink subscribed to every message writes one log row per message
(case, activity, the message's own timestamp), and every `every` hours a mining job reads the
log written so far and applies three rules a process analyst uses without a model of the
flow:

* **quiet**: a case without any `done` activity whose last row is at least `idle` hours old;
* **slow**: a completed step took longer than its limit: the time from an activity ``a`` to the
  next ``b`` of the same case exceeds ``limits[(a, b)]`` (only steps that ended are measured:
  the log says how long a step *took*);
* **repeated**: an activity occurs more than once in a case (rework, a loop, a duplicate).

Each finding is raised once, at the first run of the job that sees it. A finding can be no
earlier than the job after the thing happened: that is the price of working on a log.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any

import pandas as pd
import simpy

from eventlab.core.bus import Bus
from eventlab.core.errors import ConfigError, check_bool, check_float, check_text
from eventlab.core.messages import Message
from eventlab.core.world import World
from eventlab.engines.monitoring.watch import Alarm, alarm_table, check_done

LOG_COLUMNS: tuple[str, ...] = ("time", "correlation_id", "message_type")


class Miner:
    """A log sink on the bus and a mining job every `every` hours (see the module text)."""

    def __init__(self, world: World, bus: Bus, *, done: Sequence[str], idle: float,
                 every: float, until: float, limits: Mapping[tuple[str, str], float],
                 repeated: bool = True, name: str = "Mining") -> None:
        if not isinstance(world, World):
            raise TypeError(f"world must be an eventlab World, got {type(world).__name__}")
        if not isinstance(bus, Bus):
            raise TypeError(f"bus must be an eventlab Bus, got {type(bus).__name__}")
        self.world, self.name = world, check_text("name", name)
        self.done = check_done(done)
        self.idle = check_float("idle", idle, low=0.0, low_open=True)
        self.every = check_float("every", every, low=0.0, low_open=True)
        self.until = check_float("until", until, low=0.0)
        self.repeated = check_bool("repeated", repeated)
        if not isinstance(limits, Mapping):
            raise TypeError(f"limits must map (activity, next activity) to hours, got {limits!r}")
        self.limits: dict[tuple[str, str], float] = {}
        for pair, hours in limits.items():
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise ConfigError(f"each limit must be keyed by (activity, next activity), "
                                  f"got {pair!r}")
            a, b = check_text("limit activity", pair[0]), check_text("limit activity", pair[1])
            self.limits[(a, b)] = check_float(f"limit of {a} -> {b}", hours, low=0.0)
        self.rows: list[tuple[float, str, str]] = []  # the exported log, in arrival order
        self.runs = 0  # mining jobs run so far
        self.alarms: list[Alarm] = []
        self._cases: dict[str, list[tuple[float, str]]] = {}
        self._open: dict[str, tuple[float, str]] = {}  # unfinished case -> its latest row
        self._finished: set[str] = set()  # only asked "is it in?", never iterated
        self._changed: dict[str, None] = {}  # cases with new rows since the last job
        self._found: set[tuple[str, str, float]] = set()  # (case, rule, when): raised once
        world.env.process(self._export(bus.subscribe(self.name)))
        world.env.process(self._mine())

    def _export(self, inbox: simpy.Store) -> Generator[simpy.Event, Any, None]:
        while True:
            message: Message = yield inbox.get()
            case = str(message.correlation_id)
            self.rows.append((message.time, case, message.type))
            self._cases.setdefault(case, []).append((message.time, message.type))
            self._changed[case] = None
            row = (message.time, message.type)
            if message.type in self.done:
                self._finished.add(case)
                self._open.pop(case, None)
            elif case not in self._finished:
                self._open[case] = max(self._open.get(case, row), row)

    def _mine(self) -> Generator[simpy.Event, Any, None]:
        world = self.world
        while world.now + self.every <= self.until:
            yield world.env.timeout(self.every)
            self.runs += 1
            for case in self._changed:
                self._steps(case)
            self._changed.clear()
            for case, (last, about) in self._open.items():
                if world.now - last >= self.idle:
                    self._raise(case, "quiet", about, last)

    def _raise(self, case: str, rule: str, about: str, since: float) -> None:
        if (case, rule, since) in self._found:
            return
        self._found.add((case, rule, since))
        now = self.world.now
        self.alarms.append(Alarm(now, case, rule, about, since))
        self.world.trace.record("note", now, self.name, correlation_id=case, value=rule,
                                detail=f"{rule}: {about}")

    def _steps(self, case: str) -> None:
        rows = sorted(self._cases[case])  # by timestamp; ties keep their activity order
        seen: set[str] = set()
        for index, (time, activity) in enumerate(rows):
            if self.repeated and activity in seen:
                self._raise(case, "repeated", activity, time)
            seen.add(activity)
            for (a, b), limit in self.limits.items():
                if activity != a:
                    continue
                later = next((t for t, act in rows[index + 1:] if act == b), None)
                if later is not None and later - time > limit:
                    self._raise(case, "slow", f"{a} -> {b}", time + limit)

    def log(self) -> pd.DataFrame:
        """The exported log so far: time, correlation_id, message_type (arrival order)."""
        return pd.DataFrame(self.rows, columns=list(LOG_COLUMNS))

    def table(self) -> pd.DataFrame:
        """Every finding raised so far."""
        return alarm_table(self.alarms)
