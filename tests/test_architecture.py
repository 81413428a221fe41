"""The package's layers, checked on its source: what may import what, and no cycles.

Layers, from left to right: checks → scenarios → view → domains → engines → core. A module
imports only its own layer or layers to its right. Inside a layer:

* core imports only core;
* an engine imports only core and its own engine package;
* a scenario imports only its own scenario package (``scenarios.presets``, the facilitators'
  index of scenarios, is the one module that may name them all);
* matplotlib, graphviz, ipywidgets and anywidget are imported in the view layer only.

Every import counts: module level, inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import eventlab

PACKAGE = Path(eventlab.__file__).parent
LAYERS = ("core", "engines", "domains", "view", "scenarios", "checks")
VIEW_LIBRARIES = ("matplotlib", "graphviz", "ipywidgets", "anywidget", "IPython")
ENGINES = ("eventstore", "kafka", "zeebe", "workflow", "monitoring")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str:
    while name not in MODULES and "." in name:
        name = name.rpartition(".")[0]
    return name


def _imports(module: str) -> Iterator[tuple[str, int]]:
    """(imported name, line) for every import in `module`: eventlab modules resolved to files,
    other packages by their top-level name."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source == "eventlab" or source.startswith("eventlab."):
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    yield (full if full in MODULES else source), node.lineno
            else:
                yield source, node.lineno


def _graph() -> dict[str, list[str]]:
    graph: dict[str, list[str]] = {}
    for module in MODULES:
        targets = {_resolve(name) for name, _ in _imports(module) if name.startswith("eventlab")}
        graph[module] = sorted(targets - {module})
    return graph


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _unit(module: str) -> str:
    """The package a module belongs to inside its layer (eventlab.engines.kafka.log -> kafka)."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 else ""


def _why_not(source: str, target: str) -> str | None:
    """None when `source` may import `target`, else the rule it breaks."""
    if target == "eventlab.resources" or source == "eventlab":
        ok = source != "eventlab" or _layer(target) == "core"
        return None if ok else "the root package imports core only"
    have, want = _layer(source), _layer(target)
    if have is None or want is None:
        return f"{target} is outside the layers"
    if LAYERS.index(want) > LAYERS.index(have):
        return f"{have} may not import {want} (it stands to the left)"
    if have == want == "engines" and _unit(source) != _unit(target) and _unit(target):
        return "an engine imports only core and its own package"
    if (have == want == "scenarios" and _unit(source) != _unit(target) and _unit(target)
            and source != "eventlab.scenarios.presets"):
        return "a scenario imports no other scenario"
    return None


def test_every_module_of_the_package_belongs_to_a_layer():
    loose = [m for m in MODULES if _layer(m) is None
             and m not in ("eventlab", "eventlab.resources")]
    assert loose == []


def test_each_layer_imports_only_its_own_layer_or_those_to_its_right():
    broken = [f"{source} imports {target}: {why}"
              for source, targets in _graph().items() for target in targets
              if (why := _why_not(source, target))]
    assert broken == []


def test_view_libraries_are_imported_in_the_view_layer_only():
    broken = [f"{module}:{line} imports {name}"
              for module in MODULES if _layer(module) != "view"
              for name, line in _imports(module) if name.split(".")[0] in VIEW_LIBRARIES]
    assert broken == []


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = graph.get(node, [])
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_two_modules_import_each_other_even_through_others():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle_through_three_modules():
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": ["b"], "b": [], "c": ["a"]}) == []


def test_a_scenario_importing_another_scenario_breaks_a_rule():
    assert _why_not("eventlab.scenarios.recap.order", "eventlab.scenarios.fowler")
    assert _why_not("eventlab.engines.kafka.log", "eventlab.engines.zeebe.raft")
    assert _why_not("eventlab.core.world", "eventlab.view.graphs")
    assert _why_not("eventlab.domains.crm.model", "eventlab.view.graphs")
    assert _why_not("eventlab.scenarios.crm", "eventlab.domains.crm.model") is None


@pytest.mark.parametrize("engine", ENGINES)
def test_importing_an_engine_loads_no_scenario_domain_or_view_code(engine):
    code = (f"import sys, eventlab.engines.{engine}\n"
            "bad = sorted(m for m in sys.modules if m.startswith(('eventlab.scenarios', "
            "'eventlab.domains', 'eventlab.view', 'eventlab.checks', 'matplotlib', "
            "'graphviz', 'ipywidgets')))\n"
            "print('\\n'.join(bad))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == []
