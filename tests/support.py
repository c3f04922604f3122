"""Helpers shared by the test modules: configs, a store with the KPI fixture, and the app served on loopback.

One place, so that test modules never import from each other.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from collectors.fetch import SourceFetcher
from collectors.normalize import empty_quarantine
from collectors.poll import poll_source
from store.engines import create_source_engine
from store.watermark import Watermark
from store.writer import Batch
from tests.factories import CASES_SQL, EVENTS_SQL, STATUS_MAP, add_case, naive
from tests.kpi_fixtures import CASES, EVENTS, frames

ROOT = Path(__file__).resolve().parent.parent


TEST_SECRET = "test-secret-" + "0" * 32

ARTIFACTS = ROOT / "artifacts"


def write_config(tmp_path: Path, store_url: str, source_url: str, auth: bool = False) -> Path:
    """A one-source config; authentication off unless ``auth`` (the tests of access control turn it on)."""
    status_map = "\n".join(f'{k} = "{v}"' for k, v in STATUS_MAP.items())
    body = f'''
[store]
url = "{store_url}"
[catalog]
path = "{ROOT / "data" / "procedures.csv"}"
[auth]
enabled = {"true" if auth else "false"}
[[sources]]
name = "src"
url = "{source_url}"
every_seconds = 1
cases_sql = """{CASES_SQL}"""
events_sql = """{EVENTS_SQL}"""
[sources.status_map]
{status_map}
'''
    path = tmp_path / "vigie.toml"
    path.write_text(textwrap.dedent(body))
    return path


def load_fixture(store, clock) -> None:
    cases, events = frames([c for c in CASES if not c.get("deleted_at")], EVENTS)
    cases = cases.assign(procedure_code=cases["procedure_code"].map({"P": "CEET-ABO", "Q": "MIN-EXP", "Z": "MIN-CAR"}))
    known = set(cases["case_id"])
    batch = Batch(
        source="src",
        cases=cases.drop(columns=["source", "deleted_at", "version"]),
        events=events.loc[events["case_id"].isin(known), ["case_id", "status", "at", "seq"]],
        quarantine=empty_quarantine(),
        watermarks={"cases": Watermark(), "events": Watermark()},
    )
    store.commit_batch(batch, clock.now)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(config: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start ``app.py serve`` on a free port; return the process and its base URL once it answers.

    ``env`` replaces the environment (default: this one, with a test session secret)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "serve", "--config", str(config), "--port", str(port), *extra],
        cwd=ROOT,
        env=env if env is not None else {**os.environ, "VIGIE_SECRET_KEY": TEST_SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app.py serve exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(base + "/", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("app.py serve did not answer within 60 s")


def screenshot(web: object, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    web.save_screenshot(str(path))  # type: ignore[attr-defined]
    return path


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


#: Passwords of the test accounts (they pass the password policy).
PASSWORD = "correct horse battery"
EXPLORER_PASSWORD = "mot-de-passe-solide"


KILL_BETWEEN_FETCH_AND_COMMIT = """
import os, signal, sys
from domain.catalog import load_catalog
from domain.clock import utc_now
from domain.config import load_settings
from store.engines import create_source_engine, create_store_engine
from collectors.fetch import SourceFetcher
from collectors.poll import poll_source
from store.writer import Store
settings = load_settings(sys.argv[1])
source = settings.sources[0]
store = Store(create_store_engine(settings.store_url))
def die():
    print("fetched; dying before commit", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
poll_source(source, SourceFetcher(create_source_engine(source.url, 5), 5), store,
            load_catalog(settings.catalog_path)["code"], now=utc_now, after_fetch=die)
"""


def run_app(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``app.py`` with ``args``; ``env``: variables added to this process's environment."""
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env={**os.environ, **env} if env else None,
    )  # fmt: skip


def reader_for(url: str) -> SourceFetcher:
    return SourceFetcher(create_source_engine(url, 5), 5)


def poll(source, store, catalog, clock, **kw):
    return poll_source(source, reader_for(source.url), store, catalog["code"], now=clock, **kw)


def stored(store, table: str) -> pd.DataFrame:
    with store.engine.connect() as conn:
        return pd.read_sql(text(f"SELECT * FROM {table}"), conn)


def token_of(client) -> str:  # type: ignore[no-untyped-def]
    client.get("/login")
    return client.get_cookie("_csrf_token").value


def login(app, name: str | None):  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    if name is not None:
        response = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token_of(client)})
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


