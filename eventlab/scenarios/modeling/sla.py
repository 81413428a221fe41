"""Payment charges cards; some charges are slow. Does the model escalate them, and does the
work go on?

``charge-card.bpmn`` is the learner's starting point: start → *Charge credit card* (job
``charge-card``) → *Paid*. A charge usually takes `normal_hours`; a share `slow_share` of them
takes `slow_hours`. The SLA says: a charge still running after `sla_hours` must be escalated
(someone looks at it) *and keep running*: the money is still being collected. That is a
**non-interrupting** boundary timer; an interrupting one would cancel the charge it watches.

The run counts, from the engine's trace: charges started, completed and canceled, slow charges
(those that ran longer than the SLA), and escalations (a timer on the charge task fired). The
engine itself decides what each element does: the model is run, not inspected.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import pandas as pd
import simpy

from eventlab.core.budget import Cost
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.results import RunResult
from eventlab.core.world import World
from eventlab.engines.workflow.definition import Process
from eventlab.engines.workflow.engine import Engine
from eventlab.engines.workflow.instance import Instance, Job
from eventlab.engines.workflow.replay import replay
from eventlab.scenarios.modeling.model import as_process, shipped
from eventlab.view.bpmn_svg import BpmnPicture, picture

MODEL = "charge-card.bpmn"
TASK = "charge"  # the element the SLA watches
ENGINE = "Payment"


class Metric(StrEnum):
    CHARGES = "charges"
    COMPLETED = "charges completed"
    CANCELED = "charges canceled"
    SLOW = "slow charges (longer than the SLA)"
    ESCALATED = "charges escalated"
    ESCALATED_AND_COMPLETED = "escalated charges that completed"
    ESCALATED_IN_TIME = "charges escalated within the SLA"
    ESCALATED_EARLY = "charges escalated before the SLA was broken"
    INSTANCES_ENDED = "instances ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the charge-card run (times in hours)."""

    charges: int = param(40, low=1, high=2000, help="payments to charge")
    interarrival: float = param(0.25, low=0.01, high=24.0, step=0.01,
                                help="mean hours between two payments")
    normal_hours: float = param(0.3, low=0.01, high=10.0, step=0.01,
                                help="how long a normal charge takes")
    slow_share: float = param(0.25, low=0.0, high=1.0, step=0.05,
                              help="share of charges that are slow")
    slow_hours: float = param(3.0, low=0.1, high=48.0, step=0.1,
                              help="how long a slow charge takes")
    sla_hours: float = param(1.0, low=0.05, high=24.0, step=0.05,
                             help="a charge running longer than this must be escalated")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """Each charge writes about 5 trace rows (more with the learner's escalation path).
        Measured on a 2-core laptop (CPU time): about 40 us per row; 2,000 charges took
        0.41 s, so no slider setting can outgrow the budget. The estimate is about 2x."""
        rows = 10 * self.charges
        return Cost(seconds=0.02 + rows * 40e-6, megabytes=110 + rows * 0.002,
                    drivers={"charges": "lower"})


@dataclass(frozen=True)
class SlaResult(RunResult):
    """The run of the learner's charge-card model."""

    process: Process | None = None
    durations: pd.DataFrame | None = None  # instance, hours its charge takes, slow, completed

    PANEL: ClassVar[tuple[str, ...]] = ("summary", "picture")

    def picture(self) -> BpmnPicture:
        """The model in BPMN notation with how many tokens passed each element."""
        assert self.process is not None
        frames = replay(self.process, self.trace, engine=ENGINE)
        counts = {e: (c.completed + c.canceled, c.active) for e, c in frames[-1].counts.items()}
        return picture(self.process, counts)


def run(config: Config | None = None, *, process: Process | str | None = None) -> SlaResult:
    """Run `process` (default: the shipped ``charge-card.bpmn``) on `config`'s charges."""
    c = resolve(Config, config)
    model = as_process(shipped(MODEL) if process is None else process)
    world = World(c.seed)
    engine = Engine(world, ENGINE, sender=lambda inst, el: None)
    engine.deploy(model)
    planned: dict[str, float] = {}  # instance -> hours its charge takes (if not canceled)
    took: dict[str, float] = {}  # instance -> hours its charge took, once it completed
    speed = world.rng("charge")

    def charge(job: Job) -> Generator[simpy.Event, Any, dict[str, Any]]:
        slow = speed.random() < c.slow_share
        hours = c.slow_hours if slow else speed.uniform(0.5, 1.5) * c.normal_hours
        planned[job.instance.id] = hours
        yield world.env.timeout(hours)
        took[job.instance.id] = hours
        return {}

    engine.worker("charge-card", charge)
    for other in sorted(model.jobs() - {"charge-card"}):
        # whatever else the learner's model asks for (a person who looks at an escalated
        # charge, a notification) is done in a few minutes
        engine.worker(other, _quick(world))
    started: list[Instance] = []

    def payments() -> Generator[simpy.Event, Any, None]:
        arrivals = world.rng("arrivals")
        for number in range(1, c.charges + 1):
            yield world.env.timeout(arrivals.expovariate(1 / c.interarrival))
            started.append(engine.start(model.id, correlation_id=f"payment-{number:04d}",
                                        key=f"payment-{number:04d}"))

    world.env.process(payments())
    world.env.run()
    trace = world.trace.to_frame()
    return SlaResult(c, trace, _metrics(c, model, trace, started, planned, took),
                     process=model, durations=pd.DataFrame(
                         [(i.id, planned.get(i.id), planned.get(i.id, 0.0) > c.sla_hours,
                           i.id in took) for i in started],
                         columns=["instance", "hours", "slow", "completed"]))


def _quick(world: World) -> Any:
    def handle(job: Job) -> Generator[simpy.Event, Any, dict[str, Any]]:
        yield world.env.timeout(0.1)
        return {}
    return handle


def _metrics(c: Config, model: Process, trace: pd.DataFrame, started: list[Instance],
             planned: dict[str, float], took: dict[str, float]) -> dict[str, float | int | str]:
    watchers = {e.id for e in model.elements if e.kind == "boundary" and e.attached_to == TASK}
    timers = trace[(trace["kind"] == "timer") & trace["value"].isin(sorted(watchers))]
    fired: dict[str, float] = {}
    for entity, time in zip(timers["entity"], timers["time"], strict=True):
        fired.setdefault(str(entity), float(time))
    last = replay(model, trace, engine=ENGINE)[-1].counts.get(TASK) if len(trace) else None
    starts: dict[str, float] = {}
    entered = trace[(trace["kind"] == "state") & (trace["value"] == TASK)]
    for entity, time in zip(entered["entity"], entered["time"], strict=True):
        starts.setdefault(str(entity), float(time))
    slow = [i for i, hours in planned.items() if hours > c.sla_hours]
    in_time = [i for i, at in fired.items()
               if i in starts and at - starts[i] <= c.sla_hours + 1e-9]
    early = [i for i, at in fired.items()
             if i in starts and at - starts[i] < c.sla_hours - 1e-9]
    return {
        Metric.CHARGES: len(starts),
        Metric.COMPLETED: 0 if last is None else last.completed,
        Metric.CANCELED: 0 if last is None else last.canceled,
        Metric.SLOW: len(slow),
        Metric.ESCALATED: len(fired),
        Metric.ESCALATED_AND_COMPLETED: sum(1 for i in fired if i in took),
        Metric.ESCALATED_IN_TIME: len(in_time),
        Metric.ESCALATED_EARLY: len(early),
        Metric.INSTANCES_ENDED: sum(1 for i in started if i.finished_as is not None),
    }
