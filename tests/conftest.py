"""Every test starts with each predict-then-run exercise at its first try."""

import pytest

from eventlab.checks._predict import forget_tries


@pytest.fixture(autouse=True)
def _first_try():
    forget_tries()
