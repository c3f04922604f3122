"""A collector killed mid-poll, and two collectors on one store: real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from store.engines import create_store_engine
from store.lock import WriterLock, WriterLockBusy
from tests.factories import add_case, naive
from tests.support import run_app, write_config

ROOT = Path(__file__).resolve().parent.parent








def test_second_collector_on_a_sqlite_store_says_so_and_exits(tmp_path, sqlite_source) -> None:
    url, engine = sqlite_source
    add_case(engine, "A", naive(2026, 11, 20, 10))
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url)
    first = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "collect", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "vigie.db.collector.lock").exists() or not (tmp_path / "vigie.db.collector.lock").read_text():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "first collector never took the lock"
            time.sleep(0.1)
        second = run_app("collect", "--once", "--config", str(config))
        assert second.returncode == 3
        assert "un autre collecteur" in second.stderr and str(first.pid) in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
    # Once the first one is gone, the lock is free again.
    assert run_app("collect", "--once", "--config", str(config)).returncode == 0


@pytest.mark.parametrize(
    "backend", [pytest.param("pg_url", marks=pytest.mark.postgres), pytest.param("mariadb_url", marks=pytest.mark.mariadb)]
)
def test_server_store_allows_one_writer(request, backend: str) -> None:
    url = request.getfixturevalue(backend)
    first, second = WriterLock(create_store_engine(url)), WriterLock(create_store_engine(url))
    first.acquire()
    with pytest.raises(WriterLockBusy, match="un autre collecteur"):
        second.acquire()
    first.release()
    second.acquire()  # released with the session, so it is free now
    second.release()


def test_killed_collector_releases_its_file_lock(tmp_path) -> None:
    store_url = f"sqlite:///{tmp_path / 'vigie.db'}"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import time
        from store.engines import create_store_engine
        from store.lock import WriterLock
        held = WriterLock(create_store_engine("{store_url}"))
        held.acquire()
        print("locked", flush=True)
        time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert holder.stdout.readline().strip() == "locked"
    lock = WriterLock(create_store_engine(store_url))
    with pytest.raises(WriterLockBusy):
        lock.acquire()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    lock.acquire()
    lock.release()


def test_store_rows_survive_in_the_database_not_in_memory(tmp_path, sqlite_source) -> None:
    url, engine = sqlite_source
    add_case(engine, "A", naive(2026, 11, 20, 10))
    store_url = f"sqlite:///{tmp_path / 'vigie.db'}"
    config = write_config(tmp_path, store_url, url)
    assert run_app("collect", "--once", "--config", str(config)).returncode == 0
    with create_store_engine(store_url).connect() as conn:
        assert conn.execute(text("SELECT cursor FROM watermarks WHERE stream = 'cases'")).scalar()
