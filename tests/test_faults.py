"""Injected faults, each checked for what the user sees and for what is kept: nothing lost, nothing doubled,
and recovery without a hand on the keyboard. Real PostgreSQL, real SQLite, a real full disk (tmpfs), a real
SIGKILL. ``pytest -m faults`` runs the five faults of issue 7 and prints what survived.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from bench.load import Client, tick_callback
from dashboard import create_app
from dashboard.auth.accounts import add_screen
from domain.business_days import BusinessCalendar
from reports.build import ReportError, generate
from reports.week import IsoWeek
from service.kpi_service import KpiService
from store.engines import create_store_engine
from store.reader import Reader
from store.writer import Store
from tests.factories import CASES_SQL, EVENTS_SQL, STATUS_MAP, add_case, create_source_schema, naive, source_settings
from tests.servers import PG_ADMIN_URL, fresh_database, unavailable
from tests.support import (
    ARTIFACTS,
    KILL_BETWEEN_FETCH_AND_COMMIT,
    ROOT,
    TEST_SECRET,
    free_port,
    load_fixture,
    poll,
    run_app,
    stored,
    write_config,
)

pytestmark = pytest.mark.faults
TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    yield
    line = (
        f"Fautes injectées : {TALLY['faults']} ; requêtes servies pendant les fautes : {TALLY['requests']} ; "
        f"lignes comparées avant/après : {TALLY['rows']} ; pertes ou doublons : {TALLY['lost']}"
    )
    print("\n" + line)  # shown with -s; also kept with the test artifacts
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "faults-summary.txt").write_text(line + "\n", encoding="utf-8")


@pytest.fixture
def pg_source() -> Iterator[tuple[str, str]]:
    """A source database on PostgreSQL read by its own login role; yields (url, role)."""
    admin = create_engine(PG_ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name, role = f"vigie_f_{uuid.uuid4().hex[:10]}", f"lecteur_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{role}"'))
    except Exception as exc:  # noqa: BLE001 - a missing server fails in CI, skips elsewhere
        unavailable("PostgreSQL", exc)
    host = PG_ADMIN_URL.split("@", 1)[1].rsplit("/", 1)[0]
    yield f"postgresql+psycopg://{role}@{host}/{name}", role
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


def _role(role: str, login: bool) -> None:
    admin = create_engine(PG_ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER ROLE "{role}" {"LOGIN" if login else "NOLOGIN"}'))
    admin.dispose()


@pytest.mark.postgres
def test_refused_credentials_show_the_source_down_then_it_recovers(pg_source, sqlite_store, catalog, clock) -> None:
    """The source's account stops working (a changed password; the local server trusts, so the role loses LOGIN)."""
    url, role = pg_source
    engine = create_engine(url, poolclass=NullPool)
    create_source_schema(engine)
    for i in range(20):
        add_case(engine, f"F{i}", naive(2026, 11, 20, 9, i), events=(("DEP", naive(2026, 11, 20, 9, i)),))
    source = source_settings(url, every_seconds=30)
    assert poll(source, sqlite_store, catalog, clock).error is None
    before = stored(sqlite_store, "cases").sort_values("case_id").reset_index(drop=True)
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    client = create_app(service.reader, service, clock).server.test_client()

    _role(role, login=False)
    TALLY["faults"] += 1
    failed = poll(source, sqlite_store, catalog, clock)
    assert failed.error is not None and "not permitted to log in" in failed.error
    clock.now += dt.timedelta(minutes=6)  # more than 10 intervals without a success
    ready = client.get("/readyz")
    metrics = client.get("/metrics").get_data(as_text=True)
    kpis = client.get("/api/kpis")
    TALLY["requests"] += 3
    assert ready.status_code == 503 and ready.get_json()["down"] == ["src"]
    assert 'vigie_source_up{source="src"} 0' in metrics and kpis.status_code == 200  # still serving the last numbers
    assert kpis.get_json()["overall"]["inflow"] == 20  # the last numbers: the twenty cases submitted before the fault
    during = stored(sqlite_store, "cases").sort_values("case_id").reset_index(drop=True)
    assert during.equals(before)  # nothing lost while down

    _role(role, login=True)  # the operator puts the new password in secrets.env and restarts: here, the role works again
    admin_engine = create_engine(url, poolclass=NullPool)
    add_case(admin_engine, "F-new", naive(2026, 11, 20, 12), events=(("DEP", naive(2026, 11, 20, 12)),))
    recovered = poll(source, sqlite_store, catalog, clock)
    assert recovered.error is None
    after = stored(sqlite_store, "cases")
    TALLY["rows"] += len(after)
    assert sorted(after["case_id"]) == sorted([*before["case_id"], "F-new"])  # nothing lost, nothing doubled
    TALLY["lost"] += len(after) - after["case_id"].nunique()
    assert client.get("/readyz").status_code == 200


