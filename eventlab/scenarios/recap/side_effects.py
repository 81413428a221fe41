"""The capstone's side-effect services: Notification and Loyalty count what they did."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from typing import Any

import simpy

from eventlab.core.world import World
from eventlab.engines.workflow.reactions import Action, Outcome, Work
from eventlab.scenarios.recap.choices import INTERACTIONS, STEPS


class SideEffects:
    """Notification and Loyalty: they count what they did per order."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.done: dict[str, Counter[str]] = {STEPS[n].do: Counter()
                                              for n in INTERACTIONS[3:]}

    def actions(self) -> dict[str, Action]:
        return {do: self._action(do) for do in self.done}

    def _action(self, do: str) -> Action:
        def act(work: Work) -> Generator[simpy.Event, Any, Outcome]:
            yield self.world.env.timeout(0.1)
            oid = work.payload.get("orderId", work.payload.get("refId", work.cause.key))
            self.done[do][str(oid)] += 1
            return Outcome(True, {})
        return act
