"""Customer on-boarding, orchestrated by the learner's BPMN model.

``onboarding.bpmn`` starts on ``RegistrationRequested``, sends ``CheckAddress`` and waits for
``AddressChecked``, sends ``CheckCredit`` and waits for ``CreditChecked``, then ends with
``CustomerCreated``. The change request of the talk: also check the criminal record
(``CheckCriminalRecord`` → ``CriminalRecordChecked``) before the customer is created. In an
orchestration that is one change, in the orchestrator's model; the check services only
react to their command.

The run puts the model on the workflow engine, the three check services on a message bus
(each answers its command after a random time), and registrations at the door. A send task
sends its message; one with only a job type (what Camunda Modeler's Zeebe panel sets) is done,
as in Zeebe, by a worker of that type, which here sends the command the type names;
a receive task waits for its message, correlated by the registration (or by the
``registrationId`` variable, if the model sets a correlation key). A message nobody in the
on-boarding catalogue knows is counted, not sent.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import pandas as pd
import simpy

from eventlab.core.budget import Cost
from eventlab.core.bus import Bus
from eventlab.core.config import Scenario, param, resolve, seed_param
from eventlab.core.messages import Message
from eventlab.core.results import RunResult
from eventlab.core.world import World
from eventlab.domains.onboarding.messages import ONBOARDING
from eventlab.engines.workflow.definition import Element, Process
from eventlab.engines.workflow.engine import Engine
from eventlab.engines.workflow.instance import Instance, Job
from eventlab.engines.workflow.replay import replay
from eventlab.scenarios.modeling.model import as_process, shipped
from eventlab.view.bpmn_svg import BpmnPicture, picture

MODEL = "onboarding.bpmn"
ENGINE = "Onboarding"
# command -> (service, its answer)
CHECKS: dict[str, tuple[str, str]] = {
    "CheckAddress": ("AddressCheck", "AddressChecked"),
    "CheckCredit": ("CreditCheck", "CreditChecked"),
    "CheckCriminalRecord": ("CriminalCheck", "CriminalRecordChecked"),
}


class Metric(StrEnum):
    REGISTRATIONS = "registrations"
    CREATED = "customers created"
    CREATED_AFTER_CRIMINAL_CHECK = "created after their criminal-record check"
    CREATED_WITHOUT_CRIMINAL_CHECK = "created without a criminal-record check"
    CRIMINAL_CHECKS = "criminal-record checks answered"
    CREATED_WITHOUT_OTHER_CHECKS = "created without their address or credit check"
    STILL_RUNNING = "registrations still running"
    UNKNOWN_MESSAGES = "messages the catalogue does not know"
    MEAN_HOURS = "mean hours to create a customer"


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(Scenario):
    """Knobs of the on-boarding run (times in hours)."""

    registrations: int = param(30, low=1, high=2000, help="customers who register")
    interarrival: float = param(1.0, low=0.01, high=48.0, step=0.01,
                                help="mean hours between two registrations")
    check_hours: float = param(2.0, low=0.01, high=72.0, step=0.01,
                               help="mean hours a check service takes to answer")
    horizon: float = param(24 * 14.0, low=1.0, high=24 * 365.0, step=1.0,
                           help="hours simulated")
    seed: int = seed_param()

    def estimated_cost(self) -> Cost:
        """About 19 trace rows per registration that arrives within the horizon. Measured
        on a 2-core laptop (CPU time): about 12 us per row; 2,000 registrations took 0.1 s
        (the horizon stops the arrivals), so no slider setting can outgrow the budget. The
        estimate is about 2x."""
        rows = 40 * self.registrations
        return Cost(seconds=0.02 + rows * 12e-6, megabytes=110 + rows * 0.002,
                    drivers={"registrations": "lower"})


@dataclass(frozen=True)
class OnboardingResult(RunResult):
    """The run of the learner's on-boarding model."""

    process: Process | None = None

    PANEL: ClassVar[tuple[str, ...]] = ("summary", "picture")

    def picture(self) -> BpmnPicture:
        """The model in BPMN notation with how many tokens passed each element."""
        assert self.process is not None
        frames = replay(self.process, self.trace, engine=ENGINE)
        counts = {e: (c.completed + c.canceled, c.active) for e, c in frames[-1].counts.items()}
        return picture(self.process, counts)