def test_a_corrupted_row_is_quarantined_counted_and_recovered(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    for i in range(10):
        add_case(engine, f"R{i}", naive(2026, 11, 20, 9, i), events=(("DEP", naive(2026, 11, 20, 9, i)),))
    source = source_settings(url)
    poll(source, sqlite_store, catalog, clock)
    add_case(engine, "R3", naive(2026, 11, 20, 10), proc="XX-999")  # corrupted: an unknown procedure code
    TALLY["faults"] += 1
    result = poll(source, sqlite_store, catalog, clock)
    assert result.error is None and result.quarantined == {"unknown_procedure": 1}
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    client = create_app(service.reader, service, clock).server.test_client()
    metrics = client.get("/metrics").get_data(as_text=True)
    quarantined = client.get("/api/kpis").get_json()["quarantined"]
    TALLY["requests"] += 2
    assert 'vigie_quarantine_open_rows{source="src",reason="unknown_procedure"} 1' in metrics
    assert quarantined == {"unknown_procedure": 1}
    add_case(engine, "R3", naive(2026, 11, 20, 10, 30), proc="CEET-BT")  # fixed at the source
    poll(source, sqlite_store, catalog, clock)
    cases = stored(sqlite_store, "cases")
    TALLY["rows"] += len(cases)
    assert sorted(cases["case_id"]) == [f"R{i}" for i in range(10)] and cases["case_id"].is_unique
    assert service.reader.quarantine_counts().empty  # resolved


def test_collector_killed_between_fetch_and_commit_replays_the_batch(tmp_path, sqlite_source) -> None:
    """SIGKILL after the source was read and before the store commit: nothing half-written, the next run catches up."""
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "A", t, events=(("DEP", t),))
    store_url = f"sqlite:///{tmp_path / 'vigie.db'}"
    config = write_config(tmp_path, store_url, url)
    assert run_app("collect", "--once", "--config", str(config)).returncode == 0
    later = naive(2026, 11, 20, 11)
    add_case(engine, "B", later, events=(("DEP", later), ("INS", later)))
    add_case(engine, "A", later, deposited=t, events=(("OK", later),))

    TALLY["faults"] += 1
    killed = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_FETCH_AND_COMMIT, str(config)], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert killed.returncode == -signal.SIGKILL and "fetched" in killed.stdout
    store = Store(create_store_engine(store_url))
    assert sorted(Reader(store.engine).frames().cases["case_id"]) == ["A"]  # nothing half-written

    restarted = run_app("collect", "--once", "--config", str(config))
    assert restarted.returncode == 0, restarted.stderr
    assert "1 nouveaux, 1 mis à jour, 3 événements" in restarted.stdout
    frames = Reader(store.engine).frames()
    assert sorted(frames.cases["case_id"]) == ["A", "B"]
    assert len(frames.events) == 4 and not frames.events.duplicated(["case_id", "status", "at"]).any()
    TALLY["rows"] += len(frames.cases) + len(frames.events)
    TALLY["lost"] += int(frames.cases["case_id"].duplicated().sum())


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 200 kB tmpfs: the report folder's disk, full after a few files."""
    mount = tmp_path / "reports"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        unavailable("tmpfs (mount)", RuntimeError(done.stderr.strip() or "mount refusé"))
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_report_disk_is_reported_and_leaves_no_half_file(full_disk, sqlite_store, catalog, clock) -> None:
    load_fixture(sqlite_store, clock)
    clock.now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    (full_disk / "ballast").write_bytes(b"\0" * 150_000)  # the disk is nearly full
    TALLY["faults"] += 1
    with pytest.raises(ReportError, match="OSError|No space"):
        generate(service, service.reader, IsoWeek(2026, 47), full_disk, clock, attempts=2, wait_seconds=0)
    leftovers = [p.name for p in (full_disk / "2026-W47").iterdir()] if (full_disk / "2026-W47").exists() else []
    assert leftovers == []  # no half-written report, no partial file
    client = create_app(service.reader, service, clock).server.test_client()
    TALLY["requests"] += 1
    assert client.get("/api/kpis").status_code == 200  # the app keeps serving
    (full_disk / "ballast").unlink()  # space comes back: the next run writes the report
    files = generate(service, service.reader, IsoWeek(2026, 47), full_disk, clock, attempts=1)
    assert files.pdf.read_bytes()[:5] == b"%PDF-" and files.xlsx.stat().st_size > 0


