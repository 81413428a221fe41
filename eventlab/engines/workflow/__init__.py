"""A small workflow engine, and services that react to messages by rules.

* process definitions as data (:class:`Process` with :func:`start`, :func:`service`,
  :func:`send`, :func:`receive`, :func:`user`, :func:`throw`, :func:`catch`,
  :func:`exclusive`, :func:`parallel`, :func:`event_based`, :func:`timer`, :func:`boundary`,
  :func:`error_boundary`, :func:`subprocess`, :func:`end`), validated when built;
* :mod:`~eventlab.engines.workflow.bpmn`: the same definitions as BPMN 2.0 XML, read and
  written (with a diagram layout), as Camunda Modeler saves them;
* :class:`Engine`: tokens, message correlation, timers, boundary timers and errors, retries,
  incidents, subprocesses and compensation, running inside a
  :class:`~eventlab.core.world.World`;
* :func:`on` / :class:`Reactor`: services run from a table of "on message X do Y" rules;
* :class:`Wiring`: such rules plus orchestrators, as one table that runs and can be compared.
"""

from eventlab.engines.workflow.definition import (
    USER_JOB,
    Element,
    Flow,
    Process,
    boundary,
    catch,
    end,
    error_boundary,
    event_based,
    exclusive,
    parallel,
    receive,
    send,
    service,
    start,
    subprocess,
    throw,
    timer,
    user,
)
from eventlab.engines.workflow.engine import Engine
from eventlab.engines.workflow.instance import BpmnError, Instance, Job, JobFailed
from eventlab.engines.workflow.reactions import Reactor, Rule, on
from eventlab.engines.workflow.wiring import Wiring

__all__ = ["USER_JOB", "BpmnError", "Element", "Engine", "Flow", "Instance", "Job", "JobFailed",
           "Process", "Reactor", "Rule", "Wiring", "boundary", "catch", "end", "error_boundary",
           "event_based", "exclusive", "on", "parallel", "receive", "send", "service", "start",
           "subprocess", "throw", "timer", "user"]
