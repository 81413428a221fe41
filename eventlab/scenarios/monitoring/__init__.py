"""Monitoring across services (notebook 09): see the flow a choreography never writes down.

* :func:`by_trace`, :func:`pivot`, :func:`message_log`: group any trace by traceId, as the
  companion code's monitor does;
* :func:`directly_follows` (and :func:`from_csv`, :func:`dfg_diagram`): the directly-follows
  graph of any event log, with counts and durations;
* :func:`export_log` / :func:`read_monitor_log`: a run as the monitor exports it (CSV with
  ISO timestamps), and the validating loader for such a file;
* :func:`stuck`: cases that went quiet without finishing (after the fact, from the log);
* :class:`Tracker`: process tracking with SLA timers, detecting stuck orders while they run.
"""

from eventlab.domains.retail.tracking import Tracker
from eventlab.engines.monitoring import (
    by_trace,
    directly_follows,
    export_log,
    from_csv,
    message_log,
    pivot,
    read_log,
    read_monitor_log,
    stuck,
)
from eventlab.view.dfg import dfg_diagram

__all__ = ["Tracker", "by_trace", "dfg_diagram", "directly_follows", "export_log", "from_csv",
           "message_log", "pivot", "read_log", "read_monitor_log", "stuck"]
