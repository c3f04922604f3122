#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, starts the local
# database servers if they are stopped, then runs the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements-dev.txt
bash scripts/services.sh
python3 -m pytest "$@"
