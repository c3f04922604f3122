"""Sessions, screen tokens, proxies and headers against the app really served (``app.py serve``), over HTTP.

Each test replays cookies as an attacker would (a saved copy of a session cookie), so what is
checked is what the server accepts, not what a well-behaved browser does.
"""

from __future__ import annotations

import datetime as dt
import http.client
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select

from dashboard.auth import audit
from dashboard.auth.accounts import add_screen
from store import schema
from store.engines import create_store_engine
from tests.factories import add_case, naive
from tests.support import ROOT, serve, stop, write_config

PASSWORD = "mot-de-passe-solide"
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
NEW_PASSWORD = "une-autre-phrase-secrete"


class Client:
    """A minimal HTTP client that keeps cookies by name and never follows redirects."""

    def __init__(self, base: str, forwarded_for: str | None = None) -> None:
        self.host = urlsplit(base).netloc
        self.cookies: dict[str, str] = {}
        self.forwarded_for = forwarded_for

    def request(self, method: str, path: str, form: dict[str, str] | None = None, headers: dict | None = None):  # type: ignore[no-untyped-def]
        conn = http.client.HTTPConnection(self.host, timeout=60)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.forwarded_for:
            sent["X-Forwarded-For"] = self.forwarded_for
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        response.text = response.read().decode("utf-8", "replace")  # type: ignore[attr-defined]
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";")[0]
            if "expires=thu, 01 jan 1970" in header.lower() or "max-age=0" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        conn.close()
        return response

    def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
        return self.request("GET", path, **kw)

    def csrf(self) -> str:
        if "_csrf_token" not in self.cookies:
            self.get("/login")
        return self.cookies["_csrf_token"]

    def login(self, name: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        self.get("/login")
        return self.request("POST", "/login", form={"username": name, "password": password, "csrf_token": self.csrf()})

    def logout(self):  # type: ignore[no-untyped-def]
        return self.request("POST", "/logout", form={"csrf_token": self.csrf()})


def _config(tmp_path: Path, source: tuple, extra: str) -> Path:
    url, engine = source
    for i in range(6):
        add_case(
            engine,
            f"S{i}",
            naive(2026, 11, 2 + i, 9),
            proc="CEET-BT",
            officer="agent1",
            events=(("DEP", naive(2026, 11, 2 + i, 9)),),
        )
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url, auth=True)
    text = config.read_text().replace("[auth]\nenabled = true", "[auth]\nenabled = true\n" + extra)
    config.write_text(text)
    return config


def _cli(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args, "--config", str(config)],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:  # type: ignore[no-untyped-def]
    """One server behind one trusted proxy (X-Forwarded-For is believed), with a manager and a viewer."""
    yield from _serve(
        tmp_path_factory, "lockout_failures = 5\n[server]\ntrusted_proxies = 1", {"marc": "manager", "lea": "viewer"}
    )


def _store(config: Path):  # type: ignore[no-untyped-def]
    url = re.search(r'^url = "(sqlite:///[^"]+vigie.db)"', config.read_text(), re.M)
    assert url is not None
    return create_store_engine(url.group(1))


def test_logout_ends_the_session_even_for_a_saved_copy_of_its_cookie(served) -> None:
    base, _ = served
    marc = Client(base)
    assert marc.login("marc").status == 302
    saved = dict(marc.cookies)
    assert marc.get("/explorer/export.csv").status == 200
    assert marc.logout().status == 302
    thief = Client(base)
    thief.cookies = saved
    assert thief.get("/explorer/export.csv").status == 401
    assert thief.get("/explorer").status == 302  # to the login form


def test_a_new_password_ends_older_sessions_and_so_does_removal(served) -> None:
    base, config = served
    old = Client(base)
    assert old.login("marc").status == 302
    assert old.get("/explorer/export.csv").status == 200
    changed = _cli(config, "users", "passwd", "marc", stdin=NEW_PASSWORD + "\n")
    assert changed.returncode == 0, changed.stderr
    assert "1 session(s) terminée(s)" in changed.stdout
    assert old.get("/explorer/export.csv").status == 401
    assert Client(base).login("marc", PASSWORD).status == 401
    fresh = Client(base)
    assert fresh.login("marc", NEW_PASSWORD).status == 302
    saved = dict(fresh.cookies)
    assert _cli(config, "users", "remove", "marc").returncode == 0
    assert _cli(config, "users", "add", "marc", "--role", "manager", stdin=PASSWORD + "\n").returncode == 0
    thief = Client(base)
    thief.cookies = saved
    assert thief.get("/explorer/export.csv").status == 401  # re-created with another password: the old cookie is dead
    assert Client(base).login("marc").status == 302


