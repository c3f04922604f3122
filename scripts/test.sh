#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, starts the local
# database servers if they are stopped, then runs the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements-dev.txt
bash scripts/services.sh
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "test: installation de Chromium et de son pilote (paquets Debian chromium, chromium-driver)…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
python3 -m ruff check .
python3 -m pytest "$@"
