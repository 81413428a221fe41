"""A small workflow engine, and services that react to messages by rules.

* process definitions as data (:class:`Process` with :func:`start`, :func:`service`,
  :func:`send`, :func:`receive`, :func:`throw`, :func:`exclusive`, :func:`parallel`,
  :func:`timer`, :func:`boundary`, :func:`end`), validated when built;
* :class:`Engine`: tokens, message correlation, timers, boundary timers, retries, incidents
  and compensation, running inside a :class:`~eventlab.core.world.World`;
* :func:`on` / :class:`Reactor`: services run from a table of "on message X do Y" rules;
* :class:`Wiring`: such rules plus orchestrators, as one table that runs and can be compared.
"""

from eventlab.engines.workflow.definition import (
    Element,
    Flow,
    Process,
    boundary,
    end,
    exclusive,
    parallel,
    receive,
    send,
    service,
    start,
    throw,
    timer,
)
from eventlab.engines.workflow.engine import Engine
from eventlab.engines.workflow.instance import Instance, Job, JobFailed
from eventlab.engines.workflow.reactions import Reactor, Rule, on
from eventlab.engines.workflow.wiring import Wiring

__all__ = ["Element", "Engine", "Flow", "Instance", "Job", "JobFailed", "Process", "Reactor",
           "Rule", "Wiring", "boundary", "end", "exclusive", "on", "parallel", "receive",
           "send", "service", "start", "throw", "timer"]
