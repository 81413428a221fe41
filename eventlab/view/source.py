"""Look inside: show the learner the SimPy code of a mechanism, read from the package itself.

``source(Consumer.run)`` shows that function as the installed package has it (never a pasted
copy that could drift), with its file relative to the package and its line numbers, as a
highlighted code block. It renders as Markdown, which JupyterLab, Notebook 7 and VS Code show
with syntax colours even in a notebook nobody has run or trusted.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventlab.core.errors import check_int

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds eventlab/
MAX_LINES = 80  # a look inside fits on one screen; a longer piece is split by the caller


@dataclass(frozen=True)
class Source:
    """A piece of eventlab's own code: where it is and what it says."""

    name: str  # e.g. "Consumer.run"
    path: str  # relative to the package's parent folder, e.g. "eventlab/engines/kafka/consumer.py"
    first: int  # first line number in that file
    code: str

    @property
    def last(self) -> int:
        return self.first + self.code.count("\n")

    def __repr__(self) -> str:
        return f"{self.name} ({self.path}, lines {self.first}–{self.last})\n{self.code}"

    def _repr_markdown_(self) -> str:
        return (f"`{self.name}` from `{self.path}`, lines {self.first}–{self.last}:\n\n"
                f"```python\n{self.code}\n```")


def source(obj: Any, *, start: int | None = None, stop: int | None = None) -> Source:
    """The code of an eventlab function, method or class, optionally only its lines
    `start`..`stop` (counted from 1 at its ``def``/``class`` line, `stop` included)."""
    target = inspect.unwrap(obj)
    module = inspect.getmodule(target)
    if module is None or not module.__name__.startswith("eventlab"):
        raise TypeError(f"source shows eventlab's own code, got {obj!r}")
    try:
        lines, first = inspect.getsourcelines(target)
    except (OSError, TypeError) as err:
        raise TypeError(f"no source for {obj!r}: pass a function, method or class") from err
    begin = 1 if start is None else check_int("start", start, low=1, high=len(lines))
    end = len(lines) if stop is None else check_int("stop", stop, low=begin, high=len(lines))
    if end - begin + 1 > MAX_LINES:
        raise ValueError(f"{end - begin + 1} lines is more than one screen ({MAX_LINES}); "
                         "pass start= and stop= to show a part")
    chosen = lines[begin - 1:end]
    file = Path(inspect.getsourcefile(target) or module.__file__ or "").resolve()
    try:
        shown = file.relative_to(PACKAGE_ROOT).as_posix()
    except ValueError:  # installed elsewhere: name it from the package on
        shown = "/".join(file.parts[file.parts.index("eventlab"):])
    qualname = getattr(target, "__qualname__", getattr(target, "__name__", repr(target)))
    return Source(qualname, shown, first + begin - 1, _dedent(chosen))


def _dedent(lines: list[str]) -> str:
    """Dedent a slice of a body by its least indented non-blank line."""
    widths = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(widths) if widths else 0
    return "".join(line[cut:] if line.strip() else "\n" for line in lines).rstrip("\n")
