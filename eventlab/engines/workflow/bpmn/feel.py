"""The small part of FEEL (Zeebe's expression language) the engine evaluates: a flow
condition ``=vip = true`` compares one variable with one literal.

Anything richer (``=amount > 100``, functions) is rejected with the flow named, rather than
run half-understood.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from eventlab.core.errors import ConfigError

_CONDITION = re.compile(r"^=\s*([A-Za-z_]\w*)\s*=\s*(.+?)\s*$", re.DOTALL)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_VARIABLE = re.compile(r"^[A-Za-z_]\w*$")


def literal(value: Any, where: str) -> str:
    """`value` as a FEEL literal: true, 3, 2.5, "text" or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        text = format(Decimal(repr(value)), "f")
        return text if "." in text else f"{text}.0"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise ConfigError(f"{where}: a condition compares with true/false, a number, a text or "
                      f"None; {value!r} cannot be written as FEEL")


def condition(when: tuple[str, Any], where: str) -> str:
    """The FEEL text of a flow condition ``(variable, value)``."""
    name, value = when
    if not _VARIABLE.match(name):
        raise ConfigError(f"{where}: condition variable {name!r} must be a plain name "
                          "(letters, digits, _) to be written as FEEL")
    return f"={name} = {literal(value, where)}"


def parse_condition(text: str, where: str) -> tuple[str, Any]:
    """``=vip = true`` -> ``("vip", True)``; a ConfigError naming `where` for anything else."""
    found = _CONDITION.match(text.strip())
    if found is None:
        raise ConfigError(f"{where}: condition {text.strip()!r} is not one the engine "
                          "evaluates; write '=variable = value' (a FEEL comparison with "
                          "true, false, a number, a \"text\" or null)")
    name, raw = found.group(1), found.group(2)
    if raw in ("true", "false"):
        return name, raw == "true"
    if raw == "null":
        return name, None
    if _NUMBER.match(raw):
        return name, float(raw) if "." in raw else int(raw)
    if raw.startswith('"') and raw.endswith('"'):
        try:
            return name, json.loads(raw)
        except json.JSONDecodeError:
            pass
    raise ConfigError(f"{where}: condition {text.strip()!r} compares with {raw!r}, which is "
                      "not a FEEL literal the engine knows (true, false, a number, a "
                      "\"text\", null)")
