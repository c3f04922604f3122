"""The long wall soak: the browser soak test for 30 minutes at a one-second refresh.

    python bench/soak_wall.py [--minutes 30]

Prints heap, DOM-node and listener counts before and after (the test asserts the bound).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    args = parser.parse_args()
    env = dict(os.environ, VIGIE_SOAK_SECONDS=str(args.minutes * 60))
    sys.exit(
        subprocess.call(
            [sys.executable, "-m", "pytest", "-s", "-q", "-m", "soak", "tests/browser/test_wall_soak.py"], cwd=ROOT, env=env
        )
    )
