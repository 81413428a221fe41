"""A small workflow engine, and services that react to messages by rules.

* process definitions as data (:class:`Process` with :func:`start`, :func:`service`,
  :func:`send`, :func:`receive`, :func:`user`, :func:`throw`, :func:`catch`,
  :func:`exclusive`, :func:`parallel`, :func:`event_based`, :func:`timer`, :func:`boundary`,
  :func:`error_boundary`, :func:`subprocess`, :func:`event_subprocess`, :func:`error_start`,
  :func:`end`), validated when built;
* :mod:`~eventlab.engines.workflow.bpmn`: the same definitions as BPMN 2.0 XML, read and
  written (with a diagram layout), as Camunda Modeler saves them;
* :class:`Engine`: tokens, message correlation (with a message buffer and message-id
  deduplication), timers, boundary timers and errors, retries with backoff, job timeouts,
  incidents per instance, subprocesses, error event subprocesses and compensation, running
  inside a :class:`~eventlab.core.world.World`;
* :class:`Outbox` (a durable log relayed at least once: a service's outbox, and the engine's
  own log of commands), :class:`Inbox` (an idempotent receiver's table), and
  :class:`RemoteJobs` (service tasks done by services behind a transport: command out,
  reply back, by command id);
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
    error_start,
    event_based,
    event_subprocess,
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
from eventlab.engines.workflow.inbox import Inbox
from eventlab.engines.workflow.instance import BpmnError, Incident, Instance, Job, JobFailed
from eventlab.engines.workflow.outbox import Outbox
from eventlab.engines.workflow.reactions import Reactor, Rule, on
from eventlab.engines.workflow.remote import Remote, RemoteJobs
from eventlab.engines.workflow.wiring import Wiring

__all__ = ["USER_JOB", "BpmnError", "Element", "Engine", "Flow", "Inbox", "Incident",
           "Instance", "Job", "JobFailed", "Outbox", "Process", "Reactor", "Remote",
           "RemoteJobs", "Rule", "Wiring", "boundary", "catch", "end", "error_boundary",
           "error_start", "event_based", "event_subprocess", "exclusive", "on", "parallel",
           "receive", "send", "service", "start", "subprocess", "throw", "timer", "user"]
