"""Errors and the small checks every public function uses to reject bad input early.

A learner who types ``consumers=-1`` should see one line that names the parameter, the value
and what is allowed, raised from their own cell, never a traceback from deep inside SimPy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any


class EventlabError(Exception):
    """Base class of every error eventlab raises on purpose."""


class ConfigError(EventlabError, ValueError):
    """A parameter has a value that is not allowed (a ValueError, so `except ValueError` works)."""


def describe(value: Any) -> str:
    """`repr` of a value with its type, as error messages show it: ``str '3'``."""
    return f"{type(value).__name__} {value!r}"


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return `value` as an int if it is a whole number within [low, high]; otherwise raise
    naming `name`. numpy integer scalars count (learners sweep with numpy)."""
    # bool is a subclass of int: `consumers=True` would silently mean 1.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    whole = int(value)
    _check_range(name, whole, low, high)
    return whole


def check_float(
    name: str, value: Any, *, low: float | None = None, high: float | None = None,
    low_open: bool = False,
) -> float:
    """Return `value` as float if it is a finite number within the range; otherwise raise.
    numpy integer and float scalars count (learners sweep with numpy)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {describe(value)}")
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    if low_open and low is not None and value <= low:
        raise ConfigError(f"{name} must be > {low}, got {value!r}")
    _check_range(name, value, low, high)
    return float(value)


def check_probability(name: str, value: Any) -> float:
    """A probability: a finite number in [0, 1]."""
    return check_float(name, value, low=0.0, high=1.0)


def check_bool(name: str, value: Any) -> bool:
    """Return `value` if it is exactly True or False (not 0/1, not 'yes')."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return value


def check_text(name: str, value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {describe(value)}")
    if not value.strip():
        raise ConfigError(f"{name} must be a non-empty string, got {value!r}")
    if not value.isascii():
        check_unicode(name, value)
    return value


def check_unicode(name: str, value: str) -> str:
    """A string that can be written as UTF-8: no lone surrogates (``"\\ud800"``), which
    Python allows in a str but no file, database or JSON reader on another machine does."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise ConfigError(f"{name} must be valid Unicode text, got {value[:40]!r} with a lone "
                          f"surrogate {bad!r} at index {exc.start}") from None
    return value


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Return `value` if it is one of `choices`; the error lists them all."""
    if isinstance(value, bool) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ConfigError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def _check_range(name: str, value: float, low: float | None, high: float | None) -> None:
    if low is not None and value < low:
        hint = f" and <= {high}" if high is not None else ""
        raise ConfigError(f"{name} must be >= {low}{hint}, got {value!r}")
    if high is not None and value > high:
        raise ConfigError(f"{name} must be <= {high}, got {value!r} "
                          "(the limit keeps a workshop laptop responsive)")
