"""The message catalogue: message names to classify, read from
``eventlab/resources/message_catalogue.csv`` (a copy learners edit is in ``data/``).

The loader reads plain CSV with the standard library (no pickle, no eval, nothing executed)
and checks every value before anything uses it. A mistake stops it with one line that
names the file, the row, the column and the value, and says what is allowed.

Columns: ``name`` (required), ``sender`` (required), ``source`` (where the name comes from)
and ``expected`` (the kind you expect, or empty). Rows are counted from 1 after the header.
"""

from __future__ import annotations

import csv
import io
import re
from os import PathLike

import pandas as pd

from eventlab.core import files
from eventlab.core.errors import ConfigError
from eventlab.core.resources import resource
from eventlab.domains.onboarding.disguise import KINDS, classify

CATALOGUE = resource("message_catalogue.csv")
COLUMNS: tuple[str, ...] = ("name", "sender", "source", "expected")
REQUIRED: tuple[str, ...] = ("name", "sender")
EXPECTED: tuple[str, ...] = KINDS[:3]  # what a catalogue may claim: event, command, disguise
MAX_ROWS = 1000
MAX_LENGTH = 120
_SENDER = re.compile(r"[A-Za-z][A-Za-z0-9 ._-]*")
_NAME = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9 ,.'/()-]*")


class CatalogueError(ConfigError):
    """A catalogue file that cannot be used as it is; the message says where and why."""


def load_catalogue(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Read and check a catalogue CSV (default: the one the package ships)."""
    try:
        file, text = files.read_text(CATALOGUE if path is None else path,
                                     encoding="utf-8-sig")
    except files.FileProblemError as err:
        raise CatalogueError(str(err)) from None
    return parse_catalogue(text, source=file.name)


def parse_catalogue(text: str, *, source: str = "<text>") -> pd.DataFrame:
    """Check catalogue CSV `text` (as a file would hold it); `source` names it in errors."""
    if not isinstance(text, str):
        raise TypeError(f"text must be the CSV as a string, got {type(text).__name__}")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise CatalogueError(f"{source}: empty, expected a header line "
                             f"{','.join(COLUMNS)}")
    header = [cell.strip() for cell in rows[0]]
    for column in header:
        if column not in COLUMNS:
            raise CatalogueError(f"{source}: header has unknown column {column!r}; allowed: "
                                 f"{', '.join(COLUMNS)}")
    for column in REQUIRED:
        if column not in header:
            raise CatalogueError(f"{source}: header lacks the column {column!r} "
                                 f"(required: {', '.join(REQUIRED)})")
    if len(set(header)) != len(header):
        raise CatalogueError(f"{source}: header names a column twice: {','.join(header)}")
    body = [(line, row) for line, row in enumerate(rows[1:], start=2) if any(c.strip()
                                                                             for c in row)]
    if len(body) > MAX_ROWS:
        raise CatalogueError(f"{source}: {len(body)} rows; at most {MAX_ROWS} are allowed")
    records: list[dict[str, str]] = []
    first_seen: dict[str, int] = {}
    for number, (line, row) in enumerate(body, start=1):
        where = f"{source}: row {number} (line {line})"
        if len(row) != len(header):
            raise CatalogueError(f"{where}: {len(row)} fields, but the header has "
                                 f"{len(header)} ({','.join(header)})")
        record = {c: row[i].strip() for i, c in enumerate(header)}
        _check_row(where, record)
        name = record["name"]
        if name in first_seen:
            raise CatalogueError(f"{where}, column 'name': {name!r} is already row "
                                 f"{first_seen[name]}; each name once")
        first_seen[name] = number
        records.append({c: record.get(c, "") for c in COLUMNS})
    return pd.DataFrame(records, columns=list(COLUMNS)).set_index("name")


def _check_row(where: str, record: dict[str, str]) -> None:
    name, sender = record["name"], record["sender"]
    if not name or len(name) > MAX_LENGTH or not _NAME.fullmatch(name):
        raise CatalogueError(f"{where}, column 'name': {name!r} is not a message name "
                             f"(letters first, then letters, digits, spaces or .,'/()-; "
                             f"at most {MAX_LENGTH} characters)")
    if not sender or len(sender) > MAX_LENGTH or not _SENDER.fullmatch(sender):
        raise CatalogueError(f"{where}, column 'sender': {sender!r} is not a service name "
                             "(letters first, then letters, digits, spaces or ._-)")
    if len(record.get("source", "")) > MAX_LENGTH:
        raise CatalogueError(f"{where}, column 'source': longer than {MAX_LENGTH} characters")
    expected = record.get("expected", "")
    if expected and expected not in EXPECTED:
        allowed = ", ".join(repr(k) for k in EXPECTED)
        raise CatalogueError(f"{where}, column 'expected': {expected!r} is not one of "
                             f"{allowed} (or empty)")


def classify_catalogue(catalogue: pd.DataFrame) -> pd.DataFrame:
    """The catalogue with every name classified, the reason, and whether it matches."""
    if not isinstance(catalogue, pd.DataFrame) or catalogue.index.name != "name":
        raise TypeError("catalogue must be the table load_catalogue() returns")
    rows = []
    for name, row in catalogue.iterrows():
        verdict = classify(str(name))
        expected = str(row.get("expected", "") or "")
        rows.append({"name": name, "sender": row["sender"], "kind": verdict.kind,
                     "expected": expected or "—",
                     "agrees": "—" if not expected else ("yes" if expected == verdict.kind
                                                         else "NO"),
                     "rule": verdict.rule, "reason": verdict.reason})
    return pd.DataFrame(rows).set_index("name")
