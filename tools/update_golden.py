"""Rewrite the golden traces in tests/golden/ (review the diff before committing!).

    python tools/update_golden.py
"""

from __future__ import annotations

from pathlib import Path

from eventlab.core import trace
from eventlab.scenarios import fowler

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden"

# One small, fixed run per scenario variant; tests/test_golden.py replays the same list.
CASES = {f"fowler_{pattern}": (fowler.run, fowler.Config(pattern=pattern, seed=7))
         for pattern in fowler.PATTERNS}

if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for name, (run, config) in CASES.items():
        trace.to_csv(run(config).trace, GOLDEN / f"{name}.csv")
        print(f"wrote tests/golden/{name}.csv")
