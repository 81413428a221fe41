"""Count the services a change request touches, from the wiring tables themselves.

A service *changed* when a line of its contract differs (a rule it reacts with, what it
emits, or its process definition); it is *new* when it did not exist before. Deploying a
new service that only offers an API is cheap; changing an existing one means coordinating
its team and redeploying it. The counts come from :func:`~eventlab.domains.retail.designs.design`,
the same tables the simulations run.
"""

from __future__ import annotations

import pandas as pd

from eventlab.domains.retail.designs import (
    ARCHITECTURE_NAMES,
    ARCHITECTURES,
    CHANGE_REQUESTS,
    design,
)
from eventlab.view.graphs import Diagram
from eventlab.view.wiring import diagram as wiring_diagram


def changes(case: str, architecture: str) -> pd.DataFrame:
    """Per service: new / changed / unchanged / removed, and the contract lines that differ."""
    before = design(case, architecture).contracts()
    after = design(case, architecture, changed=True).contracts()
    rows = []
    for service in dict.fromkeys([*before, *after]):
        old, new = before.get(service), after.get(service)
        if old is None:
            change = "new"
        elif new is None:
            change = "removed"
        else:
            change = "changed" if old != new else "unchanged"
        rows.append({"service": service, "change": change,
                     "lines removed": "\n".join(sorted((old or set()) - (new or set()))),
                     "lines added": "\n".join(sorted((new or set()) - (old or set())))})
    return pd.DataFrame(rows, columns=["service", "change", "lines removed", "lines added"])


def count_changes(case: str, architecture: str) -> dict[str, int]:
    """How many services are changed, new, unchanged or removed."""
    table = changes(case, architecture)
    return {k: int((table["change"] == k).sum())
            for k in ("changed", "new", "unchanged", "removed")}


def change_table() -> pd.DataFrame:
    """Every change request under every architecture: "2 changed + 1 new"."""
    rows = {}
    for case, text in CHANGE_REQUESTS.items():
        row = {}
        for architecture in ARCHITECTURES:
            n = count_changes(case, architecture)
            row[ARCHITECTURE_NAMES[architecture]] = f"{n['changed']} changed + {n['new']} new"
        rows[text] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "change request"
    return table


def change_diagram(case: str, architecture: str) -> Diagram:
    """The wiring after the change, changed services in orange and new ones in green."""
    table = changes(case, architecture)
    after = design(case, architecture, changed=True)
    title = f"{CHANGE_REQUESTS[case]}: {ARCHITECTURE_NAMES[architecture]}"
    return wiring_diagram(after, title=title,
                         changed=table.loc[table["change"] == "changed", "service"],
                         new=table.loc[table["change"] == "new", "service"])


def change_diff(case: str, architecture: str) -> str:
    """The change as a diff of the contracts: per touched service, ``-`` lines it loses and
    ``+`` lines it gains (print it)."""
    table = changes(case, architecture)
    title = f"{CHANGE_REQUESTS[case]}: {ARCHITECTURE_NAMES[architecture]}"
    out = [title, "=" * len(title)]
    for row in table.itertuples(index=False):
        if row.change == "unchanged":
            continue
        out.append(f"{row.service} ({row.change})")
        out += [f"  - {line}" for line in str(row[2]).splitlines() if line.strip()]
        out += [f"  + {line}" for line in str(row[3]).splitlines() if line.strip()]
    return "\n".join(out)
