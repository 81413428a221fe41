"""The workbook's JupyterLab defaults: installed into the environment, read by JupyterLab."""

import importlib.util
import json
from pathlib import Path

import json5
import jsonschema
import pytest
from jupyterlab.commands import get_app_dir
from jupyterlab_server.settings_utils import _get_overrides

ROOT = Path(__file__).resolve().parent.parent


def load_tool():
    # tools/ is a folder of scripts, not a package: load the script by its path.
    path = ROOT / "tools" / "lab_settings.py"
    spec = importlib.util.spec_from_file_location("lab_settings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_installed_overrides_are_what_jupyterlab_reads_and_they_turn_the_news_prompt_off(tmp_path):
    target = load_tool().install(tmp_path)
    assert target == tmp_path / "settings" / "overrides.d" / "eventlab.json5"
    overrides, error = _get_overrides(str(tmp_path / "settings"))
    assert error == ""
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification["fetchNews"] == "false"
    assert notification["checkForUpdates"] is False


def test_every_override_is_valid_for_the_schema_of_the_installed_jupyterlab():
    # A misspelt plugin id or setting would be ignored without a word: check each against
    # the schema JupyterLab ships.
    overrides = json5.loads((ROOT / "jupyter" / "eventlab.json5").read_text())
    schemas = Path(get_app_dir()) / "schemas"
    for plugin_id, settings in overrides.items():
        package, plugin = plugin_id.split(":")
        schema_file = schemas / package / f"{plugin}.json"
        assert schema_file.exists(), f"no JupyterLab plugin {plugin_id}"
        schema = json.loads(schema_file.read_text())
        jsonschema.validate(settings, schema)
        assert set(settings) <= set(schema["properties"]), plugin_id


def test_installing_again_replaces_a_stale_copy_and_keeps_other_overrides(tmp_path):
    tool = load_tool()
    target = tool.destination(tmp_path)
    target.parent.mkdir(parents=True)
    target.write_text("{}")
    other = target.parent / "someone-else.json"
    other.write_text('{"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}')
    tool.install(tmp_path)
    assert target.read_text() == (ROOT / "jupyter" / "eventlab.json5").read_text()
    overrides, _ = _get_overrides(str(tmp_path / "settings"))
    assert overrides["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}


def test_the_app_folder_must_be_a_path():
    with pytest.raises(TypeError, match=r"app_dir must be a pathlib\.Path or None, got str"):
        load_tool().install("/tmp/lab")
