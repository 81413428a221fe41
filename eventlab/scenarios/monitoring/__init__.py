"""Monitoring across services (notebook 09): see the flow a choreography never writes down.

* :func:`by_trace`, :func:`pivot`, :func:`message_log`: group any trace by traceId, as the
  companion code's monitor does;
* :func:`directly_follows` (and :func:`from_csv`, :func:`dfg_diagram`): the directly-follows
  graph of any event log, with counts and durations;
* :func:`export_log` / :func:`read_monitor_log`: a run as the monitor exports it (CSV with
  ISO timestamps), and the validating loader for such a file;
* :func:`stuck`: cases that went quiet without finishing (after the fact, from the log);
* :class:`Tracker`: process tracking with SLA timers, detecting stuck orders while they run;
* :func:`run_options` / :class:`OptionsConfig`: the talk's four monitoring options
  (tracing, the monitor, mining the log, process tracking) watching one run with injected
  faults; :func:`compare_options` runs them over 20 seeds, :func:`among` keeps some options,
  :func:`detection_times` and :func:`verdicts` say how fast each noticed each fault.
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
from eventlab.scenarios.monitoring.options import (
    COSTS,
    DETECTION,
    OPTIONS,
    TIMES,
    Measure,
    OptionsResult,
    among,
    compare_options,
    detection_times,
    verdicts,
)
from eventlab.scenarios.monitoring.options import Config as OptionsConfig
from eventlab.scenarios.monitoring.options import Metric as OptionsMetric
from eventlab.scenarios.monitoring.options import run as run_options
from eventlab.view.dfg import dfg_diagram

__all__ = [
    "COSTS",
    "DETECTION",
    "OPTIONS",
    "TIMES",
    "Measure",
    "OptionsConfig",
    "OptionsMetric",
    "OptionsResult",
    "Tracker",
    "among",
    "by_trace",
    "compare_options",
    "detection_times",
    "dfg_diagram",
    "directly_follows",
    "export_log",
    "from_csv",
    "message_log",
    "pivot",
    "read_log",
    "read_monitor_log",
    "run_options",
    "stuck",
    "verdicts",
]
