"""Package files read with ``importlib.resources``, so a non-editable install finds them too."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from eventlab.core.errors import check_text


def resource(name: str) -> Path:
    """The path of the package file `name` in ``eventlab/resources``.

    The package is installed as plain files (editable or not), so the resource is a real
    path that ``open``, pandas and ``csv`` can read; zipped installs are not supported.
    """
    check_text("name", name)
    path = Path(str(files("eventlab.resources").joinpath(name)))
    if not path.is_file():
        raise FileNotFoundError(f"eventlab ships no resource {name!r} (looked in {path.parent})")
    return path
