"""/readyz and /metrics against a real store polled from a real SQLite source."""

from __future__ import annotations

import datetime as dt
import re

from dashboard import create_app
from dashboard.ops import readiness
from dashboard.outage import outage_line
from domain.business_days import BusinessCalendar
from service.kpi_service import KpiService
from store.engines import create_store_engine
from store.reader import Reader
from tests.factories import add_case, csrf_headers, naive, source_settings
from tests.support import poll

_SAMPLE = re.compile(r'^[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? -?[0-9.e+]+$')


def test_readiness_follows_the_store_and_the_sources(sqlite_source, sqlite_store, catalog, clock) -> None:
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    client = create_app(service.reader, service, clock).server.test_client()
    empty = client.get("/readyz")
    assert empty.status_code == 503 and "aucune source" in empty.get_json()["reason"]
    url, engine = sqlite_source
    add_case(engine, "A", naive(2026, 11, 20, 10), events=(("DEP", naive(2026, 11, 20, 10)),))
    poll(source_settings(url, every_seconds=30), sqlite_store, catalog, clock)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["sources"] == {"src": "ok"}
    clock.now += dt.timedelta(minutes=10)  # 20 intervals without a poll: the only source is down
    down = client.get("/readyz")
    assert down.status_code == 503 and down.get_json()["down"] == ["src"]