def call(
    client,
    output: str,
    inputs: list[dict],
    token: str | None = "auto",
    state: list[dict] | None = None,  # type: ignore[no-untyped-def]
    changed: list[str] | None = None,
):
    """POST a Dash callback request as the renderer does; ``changed``: the props that triggered it."""
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in output.strip(".").split("...")]
    body = {
        "output": output,
        "outputs": outputs[0] if len(outputs) == 1 else outputs,  # a dict for one output, as the renderer sends
        "inputs": inputs,
        "changedPropIds": changed or [],
        "state": state or [],
    }
    headers = {}
    if token == "auto":
        cookie = client.get_cookie("_csrf_token")
        token = cookie.value if cookie else token_of(client)
    if token:
        headers["X-CSRFToken"] = token
    return client.post("/_dash-update-component", json=body, headers=headers)


def explorer_config(tmp_path, sqlite_source):  # type: ignore[no-untyped-def]
    url, engine = sqlite_source
    for i in range(24):
        proc = ("CEET-BT", "CEET-ABO", "MIN-EXP")[i % 3]
        t = naive(2026, 11, 2 + i % 20, 9)
        events = [("DEP", t)] + ([("OK", naive(2026, 11, 24, 10))] if i % 4 == 0 else [])
        add_case(
            engine, f"X{i:02d}", t, proc=proc, reg=("Kara", "Maritime")[i % 2], officer=f"agent{i % 3}", events=tuple(events)
        )
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url, auth=True)
    for name, role in (("marc", "manager"), ("lea", "viewer")):
        done = subprocess.run(
            [sys.executable, str(ROOT / "app.py"), "users", "add", name, "--role", role, "--config", str(config)],
            input=EXPLORER_PASSWORD + "\n",
            text=True,
            capture_output=True,
            cwd=ROOT,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    return config


def log_in(browser, base: str, name: str, target: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    for attempt in range(3):
        # a page left behind may still receive answers that set its session cookie again after the deletion:
        # on a loaded machine, forget the cookies once more and ask again
        browser.get(base + "/healthz")
        browser.delete_all_cookies()
        browser.get(base + target)
        try:
            WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.ID, "login-submit"))
            break
        except TimeoutException:
            if attempt == 2:
                raise
    browser.find_element(By.ID, "username").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(EXPLORER_PASSWORD)
    browser.find_element(By.ID, "login-submit").click()


def secured_app(store, catalog, clock, alerts=None, reports_dir=None):  # type: ignore[no-untyped-def]
    """The app with login on over ``store`` holding the KPI fixture, and three accounts: lea (viewer), marc (manager)
    and ada (admin), each with ``PASSWORD``; ``alerts``: the [alerts] settings (none by default); ``reports_dir``:
    the folder /rapports lists."""
    from dashboard import create_app
    from dashboard.auth.accounts import add_user
    from domain.business_days import BusinessCalendar
    from domain.config import AuthSettings
    from service.kpi_service import KpiService
    from store.reader import Reader

    load_fixture(store, clock)
    for name, role in (("lea", "viewer"), ("marc", "manager"), ("ada", "admin")):
        add_user(store.engine, name, PASSWORD, role, clock.now)
    service = KpiService(Reader(store.engine), catalog, BusinessCalendar("TG"), clock)
    auth = AuthSettings(enabled=True, lockout_failures=20, lockout_minutes=15)
    extra = {"reports_dir": reports_dir} if reports_dir is not None else {}
    if alerts is None:
        return create_app(service.reader, service, clock, auth, "s" * 40, **extra)
    return create_app(service.reader, service, clock, auth, "s" * 40, alert_settings=alerts, **extra)


def texts(tree: object) -> list[str]:
    """Every string in a parsed callback answer (component children, props): tests read JSON, never grep it."""
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, dict):
        return [t for v in tree.values() for t in texts(v)]
    if isinstance(tree, list):
        return [t for v in tree for t in texts(v)]
    return []


def ids_in(tree: object) -> list[object]:
    """Every component id in a parsed callback answer."""
    if isinstance(tree, dict):
        own = [tree["props"]["id"]] if isinstance(tree.get("props"), dict) and "id" in tree["props"] else []
        return own + [i for v in tree.values() for i in ids_in(v)]
    if isinstance(tree, list):
        return [i for v in tree for i in ids_in(v)]
    return []


def browser_fetch(browser, path: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """GET with the browser's own session (cookies), from inside the page: (status, body)."""
    status, body = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text().then(t => done([r.status, t])));",
        path,
    )
    return status, body
