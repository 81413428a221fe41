"""Choreography: services wired by a table of "on event X do Y", run and drawn from it.

* :func:`run` / :class:`Config`: the flowing-retail event chain (sequential or parallel
  style), with per-service latency, silent drops, payload growth and optional tracking;
  ``result.frames(trace_id)`` replays one order's chain, ``result.panel()`` is what its panel shows;
* :class:`Wiring`, :func:`on`: the table itself (it installs services, draws diagrams, and
  lists its message flows and who depends on whom);
* :func:`change_table`, :func:`changes`, :func:`change_diff`, :func:`change_diagram`:
  services a change request touches under sequential choreography, parallel choreography
  and orchestration;
* :func:`scorecard`, :func:`change_effects`: all architectures on the same seeded orders
  (visibility, failure handling, lead time, dependencies, change cost, traffic).
"""

from eventlab.domains.retail.designs import (
    ARCHITECTURES,
    CHANGE_REQUESTS,
    STYLES,
    design,
    onboarding_wiring,
    orchestrated_wiring,
    retail_wiring,
)
from eventlab.engines.workflow.reactions import Rule, on
from eventlab.engines.workflow.wiring import Wiring
from eventlab.scenarios.retail.chain import ChainResult, Config, Metric, run
from eventlab.scenarios.retail.changes import (
    change_diagram,
    change_diff,
    change_table,
    changes,
    count_changes,
)
from eventlab.scenarios.retail.compare import change_effects, scorecard

__all__ = ["ARCHITECTURES", "CHANGE_REQUESTS", "STYLES", "ChainResult", "Config", "Metric",
           "Rule", "Wiring", "change_diagram", "change_diff", "change_effects", "change_table",
           "changes", "count_changes", "design", "on", "onboarding_wiring", "orchestrated_wiring",
           "retail_wiring", "run", "scorecard"]