def test_a_weak_password_is_refused_at_the_command_line(served) -> None:
    _, config = served
    for weak in ("azertyuiop123", "aaaaaaaaaaaaaaaa", "motdepasse2026", "court"):
        done = _cli(config, "users", "passwd", "lea", stdin=weak + "\n")
        assert done.returncode == 2 and "Refusé" in done.stderr, (weak, done.stderr)


def test_the_screen_token_leaves_the_url_and_a_reissued_token_ends_the_old_screen(served) -> None:
    base, config = served
    engine = _store(config)
    token = add_screen(engine, "hall-1", NOW)
    screen = Client(base)
    first = screen.get(f"/wall?screen=hall-1&token={token}")
    assert first.status == 302 and first.headers["Location"] == "/wall?screen=hall-1"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    kept = [h for h in first.headers.get_all("Set-Cookie") if h.startswith("vigie_screen=")]
    assert kept and "HttpOnly" in kept[0] and "Max-Age=" in kept[0]
    assert screen.get("/wall?screen=hall-1").status == 200
    # a crash or a reload that lost the session: the screen cookie alone logs the screen in again
    reopened = Client(base)
    reopened.cookies = {"vigie_screen": screen.cookies["vigie_screen"]}
    assert reopened.get("/wall?screen=hall-1").status == 200
    assert reopened.get("/api/kpis").status == 200
    saved = dict(screen.cookies)
    assert _cli(config, "screens", "revoke", "hall-1").returncode == 0
    added = _cli(config, "screens", "add", "hall-1")
    assert added.returncode == 0
    for cookies in (saved, {"vigie_screen": saved["vigie_screen"]}, {"session": saved["session"]}):
        thief = Client(base)
        thief.cookies = dict(cookies)
        assert thief.get("/api/kpis").status == 401, cookies.keys()
    new_token = re.search(r"token=(\S+)", added.stdout).group(1)  # type: ignore[union-attr]
    assert Client(base).get(f"/wall?screen=hall-1&token={new_token}").status == 302
    engine.dispose()


def test_only_a_screen_itself_may_send_its_heartbeat(served) -> None:
    base, config = served
    engine = _store(config)
    token = add_screen(engine, "hall-2", NOW)
    lea = Client(base)
    assert lea.login("lea").status == 302
    headers = {"Content-Type": "application/json", "X-CSRFToken": lea.csrf()}
    forged = lea.request("POST", "/api/screens/heartbeat", headers=headers)
    assert forged.status in (400, 403)
    screen = Client(base)
    screen.get(f"/wall?screen=hall-2&token={token}")
    screen.get("/wall?screen=hall-2")
    conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=30)
    for who, name, expected in ((lea, "hall-2", 403), (screen, "hall-9", 403), (screen, "hall-2", 204)):
        cookie = "; ".join(f"{k}={v}" for k, v in who.cookies.items())
        conn.request(
            "POST",
            "/api/screens/heartbeat",
            body=f'{{"screen": "{name}", "view": "x", "version": 1}}',
            headers={"Content-Type": "application/json", "X-CSRFToken": who.cookies["_csrf_token"], "Cookie": cookie},
        )
        answer = conn.getresponse()
        answer.read()
        assert answer.status == expected if expected == 403 else answer.status < 300, (name, answer.status)
    conn.close()
    with engine.connect() as c:
        names = set(c.execute(select(schema.screens.c.name)).scalars())
    assert "hall-2" in names and "hall-9" not in names
    engine.dispose()


