"""eventlab on JupyterHub: one machine serving a workshop (see docs/facilitator.md).

Kept outside the ``eventlab`` package on purpose: the workbook must not depend on JupyterHub,
and the hub code imports it. ``python3 tasks.py hub`` and ``python3 tasks.py hub-load N``
put the repository root on ``PYTHONPATH`` so ``import hub`` works.
"""
