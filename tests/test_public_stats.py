"""The public statistics (/statistiques, .csv, .json): the engine's numbers for the same 90-day window, the
small-count rule, one computation per data version, escaping, and the [public] setting.

Real SQLite store, real app (Flask test client); nothing mocked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collectors.normalize import empty_quarantine
from dashboard import create_app
from dashboard.auth.roles import PUBLIC_PATHS
from dashboard.public.text import LICENCE, honest_percent
from domain.business_days import WEEKMASK, BusinessCalendar
from domain.config import AuthSettings, ConfigError, PublicSettings, load_settings
from kpis.case_state import prepare, state_at
from kpis.document import kpi_document
from kpis.public import business_days_for_share
from kpis.series import processing_distribution
from service.kpi_service import KpiService
from service.public_stats import MIN_CASES, SUPPRESSED, WINDOW_DAYS, PublicStatistics, public_figures
from store.reader import Reader
from store.watermark import Watermark
from store.writer import Batch
from tests.kpi_fixtures import CATALOG, frames
from tests.support import login, write_config

AS_OF = pd.Timestamp("2026-11-20T12:00:00Z")
AUTH = AuthSettings(enabled=True, lockout_failures=20, lockout_minutes=15)
PUBLIC = PublicSettings(enabled=True)


def _commit(store, clock, cases: list[dict], events: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    case_frame, event_frame = frames(cases, events)
    batch = Batch(
        source="src",
        cases=case_frame.drop(columns=["source", "deleted_at", "version"]),
        events=event_frame[["case_id", "status", "at", "seq"]],
        quarantine=empty_quarantine(),
        watermarks={"cases": Watermark(), "events": Watermark()},
    )
    store.commit_batch(batch, clock.now)


def _history(seed: int = 19) -> tuple[list[dict], list[tuple]]:
    """Cases over the 120 days before AS_OF: CEET-BT many (every figure shown), CEET-ABO exactly 12 submissions
    in the window of which 9 closed in it (counts of closures and durations withheld), MIN-EXP 5 (all withheld)."""
    rng = random.Random(seed)
    cases: list[dict] = []
    events: list[tuple] = []

    def add(
        code: str, submitted: pd.Timestamp, closed_after: float | None, outcome: str = "approved", pause: bool = False
    ) -> None:  # noqa: E501
        case_id = f"{code}-{len(cases):03d}"
        channel = rng.choice(("online", "counter"))
        cases.append(
            {
                "case_id": case_id,
                "procedure_code": code,
                "submitted_at": submitted.isoformat(),
                "channel": channel,
                "agent": rng.choice(("Kossi Adjo", "Afi Mensah")),
                "region": rng.choice(("Maritime", "Savanes")),
            }
        )
        events.append((case_id, "submitted", submitted.isoformat()))
        events.append((case_id, "in_review", (submitted + pd.Timedelta(hours=2)).isoformat()))
        if pause:
            events.append((case_id, "awaiting_applicant", (submitted + pd.Timedelta(days=1)).isoformat()))
            events.append((case_id, "in_review", (submitted + pd.Timedelta(days=4)).isoformat()))
        if closed_after is not None:
            events.append((case_id, outcome, (submitted + pd.Timedelta(days=closed_after)).isoformat()))

    for _ in range(80):
        submitted = AS_OF - pd.Timedelta(days=rng.uniform(1, 120))
        closed = rng.choice([None, rng.uniform(0.1, 40)])
        if closed is not None and submitted + pd.Timedelta(days=closed) >= AS_OF:
            closed = None
        add("CEET-BT", submitted, closed, rng.choice(("approved", "approved", "rejected", "withdrawn")), rng.random() < 0.3)
    for i in range(12):  # all submitted inside the window; 9 closed inside it
        add("CEET-ABO", AS_OF - pd.Timedelta(days=60 - i), 3.0 + i if i < 9 else None)
    for i in range(5):
        add("MIN-EXP", AS_OF - pd.Timedelta(days=30 + i), 2.0)
    return cases, events


@pytest.fixture
def world(sqlite_store, catalog, clock):  # type: ignore[no-untyped-def]
    clock.now = AS_OF.to_pydatetime()
    cases, events = _history()
    _commit(sqlite_store, clock, cases, events)
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    return sqlite_store, service


def _app(service, clock, public=PUBLIC, auth=AUTH):  # type: ignore[no-untyped-def]
    return create_app(service.reader, service, clock, auth, "s" * 40, public=public)


# --- the numbers are the engine's --------------------------------------------------------------------------------


def test_the_public_numbers_are_the_engines_for_the_same_window(world, catalog) -> None:
    store, service = world
    table = PublicStatistics(service, lambda: AS_OF.to_pydatetime()).table()
    assert table.as_of == AS_OF and table.window_days == WINDOW_DAYS == 90
    # the engine computed afresh from the store's frames, away from the service's caches
    frames_now = service.reader.frames()
    calendar = BusinessCalendar("TG")
    document = kpi_document(frames_now.cases, frames_now.events, catalog, {}, as_of=AS_OF, days=90, calendar=calendar)
    state = state_at(prepare(frames_now.cases, frames_now.events, catalog, calendar), AS_OF)
    distribution = processing_distribution(state, 90)
    rows = {row.code: row for row in table.procedures}
    assert set(rows) == set(catalog["code"])  # every procedure of the catalogue, none other
    bt, engine = rows["CEET-BT"], document["by_procedure"]["CEET-BT"]
    assert engine["inflow"] >= MIN_CASES and engine["outflow"] >= MIN_CASES  # the fixture shows every figure here
    assert (bt.submitted, bt.closed) == (engine["inflow"], engine["outflow"])
    assert bt.median_business_days == engine["median_business_days"]
    assert bt.p90_business_days == distribution["CEET-BT"]["business_days_p90"]
    assert distribution["CEET-BT"]["count"] == engine["outflow"]  # one population for both
    assert bt.on_time_pct == engine["sla_compliance_pct"]
    assert bt.online_pct == engine["online_share_pct"]
    assert bt.legal_delay_days == int(catalog.set_index("code").loc["CEET-BT", "sla_days"])
    # the sentence's number, checked against the closures themselves
    assert bt.days_for_share == business_days_for_share(state, 90)["CEET-BT"]
    assert bt.structure == "CEET"


def test_the_open_data_carry_the_same_numbers_as_the_table(world, clock) -> None:
    _, service = world
    app = _app(service, clock)
    client = app.server.test_client()
    data = client.get("/statistiques.json").get_json()
    table = PublicStatistics(service, clock).table()
    assert data["procedures"] == [
        {k: getattr(row, k) for k in data["procedures"][0]} for row in table.procedures
    ]  # unrounded, null where withheld
    assert data["as_of"] == AS_OF.isoformat() and data["window_days"] == 90
    assert data["licence"]["name"] == LICENCE and "20 nov. 2026" in data["donnees_au"]
    body = client.get("/statistiques.csv").data.decode("utf-8")
    assert body.startswith("\ufeff# Titre")
    lines = body.lstrip("\ufeff").split("\r\n")
    assert any(line.startswith("# Licence : " + LICENCE) for line in lines)
    assert any(line.startswith("# Données au : 20 nov. 2026") for line in lines)
    table_lines = [line for line in lines if not line.startswith(("#", '"#'))]
    rows = list(csv.DictReader(io.StringIO("\r\n".join(table_lines)), delimiter=";"))
    bt = next(r for r in rows if r["Code de la démarche"] == "CEET-BT")
    figures = next(row for row in table.procedures if row.code == "CEET-BT")
    assert int(bt["Dossiers déposés"]) == figures.submitted
    assert float(bt["Clos dans le délai légal (%)"].replace(",", ".")) == pytest.approx(figures.on_time_pct, abs=0.05)
    assert float(bt["Délai médian (jours ouvrés)"].replace(",", ".")) == pytest.approx(figures.median_business_days, abs=0.05)
    exp = next(r for r in rows if r["Code de la démarche"] == "MIN-EXP")
    assert exp["Dossiers déposés"] == exp["Délai médian (jours ouvrés)"] == SUPPRESSED


# --- the small-count rule ----------------------------------------------------------------------------------------


def _engine_rows(inflow: int, outflow: int) -> dict:
    return {
        "P": {
            "inflow": inflow,
            "outflow": outflow,
            "median_business_days": 4.0 if outflow else None,
            "sla_compliance_pct": 75.0 if outflow else None,
            "online_share_pct": 50.0 if inflow else None,
        }
    }


@pytest.mark.parametrize(
    ("inflow", "outflow", "counts", "online_shown", "closure_figures_shown"),
    [
        (0, 0, (0, 0), False, False),  # nobody to protect: a zero count is shown, no share is
        (1, 1, (None, None), False, False),
        (9, 9, (None, None), False, False),
        (10, 9, (10, None), True, False),  # enough submissions for the online share, too few closures
        (9, 10, (None, 10), False, True),
        (10, 10, (10, 10), True, True),
        (250, 0, (250, 0), True, False),
    ],
)
def test_a_figure_from_fewer_than_ten_cases_is_withheld(inflow, outflow, counts, online_shown, closure_figures_shown) -> None:
    processing = {"P": {"business_days_p90": 9.0 if outflow else None, "count": outflow}}
    (row,) = [r for r in public_figures(CATALOG, _engine_rows(inflow, outflow), processing, {"P": 6}) if r.code == "P"]
    assert (row.submitted, row.closed) == counts
    assert (row.online_pct is not None) == online_shown
    closure_figures = (row.median_business_days, row.p90_business_days, row.on_time_pct, row.days_for_share)
    assert closure_figures == ((4.0, 9.0, 75.0, 6) if closure_figures_shown else (None, None, None, None))


def test_withheld_figures_read_moins_de_10_dossiers_everywhere(world, clock) -> None:
    _, service = world
    client = _app(service, clock).server.test_client()
    data = {row["code"]: row for row in client.get("/statistiques.json").get_json()["procedures"]}
    abo, exp = data["CEET-ABO"], data["MIN-EXP"]
    assert abo["submitted"] == 12 and abo["online_pct"] is not None  # 12 submissions: shown
    assert abo["closed"] is None and abo["median_business_days"] is None and abo["days_for_share"] is None  # 9 closures
    assert exp["submitted"] is None and exp["online_pct"] is None and exp["on_time_pct"] is None  # 5 cases
    page = client.get("/statistiques").data.decode("utf-8")
    assert page.count(SUPPRESSED) >= 10
    assert "moins de 10 dossiers" in page and "secret statistique" in page.lower()


def test_no_case_agent_applicant_or_region_reaches_the_public(world, clock) -> None:
    store, service = world
    client = _app(service, clock).server.test_client()
    answers = [client.get(path).data.decode("utf-8") for path in ("/statistiques", "/statistiques.csv", "/statistiques.json")]
    for text in answers:
        for private in ("CEET-BT-0", "CEET-ABO-0", "Kossi", "Mensah", "Maritime", "Savanes"):  # cases, agents, regions
            assert private not in text
    fields = set(client.get("/statistiques.json").get_json()["procedures"][0])
    assert fields == {
        "structure", "code", "name", "legal_delay_days", "submitted", "closed", "median_business_days",
        "p90_business_days", "on_time_pct", "online_pct", "days_for_share",
    }  # fmt: skip


# --- the sentence: « 8 dossiers clos sur 10 l'ont été en D jours ouvrés ou moins » --------------------------------


def _closed_after_business_days(counts: list[int]) -> tuple[list[dict], list[tuple]]:
    """Procedure P cases submitted Mon 2 Nov 2026 08:00, each approved after the given business days."""
    start = np.datetime64("2026-11-02")
    holidays = BusinessCalendar("TG").holidays(2026, 2026)
    cases, events = [], []
    for i, k in enumerate(counts):
        closed = np.busday_offset(start, k, weekmask=WEEKMASK, holidays=holidays)
        cases.append({"case_id": f"c{i}", "procedure_code": "P", "submitted_at": "2026-11-02T08:00:00"})
        events += [(f"c{i}", "submitted", "2026-11-02T08:00:00"), (f"c{i}", "approved", f"{closed}T10:00:00")]
    return cases, events


@pytest.mark.parametrize(
    ("business_days", "share", "expected"),
    [
        ([0, 1, 2, 3, 10], (8, 10), 3),  # 4 of 5 within 3
        ([0, 1, 2, 3, 10], (9, 10), 10),  # 4,5 of 5 -> all 5
        ([0, 1, 2, 3, 10], (1, 2), 2),  # 2,5 -> 3 of 5
        ([1, 2, 3, 4, 5, 6, 7, 8, 8, 20, 20, 20], (8, 10), 20),  # the linear p80 (17,6) would over-state
        ([5] * 10, (8, 10), 5),
        ([0] * 10, (8, 10), 0),
    ],
)
def test_business_days_for_share_is_the_smallest_true_bound(business_days, share, expected) -> None:
    cases, events = _closed_after_business_days(business_days)
    case_frame, event_frame = frames(cases, events)
    state = state_at(prepare(case_frame, event_frame, CATALOG, BusinessCalendar("TG")), pd.Timestamp("2026-12-31T00:00:00Z"))
    assert sorted(state.business_days[state.history.procedure_no == 0].tolist()) == sorted(business_days)  # the fixture
    days = business_days_for_share(state, 90, share)
    assert days["P"] == expected and days["Q"] is None
    numerator, denominator = share
    within = sum(d <= expected for d in business_days)
    assert within * denominator >= numerator * len(business_days)  # the sentence is true
    assert sum(d <= expected - 1 for d in business_days) * denominator < numerator * len(business_days)  # and tight


def test_the_sentence_on_the_page(world, clock) -> None:
    _, service = world
    table = PublicStatistics(service, clock).table()
    days = next(row.days_for_share for row in table.procedures if row.code == "CEET-BT")
    page = _app(service, clock).server.test_client().get("/statistiques").data.decode("utf-8")
    assert f"8 dossiers clos sur 10 l&#39;ont été en {days}\u202fjours ouvrés ou moins" in page


@pytest.mark.parametrize(("value", "shown"), [(99.6, 99), (100.0, 100), (0.4, 1), (0.0, 0), (87.5, 88), (12.4, 12)])
def test_shares_never_round_to_a_false_all_or_none(value, shown) -> None:
    assert honest_percent(value) == shown


# --- one computation per data version -----------------------------------------------------------------------------


def test_one_computation_per_data_version(world, clock) -> None:
    store, service = world
    stats = PublicStatistics(service, clock, refresh_seconds=600)
    first = stats.table()
    assert stats.table() is first and stats.computations == 1  # an unchanged store: computed once
    clock.now += dt.timedelta(seconds=599)
    assert stats.table() is first and stats.computations == 1
    _commit(store, clock, [{"case_id": "new", "procedure_code": "CEET-BT", "submitted_at": "2026-11-20T12:05:00"}], [])
    second = stats.table()
    assert stats.computations == 2 and second.data_version > first.data_version  # a new version: computed again
    clock.now += dt.timedelta(seconds=600)
    third = stats.table()
    assert stats.computations == 3 and third.as_of == pd.Timestamp(clock.now)  # the window moves on a quiet store


def test_many_visitors_cost_one_computation(world, clock) -> None:
    _, service = world
    app = _app(service, clock)
    client = app.server.test_client()
    before = service.computations
    bodies = {client.get(path).data for _ in range(200) for path in ("/statistiques", "/statistiques.csv", "/statistiques.json")}
    assert len(bodies) == 3
    assert service.computations - before == 1  # the KPI document, computed once for 600 answers


# --- the web page ---------------------------------------------------------------------------------------------


def test_the_page_is_light_escaped_and_sets_no_cookie(sqlite_store, catalog, clock) -> None:
    hostile = catalog.copy()
    hostile.loc[hostile["code"] == "CEET-BT", "name"] = '<script>alert("x")</script>'
    hostile.loc[hostile["code"] == "CEET-ABO", "name"] = '=HYPERLINK("http://x")'
    service = KpiService(Reader(sqlite_store.engine), hostile, BusinessCalendar("TG"), clock)
    client = _app(service, clock).server.test_client()
    page = client.get("/statistiques")
    html = page.data.decode("utf-8")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert '<html lang="fr">' in html and "<title>Délais des démarches" in html
    assert '<a class="skip" href="#contenu">' in html and '<main id="contenu"' in html and 'scope="col"' in html
    assert "<script" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert " style=" not in html and "<style" not in html  # nothing inline for the policy to forbid
    assert len(page.data) < 60_000  # 29 procedures
    for path in PUBLIC_PATHS:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "Set-Cookie" not in answer.headers, path
        assert "default-src 'none'" in answer.headers["Content-Security-Policy"], path
        assert "script-src" not in answer.headers["Content-Security-Policy"]  # no script may run
    csv_text = client.get("/statistiques.csv").data.decode("utf-8")
    assert ";'=HYPERLINK" in csv_text or "\"'=HYPERLINK" in csv_text  # neutralised, never a formula
    assert client.get("/statistiques.json").get_json()["procedures"]  # data, escaped by JSON itself
    css = client.get("/statistiques.css")
    assert css.mimetype == "text/css" and len(css.data) < 5_000


# --- the setting and the gate -----------------------------------------------------------------------------------


def test_disabled_the_public_paths_answer_404_to_everyone(world, clock) -> None:
    store, service = world
    from dashboard.auth.accounts import add_user
    from tests.support import PASSWORD

    add_user(store.engine, "ada", PASSWORD, "admin", clock.now)
    for auth in (AUTH, AuthSettings(enabled=False)):
        app = _app(service, clock, public=PublicSettings(), auth=auth)
        for client in (app.server.test_client(), login(app, "ada") if auth.enabled else app.server.test_client()):
            for path in PUBLIC_PATHS:
                answer = client.get(path)
                assert answer.status_code == 404, (path, auth.enabled)
                assert b"Licence" not in answer.data


def test_enabled_the_public_paths_need_no_session(world, clock) -> None:
    _, service = world
    client = _app(service, clock).server.test_client()
    for path in sorted(PUBLIC_PATHS):
        assert client.get(path).status_code == 200, path
    for near in ("/statistiques/", "/statistiques/x", "/statistiques.xlsx", "/statistiquesx"):
        answer = client.get(near)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login"), near


def _config(tmp_path: Path, extra: str) -> Path:
    path = write_config(tmp_path, "sqlite:///x.db", "sqlite:///y.db")
    path.write_text(path.read_text() + extra)
    return path


def test_the_public_setting(tmp_path: Path) -> None:
    assert load_settings(_config(tmp_path, "")).public.enabled is False  # off by default
    assert load_settings(_config(tmp_path, "[public]\nenabled = true\n")).public.enabled is True
    with pytest.raises(ConfigError, match=r"\[public\].*clé inconnue : enable"):
        load_settings(_config(tmp_path, "[public]\nenable = true\n"))
    with pytest.raises(ConfigError, match=r"\[public\].*type invalide pour la clé enabled"):
        load_settings(_config(tmp_path, '[public]\nenabled = "oui"\n'))
    with pytest.raises(ConfigError, match=r"\[public\].*type invalide"):
        load_settings(_config(tmp_path, "[public]\nenabled = 1\n"))


def test_the_demo_publishes_its_statistics() -> None:
    demo = Path(__file__).resolve().parent.parent / "config" / "demo.toml"
    assert load_settings(demo).public.enabled is True


def test_json_is_valid_utf8_with_french_text(world, clock) -> None:
    _, service = world
    raw = _app(service, clock).server.test_client().get("/statistiques.json").data
    assert "Ministère" in json.loads(raw.decode("utf-8"))["attribution"]
