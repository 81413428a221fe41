"""Choreography: services wired by a table of "on event X do Y", run and drawn from it.

* :func:`run` / :class:`Config`: the flowing-retail event chain (sequential or parallel
  style), with per-service latency, silent drops, payload growth and optional tracking;
  ``result.frames(trace_id)`` replays one order's chain, ``result.panel()`` is what its panel shows;
* :class:`Wiring`, :func:`on`: the table itself (it installs services, draws diagrams, and
  lists its message flows and who depends on whom);
* :func:`change_table`, :func:`changes`, :func:`change_diff`, :func:`change_diagram`:
  services a change request touches under sequential choreography, parallel choreography
  and orchestration;
* :func:`scorecard`, :func:`scorecard_verdicts`: all architectures over the same 20 seeds,
  only the architecture changed (visibility, failure handling, lead time, traffic), and the
  sentences their intervals allow; :func:`coupling`: who depends on whom and what each change
  request costs, from the wiring tables;
* :func:`change_effects`, :func:`change_verdicts`: the orchestrated shop before and after a
  change request, over the same seeds.
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
from eventlab.scenarios.retail.compare import (
    CHANGE_ROWS,
    SCORECARD_ROWS,
    change_effects,
    change_verdicts,
    coupling,
    scorecard,
    scorecard_verdicts,
)

__all__ = ["ARCHITECTURES", "CHANGE_REQUESTS", "CHANGE_ROWS", "SCORECARD_ROWS", "STYLES",
           "ChainResult", "Config", "Metric", "Rule", "Wiring", "change_diagram", "change_diff",
           "change_effects", "change_table", "change_verdicts", "changes", "count_changes",
           "coupling", "design", "on", "onboarding_wiring", "orchestrated_wiring",
           "retail_wiring", "run", "scorecard", "scorecard_verdicts"]
