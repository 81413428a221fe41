"""A day you operate yourself: run to an hour, read what you were told, fix, resolve, go on.

:func:`~eventlab.scenarios.styles.run` lets an operator act on their own: once the fix is
out they resolve the incident (orchestration) or replay the parked message (choreography).
A :class:`LiveDay` takes that operator away: the poisoned message stays poisoned until you
call :meth:`LiveDay.fix`, and an incident stays open (the instance waits where it failed)
until you call :meth:`LiveDay.resolve`::

    day = styles.live(styles.Config(style="orchestration"))
    day.run_until(2)                 # hours from the start
    day.incidents()                  # order-0005 waits at 'Ship goods'
    day.fix(); day.resolve("order-0005")
    day.run_until(8); day.history("order-0005")

The world is the same as :func:`run`'s for the same config (seed, orders, fault schedule);
only who acts, and when, is yours.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from eventlab.core.config import resolve
from eventlab.core.errors import ConfigError, check_float, check_text
from eventlab.scenarios.styles.config import HOUR, Config, Faults, faults_of
from eventlab.scenarios.styles.history import history
from eventlab.scenarios.styles.measure import facts
from eventlab.scenarios.styles.model import Day, Model


class LiveDay:
    """One day of the shop in which nobody acts unless you do.

    The same world as :func:`~eventlab.scenarios.styles.run` for the same config (orders,
    faults, seed), but the fix for the poisoned message comes only when you call
    :meth:`fix`, and what Operations is told about (an incident on an order's instance, or a
    message parked on the dead-letter topic) waits until you :meth:`resolve` it.
    :meth:`run_until` moves the clock on (hours from the start); :meth:`waiting`,
    :meth:`incidents`, :meth:`history` and :meth:`orders` say where the day stands."""

    def __init__(self, config: Config, faults: Faults) -> None:
        # the fix never comes on its own: fix() brings it
        self.config = config
        self._model = Model(config, replace(faults, fix_at=None), operator=False)
        self._day: Day = self._model.build()

    def __repr__(self) -> str:
        return (f"LiveDay(style={self.config.style!r}, at {self.hours:.2f} h of "
                f"{self._day.until / HOUR:.2f} h, open: {', '.join(self.waiting()) or 'none'})")

    @property
    def hours(self) -> float:
        """The simulated clock, in hours from the start."""
        return self._day.world.now / HOUR

    @property
    def fixed_at(self) -> float | None:
        """When the fix came out (hours), or None while it has not."""
        fix = self._model.fix_at
        return None if fix is None else fix / HOUR

    def run_until(self, hours: float) -> LiveDay:
        """Advance the day to `hours` from the start (later than now, at most the day's end)."""
        end = self._day.until / HOUR
        check_float("hours", hours, low=self.hours, low_open=True)
        if hours > end:
            raise ConfigError(f"hours={hours} is after the day's end at {end:.2f} h; "
                              f"run_until({end:.2f}) runs the day to its end")
        self._day.world.env.run(until=hours * HOUR)
        return self

    def waiting(self) -> list[str]:
        """The orders someone was told about and nobody acted on yet, in the order told."""
        told = [*self._model.incidents.items(), *self._model.parked.items()]
        return [order for order, (_, detection) in told if detection.acted is None
                and self._still_open(order)]

    def _still_open(self, order: str) -> bool:
        if order in self._model.incidents:
            return bool(self._model.incidents[order][0].open_incidents)
        return True

    def incidents(self) -> pd.DataFrame:
        """What the operator was told so far: order, when (h), how (an incident on the
        order's instance, or a message parked on the dead-letter topic), when acted."""
        rows = [{"order": d.order, "told at (h)": d.at / HOUR, "how": d.how,
                 "acted at (h)": math.nan if d.acted is None else d.acted / HOUR}
                for d in self._day.detections]
        columns = ["order", "told at (h)", "how", "acted at (h)"]
        return pd.DataFrame(rows, columns=columns).round({"told at (h)": 3, "acted at (h)": 3})

    def fix(self) -> LiveDay:
        """The fix for the poisoned message is out, from now on (resolving before the fix
        only fails again). A second call changes nothing: the fix is out already."""
        if self._model.fix_at is None:
            self._model.fix_now()
        return self

    def resolve(self, order: str) -> LiveDay:
        """Act on what you were told about `order`: resolve its incident (orchestration: the
        instance tries the failed job again, with the config's tries) or replay its parked
        message (choreography)."""
        check_text("order", order)
        if order in self._model.incidents:
            inst, detection = self._model.incidents[order]
            if not self._model.resolve_now(inst, detection):
                raise ConfigError(f"order={order!r} has no open incident (it was resolved or "
                                  f"cancelled); waiting: {', '.join(self.waiting()) or 'none'}")
        elif order in self._model.parked:
            message, detection = self._model.parked[order]
            if detection.acted is not None:
                raise ConfigError(f"order={order!r}: its parked message was replayed at "
                                  f"{detection.acted / HOUR:.2f} h and was not parked again "
                                  "since; run the day on (run_until) to see what came of it")
            self._model.replay_now(message, detection)
        else:
            raise ConfigError(f"order={order!r}: nobody was told about it; waiting: "
                              f"{', '.join(self.waiting()) or 'none'}")
        return self

    def history(self, order: str) -> pd.DataFrame:
        """What happened to `order` so far, one row per step (see :func:`history`)."""
        return history(self._day.world.trace.to_frame(), order)

    def orders(self) -> pd.DataFrame:
        """One row per order so far (the table of :meth:`StylesResult.orders`)."""
        return facts(self._day)


def live(config: Config | None = None, *, faults: Faults | None = None) -> LiveDay:
    """A day of `config` that you operate (see :class:`LiveDay`); the fault schedule is the
    config's unless `faults` says otherwise (its ``fix_at`` is yours: :meth:`LiveDay.fix`)."""
    config = resolve(Config, config)
    if faults is None:
        faults = faults_of(config)
    elif not isinstance(faults, Faults):
        raise TypeError(f"faults must be a styles.Faults schedule, got {type(faults).__name__}")
    return LiveDay(config, faults)
