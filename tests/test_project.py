"""Project files agree with each other: pyproject, environment.yml, README, CI entry point."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"graphviz": "python-graphviz"}  # PyPI name -> conda-forge name of the wrapper


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def names(requirements):
    return [re.split(r"[<>=!~ \[]", r, maxsplit=1)[0].lower() for r in requirements]


def environment_lines():
    return [line.split("#")[0].strip()[2:].strip()
            for line in (ROOT / "environment.yml").read_text().splitlines()
            if line.strip().startswith("- ")]


def test_environment_yml_lists_every_dependency_of_pyproject_with_the_same_bounds():
    project = pyproject()["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    env = environment_lines()
    for requirement in wanted:
        name = names([requirement])[0]
        conda = CONDA_NAMES.get(name, name)
        bound = requirement[len(name):]
        assert f"{conda}{bound}" in env, f"{conda}{bound} missing from environment.yml"


def test_environment_yml_pins_python_installs_dot_and_the_package():
    env = environment_lines()
    assert any(re.fullmatch(r"python=3\.1[1-9]", e) for e in env)
    assert "graphviz" in env
    assert "pip" in env
    assert "-e ." in env


def test_the_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["python3 tasks.py lab", "python3 tasks.py test"]
    assert "python3 tasks.py test" in (ROOT / ".ci" / "run").read_text()


def test_the_package_declares_typing_and_a_version():
    import eventlab

    assert (ROOT / "eventlab" / "py.typed").exists()
    assert eventlab.__version__ == pyproject()["project"]["version"]


def test_the_facilitator_agenda_names_only_exercises_the_notebooks_have():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    guide = (root / "docs" / "facilitator.md").read_text(encoding="utf-8")
    agenda = guide[guide.index("## Agenda"):guide.index("## How to demo a notebook")]
    named = set(re.findall(r"(?<![\d.])(\d{1,2}\.\d)(?![\d.])", agenda.split("**Full day**")[0]))
    have = set()
    for notebook in (root / "notebooks").glob("*.ipynb"):
        have |= {f"{a}.{b}" for a, b in re.findall(r"checks\.exercise_(\d+)_(\d+)\(",
                                                     notebook.read_text(encoding="utf-8"))}
    assert named, "the agenda names no exercise"
    assert named <= have, sorted(named - have)
