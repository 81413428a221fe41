"""Reading a learner's file: every problem is one line that names the file and says what is
wrong with it, never a FileNotFoundError, UnicodeDecodeError or pandas ParserError from
deep inside a reader."""

from __future__ import annotations

import csv
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from eventlab.core.errors import ConfigError, describe


class FileProblemError(ConfigError):
    """A file that cannot be read as what it should be; the message names the file."""


def existing_file(path: Any, *, name: str = "path") -> Path:
    """`path` as a Path, if it names a readable file (not a folder, not missing)."""
    if isinstance(path, bool) or not isinstance(path, str | PathLike):
        raise TypeError(f"{name} must be a file path (str or pathlib.Path), got {describe(path)}")
    if not str(path).strip():
        raise FileProblemError(f"{name} must name a file, got an empty string")
    file = Path(path)
    if not file.exists():
        raise FileProblemError(f"{file}: no such file")
    if not file.is_file():
        raise FileProblemError(f"{file}: is a folder, not a file" if file.is_dir()
                               else f"{file}: is not a regular file")
    return file


def read_text(path: Any, *, name: str = "path", encoding: str = "utf-8") -> tuple[Path, str]:
    """(the file, its text), decoded as `encoding`; problems name the file."""
    file = existing_file(path, name=name)
    try:
        return file, file.read_text(encoding=encoding)
    except UnicodeDecodeError as err:
        raise FileProblemError(f"{file}: not UTF-8 text ({err.reason} at byte {err.start}); "
                               "save it as UTF-8 (CSV UTF-8 in Excel)") from None
    except OSError as err:  # permission denied, a device, a vanished file
        raise FileProblemError(f"{file}: cannot be read ({err.strerror or err})") from None


def read_csv(path: Any, *, name: str = "path", **options: Any) -> pd.DataFrame:
    """pandas.read_csv of a UTF-8 file whose problems name the file (all text by default)."""
    file = existing_file(path, name=name)
    options = {"dtype": str, "keep_default_na": False, "na_values": [""], **options}
    try:
        frame: pd.DataFrame = pd.read_csv(file, encoding="utf-8", **options)
    except pd.errors.EmptyDataError:
        raise FileProblemError(f"{file}: the file is empty; a CSV needs a header line") from None
    except (pd.errors.ParserError, csv.Error) as err:
        detail = str(err).strip().splitlines()[-1] if str(err).strip() else "unreadable"
        raise FileProblemError(f"{file}: not valid CSV ({detail})") from None
    except UnicodeDecodeError as err:
        raise FileProblemError(f"{file}: not UTF-8 text ({err.reason} at byte {err.start}); "
                               "save it as UTF-8 (CSV UTF-8 in Excel)") from None
    except OSError as err:
        raise FileProblemError(f"{file}: cannot be read ({err.strerror or err})") from None
    return frame
