"""The slide map: every slide of the talk and the notebook section that shows it."""

from __future__ import annotations

import csv
import io
from os import PathLike

import pandas as pd

from eventlab.core import files
from eventlab.core.errors import ConfigError, check_text
from eventlab.core.resources import resource
from eventlab.core.workbook import NOTEBOOKS

SLIDE_MAP = resource("slide_map.csv")
SLIDE_COLUMNS: tuple[str, ...] = ("slide", "heading", "title", "part", "notebook", "section",
                                  "shows", "text")
PARTS: tuple[str, ...] = ("Opening", "1 · Events on the inside", "2 · Events inside out",
                          "3 · Events on the outside", "Recaps", "Closing")


def slide_map(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Read and check the slide map (``eventlab/resources/slide_map.csv``): every slide of the
    talk, in order, with the
    notebook and section that show it. A problem raises one line naming the row."""
    file, text = files.read_text(SLIDE_MAP if path is None else path)
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(c.strip() for c in rows[0]) != SLIDE_COLUMNS:
        raise ConfigError(f"{file.name}: the header must be {','.join(SLIDE_COLUMNS)}")
    names = [n for n, _, _ in NOTEBOOKS]
    records = []
    for number, row in enumerate(rows[1:], start=1):
        where = f"{file.name}: row {number}"
        if len(row) != len(SLIDE_COLUMNS):
            raise ConfigError(f"{where}: {len(row)} fields, expected {len(SLIDE_COLUMNS)}")
        record_ = dict(zip(SLIDE_COLUMNS, (c.strip() for c in row), strict=True))
        if record_["slide"] != str(number):
            raise ConfigError(f"{where}: slide must be {number} (slides are numbered in "
                              f"order), got {record_['slide']!r}")
        for column in ("heading", "title", "part", "notebook", "shows"):
            if not record_[column]:
                raise ConfigError(f"{where}: {column} is empty")
        if record_["part"] not in PARTS:
            raise ConfigError(f"{where}: part {record_['part']!r} is not one of "
                              f"{', '.join(PARTS)}")
        if record_["notebook"] not in names:
            raise ConfigError(f"{where}: notebook {record_['notebook']!r} is not in the "
                              "workbook (eventlab.core.workbook.NOTEBOOKS)")
        records.append(record_)
    table = pd.DataFrame(records, columns=list(SLIDE_COLUMNS))
    table["slide"] = table["slide"].astype(int)
    return table.set_index("slide")


def where(words: str, path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """The slides whose heading or title contains `words` (any case), and the notebook and
    section that show each: ``where("outbox")``."""
    check_text("words", words)
    table = slide_map(path)
    text = (table["heading"] + " " + table["title"]).str.lower()
    found = table[text.str.contains(words.strip().lower(), regex=False)]
    return found[["title", "part", "notebook", "section"]]


def slide_lines(text: str) -> list[str]:
    """The lines of a slide-text dump, whitespace collapsed, blank lines dropped (how
    ``heading`` and ``text`` in the slide map quote them)."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]
