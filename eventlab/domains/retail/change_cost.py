"""What a change request costs each style: how many running services must change.

Counted from the wiring tables of :mod:`~eventlab.domains.retail.designs` (the shop's flows as
rules and processes): a service *changes* when a line of its contract differs after the
change (a rule it reacts with, what it emits, its process). A service that is only new (it
offers an API nobody had called) is deployed on its own and not counted. The choreography
that tracks its orders also changes its **process tracker** whenever the tracked flow
changes: the tracking model names every event the flow is made of.
"""

from __future__ import annotations

from eventlab.core.errors import check_choice
from eventlab.domains.retail.designs import CHANGE_REQUESTS, design
from eventlab.domains.retail.processes import VARIANTS, tracking_process

STYLES: tuple[str, ...] = ("choreography", "orchestration")
_ARCHITECTURE = {"choreography": "sequential", "orchestration": "orchestration"}


def services_changed(case: str, style: str, *, tracking: bool = True) -> int:
    """Running services that change for change request `case` in `style` (the tracker
    counts in a tracked choreography when the flow it tracks changes)."""
    check_choice("case", case, tuple(CHANGE_REQUESTS))
    check_choice("style", style, STYLES)
    architecture = _ARCHITECTURE[style]
    before = design(case, architecture).contracts()
    after = design(case, architecture, changed=True).contracts()
    changed = sum(1 for s, lines in before.items() if s in after and after[s] != lines)
    if style == "choreography" and tracking and case in VARIANTS and \
            tracking_process(case) != tracking_process("baseline"):
        changed += 1
    return changed


def mean_services_changed(style: str, *, tracking: bool = True) -> float:
    """Services changed, averaged over the talk's change requests."""
    counts = [services_changed(case, style, tracking=tracking) for case in CHANGE_REQUESTS]
    return sum(counts) / len(counts)
