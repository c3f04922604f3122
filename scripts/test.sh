#!/usr/bin/env bash
# The test command (README, .ci/run): runs the suite in a virtual environment built from the pinned
# requirements only (.venv/, rebuilt when requirements*.txt change), so a package that happens to be
# installed on the machine can never hide a missing pin. It starts the local database servers if they
# are stopped, installs Debian's Chromium and its driver for the browser tests when missing, checks the
# code with ruff, then runs the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
STAMP="$VENV/.requirements-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  echo "test: environnement virtuel neuf dans $VENV (dépendances épinglées de requirements-dev.txt)…"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
  touch "$STAMP"
fi
PY="$VENV/bin/python"
bash scripts/services.sh
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "test: installation de Chromium et de son pilote (paquets Debian chromium, chromium-driver)…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
"$PY" -m ruff check .
"$PY" -m mypy
"$PY" -m pytest "$@"