def run(config: Config | None = None, *,
        process: Process | str | None = None) -> OnboardingResult:
    """Run `process` (default: the shipped ``onboarding.bpmn``) on `config`'s registrations."""
    c = resolve(Config, config)
    model = as_process(shipped(MODEL) if process is None else process)
    world = World(c.seed)
    bus = Bus(world, "on-boarding")
    unknown: list[str] = []

    def send(inst: Instance, el: Element) -> None:
        if el.message is None:
            return
        if el.message not in ONBOARDING:
            unknown.append(el.message)
            world.trace.record("note", world.now, ENGINE, correlation_id=inst.correlation_id,
                               detail=f"{el.message!r} is not an on-boarding message: "
                                      "nobody would receive it")
            return
        bus.publish(ONBOARDING.make(world, el.message, sender=ENGINE, key=inst.key,
                                    correlation_id=inst.correlation_id,
                                    payload={"registrationId": inst.correlation_id}))

    engine = Engine(world, ENGINE, sender=send)
    engine.deploy(model)
    # As in Zeebe, a send task with a job type (what Camunda Modeler's Zeebe panel sets) is
    # done by a worker of that type: here the worker sends the command its type names.
    for job_type in sorted(model.jobs()):
        engine.worker(job_type, _sender_worker(world, bus, job_type, unknown))
    awaited = sorted({e.message for e in model.elements
                      if e.kind in ("start", "receive", "catch") and e.message})
    started: list[Instance] = []

    def listen(inbox: simpy.Store) -> Generator[simpy.Event, Any, None]:
        while True:
            message: Message = yield inbox.get()
            if engine.deliver(message) == "started":
                started.append(engine.instances[-1])

    def service(name: str, command: str, answer: str) -> Generator[simpy.Event, Any, None]:
        inbox = bus.subscribe(name, [command])
        speed = world.rng(name)
        while True:
            message: Message = yield inbox.get()
            world.env.process(_answer(world, bus, speed.expovariate(1 / c.check_hours),
                                      name, answer, message))

    def registrations() -> Generator[simpy.Event, Any, None]:
        arrivals = world.rng("registrations")
        for number in range(1, c.registrations + 1):
            yield world.env.timeout(arrivals.expovariate(1 / c.interarrival))
            corr = f"registration-{number:04d}"
            bus.publish(ONBOARDING.make(world, "RegistrationRequested", sender="Customer",
                                        key=f"customer-{number:04d}", correlation_id=corr,
                                        payload={"registrationId": corr}))

    world.env.process(listen(bus.subscribe(ENGINE, awaited)))
    for command, (name, answer) in CHECKS.items():
        world.env.process(service(name, command, answer))
    world.env.process(registrations())
    world.env.run(until=c.horizon)
    trace = world.trace.to_frame()
    return OnboardingResult(c, trace, _metrics(c, trace, started, unknown), process=model)


def _sender_worker(world: World, bus: Bus, job_type: str, unknown: list[str]) -> Any:
    def work(job: Job) -> dict[str, Any]:
        inst = job.instance
        if job_type not in ONBOARDING:
            unknown.append(job_type)
            world.trace.record("note", world.now, ENGINE, correlation_id=inst.correlation_id,
                               detail=f"{job_type!r} is not an on-boarding message: "
                                      "nobody would receive it")
            return {}
        bus.publish(ONBOARDING.make(world, job_type, sender=ENGINE, key=inst.key,
                                    correlation_id=inst.correlation_id,
                                    payload={"registrationId": inst.correlation_id}))
        return {}
    return work


def _answer(world: World, bus: Bus, hours: float, service: str, answer: str,
            command: Message) -> Generator[simpy.Event, Any, None]:
    yield world.env.timeout(hours)
    bus.publish(ONBOARDING.make(world, answer, sender=service, key=command.key,
                                correlation_id=command.correlation_id,
                                payload=dict(command.payload)))


def _metrics(c: Config, trace: pd.DataFrame, started: list[Instance],
             unknown: list[str]) -> dict[str, float | int | str]:
    sends = trace[trace["kind"] == "send"]

    def first(message_type: str) -> dict[str, float]:
        rows = sends[sends["message_type"] == message_type]
        out: dict[str, float] = {}
        for corr, time in zip(rows["correlation_id"], rows["time"], strict=True):
            out.setdefault(str(corr), float(time))
        return out

    created_at = first("CustomerCreated")
    answered_at = first("CriminalRecordChecked")
    others = [first("AddressChecked"), first("CreditChecked")]
    after = sum(1 for corr, t in created_at.items()
                if corr in answered_at and answered_at[corr] <= t)
    without_others = sum(1 for corr, t in created_at.items()
                         if any(corr not in o or o[corr] > t for o in others))
    asked = first("RegistrationRequested")
    hours = [t - asked[k] for k, t in created_at.items() if k in asked]
    return {
        Metric.REGISTRATIONS: len(asked),
        Metric.CREATED: len(created_at),
        Metric.CREATED_AFTER_CRIMINAL_CHECK: after,
        Metric.CREATED_WITHOUT_CRIMINAL_CHECK: len(created_at) - after,
        Metric.CRIMINAL_CHECKS: len(answered_at),
        Metric.CREATED_WITHOUT_OTHER_CHECKS: without_others,
        Metric.STILL_RUNNING: sum(1 for i in started if i.finished_as is None),
        Metric.UNKNOWN_MESSAGES: len(unknown),
        Metric.MEAN_HOURS: round(sum(hours) / len(hours), 3) if hours else 0.0,
    }
