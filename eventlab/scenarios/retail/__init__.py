"""The flowing-retail shop of notebooks 09 and 10, run every way the talk discusses.

* :mod:`~eventlab.scenarios.retail.choreography`: services that only react to each other's
  events (the chain, its wiring tables, change requests, the scorecard);
* :mod:`~eventlab.scenarios.retail.orchestration`: the Order service running ``order.bpmn``
  on its own workflow engine, with timers and compensation.

Both run the same shop (:mod:`eventlab.domains.retail`), so one package holds them and their
comparison (:mod:`~eventlab.scenarios.retail.compare`).
"""
