"""Fixed-seed runs reproduce their recorded golden traces exactly (any machine, any run).

If a change to a model is intended, regenerate with `python tools/update_golden.py` and
review the diff of tests/golden/ like any other change to the lesson.
"""

from pathlib import Path

import pandas as pd
import pytest

from eventlab.core import trace
from eventlab.scenarios import fowler

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = {f"fowler_{pattern}": (fowler.run, fowler.Config(pattern=pattern, seed=7))
         for pattern in fowler.PATTERNS}


@pytest.mark.parametrize("name", list(CASES))
def test_a_fixed_seed_run_reproduces_its_golden_trace(name):
    run, config = CASES[name]
    pd.testing.assert_frame_equal(run(config).trace, trace.read_csv(GOLDEN / f"{name}.csv"),
                                  check_exact=True)
