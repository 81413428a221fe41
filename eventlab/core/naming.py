"""How a learner names a scenario: the import path they typed, without the layer.

``eventlab.scenarios.bank.config`` is what Python knows; ``bank`` is what a learner typed
(``from eventlab.scenarios import bank``). Error messages, the run budget and a result's repr
all speak the learner's name, so the rule lives here once.
"""

from __future__ import annotations

LAYERS = ("scenarios", "domains", "engines", "core")


def learner_name(module: str) -> str:
    """``eventlab.scenarios.bank.config`` -> ``bank``; ``eventlab.scenarios.zeebe.jobs`` ->
    ``zeebe.jobs``; a module outside the layers keeps its last part."""
    parts = module.split(".")
    if parts[:1] == ["eventlab"] and parts[1:2] and parts[1] in LAYERS and len(parts) > 2:
        parts = parts[2:]
    else:
        parts = parts[-1:]
    if parts[-1:] == ["config"] and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def class_as_imported(cls: type) -> str:
    """``eventlab.scenarios.bank.config.Config`` -> ``bank.Config``, as a learner types it."""
    return f"{learner_name(cls.__module__)}.{cls.__name__}"
