"""Injected faults, each checked for what the user sees and for what is kept: nothing lost, nothing doubled,
and recovery without a hand on the keyboard. Real PostgreSQL, real SQLite, a real full disk (tmpfs).

The collector killed in the middle of a poll is in test_crash_and_lock.py. Not here yet:
PostgreSQL stopped for 30 s under load.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from collectors.reader import Reader
from dashboard import create_app
from dashboard.calendar import BusinessCalendar
from dashboard.kpis.service import KpiService
from reports.build import ReportError, generate
from reports.week import IsoWeek
from tests.browser.conftest import ARTIFACTS
from tests.factories import add_case, create_source_schema, naive, source_settings
from tests.servers import PG_ADMIN_URL, unavailable
from tests.test_api import load_fixture
from tests.test_poll import poll, stored

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
    assert kpis.get_json()["overall"]["inflow"] >= 0
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
