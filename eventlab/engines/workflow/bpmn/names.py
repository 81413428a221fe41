"""The names BPMN files use: namespaces, and the ids of what the model keeps implicit.

A task's ``compensation="refund-payment"`` is, in BPMN, three elements: a compensation
boundary event on the task, a service task marked ``isForCompensation`` whose job type is
``refund-payment``, and an association between them. The model does not name them, so
:func:`compensation_ids` derives their ids from the task's (the writer, the layout and the
picture use the same ids; the reader folds the three back into the task's field).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from eventlab.core.errors import ConfigError

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
MODELER = "http://camunda.org/schema/modeler/1.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PREFIXES: dict[str, str] = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI,
                            "zeebe": ZEEBE, "modeler": MODELER, "xsi": XSI}
# XML ids (xsd:ID) are NCNames: a letter or _ first, then letters, digits, _ - and dots.
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def q(namespace: str, local: str) -> str:
    """An ElementTree qualified name: ``{namespace}local``."""
    return f"{{{namespace}}}{local}"


def check_xml_id(what: str, value: str) -> str:
    """`value` if it can be an XML id; a ConfigError naming `what` otherwise."""
    if not _NCNAME.match(value):
        raise ConfigError(f"{what} {value!r} cannot be written as BPMN: an id must start with a "
                          "letter or _ and hold only letters, digits, _, - and dots")
    return value


def unique(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`, ... whichever is not taken yet (and take it)."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


def flow_ids(flows: Sequence[tuple[str, str]], taken: Iterable[str]) -> list[str]:
    """One id per sequence flow, ``Flow_<source>_<target>``, in the flows' order."""
    used = set(taken)
    return [unique(f"Flow_{source}_{target}", used) for source, target in flows]


def compensation_ids(task: str, taken: set[str]) -> tuple[str, str, str]:
    """(boundary event, handler task, association) ids for a task's compensation."""
    return (unique(f"{task}_compensation_event", taken), unique(f"{task}_compensation", taken),
            unique(f"{task}_compensation_association", taken))
