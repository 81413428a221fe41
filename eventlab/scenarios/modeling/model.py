"""The learner's model, in whichever form it comes: a Process, BPMN XML, or a file name."""

from __future__ import annotations

from eventlab.core.resources import resource
from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.definition import Process


def shipped(name: str) -> str:
    """The BPMN XML of a model the package ships (``charge-card.bpmn``, ``onboarding.bpmn``)."""
    return resource(name).read_text(encoding="utf-8")


def as_process(model: Process | str, *, what: str = "process") -> Process:
    """`model` as the engine runs it: a Process as it is, XML text read by the BPMN reader
    (its ValueError names the element and the problem)."""
    if isinstance(model, Process):
        return model
    if isinstance(model, str):
        return bpmn.read(model)
    raise TypeError(f"{what} must be a Process or BPMN XML text (e.g. modeler.edited), got "
                    f"{type(model).__name__}")
