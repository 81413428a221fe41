"""Checkers for exercises where the learner models in BPMN: the model is run, not inspected.

A learner hands in a model in any form the workbook makes: the modeler widget itself, its
XML (``modeler.edited``), or a ``Process`` built in Python. The checker reads it with the
BPMN reader (a model the engine cannot run gets the reader's message), runs it on three seeds
and compares what happened with what the task asked. ``sla_checker("10.5")`` and
``criminal_check_checker("10.6")`` make the checkers for the exercise numbers a notebook gives
them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eventlab.checks._core import Feedback, failed, never_raises, not_attempted, passed
from eventlab.checks._shapes import show
from eventlab.engines.workflow.definition import Process
from eventlab.scenarios.modeling import onboarding, sla
from eventlab.scenarios.modeling.model import as_process, shipped

SEEDS = (1, 2, 3)


def _counts(metrics: Mapping[str, float | int | str]) -> dict[str, int]:
    """A run's counts (its mean times aside) as whole numbers."""
    return {name: int(value) for name, value in metrics.items() if isinstance(value, int)}


def _model(exercise: str, answer: Any, starting_point: str) -> Process | Feedback:
    """The learner's model as a Process, or the feedback that says why there is none."""
    if answer is None or answer is Ellipsis:
        return not_attempted(exercise)
    edited = getattr(answer, "edited", None)  # a BpmnModeler widget
    if isinstance(edited, str):
        answer = edited
    if not isinstance(answer, Process | str):
        return failed(exercise, "hand in the modeler (or modeler.edited, or a Process), got "
                                f"{show(answer)}")
    try:
        model = as_process(answer)
    except ValueError as err:
        return failed(exercise, f"the engine cannot run this model: {err}")
    if model == as_process(shipped(starting_point)):
        return not_attempted(exercise)
    return model


def sla_checker(exercise: str) -> Callable[[Any], Feedback]:
    """Escalate a charge still running after its one-hour SLA, and let it go on."""

    @never_raises(exercise)
    def check(answer: Any) -> Feedback:
        model = _model(exercise, answer, sla.MODEL)
        if isinstance(model, Feedback):
            return model
        for seed in SEEDS:
            m = _counts(sla.run(sla.Config(seed=seed), process=model).metrics)
            charges, slow = m[sla.Metric.CHARGES], m[sla.Metric.SLOW]
            if m[sla.Metric.ESCALATED] == 0:
                return failed(exercise, f"no charge was escalated, though {slow} ran longer "
                                        "than an hour: put a timer boundary event on 'Charge "
                                        "credit card'")
            if m[sla.Metric.CANCELED]:
                return failed(exercise, f"the timer canceled {m[sla.Metric.CANCELED]} charges "
                                        "it should only escalate: make it non-interrupting")
            if m[sla.Metric.ESCALATED_IN_TIME] < m[sla.Metric.ESCALATED]:
                return failed(exercise, "escalations came later than one hour after the "
                                        "charge began: the timer's duration is PT1H")
            if m[sla.Metric.ESCALATED_EARLY]:
                return failed(exercise, f"{m[sla.Metric.ESCALATED_EARLY]} charges were "
                                        "escalated before they had run an hour: the timer "
                                        "fires too soon (PT1H)")
            if m[sla.Metric.ESCALATED] > slow:
                return failed(exercise, f"{m[sla.Metric.ESCALATED]} charges were escalated but "
                                        f"only {slow} ran over an hour: the timer fires too soon")
            if m[sla.Metric.ESCALATED] < slow:
                return failed(exercise, f"only {m[sla.Metric.ESCALATED]} of the {slow} slow "
                                        "charges were escalated")
            if m[sla.Metric.COMPLETED] != charges or m[sla.Metric.INSTANCES_ENDED] != charges:
                return failed(exercise, f"of {charges} payments, {m[sla.Metric.COMPLETED]} "
                                        f"charges completed and {m[sla.Metric.INSTANCES_ENDED]} "
                                        "instances ended: every payment must still be paid")
        return passed(exercise, len(SEEDS))

    return check


def criminal_check_checker(exercise: str) -> Callable[[Any], Feedback]:
    """Create a customer only after the criminal-record check answered."""

    @never_raises(exercise)
    def check(answer: Any) -> Feedback:
        model = _model(exercise, answer, onboarding.MODEL)
        if isinstance(model, Feedback):
            return model
        for seed in SEEDS:
            m = _counts(onboarding.run(onboarding.Config(seed=seed), process=model).metrics)
            registrations = m[onboarding.Metric.REGISTRATIONS]
            if m[onboarding.Metric.UNKNOWN_MESSAGES]:
                return failed(exercise, "the model sends a message the on-boarding services do "
                                        "not know: the command is 'CheckCriminalRecord'")
            if m[onboarding.Metric.STILL_RUNNING]:
                return failed(exercise, f"{m[onboarding.Metric.STILL_RUNNING]} registrations "
                                        "never finished: does the model wait for an answer "
                                        "nobody was asked for?")
            if m[onboarding.Metric.CRIMINAL_CHECKS] == 0:
                return failed(exercise, "no criminal record was checked: send "
                                        "'CheckCriminalRecord' before 'Customer created'")
            if m[onboarding.Metric.CREATED_WITHOUT_CRIMINAL_CHECK]:
                return failed(exercise, f"{m[onboarding.Metric.CREATED_WITHOUT_CRIMINAL_CHECK]} "
                                        "customers were created before their criminal record "
                                        "was checked: wait for 'CriminalRecordChecked'")
            if m[onboarding.Metric.CREATED_WITHOUT_OTHER_CHECKS]:
                return failed(exercise, "customers were created without their address or "
                                        "credit check: keep the checks that were there")
            if m[onboarding.Metric.CREATED] != registrations:
                return failed(exercise, f"{m[onboarding.Metric.CREATED]} of {registrations} "
                                        "registrations became customers")
        return passed(exercise, len(SEEDS))

    return check
