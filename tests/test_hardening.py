"""Issue 12's holes that need no served app: the callback gate, malformed bodies, the password policy, login
delays, terminal output, and bad settings or arguments at the command line. Real SQLite store, real app."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dashboard.auth import throttle
from dashboard.auth.accounts import AccountError, add_user, authenticate, set_password
from dashboard.auth.cli import screens_command
from dashboard.auth.passwords import password_problem
from dashboard.auth.sessions import open_session, session_principal
from dashboard.screens import record_heartbeat
from domain.config import ConfigError, parse_settings
from tests.support import PASSWORD, call, login, secured_app

ROOT = Path(__file__).resolve().parent.parent
ROUTER = ".._pages_content.children..._pages_store.data.."  # Dash pages' router
ROUTER_OUTPUTS = [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}]


@pytest.fixture
def app(sqlite_store, catalog, clock):  # type: ignore[no-untyped-def]
    return secured_app(sqlite_store, catalog, clock)


def test_a_callback_needs_the_role_of_what_the_server_declared_not_what_the_request_lists(app) -> None:
    """The explorer's navigation writes the URL (viewer) from explorer-* inputs (manager). A viewer who sends the
    URL output alone, without those inputs, used to pass the gate on the ids it chose to list."""
    navigation = next(key for key in app.callback_map if key.startswith("_pages_location."))
    viewer = login(app, "lea")
    assert call(viewer, navigation, []).status_code == 403
    manager = login(app, "marc")
    spec = app.callback_map[navigation]
    inputs = [{"id": i["id"], "property": i["property"], "value": None} for i in spec["inputs"]]
    state = [{"id": s["id"], "property": s["property"], "value": None} for s in spec["state"]]
    assert call(manager, navigation, inputs, state=state).status_code not in (400, 401, 403)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "texte",
        {"output": 5},
        {"output": ROUTER},
        {"output": ROUTER, "outputs": ROUTER_OUTPUTS, "inputs": "x"},
        {"output": ROUTER, "outputs": ROUTER_OUTPUTS, "inputs": [1, 2]},
        {"output": ROUTER, "outputs": ROUTER_OUTPUTS, "inputs": [{"id": "_pages_location"}] * 2},
        {"output": "nulle-part.children", "outputs": {}, "inputs": []},
    ],
)
def test_malformed_callback_bodies_get_a_french_400(app, body) -> None:
    client = login(app, "ada")
    token = client.get_cookie("_csrf_token").value
    response = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "requête de mise à jour" in response.get_json()["error"]


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("correct horse battery", False),
        ("Lome-Kara-2026!", False),
        ("court", True),
        ("onze-carac", True),  # 10 characters: the old minimum, now too short
        ("aaaaaaaaaaaaaaaaaa", True),
        ("123456789012", True),
        ("azertyuiop123", True),
        ("motdepasse2026", True),
        ("password1234", True),
        ("marc-marc-marc-2026", True),  # holds the user name
    ],
)
def test_password_policy(password: str, refused: bool) -> None:
    assert (password_problem(password, "marc") is not None) == refused


def test_set_password_checks_the_policy_and_ends_the_sessions(sqlite_store, clock) -> None:
    engine = sqlite_store.engine
    add_user(engine, "marc", PASSWORD, "manager", clock.now)
    result = authenticate(engine, "marc", PASSWORD, "10.0.0.1", clock.now, max_failures=5, lockout=dt.timedelta(minutes=15))
    sid = open_session(engine, result.principal, result.credential, clock.now, dt.timedelta(hours=12))
    assert session_principal(engine, sid, clock.now) is not None
    with pytest.raises(AccountError, match="trop facile"):
        set_password(engine, "marc", "azertyuiop123")
    assert session_principal(engine, sid, clock.now) is not None  # a refused change ends nothing
    assert set_password(engine, "marc", "une-autre-phrase-secrete") == 1
    assert session_principal(engine, sid, clock.now) is None
    assert session_principal(engine, sid, clock.now + dt.timedelta(hours=13)) is None


def test_session_ends_at_its_absolute_end(sqlite_store, clock) -> None:
    engine = sqlite_store.engine
    add_user(engine, "marc", PASSWORD, "manager", clock.now)
    result = authenticate(engine, "marc", PASSWORD, "10.0.0.1", clock.now, max_failures=5, lockout=dt.timedelta(minutes=15))
    sid = open_session(engine, result.principal, result.credential, clock.now, dt.timedelta(hours=2))
    assert session_principal(engine, sid, clock.now + dt.timedelta(hours=1, minutes=59)).name == "marc"
    assert session_principal(engine, sid, clock.now + dt.timedelta(hours=2)) is None


def test_delays_grow_and_stay_capped() -> None:
    cap = dt.timedelta(minutes=15)
    assert [throttle.delay(n, 5, cap) for n in (5, 6, 7, 8, 9, 50)] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15)]


def test_a_wait_is_per_address_first_and_each_new_failure_doubles_it(sqlite_store, clock) -> None:
    engine = sqlite_store.engine
    add_user(engine, "ada", PASSWORD, "admin", clock.now)
    lockout = dt.timedelta(minutes=15)

    def attempt(password: str, address: str):  # type: ignore[no-untyped-def]
        return authenticate(engine, "ada", password, address, clock.now, max_failures=3, lockout=lockout)

    for _ in range(3):
        assert attempt("pas-le-bon-mot-de-passe", "6.6.6.6").principal is None
    assert attempt(PASSWORD, "6.6.6.6").waiting  # the attacker's address waits, even with the right password
    assert attempt(PASSWORD, "10.1.1.1").principal is not None  # the admin, from her own desk, does not
    clock.now += dt.timedelta(minutes=1, seconds=1)
    assert attempt("encore-faux-mot", "6.6.6.6").slowed
    waits = throttle.current_waits(engine, clock.now).set_index("key")
    until = waits.loc["pair:ada|6.6.6.6", "locked_until"]
    assert until - clock.now == dt.timedelta(minutes=2)  # doubled
    assert throttle.clear(engine, address="6.6.6.6") >= 1
    assert attempt(PASSWORD, "6.6.6.6").principal is not None


def test_screens_list_prints_no_control_characters(sqlite_store, clock, capsys) -> None:
    record_heartbeat(
        sqlite_store.engine,
        {"screen": "hall-1", "view": "\x1b[2J\x1b[31mPIRATE\rfaux", "version": 3},
        now=clock.now,
        address="10.0.0.9\x1b[0m",
        user_agent="x",
    )
    assert screens_command(sqlite_store.engine, "list", None, clock.now) == 0
    out = capsys.readouterr().out
    assert "hall-1" in out and "PIRATE" in out
    assert "\x1b" not in out and "\r" not in out


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"auth": {"session_hours": 1e12}}, "session_hours ne peut dépasser"),
        ({"auth": {"session_hours": float("nan")}}, "session_hours doit être positive"),
        ({"server": {"trusted_proxies": -1}}, "trusted_proxies"),
        ({"server": {"https": "oui"}}, "type invalide pour la clé https"),
        ({"explorer": {"export_max_rows": 0}}, "export_max_rows doit être positive"),
    ],
)
def test_bad_security_settings_are_refused(section: dict, expected: str) -> None:
    raw = tomllib.loads((ROOT / "config" / "demo.toml").read_text())
    raw.update(section)
    with pytest.raises(ConfigError, match=expected):
        parse_settings(raw, path=None, env={}, base_dir=ROOT)


def _cli(tmp_path: Path, store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    raw = (ROOT / "config" / "demo.toml").read_text().replace('url = "sqlite:///data/vigie.db"', f'url = "{store_url}"')
    config = tmp_path / "vigie.toml"
    config.write_text(raw.replace('path = "data/procedures.csv"', f'path = "{ROOT / "data" / "procedures.csv"}"'))
    return subprocess.run(
        [sys.executable, "app.py", *args, "--config", str(config)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("foo://x/y", "type de base inconnu"),
        ("pas une adresse", "adresse illisible"),
        ("postgresql+psycopg://vigie:motdepasse-secret@127.0.0.1:1/vigie", "magasin injoignable"),
    ],
)
def test_an_unusable_store_stops_the_command_line_in_one_line(tmp_path: Path, url: str, expected: str) -> None:
    done = _cli(tmp_path, url, "users", "list")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert "Traceback" not in done.stderr and "motdepasse-secret" not in done.stderr


@pytest.mark.parametrize("week", ["0001-W01", "1969-W52", "9999-W52"])
def test_a_report_week_out_of_range_is_refused_in_one_line(tmp_path: Path, week: str) -> None:
    done = _cli(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", "report", "--week", week)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Erreur : ") and len(done.stderr.strip().splitlines()) == 1, done.stderr
