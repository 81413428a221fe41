"""Project settings a learner or facilitator may switch, read from the environment.

``EVENTLAB_PROGRESS=0`` turns progress bars off everywhere (tqdm's own ``TQDM_DISABLE`` does not
reach notebook bars). The default is off, so notebook outputs stay stable; pass
``progress=True`` to a long sweep to see one.
"""

from __future__ import annotations

import os


def progress_enabled(requested: bool | None = None) -> bool:
    """Whether to show a progress bar: an explicit request wins, else ``EVENTLAB_PROGRESS``."""
    if requested is not None:
        return bool(requested)
    return os.environ.get("EVENTLAB_PROGRESS", "0").strip().lower() in {"1", "true", "yes", "on"}
