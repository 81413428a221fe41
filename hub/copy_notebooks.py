"""`python -m hub.copy_notebooks SOURCE TARGET [--solutions]`: the learner's copy of the notebooks.

Run as the learner: by the local hub's spawner on every server start, and by the container
image's postStart hook on Kubernetes (deploy/z2jh-values.yaml). Only files the learner lacks
are copied, so their edits survive and notebooks added later still arrive.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.learners import copy_missing


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.copy_notebooks", description=__doc__)
    parser.add_argument("source", type=Path, help="the workbook's notebooks/ folder")
    parser.add_argument("target", type=Path, help="the learner's copy, e.g. ~/eventlab/notebooks")
    parser.add_argument("--solutions", action="store_true", help="copy notebooks/solutions too")
    args = parser.parse_args(argv)
    if not (args.source / "00_start_here.ipynb").is_file():
        parser.error(f"source must be the workbook's notebooks/ folder, got {str(args.source)!r}")
    copied = copy_missing(args.source, args.target, args.solutions)
    print(f"copied {len(copied)} new file(s) into {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
