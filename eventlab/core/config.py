"""Scenario configuration: frozen dataclasses whose fields carry their own allowed ranges.

Each scenario declares ``@dataclass(frozen=True, slots=True, kw_only=True) class Config(Scenario)``
with fields made by :func:`param`. The same metadata validates the values (in ``__post_init__``)
and builds the widget controls, so a slider can never offer a value the model would reject.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from eventlab.core.budget import Cost, check_before_run
from eventlab.core.errors import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_text,
    describe,
)
from eventlab.core.naming import class_as_imported

# Upper bound for any seed: keeps seeds portable between machines and readable in tables.
MAX_SEED = 2**31 - 1


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """What a config field allows: its kind, range or choices, slider step and a short help."""

    kind: str  # "int", "float", "bool", "choice" or "text"
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] = ()
    help: str = ""
    low_open: bool = False


def param(
    default: Any, *, low: float | None = None, high: float | None = None,
    step: float | None = None, choices: Sequence[Any] | None = None, help: str = "",
    low_open: bool = False,
) -> Any:
    """A config field with its validation and widget metadata.

    The kind follows the default: bool, int, float or str; `choices` makes it a choice.
    """
    if choices is not None:
        kind = "choice"
    elif isinstance(default, bool):
        kind = "bool"
    elif isinstance(default, int):
        kind = "int"
    elif isinstance(default, float):
        kind = "float"
    elif isinstance(default, str):
        kind = "text"
    else:
        raise TypeError(f"param default must be bool, int, float or str, got {default!r}")
    spec = ParamSpec(kind, low, high, step, tuple(choices or ()), help, low_open)
    return field(default=default, metadata={"eventlab": spec})


def seed_param() -> Any:
    """The seed field every scenario has: one seed drives every random stream of a run."""
    return param(42, low=0, high=MAX_SEED, help="random seed: same seed, same trace")


def spec_of(config: Any, name: str) -> ParamSpec:
    """The :class:`ParamSpec` of field `name` of a config class or instance."""
    for f in dataclasses.fields(config):
        if f.name == name:
            spec = f.metadata.get("eventlab")
            if not isinstance(spec, ParamSpec):
                raise TypeError(f"field {name!r} was not declared with eventlab.core.config.param")
            return spec
    names = ", ".join(f.name for f in dataclasses.fields(config))
    raise ValueError(f"{type(config).__name__} has no field {name!r}; its fields are: {names}")


def validate_field(name: str, value: Any, spec: ParamSpec) -> Any:
    """Raise TypeError/ValueError if `value` is not allowed by `spec`; return it as the plain
    Python type the field holds (a numpy ``int64`` becomes an int, a numpy float a float)."""
    if spec.kind == "int":
        return check_int(name, value, low=_int_or_none(spec.low), high=_int_or_none(spec.high))
    if spec.kind == "float":
        return check_float(name, value, low=spec.low, high=spec.high, low_open=spec.low_open)
    if spec.kind == "bool":
        return check_bool(name, value)
    if spec.kind == "choice":
        return check_choice(name, value, spec.choices)
    return check_text(name, value)


class Scenario:
    """Mixin for scenario configs: validates every `param` field after construction."""

    __slots__ = ()

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            spec = f.metadata.get("eventlab")
            if spec is not None:
                value = getattr(self, f.name)
                plain = validate_field(f.name, value, spec)
                if type(value) not in (int, float, bool, str):  # a numpy scalar, say
                    object.__setattr__(self, f.name, plain)  # store the plain number
        self.check()

    def check(self) -> None:
        """Cross-field rules; scenarios override this (the single fields are already valid)."""

    def estimated_cost(self) -> Cost | None:
        """What a run of this config costs (seconds, megabytes on a 2-core laptop) and which
        fields drive it; None: always small. Scenarios whose fields together can outgrow the
        run budget override this; resolve() refuses a combination over the budget."""
        return None


C = TypeVar("C")


def resolve(config_class: type[C], config: object, *, what: str = "config") -> C:
    """The config a scenario's ``run(config)`` uses: `config` itself, or the defaults when it
    is None. Anything else (``0``, ``""``, ``{}``, another scenario's Config) raises a
    TypeError naming the class expected, instead of silently running the defaults."""
    if config is None:
        config = config_class()
        check_before_run(config)
        return config
    if not isinstance(config, config_class):
        raise TypeError(f"{what} must be {class_as_imported(config_class)} (or None for its "
                        f"defaults), got {describe(config)}")
    check_before_run(config)
    return config


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)
