"""A small workflow engine, and the companion code's orchestrated order flow on it.

* process definitions as data (:class:`Process` with :func:`start`, :func:`service`,
  :func:`send`, :func:`receive`, :func:`throw`, :func:`exclusive`, :func:`parallel`,
  :func:`timer`, :func:`boundary`, :func:`end`), validated when built;
* :class:`Engine`: tokens, message correlation, timers, boundary timers, retries, incidents
  and compensation, running inside a :class:`~eventlab.core.world.World` and writing its trace;
* :func:`diagram`: BPMN-like pictures with token counts;
* :func:`order_process`, :func:`payment_process`, :func:`tracking_process`,
  :func:`onboarding_process`: flowing-retail's processes as data;
* :func:`run` / :class:`Config`: the orchestrated order flow (times in hours), optionally
  with Notification and Loyalty reacting to ``OrderCompletedEvent`` (:data:`SIDE_EFFECTS`);
* :func:`local_orchestration`: every service with the flow it owns, in one picture.
"""

from eventlab.domains.retail.designs import SIDE_EFFECTS, command_rules
from eventlab.domains.retail.processes import (
    VARIANTS,
    onboarding_process,
    order_process,
    payment_process,
    tracking_process,
)
from eventlab.domains.retail.shop import Fault, ShopParams
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
from eventlab.scenarios.retail.orchestrated import (
    Config,
    Metric,
    OrderResult,
    run,
)
from eventlab.view.bpmn_svg import picture as diagram
from eventlab.view.process import counts_from_trace, local_orchestration

__all__ = ["SIDE_EFFECTS", "VARIANTS", "Config", "Element", "Engine", "Fault", "Flow",
           "Instance", "Job", "JobFailed", "Metric", "OrderResult", "Process", "ShopParams",
           "boundary", "command_rules",
           "counts_from_trace", "diagram", "end", "exclusive", "local_orchestration",
           "onboarding_process", "order_process", "parallel", "payment_process", "receive",
           "run", "send", "service", "start", "throw", "timer", "tracking_process"]
