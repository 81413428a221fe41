"""Commands vs events, in customer on-boarding (notebook 08).

* :func:`run` on-boards customers with one toggle per interaction (command or event) and
  returns the dependency graph (arrows start where the coupling is), the table of who is
  responsible if a step does not happen, and what a silently failing service costs;
* :func:`run_transports`: the same command or event over Kafka, REST, a workflow job and a
  webhook, each meeting the same faults and recovering in its own way; :func:`channels`: who
  owns the channel under each semantics (:func:`transport_grid` shows that the semantics
  change no delivery, which the model guarantees by construction);
* :func:`load_catalogue` / :func:`classify`: commands in disguise;
* :func:`run_notify`: a Notification service with one pseudo-event per sender, or one
  stable ``SendMessage`` command.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import pandas as pd

from eventlab.core import results
from eventlab.core.config import resolve
from eventlab.domains.onboarding.catalogue import (
    CATALOGUE,
    CatalogueError,
    classify_catalogue,
    load_catalogue,
    parse_catalogue,
)
from eventlab.domains.onboarding.config import (
    ONBOARDING,
    REPLAYED_KINDS,
    STEP_FIELDS,
    STEPS,
    STYLES,
    TALK_ANSWER,
    Config,
    Step,
)
from eventlab.domains.onboarding.disguise import KINDS, Verdict, classify, classify_all
from eventlab.domains.onboarding.model import Model
from eventlab.scenarios.onboarding.coupling import (
    Dependency,
    dependencies,
    diagram,
    responsibility,
    responsible,
)
from eventlab.scenarios.onboarding.notifying import Metric as NotifyMetric
from eventlab.scenarios.onboarding.notifying import NotifyConfig, NotifyResult, run_notify
from eventlab.scenarios.onboarding.transports import (
    SEMANTICS,
    TRANSPORTS,
    TransportConfig,
    TransportResult,
    channels,
    run_transports,
)
from eventlab.scenarios.onboarding.transports import Metric as TransportMetric
from eventlab.scenarios.onboarding.transports import grid as transport_grid
from eventlab.view import graphs, playback

__all__ = ["CATALOGUE", "KINDS", "ONBOARDING", "SEMANTICS", "STEPS", "STEP_FIELDS", "STYLES",
           "TALK_ANSWER", "TRANSPORTS", "CatalogueError", "Config", "Dependency", "Metric",
           "NotifyConfig", "NotifyMetric", "NotifyResult", "OnboardingResult", "Step",
           "TransportConfig", "TransportMetric", "TransportResult", "Verdict", "channels",
           "classify", "classify_all", "classify_catalogue", "dependencies", "failures",
           "interactions", "load_catalogue", "parse_catalogue", "responsibility", "responsible",
           "run", "run_notify", "run_transports", "transport_grid"]


@dataclass(frozen=True, repr=False)
class OnboardingResult(results.RunResult):
    """A run of on-boarding: the graph, the responsibility table, the missing steps."""

    PANEL = ("graph", "responsibility")  # what its interactive panel shows

    def summary(self) -> pd.DataFrame:
        """The run's totals (the numbers per step are in :meth:`responsibility`)."""
        rows = [(k, v) for k, v in self.metrics.items() if ":" not in k]
        return pd.DataFrame(rows, columns=["metric", "value"], dtype=object).set_index("metric")

    def _done(self) -> dict[str, str]:
        notes = {}
        for step in STEPS:
            expected, done = self.metrics[f"{step.name}: expected"], \
                self.metrics[f"{step.name}: done"]
            broken = " (broken)" if self.config.failing == step.field else ""
            notes[step.field] = f"done {done} of {expected}{broken}"
        return notes

    def graph(self) -> graphs.Diagram:
        """Who knows whom under this run's toggles, with each service's work done."""
        return diagram(self.config, self._done())

    def frames(self, max_frames: int = 120) -> list[playback.Frame]:
        """Playback on the dependency graph: the arrow behind each message lights up, and
        each service counts the work it has done so far."""
        def draw(so_far: pd.DataFrame, row: Any) -> graphs.Diagram:
            work = so_far[(so_far["kind"] == "state") & (so_far["actor"] != ONBOARDING)]
            done = {s.field: f"done {int((work['actor'] == s.service).sum())}" for s in STEPS}
            mtype = row.message_type if isinstance(row.message_type, str) else None
            return diagram(self.config, done, mtype)

        return playback.frames(self.trace, draw, kinds=REPLAYED_KINDS, max_frames=max_frames)

    def responsibility(self) -> pd.DataFrame:
        """Who is responsible if a step does not happen, and what this run measured."""
        table = responsibility(self.config)
        table["done"] = [f"{self.metrics[f'{s.name}: done']} of "
                         f"{self.metrics[f'{s.name}: expected']}" for s in STEPS]
        table["missing, noticed by"] = [self._noticed(s) for s in STEPS]
        return table

    def _noticed(self, step: Step) -> str:
        missing = int(self.metrics[f"{step.name}: expected"]) - \
            int(self.metrics[f"{step.name}: done"])
        if not missing:
            return "—"
        noticed = int(self.metrics[f"{step.name}: noticed"])
        if noticed == missing:
            return f"{ONBOARDING} ({noticed} incidents)"
        return "nobody" if not noticed else f"{ONBOARDING} ({noticed}), {missing - noticed} not"