def test_failed_logins_are_counted_per_real_address_and_slow_only_that_address(served) -> None:
    """Behind one trusted proxy: the attacker's address waits, marc from another address still logs in, the
    audit log records the real addresses, and refused attempts during the wait are counted, not audited."""
    base, config = served
    engine = _store(config)
    attacker = Client(base, forwarded_for="203.0.113.7")
    for _ in range(5):
        assert attacker.login("lea", "pas-le-bon-mot-de-passe").status == 401
    waiting = attacker.login("lea")  # the right password, during the wait: refused
    assert waiting.status == 401 and "bloquée jusqu" in waiting.text
    before = audit.recent(engine, 1000)
    for _ in range(7):
        assert attacker.login("lea", "encore-faux-encore").status == 401
    after = audit.recent(engine, 1000)
    assert len(after) == len(before)  # no audit row per refused attempt
    with engine.connect() as c:
        refused = c.execute(
            select(schema.login_throttle.c.refused).where(schema.login_throttle.c.key == "pair:lea|203.0.113.7")
        ).scalar()
    assert refused == 8
    assert set(before.loc[before["action"].str.startswith("login"), "address"]) >= {"203.0.113.7"}
    assert Client(base, forwarded_for="198.51.100.20").login("lea").status == 302  # lea herself, elsewhere
    unlocked = _cli(config, "users", "unlock", "--address", "203.0.113.7")
    assert unlocked.returncode == 0, unlocked.stderr
    assert attacker.login("lea").status == 302
    engine.dispose()


def test_every_response_carries_the_security_headers(served) -> None:
    base, _ = served
    marc = Client(base)
    marc.login("marc")
    for path in ("/login", "/", "/explorer", "/api/kpis", "/healthz", "/assets/app.css", "/explorer/export.csv"):
        response = marc.get(path)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self' 'sha256-" in csp, path
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], path
        assert "unsafe-eval" not in csp, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("Referrer-Policy") == "no-referrer", path
    assert marc.get("/explorer/export.xlsx").headers.get("Cache-Control") == "no-store"
    assert "Secure" not in marc.get("/login").headers.get("Set-Cookie", "")  # plain HTTP here: see the HTTPS server


def test_an_unlisted_page_needs_the_admin_role(served) -> None:
    base, _ = served
    lea = Client(base)
    lea.login("lea")
    assert lea.get("/").status == 200
    assert lea.get("/nulle-part").status == 403
    assert lea.get("/wallpaper").status == 403  # "/wall" covers /wall and /wall/…, not any path that starts alike


@pytest.fixture(scope="module")
def short_sessions(tmp_path_factory) -> Iterator[tuple[str, Path]]:  # type: ignore[no-untyped-def]
    """A second server: sessions of 6 seconds, HTTPS declared, no proxy trusted."""
    yield from _serve(tmp_path_factory, "session_hours = 0.00167\n[server]\nhttps = true", {"marc": "manager"})


def _serve(tmp_path_factory, settings: str, accounts: dict[str, str]) -> Iterator[tuple[str, Path]]:  # type: ignore[no-untyped-def]
    """``app.py serve`` (no collector) over a small SQLite source, with ``settings`` added to [auth] and the
    ``accounts`` (name -> role) created with the command line."""
    from store.engines import create_source_engine
    from tests import factories

    tmp = tmp_path_factory.mktemp("served")
    source_url = f"sqlite:///{tmp / 'source.db'}"
    engine = create_source_engine(source_url, 5)
    factories.create_source_schema(engine)
    config = _config(tmp, (source_url, engine), settings)
    for name, role in accounts.items():
        done = _cli(config, "users", "add", name, "--role", role, stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    proc, base = serve(config, "--no-collect")
    try:
        yield base, config
    finally:
        stop(proc)
        engine.dispose()


def test_a_session_renewed_on_every_request_still_ends_after_session_hours(short_sessions) -> None:
    base, _ = short_sessions
    marc = Client(base)
    assert marc.login("marc").status == 302
    started = time.monotonic()
    while time.monotonic() - started < 4:
        assert marc.get("/api/kpis").status == 200  # active all along
        time.sleep(0.5)
    while time.monotonic() - started < 7:
        time.sleep(0.5)
        marc.get("/api/kpis")
    assert marc.get("/api/kpis").status == 401


def test_cookies_are_secure_over_https_and_forwarded_addresses_are_not_believed_without_a_proxy(short_sessions) -> None:
    base, config = short_sessions
    client = Client(base)
    page = client.get("/login")
    cookies = page.headers.get_all("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies)
    forger = Client(base, forwarded_for="192.0.2.99")
    forger.login("marc", "faux-mot-de-passe-ici")
    engine = _store(config)
    log = audit.recent(engine, 10)
    engine.dispose()
    assert log.iloc[0]["action"] == "login_failed" and log.iloc[0]["address"] == "127.0.0.1"
