"""/rapports (issue 16): weeks read with their dates, the page says when the next report comes, and an admin builds a
missing week from it — through the one gate, which refuses the callback to managers, scoped or not.

Real SQLite store holding the KPI fixture, real app (Flask test client), forged callback bodies as the renderer posts.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.auth import audit
from dashboard.auth.accounts import add_user
from dashboard.pages.reports import BUILD_BUTTON, BUILD_WEEK, next_report_line
from domain.business_days import BusinessCalendar
from domain.config import ReportSettings
from reports.build import generate
from reports.week import IsoWeek
from service.kpi_service import KpiService
from store.reader import Reader
from tests.support import PASSWORD, call, ids_in, login, secured_app, texts

TUESDAY = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # W48 (23–29 Nov) is the last complete week
ROUTER = ".._pages_content.children..._pages_store.data.."
BUILD = "..reports-build-message.children...reports-list.children...reports-build-week.options...reports-build-week.value.."


def _route(client, path: str):  # type: ignore[no-untyped-def]
    address = [
        {"id": "_pages_location", "property": "pathname", "value": path},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    return call(client, ROUTER, address, state=address)


def _build(client, week: str | None):  # type: ignore[no-untyped-def]
    """The « Produire le rapport » button clicked with ``week`` chosen, as the renderer posts it."""
    return call(client, BUILD, [{"id": BUILD_BUTTON, "property": "n_clicks", "value": 1}],
                state=[{"id": BUILD_WEEK, "property": "value", "value": week}], changed=[f"{BUILD_BUTTON}.n_clicks"])  # fmt: skip


def _props(tree: object, component_id: str) -> dict | None:
    """The props of the component ``component_id`` in a parsed callback answer."""
    if isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return props
        tree = list(tree.values())
    if isinstance(tree, list):
        return next((p for p in (_props(v, component_id) for v in tree) if p is not None), None)
    return None


def _kpis(store, catalog, clock) -> KpiService:  # type: ignore[no-untyped-def]
    return KpiService(Reader(store.engine), catalog, BusinessCalendar("TG"), clock)


def test_weeks_read_with_their_dates() -> None:
    assert IsoWeek(2026, 48).title == "2026-W48 — du 23 au 29 nov. 2026"
    assert IsoWeek(2026, 49).title == "2026-W49 — du 30 nov. au 6 déc. 2026"
    assert IsoWeek(2026, 53).title == "2026-W53 — du 28 déc. 2026 au 3 janv. 2027"


def test_the_next_report_follows_the_schedule_in_lome_time() -> None:
    monday = dt.datetime(2026, 11, 30, 5, 59, tzinfo=dt.UTC)  # a minute before this Monday's run
    for schedule, now, expected in (
        (ReportSettings(), TUESDAY, "lundi 7 déc. 2026 à 6 h (semaine 2026-W49"),
        (ReportSettings(day_of_week="wed", hour=18, minute=5), TUESDAY, "mercredi 2 déc. 2026 à 18 h 05 (semaine 2026-W48"),
        (ReportSettings(), monday, "lundi 30 nov. 2026 à 6 h (semaine 2026-W48"),
    ):
        assert next_report_line(schedule, now) == f"Prochain rapport : {expected}, heure de Lomé)."


@pytest.fixture
def app(sqlite_store, catalog, clock, tmp_path):  # type: ignore[no-untyped-def]
    app = secured_app(sqlite_store, catalog, clock, reports_dir=tmp_path / "reports")
    clock.now = TUESDAY
    add_user(sqlite_store.engine, "kodjo", PASSWORD, "manager", clock.now, frozenset({"CEET"}))
    return app


def test_an_admin_builds_a_missing_week_from_the_page(app, sqlite_store, catalog, clock, tmp_path) -> None:
    out = tmp_path / "reports"
    kpis = _kpis(sqlite_store, catalog, clock)
    generate(kpis, kpis.reader, IsoWeek(2026, 47), out, clock)
    ada = login(app, "ada")
    tree = _route(ada, "/rapports").get_json()
    page = texts(tree)
    assert "2026-W47 — du 16 au 22 nov. 2026" in page  # the stored week, with its dates
    assert "Prochain rapport : lundi 7 déc. 2026 à 6 h (semaine 2026-W49, heure de Lomé)." in " ".join(page)
    form = _props(tree, BUILD_WEEK)
    assert "Produire le rapport" in page and form is not None
    assert form["options"][0] == {"label": "2026-W48 — du 23 au 29 nov. 2026", "value": "2026-W48"}
    assert [o["value"] for o in form["options"]] == [f"2026-W{n}" for n in (48, *range(46, 36, -1))]  # 12 weeks, W47 built

    answer = _build(ada, "2026-W48")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert sorted(p.name for p in (out / "2026-W48").iterdir()) == ["vigie-rapport-2026-W48.pdf", "vigie-rapport-2026-W48.xlsx"]
    assert (out / "2026-W48" / "vigie-rapport-2026-W48.pdf").read_bytes()[:5] == b"%PDF-"
    response = answer.get_json()["response"]
    assert response["reports-build-message"]["children"].startswith("Rapport 2026-W48 — du 23 au 29 nov. 2026 produit")
    assert "/rapports/2026-W48/vigie-rapport-2026-W48.pdf" in texts(response["reports-list"])
    offered = [o["value"] for o in response["reports-build-week"]["options"]]
    assert "2026-W48" not in offered and "2026-W47" not in offered and len(offered) == 10
    assert response["reports-build-week"]["value"] == "2026-W46"
    built = audit.recent(sqlite_store.engine)
    assert [(r.username, r.action, r.detail) for r in built.itertuples() if r.action == "report_build"] == [
        ("ada", "report_build", "2026-W48")
    ]
    # a week the form does not offer: already built, not over, out of the 12, or no week at all — refused, nothing written
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    for forged in ("2026-W47", "2026-W49", "2026-W30", "../../etc", None):
        message = _build(ada, forged).get_json()["response"]["reports-build-message"]["children"]
        assert message.startswith(("Refusé", "Choisissez")), (forged, message)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_a_failed_build_says_why_in_french(sqlite_store, catalog, clock, tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the reports folder should be")
    app = secured_app(sqlite_store, catalog, clock, reports_dir=blocker)
    clock.now = TUESDAY
    message = _build(login(app, "ada"), "2026-W48").get_json()["response"]["reports-build-message"]["children"]
    assert message.startswith("Rapport non produit : rapport 2026-W48 non produit après 1 essais :"), message
    assert "Traceback" not in message and blocker.read_text() == "a file where the reports folder should be"
    assert [r.detail for r in audit.recent(sqlite_store.engine).itertuples() if r.action == "report_build"] == [
        "2026-W48 : échec"
    ]


@pytest.mark.parametrize("name", ["marc", "kodjo"])  # a manager, and a manager limited to CEET
def test_managers_see_the_list_but_cannot_build(app, sqlite_store, tmp_path, name) -> None:
    client = login(app, name)
    page = _route(client, "/rapports").get_json()
    assert "Rapports hebdomadaires" in texts(page) and BUILD_BUTTON not in ids_in(page) and BUILD_WEEK not in ids_in(page)
    assert "Un administrateur peut produire ici une semaine manquante." in texts(page)
    answer = _build(client, "2026-W48")
    assert answer.status_code == 403 and b"reports-list" not in answer.data
    assert not (tmp_path / "reports").exists()
    assert not [r for r in audit.recent(sqlite_store.engine).itertuples() if r.action == "report_build"]