def run(config: Config | None = None) -> OnboardingResult:
    """On-board `config.customers` customers under the toggles of `config`."""
    config = resolve(Config, config)
    model = Model(config)
    model.world.env.run()
    return OnboardingResult(config, model.world.trace.to_frame(), _metrics(model))


class Metric(StrEnum):
    """The names of this run's totals, each written once (the keys of `metrics`).

    The per-step counts follow them, named `"<step>: expected"`, `": done"` and `": noticed"`.
    """

    REGISTRATIONS = "registrations"
    CUSTOMERS_CREATED = "customers created"
    STEPS_THAT_SHOULD_HAVE_HAPPENED = "steps that should have happened"
    STEPS_THAT_DID_NOT_HAPPEN = "steps that did not happen"
    MISSING_STEPS_ONBOARDING_NOTICED = "missing steps Onboarding noticed"
    MISSING_STEPS_NOBODY_NOTICED = "missing steps nobody noticed"
    SERVICES_ONBOARDING_KNOWS = "services Onboarding knows"
    SERVICES_THAT_KNOW_ONBOARDING = "services that know Onboarding"
    RESPONSIBLE_TEAM_NOT_OWNER = "steps whose responsible team is not the owner"
    MEAN_MINUTES_TO_CREATE_CUSTOMER = "mean minutes to create a customer"


def _metrics(model: Model) -> dict[str, Any]:
    config = model.config
    expected = sum(len(v) for v in model.expected.values())
    done = sum(len(v) for v in model.done.values())
    noticed = sum(len(v) for v in model.noticed.values())
    deps = dependencies(config)
    out: dict[str, Any] = {
        Metric.REGISTRATIONS: config.customers,
        Metric.CUSTOMERS_CREATED: len(model.created),
        Metric.STEPS_THAT_SHOULD_HAVE_HAPPENED: expected,
        Metric.STEPS_THAT_DID_NOT_HAPPEN: expected - done,
        Metric.MISSING_STEPS_ONBOARDING_NOTICED: noticed,
        Metric.MISSING_STEPS_NOBODY_NOTICED: expected - done - noticed,
        Metric.SERVICES_ONBOARDING_KNOWS: len({d.head: None for d in deps if d.tail == ONBOARDING}),
        Metric.SERVICES_THAT_KNOW_ONBOARDING: len({d.tail: None for d in deps
                                              if d.head == ONBOARDING}),
        Metric.RESPONSIBLE_TEAM_NOT_OWNER:
            sum(responsible(s, config.style(s)) != s.owner for s in STEPS),
        Metric.MEAN_MINUTES_TO_CREATE_CUSTOMER: round(sum(model.created.values())
                                                   / len(model.created), 1)
        if model.created else "—",
    }
    for step in STEPS:
        out[f"{step.name}: expected"] = len(model.expected[step.field])
        out[f"{step.name}: done"] = len(model.done[step.field])
        out[f"{step.name}: noticed"] = len(model.noticed[step.field])
    return out


def interactions() -> pd.DataFrame:
    """The five interactions of on-boarding as data: services, messages, owners, why."""
    return pd.DataFrame([{"step": s.name, "service": s.service, "as a command": s.command,
                          "as an event, reacts to": s.trigger, "reply": s.reply,
                          "Onboarding needs the reply": "yes" if s.decides else "no",
                          "whose requirement": s.owner, "why": s.why}
                         for s in STEPS]).set_index("step")


def failures(config: Config | None = None) -> pd.DataFrame:
    """Each service failing in turn, under `config`'s toggles: who notices the gap?"""
    config = resolve(Config, config)
    rows = []
    for step in STEPS:
        m = run(replace(config, failing=step.field)).metrics
        missing = int(m[f"{step.name}: expected"]) - int(m[f"{step.name}: done"])
        rows.append({"failing service": step.service, "style": config.style(step),
                     "missing": missing, "noticed by Onboarding": int(m[f"{step.name}: noticed"]),
                     "nobody noticed": missing - int(m[f"{step.name}: noticed"]),
                     "customers created": m[Metric.CUSTOMERS_CREATED],
                     "responsible team": responsible(step, config.style(step)),
                     "whose requirement": step.owner})
    return pd.DataFrame(rows).set_index("failing service")
