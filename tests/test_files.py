"""Every loader of a learner's file says which file and what is wrong with it, in one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eventlab.core import trace
from eventlab.domains.onboarding.catalogue import load_catalogue
from eventlab.engines.monitoring import dfg
from eventlab.scenarios import presets
from eventlab.scenarios.recap.slides import slide_map

LOADERS: dict[str, Callable[[Any], Any]] = {
    "trace.read_csv": trace.read_csv,
    "dfg.read_log": lambda p: dfg.read_log(p, case="a", activity="b", timestamp="c"),
    "dfg.read_monitor_log": dfg.read_monitor_log,
    "load_catalogue": load_catalogue,
    "slide_map": slide_map,
    "presets.load": presets.load,
}

BROKEN: dict[str, tuple[bytes | None, str]] = {
    # file name: (content, or None for "do not create"; words of the message)
    "missing.csv": (None, "no such file"),
    "folder": (b"", "is a folder, not a file"),
    "latin1.csv": ("name,größe\n".encode("latin-1"), "not UTF-8 text"),
    "binary.csv": (b"\xff\xfe\x00\x80garbage", "not UTF-8 text"),
}


@pytest.mark.parametrize("loader", list(LOADERS))
@pytest.mark.parametrize("name", list(BROKEN))
def test_a_missing_folder_or_non_utf8_file_is_named_with_its_problem(
        tmp_path: Path, loader: str, name: str) -> None:
    content, words = BROKEN[name]
    path = tmp_path / name
    if name == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=words) as caught:
        LOADERS[loader](path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("loader", list(LOADERS))
@pytest.mark.parametrize("content", [b"", b'a,b\n1,"never closed\n'])
def test_an_empty_or_unparsable_file_is_a_clear_error_never_a_parser_traceback(
        tmp_path: Path, loader: str, content: bytes) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"odd\.csv") as caught:
        LOADERS[loader](path)
    assert type(caught.value).__module__.startswith("eventlab.")


@pytest.mark.parametrize("loader", list(LOADERS))
@pytest.mark.parametrize("path", [3, b"trace.csv", ["a.csv"]])
def test_a_path_of_the_wrong_type_is_a_type_error_naming_path(loader: str, path: Any) -> None:
    with pytest.raises(TypeError, match="path must be a file path"):
        LOADERS[loader](path)