def test_an_unreachable_store_is_not_ready(catalog, clock) -> None:
    reader = Reader(create_store_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    ready, body = readiness(reader, clock())
    assert not ready and body["store"].startswith("injoignable")


def test_a_store_that_goes_away_leaves_the_last_state_served_and_said(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    add_case(engine, "A", naive(2026, 11, 20, 10), events=(("DEP", naive(2026, 11, 20, 10)),))
    poll(source_settings(url, every_seconds=30), sqlite_store, catalog, clock)
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    client = create_app(service.reader, service, clock).server.test_client()
    service.reader.warm()
    before = client.get("/api/kpis").get_json()
    service.reader.engine = create_store_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # the store is gone
    during = client.get("/api/kpis")
    assert during.status_code == 200 and during.get_json() == before  # the last numbers, same contract
    assert during.headers["X-Vigie-Store"].startswith("unreachable since")
    assert service.reader.outage is not None and "Connection refused" in service.reader.outage.error
    assert "injoignable depuis" in outage_line(service.reader) and "derniers chiffres connus" in outage_line(service.reader)
    assert client.get("/readyz").status_code == 503 and "vigie_store_up 0" in client.get("/metrics").get_data(as_text=True)
    assert service.reader.health(clock()).at[0, "source"] == "src"  # the last rows read, aged to now
    service.reader.engine = sqlite_store.engine  # back
    assert client.get("/readyz").status_code == 200 and service.reader.outage is None
    assert "X-Vigie-Store" not in client.get("/api/kpis").headers


def test_a_store_down_before_anything_was_read_gets_a_french_503(catalog, clock) -> None:
    reader = Reader(create_store_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    client = create_app(reader, KpiService(reader, catalog, BusinessCalendar("TG"), clock), clock).server.test_client()
    api = client.get("/api/kpis")
    assert api.status_code == 503 and api.get_json()["error"].startswith("La base de données de Vigie ne répond pas")
    address = [
        {"id": "_pages_location", "property": "pathname", "value": "/"},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": address,
        "changedPropIds": ["_pages_location.pathname"],
        "state": address,
    }
    routed = client.post("/_dash-update-component", json=body, headers=csrf_headers(client, "/"))
    assert routed.status_code == 503 and "réessayez" in routed.get_json()["error"]


def test_metrics_are_prometheus_text(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    add_case(engine, "A", naive(2026, 11, 20, 10), events=(("DEP", naive(2026, 11, 20, 10)),))
    add_case(engine, "B", naive(2026, 11, 20, 10), reg="Atlantide")  # quarantined
    poll(source_settings(url), sqlite_store, catalog, clock)
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    client = create_app(service.reader, service, clock).server.test_client()
    client.get("/api/kpis")
    text = client.get("/metrics").get_data(as_text=True)
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert samples and all(_SAMPLE.match(line) for line in samples), [s for s in samples if not _SAMPLE.match(s)]
    assert 'vigie_source_polls_total{source="src"} 1' in samples
    assert 'vigie_quarantine_open_rows{source="src",reason="bad_region"} 1' in samples
    assert f"vigie_data_version {service.reader.version()}" in samples
    assert "vigie_kpi_computations_total 1" in samples
    assert "# TYPE vigie_source_up gauge" in text and 'vigie_source_up{source="src"} 1' in samples


def test_serve_with_two_workers_and_one_collector(tmp_path, sqlite_source) -> None:
    """Several workers answer as one deployment (one boot id, same numbers); the collectors run once, apart."""
    import http.cookiejar
    import json
    import os
    import time
    import urllib.request

    from tests.support import serve, stop, write_config

    url, engine = sqlite_source
    add_case(engine, "A", naive(2026, 11, 20, 10), events=(("DEP", naive(2026, 11, 20, 10)),))
    no_secret = {k: v for k, v in os.environ.items() if k != "VIGIE_SECRET_KEY"}  # authentication is off in this config
    proc, base = serve(write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url), "--workers", "2", env=no_secret)
    try:
        fixed = base + "/api/kpis?as_of=2026-11-21T00:00:00Z"

        def backlog() -> int:
            return json.loads(urllib.request.urlopen(fixed, timeout=10).read())["overall"]["backlog"]

        deadline = time.monotonic() + 60
        while backlog() == 0 and time.monotonic() < deadline:  # the separate collector process fills the store
            time.sleep(1)
        answers = [json.loads(urllib.request.urlopen(base + "/healthz", timeout=10).read()) for _ in range(12)]
        assert len({a["boot"] for a in answers}) == 1
        documents = {urllib.request.urlopen(fixed, timeout=10).read() for _ in range(8)}
        assert len(documents) == 1 and json.loads(documents.pop())["overall"]["backlog"] == 1
        metrics = {
            urllib.request.urlopen(base + "/metrics", timeout=10)
            .read()
            .decode()
            .split('vigie_worker_info{pid="')[1]
            .split('"')[0]
            for _ in range(16)
        }
        assert len(metrics) == 2  # two worker processes answered
        # a CSRF token given by one worker is accepted by the other (they sign alike)
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        browser.open(base + "/wall", timeout=10).read()
        token = next(c.value for c in jar if c.name == "_csrf_token")
        for _ in range(8):
            beat = urllib.request.Request(
                base + "/api/screens/heartbeat",
                data=b'{"screen": "hall"}',
                method="POST",
                headers={"Content-Type": "application/json", "X-CSRFToken": token},
            )
            assert browser.open(beat, timeout=10).status == 200
    except Exception:
        stop(proc)
        raise AssertionError(f"the server said: {proc.stdout.read() if proc.stdout else ''}") from None
    finally:
        stop(proc)


def test_logs_never_carry_secrets_and_can_be_json_lines(capsys) -> None:
    import json
    import logging

    from domain.logs import configure, scrub

    assert scrub("postgresql+psycopg://vigie:s3cr3t@db:5432/portail") == "postgresql+psycopg://vigie:***@db:5432/portail"
    assert scrub("connection failed: password=hunter2 host=db") == "connection failed: password=*** host=db"
    assert scrub("mysql+pymysql://root@127.0.0.1/test") == "mysql+pymysql://root@127.0.0.1/test"  # nothing to hide
    configure(json_lines=True)
    try:
        logging.getLogger("collectors.poll").warning("source %s en panne : %s", "ceet", "mysql://app:topsecret@10.0.0.5/ceet")
        try:
            raise RuntimeError("could not connect to postgresql://vigie:pw123@db/x")
        except RuntimeError:
            logging.getLogger("collectors").exception("poll failed")
    finally:
        configure(json_lines=False)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "collectors.poll"
    assert lines[0]["message"] == "source ceet en panne : mysql://app:***@10.0.0.5/ceet"
    assert "pw123" not in json.dumps(lines) and "topsecret" not in json.dumps(lines) and "RuntimeError" in lines[1]["exception"]
