"""The capstone of the workbook: one shop, every choice of the talk, and the scorecard it earns.

A learner decides, and each decision changes what runs (nothing is looked up in a table):

* per interaction (``payment``, ``inventory``, ``shipping``, ``notification``, ``loyalty``):
  ``command`` or ``event``. A command is sent by whoever owns the step (the Order service
  when the flow is orchestrated, the previous service in a choreography) and the receiver
  offers it as its API; an event is a fact the service subscribes to on its own. The
  :class:`~eventlab.engines.workflow.wiring.Wiring` built from the choices runs the services and
  counts who depends on whom;
* ``coordination``: ``orchestration`` (the Order service runs a process built from the
  choices on its own workflow engine, with the companion code's timers: 20 days for the
  payment, 12 hours for the goods, 24 hours for the shipment, and a refund as
  compensation) or ``choreography`` (no owner: services react to each other);
* ``outbox`` (the services' outbox, the Checkout's included): off means every service writes
  its database, then publishes, and a crash in between (``crash_rate``) loses the message;
  on means the message is stored with the change, a relay publishes it (every
  ``relay_interval``), a relay crash publishes it twice, and every consumer keeps an inbox
  of processed message ids that drops the duplicate. An orchestrating Order is a workflow
  engine whatever ``outbox`` says: its commands and events leave from the engine's durable
  log through the same kind of relay (at least once, never lost), and every receiver drops
  a second copy of an engine message by its id (workers idempotent by command id);
* ``partitions``: the topic's partition count. The key (the order id) picks the partition;
  every consuming service reads each partition with one consumer that handles one message
  at a time (``handling`` hours each), so fewer partitions mean more waiting (consumer lag).

The run faces a fault schedule (``schedule``; ``bad_day``: dropped messages at Payment,
Inventory, Shipping and Notification, a card that is never updated, a late card update, a
40-hour shipping delay, a card service that fails five times) plus the random crashes.
:func:`run` returns a :class:`RecapResult` with the scorecard, :func:`story` says it in
sentences and :func:`day` lists the day's faults; :func:`compare` changes one choice to a few
values and runs every side over the same 20 seeds, and :func:`verdicts` says what their
intervals allow. :func:`slide_map` loads ``eventlab/resources/slide_map.csv``: every slide of
the talk and the notebook section that shows it (:func:`where` finds a slide by its words).
Times are hours.

The package: :mod:`~eventlab.scenarios.recap.choices` (the choices, the wiring and the Order's
process),
:mod:`~eventlab.scenarios.recap.transport` (topic, outbox, inboxes),
:mod:`~eventlab.scenarios.recap.scorecard` (running the day and reading it; the Order
service and the side effects come from :mod:`eventlab.domains.retail`),
:mod:`~eventlab.scenarios.recap.story` (the day in words),
:mod:`~eventlab.scenarios.recap.comparisons` (one choice at a time, over the same seeds)
and :mod:`~eventlab.scenarios.recap.slides` (the slide map).
"""

from eventlab.scenarios.recap.choices import (
    BAD_DAY,
    BAD_DAY_SIDE,
    COORDINATIONS,
    CRITICAL,
    INTERACTIONS,
    KINDS,
    PRESETS,
    PREVIOUS,
    SCHEDULES,
    STEPS,
    Config,
    Step,
    faults,
    order_process,
    presets,
    side_drops,
    wiring,
)
from eventlab.scenarios.recap.comparisons import (
    CHOICES,
    COMPARED_ROWS,
    compare,
    side_name,
    verdicts,
)
from eventlab.scenarios.recap.scorecard import (
    SCORECARD_ROWS,
    Metric,
    RecapResult,
    choices,
    run,
)
from eventlab.scenarios.recap.slides import (
    PARTS,
    SLIDE_COLUMNS,
    SLIDE_MAP,
    slide_lines,
    slide_map,
    where,
)
from eventlab.scenarios.recap.story import day, story
from eventlab.scenarios.recap.transport import Transport

__all__ = ["BAD_DAY", "BAD_DAY_SIDE", "CHOICES", "COMPARED_ROWS", "COORDINATIONS", "CRITICAL",
           "INTERACTIONS", "KINDS", "PARTS", "PRESETS", "PREVIOUS", "SCHEDULES", "SCORECARD_ROWS",
           "SLIDE_COLUMNS", "SLIDE_MAP", "STEPS", "Config", "Metric", "RecapResult", "Step",
           "Transport", "choices", "compare", "day", "faults", "order_process", "presets", "run",
           "side_drops", "side_name", "slide_lines", "slide_map", "story", "verdicts", "where",
           "wiring"]
