"""Who knows whom: the dependencies each toggle creates, who is responsible, the picture.

A **command** is sent by Onboarding to one service: Onboarding knows that service and its
API, so the arrow starts at Onboarding and Onboarding is responsible if the work is not
done. An **event** is published by Onboarding for whoever cares: the reacting service knows
Onboarding's event, so the arrow starts at the service and the service's team is
responsible. For a check, Onboarding also needs the answer, so with an event it must know
the check's answer event too: the coupling does not go away, it goes both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from eventlab.core.errors import check_choice
from eventlab.domains.onboarding.config import ONBOARDING, STEPS, STYLES, Config, Step
from eventlab.view import graphs


@dataclass(frozen=True, slots=True)
class Dependency:
    """`tail` knows `head` (holds the coupling); `kind` says by which kind of message."""

    tail: str
    head: str
    label: str
    kind: str
    step: str


def responsible(step: Step, style: str) -> str:
    """The team that must make sure `step` happens: the sender of a command, the
    receiver of an event (the sender of an event does not care who reacts)."""
    return ONBOARDING if check_choice("style", style, STYLES) == "command" else step.service


def dependencies(config: Config) -> list[Dependency]:
    """Every dependency of on-boarding under `config`, in the order of the steps."""
    out = []
    for step in STEPS:
        if config.style(step) == "command":
            out.append(Dependency(ONBOARDING, step.service,
                                  f"sends {step.command}, waits for {step.reply}", "command",
                                  step.name))
            continue
        out.append(Dependency(step.service, ONBOARDING, f"reacts to {step.trigger}", "event",
                              step.name))
        if step.decides:
            out.append(Dependency(ONBOARDING, step.service, f"waits for {step.reply}", "event",
                                  step.name))
    return out


def responsibility(config: Config) -> pd.DataFrame:
    """One row per step: the message, who holds the coupling, who is responsible, and
    whether that is the team whose requirement the step is."""
    rows = []
    for step in STEPS:
        style = config.style(step)
        team = responsible(step, style)
        holders = list(dict.fromkeys(d.tail for d in dependencies(config)
                                     if d.step == step.name))
        rows.append({
            "step": step.name, "style": style,
            "message": step.command if style == "command" else step.trigger,
            "holds the coupling": holders[0] if len(holders) == 1 else "both",
            "responsible if it does not happen": team,
            "whose requirement": step.owner,
            "fits": "yes" if team == step.owner else "no",
        })
    return pd.DataFrame(rows).set_index("step")


def diagram(config: Config, done: Mapping[str, str] | None = None,
            current: str | None = None) -> graphs.Diagram:
    """The dependency graph: each message goes from its sender to its receiver, and a dot
    marks the side that holds the coupling (the one that knows the other).

    `done` maps a step's field to a note for its service (e.g. "done 5/5"). An arrow of a
    step whose responsible team is not the owner of the requirement is drawn thick and
    marked "⚠ not the owner". Arrows that name the message type `current` are highlighted
    (playback: the dependency behind the message in flight).
    """
    diagram = graphs.Diagram("who knows whom (the dot marks the side that knows the other)")
    diagram.add_node(ONBOARDING, note="owns on-boarding")
    for step in STEPS:
        diagram.add_node(step.service, note=(done or {}).get(step.field, ""))
        # Invisible: keeps every service on the right, whichever way its arrows point.
        diagram.edge(diagram.id_for(ONBOARDING), diagram.id_for(step.service), style="invis",
                     weight="10")
    for dep in dependencies(config):
        step = next(s for s in STEPS if s.name == dep.step)
        misfit = responsible(step, config.style(step)) != step.owner
        lit = current is not None and current in dep.label.split()
        # A command goes from the one who knows (the sender); an event from the one who is
        # known (its publisher) to the one who knows (the subscriber or the waiter).
        sender, receiver = (dep.tail, dep.head) if dep.kind == "command" else \
            (dep.head, dep.tail)
        diagram.add_edge(sender, receiver,
                         dep.label + (" ⚠ not the owner" if misfit else ""), kind=dep.kind,
                         knower=dep.tail, penwidth="2.5" if misfit or lit else "1.0",
                         highlight=lit)
    return diagram
