"""Model it yourself: run a BPMN model a learner drew, and measure what it does.

Two processes ship as files for the learner to change in the modeler (notebook 10):

* :mod:`~eventlab.scenarios.modeling.sla`: ``charge-card.bpmn``, Payment charging a card.
  Some charges are slow; the learner adds a **non-interrupting** boundary timer that
  escalates a charge still running after its SLA, while the charge goes on;
* :mod:`~eventlab.scenarios.modeling.onboarding`: ``onboarding.bpmn``, customer on-boarding
  orchestrated by commands. The learner adds the **criminal-record check** (send
  ``CheckCriminalRecord``, wait for ``CriminalRecordChecked``) before the customer is
  created.

Each ``run(config, process=...)`` takes the learner's model (a ``Process``, BPMN XML, or a
modeler widget's XML) and runs it on the workflow engine; the result's metrics say what the
model did, and the checkers compare them with what the task asked.
"""

from eventlab.scenarios.modeling import onboarding, sla
from eventlab.scenarios.modeling.model import (
    as_process,
    modeler,
    picture,
    playback,
    replay_sentence,
    shipped,
)

__all__ = ["as_process", "modeler", "onboarding", "picture", "playback", "replay_sentence",
           "shipped", "sla"]
