"""ISO 8601 durations, as BPMN timers write them (``P20D``, ``PT12H``, ``PT0.5H``), to hours.

Weeks, days, hours, minutes and seconds have fixed lengths; years and months do not (a
month is 28 to 31 days), so a timer written with them is rejected rather than guessed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from eventlab.core.errors import ConfigError, check_float

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(rf"^P(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
                       rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$")
_CALENDAR = re.compile(r"^P(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?")
_CYCLE = re.compile(r"^R(\d*)/(P.*)$")
_HOURS = (168.0, 24.0, 1.0, 1 / 60, 1 / 3600)


def hours(what: str, text: str) -> float:
    """The hours of an ISO 8601 duration; a ConfigError naming `what` if it is none."""
    clean = text.strip()
    found = _DURATION.match(clean)
    if found is None or clean in ("P", "PT") or clean.endswith("T"):
        calendar = _CALENDAR.match(clean)
        if calendar is not None and calendar.group(0) != "P":
            raise ConfigError(f"{what}: {text!r} counts years or months, which have no fixed "
                              "length; write weeks, days or hours (P30D)")
        raise ConfigError(f"{what}: {text!r} is not an ISO 8601 duration (write P20D, PT12H "
                          "or PT30M; days go before the T: P7D, not PT7D)")
    total = 0.0
    for part, unit in zip(found.groups(), _HOURS, strict=True):
        if part is not None:
            value = float(part.replace(",", "."))
            # exact for whole units: 1 hour is 1.0, not 3600 * (1/3600)
            total += value * unit if unit >= 1 else value / round(1 / unit)
    if total <= 0:
        raise ConfigError(f"{what}: {text!r} is a zero duration; a timer needs time to wait")
    return total


def cycle(what: str, text: str) -> tuple[int | None, float]:
    """``R3/PT1H`` -> (3, 1.0); a plain duration -> (None, hours)."""
    clean = text.strip()
    found = _CYCLE.match(clean)
    if found is None:
        return None, hours(what, clean)
    if not found.group(1):
        raise ConfigError(f"{what}: {text!r} repeats forever; give the number of repetitions "
                          "(R3/PT1H): a simulation must end")
    times = int(found.group(1))
    if times < 1:
        raise ConfigError(f"{what}: {text!r} repeats {times} times; give at least R1")
    return times, hours(what, found.group(2))


def iso(value: float) -> str:
    """Hours as the ISO 8601 duration the writer uses: ``P20D``, ``PT12H``, ``PT0.5H``."""
    check_float("hours", value, low=0.0, low_open=True)
    if value % 24 == 0:
        return f"P{int(value // 24)}D"
    if value == int(value):
        return f"PT{int(value)}H"
    # the shortest decimal that reads back as the same float (never 1e-05 notation)
    return f"PT{format(Decimal(repr(value)), 'f')}H"
