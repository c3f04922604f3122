"""The command line as a new user runs it, in a fresh copy of the project."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory) -> Path:
    """The tracked project files only: no data/demo, no store, like a fresh clone."""
    dest = tmp_path_factory.mktemp("clone")
    tracked = ("app.py", "domain", "store", "collectors", "kpis", "service", "reports", "alerts", "dashboard", "config", "assets")
    for name in tracked:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dest / name)
    (dest / "data").mkdir()
    shutil.copy(ROOT / "data" / "procedures.csv", dest / "data" / "procedures.csv")
    return dest


def run(cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "app.py", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_collect_once_fills_the_store_from_the_demo(fresh_copy: Path) -> None:
    first = run(fresh_copy, "collect", "--once")
    assert first.returncode == 0, first.stderr
    assert "Démo créée" in first.stdout
    portail = next(line for line in first.stdout.splitlines() if line.startswith("portail :"))
    assert "nouveaux" in portail and "en quarantaine (bad_submitted_at : 1, unknown_procedure : 2)" in portail
    store = sqlite3.connect(fresh_copy / "data" / "vigie.db")
    cases = store.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    assert 30_000 <= cases <= 60_000
    assert store.execute("SELECT COUNT(DISTINCT source) FROM cases").fetchone()[0] == 2
    again = run(fresh_copy, "collect", "--once")
    assert again.returncode == 0 and "portail : 0 nouveaux, 0 mis à jour, 0 événements" in again.stdout
    assert store.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == cases


def test_sources_reports_each_demo_source_healthy(fresh_copy: Path) -> None:
    result = run(fresh_copy, "sources")
    assert result.returncode == 0, result.stderr
    assert "✓ portail : connexion OK" in result.stdout and "✓ ceet : connexion OK" in result.stdout
    assert "à mettre en quarantaine : 2 (unknown_procedure)" in result.stdout


@pytest.mark.parametrize("command", [[], ["serve"], ["collect"], ["sources"], ["demo"]])
def test_every_command_has_help(fresh_copy: Path, command: list[str]) -> None:
    result = run(fresh_copy, *command, "--help", timeout=60)
    assert result.returncode == 0 and "usage: app.py" in result.stdout and "--" in result.stdout


def test_config_error_stops_start_up_with_a_clear_message(fresh_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[store]\nurl = "sqlite:///x.db"\n[catalog]\npath = "data/procedures.csv"\n'
        '[[sources]]\nname = "legacy"\nurl = "sqlite:///y.db"\ncases_sql = "SELECT 1"\n'
    )
    result = run(fresh_copy, "collect", "--once", "--config", str(bad), timeout=60)
    assert result.returncode == 2
    assert str(bad) in result.stderr and "legacy" in result.stderr and "cases_sql" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_source_is_reported_not_raised(fresh_copy: Path, tmp_path: Path) -> None:
    config = tmp_path / "down.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/v.db"\n[catalog]\npath = "{ROOT}/data/procedures.csv"\n'
        '[[sources]]\nname = "legacy"\nurl = "postgresql+psycopg://nobody@127.0.0.1:1/none"\n'
        'timeout_seconds = 2\ncases_sql = "SELECT 1 WHERE 1 >= :since"\n'
    )
    checked = run(fresh_copy, "sources", "--config", str(config), timeout=60)
    assert checked.returncode == 1 and "✗ legacy : INDISPONIBLE" in checked.stdout
    collected = run(fresh_copy, "collect", "--once", "--config", str(config), timeout=60)
    assert collected.returncode == 1 and "legacy : ERREUR" in collected.stdout
    assert "Traceback" not in collected.stderr + checked.stderr


def test_users_and_screens_are_managed_from_the_command_line(fresh_copy: Path, tmp_path: Path) -> None:
    config = tmp_path / "prod.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/v.db"\n[catalog]\npath = "{ROOT}/data/procedures.csv"\n'
        '[[sources]]\nname = "s"\nurl = "sqlite:///nowhere.db"\ncases_sql = "SELECT 1 WHERE 1 >= :since"\n'
    )

    def cli(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "app.py", *args, "--config", str(config)],
            cwd=fresh_copy,
            input=password,
            capture_output=True,
            text=True,
            timeout=120,
        )

    added = cli("users", "add", "awa", "--role", "manager", password="un-long-mot-de-passe\n")
    assert added.returncode == 0 and "« awa » créé (gestionnaire)" in added.stdout, added.stderr
    short = cli("users", "add", "kofi", password="court\n")
    assert short.returncode == 2 and "trop court" in short.stderr
    twice = cli("users", "add", "awa", password="un-long-mot-de-passe\n")
    assert twice.returncode == 2 and "existe déjà" in twice.stderr
    assert "awa" in cli("users", "list").stdout and "un-long" not in cli("users", "list").stdout
    assert cli("users", "remove", "awa").returncode == 0
    assert "Aucun utilisateur" in cli("users", "list").stdout
    assert cli("users", "remove", "awa").returncode == 2

    token = cli("screens", "add", "hall-1")
    assert token.returncode == 0 and "/wall?screen=hall-1&token=" in token.stdout
    assert "jeton actif" in cli("screens", "list").stdout
    assert cli("screens", "revoke", "hall-1").returncode == 0
    assert "jeton révoqué" in cli("screens", "list").stdout
    # serving with authentication on and no secret stops at start-up, with the fix in the message
    served = subprocess.run(
        [sys.executable, "app.py", "serve", "--config", str(config), "--no-collect"],
        cwd=fresh_copy,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert served.returncode == 2 and "VIGIE_SECRET_KEY" in served.stderr


def test_report_for_last_week_on_the_demo(fresh_copy: Path) -> None:
    from reports.week import last_complete_week

    week = last_complete_week(dt.datetime.now(dt.UTC)).label
    made = run(fresh_copy, "report", "--week", week)
    assert made.returncode == 0, made.stderr
    folder = fresh_copy / "data" / "reports" / week
    assert (folder / f"vigie-rapport-{week}.pdf").read_bytes()[:5] == b"%PDF-"
    assert (folder / f"vigie-rapport-{week}.xlsx").stat().st_size > 0
    assert f"Rapport {week}" in made.stdout
    future = run(fresh_copy, "report", "--week", "2999-W01")
    assert future.returncode == 2 and "n'est pas terminée" in future.stderr
