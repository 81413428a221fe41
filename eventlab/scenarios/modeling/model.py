"""The learner's model in whichever form it comes, the shipped models, and the widgets that
show a model (the bpmn-js modeler, a run played back on a model)."""

from __future__ import annotations

import pandas as pd

from eventlab.core.errors import check_int
from eventlab.core.resources import resource
from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.definition import Process
from eventlab.engines.workflow.replay import instances, path, replay
from eventlab.view.bpmn_svg import picture
from eventlab.view.bpmn_widget import BpmnModeler, BpmnPlayback, bpmn_playback
from eventlab.view.stated import Stated, stated

__all__ = ["as_process", "modeler", "picture", "playback", "replay_sentence", "shipped"]


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


def modeler(name: str, *, height: int = 480) -> BpmnModeler:
    """The bpmn-js modeler on a shipped model (``"charge-card.bpmn"``, ``"onboarding.bpmn"``)."""
    return BpmnModeler(shipped(name), height=height)


def playback(process: Process, trace: pd.DataFrame, *, engine: str, paths: int = 40,
             height: int = 420) -> BpmnPlayback:
    """A recorded run played on `process` in bpmn-js: per-element counts over simulated time,
    and the path of any of the first `paths` instances on choice."""
    check_int("paths", paths, low=0, high=1000)
    frames = replay(process, trace, engine=engine)
    chosen = instances(trace, engine=engine)[:paths]
    return bpmn_playback(bpmn.write(process), frames,
                         paths={i: path(trace, i) for i in chosen}, height=height)


def replay_sentence(process: Process, trace: pd.DataFrame, *, engine: str) -> Stated:
    """What the run's last frame says, per element that ended an instance or canceled
    tokens: rendered from the counts, never typed."""
    last = replay(process, trace, engine=engine)[-1].counts
    started = len(instances(trace, engine=engine))
    names = {e.id: e.name for e in process.elements}
    ends = [f"{last[e.id].instances} at *{names[e.id]}*" for e in process.elements
            if e.kind == "end" and e.id in last]
    canceled = [f"{c.canceled} in *{names[e]}*" for e, c in last.items() if c.canceled]
    lines = [f"{started} instances started; they ended: {', '.join(ends) or 'nowhere yet'}."]
    if canceled:
        lines.append(f"Tokens canceled by a boundary timer: {', '.join(canceled)}.")
    return stated(*lines)
