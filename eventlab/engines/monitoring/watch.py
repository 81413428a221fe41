"""A monitor that consumes every message and alarms on cases that went quiet.

flowing-retail's monitor keeps every message per traceId; it knows no flow, so the one rule it
can run without one is "a case that has not finished and has been quiet for `idle` hours".
:class:`IdleWatch` runs that rule while the system runs: it subscribes to every message on a
bus, remembers each open case's last message, and every `every` hours raises an alarm for each
case quiet for at least `idle` hours (once per quiet spell: a case that speaks again can be
alarmed again later). A case is finished when one of the `done` message types arrives.

It needs no code in the services (only the case id that every message already carries), but
a single threshold must be longer than the longest *normal* pause of any case, or it alarms on
cases that are only waiting.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import simpy

from eventlab.core.bus import Bus
from eventlab.core.errors import check_float, check_text
from eventlab.core.messages import Message
from eventlab.core.world import World

ALARM_COLUMNS: tuple[str, ...] = ("time", "case", "rule", "about", "since")


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm: when, about which case, by which rule, about what, since when."""

    time: float
    case: str
    rule: str
    about: str
    since: float


def alarm_table(alarms: Sequence[Alarm]) -> pd.DataFrame:
    """Alarms as a table (time, case, rule, about, since), in the order they were raised."""
    return pd.DataFrame([(a.time, a.case, a.rule, a.about, a.since) for a in alarms],
                        columns=list(ALARM_COLUMNS))


def check_done(done: Sequence[str]) -> tuple[str, ...]:
    """The final message types, checked: a non-empty list of names."""
    if isinstance(done, str) or not isinstance(done, Sequence) or not done:
        raise TypeError(f"done must be a list of final message types, got {done!r}")
    return tuple(check_text("done message type", d) for d in done)


class IdleWatch:
    """A consumer of every message with one rule: alarm on a case quiet for `idle` hours."""

    def __init__(self, world: World, bus: Bus, *, done: Sequence[str], idle: float,
                 every: float, until: float, name: str = "Monitor") -> None:
        if not isinstance(world, World):
            raise TypeError(f"world must be an eventlab World, got {type(world).__name__}")
        if not isinstance(bus, Bus):
            raise TypeError(f"bus must be an eventlab Bus, got {type(bus).__name__}")
        self.world, self.name = world, check_text("name", name)
        self.done = check_done(done)
        self.idle = check_float("idle", idle, low=0.0, low_open=True)
        self.every = check_float("every", every, low=0.0, low_open=True)
        self.until = check_float("until", until, low=0.0)
        self.stored = 0  # messages written to the monitor's own store
        self.alarms: list[Alarm] = []
        self._last: dict[str, tuple[float, str]] = {}  # open case -> (time, message type)
        self._finished: set[str] = set()  # only asked "is it in?", never iterated
        self._alarmed: dict[str, float] = {}  # case -> the last-message time it was alarmed at
        world.env.process(self._consume(bus.subscribe(self.name)))
        world.env.process(self._check())

    def _consume(self, inbox: simpy.Store) -> Generator[simpy.Event, Any, None]:
        while True:
            message: Message = yield inbox.get()
            self.stored += 1
            case = str(message.correlation_id)
            # the time the message carries (when it was sent), as the companion's monitor
            # keeps it; a late copy of an old message does not make its case younger
            row = (message.time, message.type)
            if message.type in self.done:
                self._finished.add(case)
                self._last.pop(case, None)
            elif case not in self._finished:
                self._last[case] = max(self._last.get(case, row), row)

    def _check(self) -> Generator[simpy.Event, Any, None]:
        world = self.world
        while world.now + self.every <= self.until:
            yield world.env.timeout(self.every)
            for case, (last, about) in self._last.items():  # dicts keep arrival order
                if world.now - last >= self.idle and self._alarmed.get(case) != last:
                    self._alarmed[case] = last
                    self.alarms.append(Alarm(world.now, case, "quiet", about, last))
                    world.trace.record("note", world.now, self.name, correlation_id=case,
                                       value="quiet",
                                       detail=f"quiet for {world.now - last:.1f} h after "
                                              f"{about}")

    def table(self) -> pd.DataFrame:
        """Every alarm raised so far."""
        return alarm_table(self.alarms)
