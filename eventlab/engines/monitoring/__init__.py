"""Monitoring across services, from the trace alone: see the flow a choreography never writes down.

* :func:`by_trace`, :func:`pivot`, :func:`message_log`: group any trace by traceId, as the
  companion code's monitor does;
* :func:`directly_follows` (and :func:`from_csv`): the directly-follows graph of any event
  log, with counts and durations;
* :func:`export_log` / :func:`read_monitor_log`: a run as the monitor exports it (CSV with
  ISO timestamps), and the validating loader for such a file;
* :func:`stuck`: cases that went quiet without finishing (after the fact, from the log);
* :func:`spans` / :func:`slow_spans`: distributed tracing, one span per handled message;
* :class:`IdleWatch`: a live consumer of every message that alarms on quiet cases;
* :class:`Miner`: a log export and a mining job that runs every few hours.

Process tracking that watches orders while they run is the retail domain's
:class:`~eventlab.domains.retail.tracking.Tracker`; notebook 09 finds everything in
:mod:`eventlab.scenarios.monitoring`.
"""

from eventlab.engines.monitoring.cases import by_trace, export_log, message_log, pivot, stuck
from eventlab.engines.monitoring.dfg import directly_follows, from_csv, read_log, read_monitor_log
from eventlab.engines.monitoring.mining import Miner
from eventlab.engines.monitoring.tracing import slow_spans, spans
from eventlab.engines.monitoring.watch import Alarm, IdleWatch

__all__ = ["Alarm", "IdleWatch", "Miner", "by_trace", "directly_follows", "export_log",
           "from_csv", "message_log", "pivot", "read_log", "read_monitor_log", "slow_spans",
           "spans", "stuck"]