OUTAGE_SECONDS = 30


def _postgresql(action: str) -> None:
    """Stop or start the local PostgreSQL cluster(s) (Debian's pg_ctlcluster, as .ci/run starts them)."""
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir()) if Path("/etc/postgresql").is_dir() else []
    if not versions:
        unavailable("pg_ctlcluster", RuntimeError("aucun cluster PostgreSQL Debian dans /etc/postgresql"))
    for version in versions:
        extra = ["-m", "fast"] if action == "stop" else []
        done = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action, *extra], capture_output=True, text=True
        )
        said = done.stdout + done.stderr
        if done.returncode != 0 and "already running" not in said and "not running" not in said:
            raise AssertionError(f"pg_ctlcluster {action}: {said.strip()}")
    if action == "start":
        _wait(lambda: subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0, 60, "PostgreSQL")


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 - not there yet (a server starting, a store down)
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what}: not reached within {seconds} s")


class Screen:
    """A wall screen logged in with its token: the version-check callback, /api/kpis and /healthz, in a loop."""

    def __init__(self, base: str, address: str) -> None:
        self.client = Client(base)
        self.client.get(address)
        self.tick = tick_callback(base, self.client)
        self.answers: list[tuple[float, str, int, str]] = []  # (time, what, status, body or header)
        self.stop = threading.Event()

    def _call(self, what: str, action: Callable[[], tuple[int, str]]) -> None:
        try:
            status, detail = action()
        except urllib.error.HTTPError as exc:
            status, detail = exc.code, exc.read().decode(errors="replace")[:300]
        except OSError as exc:
            status, detail = 0, str(exc)
        self.answers.append((time.monotonic(), what, status, detail))

    def run(self) -> None:
        outputs, inputs, states = self.tick
        n = 0
        while not self.stop.is_set():
            n += 1
            values = [{"id": x.split(".")[0], "property": x.split(".")[1], "value": n} for x in inputs]
            state = [{"id": x.split(".")[0], "property": x.split(".")[1], "value": None} for x in states]
            self._call("tick", lambda v=values, st=state: (200, self.client.callback(outputs, v, st).decode()))
            self._call("kpis", self._kpis)
            self._call("healthz", lambda: (200, self.client.get("/healthz").decode()))
            self.stop.wait(0.5)

    def _kpis(self) -> tuple[int, str]:
        with self.client.opener.open(self.client.base + "/api/kpis", timeout=30) as answer:
            return answer.status, answer.headers.get("X-Vigie-Store") or ""


