"""Read a learner's answer in whatever sensible shape it comes, and show values briefly.

A learner may answer a list with a tuple, a set or a pandas Series, a dict with a Series,
a number with a float, a numpy number or a ``Decimal``. The checkers compare meanings, so
they first bring an answer into one plain shape here; ``None`` means "not that shape".
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

CENT = 0.005  # two amounts in dollars are equal when they round to the same cent
MAX_ITEMS = 100_000  # more items than any answer to these exercises has


def as_number(value: Any) -> float | None:
    """A real number as a float (int, float, Decimal, Fraction, numpy); else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def as_int(value: Any) -> int | None:
    """A whole number as an int (``3``, ``3.0``, ``numpy.int64(3)``); else None."""
    number = as_number(value)
    if number is None or number != number or abs(number) == float("inf") \
            or number != int(number):
        return None
    return int(number)


def as_items(value: Any) -> list[Any] | None:
    """The items of a list, tuple, set, Series, Index or array; a dict's keys (those with a
    true value, when every value is a bool); None for a string or a non-collection."""
    if isinstance(value, str | bytes) or value is None:
        return None
    if isinstance(value, pd.DataFrame):
        return None
    if isinstance(value, pd.Series):
        return list(value.tolist())
    if isinstance(value, Mapping):
        if value and all(isinstance(v, bool) for v in value.values()):
            return [k for k, v in value.items() if v]
        return list(value)
    if isinstance(value, Iterable):
        try:  # at most MAX_ITEMS: an endless iterator (itertools.count()) is no answer
            items = list(itertools.islice(value, MAX_ITEMS + 1))
        except Exception:  # an iterable that fails to iterate is not a collection
            return None
        return items if len(items) <= MAX_ITEMS else None
    return None


def as_mapping(value: Any) -> dict[Any, Any] | None:
    """A dict from a Mapping, a Series (index to value) or a DataFrame of two or three
    columns ({first: second} or {(first, second): third}); else None."""
    if isinstance(value, Mapping):
        return dict(value.items())
    if isinstance(value, pd.Series):
        return dict(value.items())
    if isinstance(value, pd.DataFrame) and value.shape[1] in (2, 3):
        rows = value.itertuples(index=False, name=None)
        if value.shape[1] == 2:
            return dict(rows)
        return {(a, b): c for a, b, c in rows}
    return None


def plain(value: Any) -> Any:
    """numpy scalars and pandas values as plain Python values, for a readable message."""
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        try:
            return item()
        except Exception:  # an array of several values: leave it as it is
            return value
    return value


def show(value: Any, limit: int = 50) -> str:
    """A short repr that reads the same on every run: sets sorted, long ones cut."""
    value = plain(value)
    if isinstance(value, pd.Series | pd.DataFrame):
        text = f"a pandas {type(value).__name__} of {len(value)} rows"
    elif isinstance(value, set | frozenset):
        text = "{" + ", ".join(sorted(show(v, limit) for v in value)) + "}" if value \
            else "set()"
    elif isinstance(value, Mapping):  # a dict keeps its (deterministic) insertion order
        text = "{" + ", ".join(f"{show(k, limit)}: {show(v, limit)}"
                               for k, v in value.items()) + "}"
    elif isinstance(value, float):
        text = f"{value:.10g}"
    else:
        try:
            text = repr(value)
        except Exception:  # a repr that raises must not make the checker raise
            text = f"a {type(value).__name__}"
    text = " ".join(text.split())  # one line
    return text if len(text) <= limit else text[:limit - 1] + "…"


def difference(expected: Any, got: Any) -> tuple[str, str]:
    """(expected, got) shown alike; for two long dicts only the first key where they differ,
    for two long collections the first item one has and the other has not."""
    whole = show(expected, 200), show(got, 200)
    if max(len(whole[0]), len(whole[1])) <= 60:
        return whole
    if isinstance(expected, Mapping) and isinstance(got, Mapping):
        for key in [*expected, *(k for k in got if k not in expected)]:
            if key not in got:
                return f"{show(key)}: {show(expected[key])}", f"no {show(key)}"
            if key not in expected:
                return f"no {show(key)}", f"{show(key)}: {show(got[key])}"
            if expected[key] != got[key]:
                want, have = difference(expected[key], got[key])
                return f"{show(key)}: {want}", f"{show(key)}: {have}"
    plain_types = (list, tuple, set, frozenset)
    if isinstance(expected, plain_types) and isinstance(got, plain_types):
        for item in expected:
            if item not in got:
                return f"{show(item)} among them", f"no {show(item)}"
        for item in got:
            if item not in expected:
                return f"no {show(item)}", f"{show(item)} as well"
    return show(expected), show(got)


def kind_of(value: Any) -> str:
    """What an expected value looks like, briefly: "a dict like {'a': 1, …}"."""
    names = {dict: "a dict", list: "a list", tuple: "a tuple", str: "a string",
             int: "a whole number", float: "a number", bool: "True or False"}
    name = names.get(type(value), f"a {type(value).__name__}")
    return f"{name} like {show(value, 45)}"