@pytest.mark.postgres
def test_postgresql_stopped_30_s_under_load_as_source_and_store(tmp_path) -> None:
    """The store and one source on PostgreSQL, a second source on SQLite; two app workers and the collector
    process; three wall screens polling. PostgreSQL is stopped for 30 s, then started again."""
    with fresh_database(PG_ADMIN_URL, "PostgreSQL") as store_url, fresh_database(PG_ADMIN_URL, "PostgreSQL") as pg_url:
        pg_engine = create_engine(pg_url, poolclass=NullPool)
        file_engine = create_engine(f"sqlite:///{tmp_path / 'fichier.db'}", poolclass=NullPool)
        for engine, prefix in ((pg_engine, "P"), (file_engine, "S")):
            create_source_schema(engine)
            for i in range(30):
                add_case(engine, f"{prefix}{i}", naive(2026, 11, 20, 9, i), events=(("DEP", naive(2026, 11, 20, 9, i)),))
        store = Store(create_store_engine(store_url))
        store.create()
        token = add_screen(store.engine, "hall", dt.datetime.now(dt.UTC))
        store.engine.dispose()
        config = _two_source_config(tmp_path, store_url, pg_url, f"sqlite:///{tmp_path / 'fichier.db'}")
        log_path = tmp_path / "serve.log"
        with log_path.open("w") as log_file:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "app.py",
                    "serve",
                    "--config",
                    str(config),
                    "--port",
                    str(port := free_port()),
                    "--workers",
                    "2",
                ],
                cwd=ROOT,
                env={**os.environ, "VIGIE_SECRET_KEY": TEST_SECRET},
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        screens: list[Screen] = []
        try:
            _wait(
                lambda: _get_json(base + "/readyz")["ready"] and _stored_ids(store_url) == _source_ids(pg_url, file_engine),
                90,
                "first collection",
            )
            screens = [Screen(base, f"/wall?screen=hall&token={token}") for _ in range(3)]
            threads = [threading.Thread(target=s.run, daemon=True) for s in screens]
            for thread in threads:
                thread.start()
            time.sleep(3)

            _postgresql("stop")
            TALLY["faults"] += 1
            down_at = time.monotonic()
            for i in range(30, 35):  # the SQLite source keeps receiving cases while the store is down
                add_case(file_engine, f"S{i}", naive(2026, 11, 20, 11, i), events=(("DEP", naive(2026, 11, 20, 11, i)),))
            time.sleep(OUTAGE_SECONDS / 2)
            ready_during = _status(base + "/readyz")
            time.sleep(OUTAGE_SECONDS / 2)
            _postgresql("start")
            up_at = time.monotonic()
            for i in range(30, 35):  # and the PostgreSQL source right after its restart
                add_case(pg_engine, f"P{i}", naive(2026, 11, 20, 12, i), events=(("DEP", naive(2026, 11, 20, 12, i)),))

            expected = _source_ids(pg_url, file_engine)
            _wait(lambda: _stored_ids(store_url) == expected and _get_json(base + "/readyz")["ready"], 90, "recovery")
            recovered_at = time.monotonic()
            time.sleep(6)
            locks_after = _advisory_locks(store_url)
        finally:
            for s in screens:
                s.stop.set()
            try:
                _postgresql("start")  # whatever happened, leave the server running for the other tests
            finally:
                proc.terminate()  # gunicorn's master stops its workers and the collector process
                proc.wait(timeout=30)
        log = log_path.read_text(errors="replace")

        during = [a for s in screens for a in s.answers if down_at + 2 < a[0] < up_at]
        TALLY["requests"] += sum(len(s.answers) for s in screens)
        refused = [a for a in during if a[2] != 200]
        assert during and not refused, f"refused during the outage: {refused[:3]}"  # the app kept serving
        assert ready_during == 503  # load balancers are told
        ticks = [a[3] for a in during if a[1] == "tick"]
        assert any("injoignable" in body for body in ticks[len(ticks) // 2 :]), ticks[-1][:500]  # the wall says so
        assert any(a[3].startswith("unreachable since") for a in during if a[1] == "kpis")
        after = [a for s in screens for a in s.answers if a[0] > recovered_at + 2]
        assert after and all(a[2] == 200 for a in after) and not any("injoignable" in a[3] for a in after if a[1] == "tick")

        stored = _stored_rows(store_url)
        TALLY["rows"] += len(stored)
        TALLY["lost"] += len(stored) - len(set(stored)) + len(expected - set(stored))
        assert sorted(stored) == sorted(expected)  # nothing lost, nothing doubled
        assert _event_count(store_url) == len(expected)  # one DEP event per case, none doubled
        assert locks_after == 1  # the collector took its writer lock again after the restart
        assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]
        assert proc.returncode in (0, -15)


def _two_source_config(tmp_path: Path, store_url: str, pg_url: str, file_url: str) -> Path:
    status_map = "\n".join(f'{k} = "{v}"' for k, v in STATUS_MAP.items())
    sources = "".join(
        f'''
[[sources]]
name = "{name}"
url = "{url}"
every_seconds = 1
timeout_seconds = 3
max_backoff_seconds = 2
cases_sql = """{CASES_SQL}"""
events_sql = """{EVENTS_SQL}"""
[sources.status_map]
{status_map}
'''
        for name, url in (("pg", pg_url), ("fichier", file_url))
    )
    path = tmp_path / "vigie.toml"
    path.write_text(
        f'[store]\nurl = "{store_url}"\n[catalog]\npath = "{ROOT / "data" / "procedures.csv"}"\n[auth]\nenabled = true\n'
        + sources
    )
    return path


def _get_json(url: str) -> dict:  # type: ignore[type-arg]
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _source_ids(pg_url: str, file_engine: Engine) -> set[tuple[str, str]]:
    ids: set[tuple[str, str]] = set()
    for name, engine in (("pg", create_engine(pg_url, poolclass=NullPool)), ("fichier", file_engine)):
        with engine.connect() as conn:
            ids |= {(name, ref) for ref in conn.execute(text("SELECT ref FROM src_cases")).scalars()}
    return ids


def _stored_rows(store_url: str) -> list[tuple[str, str]]:
    with create_engine(store_url, poolclass=NullPool).connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT source, case_id FROM cases WHERE deleted_at IS NULL"))]


def _stored_ids(store_url: str) -> set[tuple[str, str]]:
    return set(_stored_rows(store_url))


def _event_count(store_url: str) -> int:
    with create_engine(store_url, poolclass=NullPool).connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())


def _advisory_locks(store_url: str) -> int:
    with create_engine(store_url, poolclass=NullPool).connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"
                )
            ).scalar_one()
        )
