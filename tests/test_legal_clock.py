"""The legal clock per procedure (issue 17): ``clock = restart`` and tacit decisions, checked against hand-computed
tables (docs/kpis.md gives the definitions and a worked example).

Calendar: November 2026 (Mondays 2, 9, 16, 23, 30) and April 2026 (Monday 27/04 is Independence Day in Togo).
``bd(a, b)`` counts the business days from date(a) included to date(b) excluded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.business_days import BusinessCalendar
from domain.catalog import load_catalog
from domain.config import ConfigError
from kpis.case_state import case_state, prepare, state_at
from kpis.document import kpi_document
from tests.kpi_fixtures import CATALOG as BASE_CATALOG
from tests.kpi_fixtures import frames, histories, ts

CAL = BusinessCalendar("TG")
T = ts("2026-11-20 12:00")  # a Friday
CATALOG = pd.DataFrame(
    {
        "code": ["R", "P", "A", "J"],
        "name": ["Redémarre", "Suspend", "Accord tacite", "Rejet tacite"],
        "service": ["S1", "S1", "S2", "S2"],
        "sla_days": [5, 5, 5, 3],
        "clock": ["restart", "pause", "pause", "restart"],
        "silence": ["none", "none", "accord", "rejet"],
    }
)
CASES = [
    {"case_id": "r1", "procedure_code": "R", "submitted_at": "2026-11-02 08:00"},
    {"case_id": "p1", "procedure_code": "P", "submitted_at": "2026-11-02 08:00"},  # r1's events, paused clock
    {"case_id": "r2", "procedure_code": "R", "submitted_at": "2026-11-02 08:00"},
    {"case_id": "r3", "procedure_code": "R", "submitted_at": "2026-11-09 08:00"},
    {"case_id": "r4", "procedure_code": "R", "submitted_at": "2026-11-02 08:00"},
    {"case_id": "r5", "procedure_code": "R", "submitted_at": "2026-04-20 08:00"},
    {"case_id": "a1", "procedure_code": "A", "submitted_at": "2026-11-09 08:00"},
    {"case_id": "a2", "procedure_code": "A", "submitted_at": "2026-11-13 08:00"},
    {"case_id": "a3", "procedure_code": "A", "submitted_at": "2026-11-12 08:00"},
    {"case_id": "a4", "procedure_code": "A", "submitted_at": "2026-11-02 08:00"},
    {"case_id": "a5", "procedure_code": "A", "submitted_at": "2026-11-02 08:00"},
    {"case_id": "j1", "procedure_code": "J", "submitted_at": "2026-11-02 08:00"},
]
EVENTS = [
    # r1 / p1: paused from Wed 04/11, the complete file back (in_review) Mon 09/11 10:00
    *[(c, s, at) for c in ("r1", "p1") for s, at in (("in_review", "2026-11-02 09:00"),
      ("awaiting_applicant", "2026-11-04 10:00"), ("in_review", "2026-11-09 10:00"))],
    # r2: two requests, each answered (restart on 05/11, then on 11/11); approved Tue 17/11
    ("r2", "awaiting_applicant", "2026-11-03 08:00"), ("r2", "in_review", "2026-11-05 08:00"),
    ("r2", "awaiting_applicant", "2026-11-09 08:00"), ("r2", "submitted", "2026-11-11 08:00"),
    ("r2", "approved", "2026-11-17 08:00"),
    # r3: paused since Thu 12/11, still at T
    ("r3", "awaiting_applicant", "2026-11-12 08:00"),
    # r4: a second request while already paused, then rejected straight from the pause
    ("r4", "awaiting_applicant", "2026-11-04 08:00"), ("r4", "awaiting_applicant", "2026-11-06 08:00"),
    ("r4", "rejected", "2026-11-11 08:00"),
    # r5: restart on Fri 24/04/2026, then a weekend and Independence Day (Mon 27/04) before the approval
    ("r5", "awaiting_applicant", "2026-04-22 08:00"), ("r5", "in_review", "2026-04-24 15:00"),
    ("r5", "approved", "2026-04-30 10:00"),
    # a4: paused since Tue 03/11; a5: approved Tue 03/11, reopened Mon 16/11
    ("a4", "awaiting_applicant", "2026-11-03 08:00"),
    ("a5", "approved", "2026-11-03 08:00"), ("a5", "in_review", "2026-11-16 08:00"),
    # j1: paused Tue 03/11, the file back Mon 16/11 (restart)
    ("j1", "awaiting_applicant", "2026-11-03 08:00"), ("j1", "in_review", "2026-11-16 08:00"),
]  # fmt: skip


def at(when: str) -> pd.DataFrame:
    cases, events = frames(CASES, EVENTS)
    return case_state(cases, events, CATALOG, ts(when), CAL).set_index("case_id")


@pytest.mark.parametrize(
    ("case", "when", "admin", "due"),
    [
        # paused: frozen at the pause's start, bd(02/11, 04/11) = 2
        ("r1", "2026-11-06 12:00", 2, "2026-11-12"),  # due: 02/11 + (5 + 2 paused) bd = 11/11, + 1 day
        # the pause ends exactly at X: the clock restarts from 0 at X
        ("r1", "2026-11-09 10:00", 0, "2026-11-17"),
        # bd(09/11, 11/11) = 2; due 09/11 + 5 bd = Mon 16/11, + 1 day
        ("r1", "2026-11-11 12:00", 2, "2026-11-17"),
        ("r1", "2026-11-20 12:00", 9, "2026-11-17"),  # bd(09/11, 20/11) = 9 > 5: breached
        # the same events on a pause clock: bd(02/11, 20/11) = 14 − bd(04/11, 09/11) = 3 → 11
        ("p1", "2026-11-20 12:00", 11, "2026-11-13"),
        ("p1", "2026-11-11 12:00", 4, "2026-11-13"),
        # a pause still open at T: bd(09/11, 12/11) = 3, frozen; due 09/11 + (5 + 6 paused) bd = 24/11, + 1
        ("r3", "2026-11-20 12:00", 3, "2026-11-25"),
    ],
)
def test_restart_clock_open_cases(case: str, when: str, admin: int, due: str) -> None:
    row = at(when).loc[case]
    assert (int(row.admin_bd_now), pd.Timestamp(row.due_date)) == (admin, pd.Timestamp(due))
    assert bool(row.breached) == (admin > row.sla_days)


@pytest.mark.parametrize(
    ("case", "business", "on_time", "processing"),
    [
        # restarts on 05/11 then 11/11: bd(11/11, 17/11) = 4 ≤ 5, on time only thanks to the restart
        # (a pause clock: bd(02/11, 17/11) = 11 − 2 − 2 = 7 > 5); processing: 15 days − 4 paused
        ("r2", 4, True, 11.0),
        # rejected from a pause (and a second request while paused): no restart, the count of the pause's
        # start remains, bd(02/11, 04/11) = 2; processing: 9 days − 7 paused
        ("r4", 2, True, 2.0),
        # restart Fri 24/04: bd(24/04, 30/04) = Fri 24, Tue 28, Wed 29 (Mon 27/04 is a holiday) = 3
        # (a pause clock: bd(20/04, 30/04) = 7 − bd(22/04, 24/04) = 2 → 5); processing: 10 d 2 h − 2 d 7 h
        ("r5", 3, True, 7.0 + 19 / 24),
    ],
)
def test_restart_clock_closed_cases(case: str, business: int, on_time: bool, processing: float) -> None:
    row = at("2026-11-20 12:00").loc[case]
    assert int(row.admin_bd_at_close) == business and bool(row.on_time) == on_time
    assert row.processing_days == pytest.approx(processing, abs=1e-9)  # calendar time minus pauses, either clock


def test_the_median_uses_the_legal_clock() -> None:
    cases, events = frames(CASES, EVENTS)
    document = kpi_document(cases, events, CATALOG, {}, as_of=T, days=30, calendar=CAL)
    assert document["by_procedure"]["R"]["median_business_days"] == 3.0  # r2 (4) and r4 (2), closed in the window
    assert document["by_procedure"]["R"]["sla_compliance_pct"] == 100.0
    assert document["by_procedure"]["R"]["breached_open"] == 1  # r1 (9 > 5); r3 is at 3
    assert document["by_procedure"]["P"]["breached_open"] == 1


@pytest.mark.parametrize(
    ("case", "admin", "accept", "reject"),
    [
        ("a1", 9, True, False),  # bd(09/11, 20/11) = 9 > 5
        ("a2", 5, False, False),  # bd(13/11, 20/11) = 5: exactly the delay, not yet a decision
        ("a3", 6, True, False),  # bd(12/11, 20/11) = 6 = sla + 1
        ("a4", 1, False, False),  # paused since 03/11: bd(02/11, 03/11) = 1
        ("a5", 14, True, False),  # approved then reopened: open again, bd(02/11, 20/11) = 14
        ("j1", 4, False, True),  # restart 16/11: bd(16/11, 20/11) = 4 > 3
    ],
)
def test_tacit_decisions(case: str, admin: int, accept: bool, reject: bool) -> None:
    cases, events = frames(CASES, EVENTS)
    state = state_at(prepare(cases, events, CATALOG, CAL), T)
    no = int(np.flatnonzero(state.history.cases["case_id"].astype(str).to_numpy() == case)[0])
    assert int(state.business_days[no]) == admin
    assert (bool(state.tacit_accept[no]), bool(state.tacit_reject[no])) == (accept, reject)


def test_tacit_counts_in_every_group() -> None:
    cases, events = frames(CASES, EVENTS)
    document = kpi_document(cases, events, CATALOG, {}, as_of=T, days=7, calendar=CAL)
    assert (document["overall"]["tacit_accept_open"], document["overall"]["tacit_reject_open"]) == (3, 1)
    assert document["by_procedure"]["A"]["tacit_accept_open"] == 3 and document["by_procedure"]["J"]["tacit_reject_open"] == 1
    assert document["by_service"]["S1"]["tacit_accept_open"] == 0 and document["by_service"]["S2"]["tacit_reject_open"] == 1
    assert all(isinstance(g["tacit_accept_open"], int) for g in document["by_procedure"].values())
    # still open and still breached: a tacit decision takes nothing away from the existing metrics
    assert document["by_procedure"]["A"]["breached_open"] == 3 and document["by_procedure"]["A"]["backlog"] == 5


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.sampled_from([1, 7, 30]))
def test_a_restart_clock_without_pauses_counts_as_the_pause_clock(history, days) -> None:
    raw_cases, raw_events, _, t = history
    cases, events = frames(raw_cases, [e for e in raw_events if e[1] != "awaiting_applicant"])
    restart = BASE_CATALOG.assign(clock="restart")
    got = kpi_document(cases, events, restart, {}, as_of=t, days=days, calendar=CAL)
    assert got == kpi_document(cases, events, BASE_CATALOG, {}, as_of=t, days=days, calendar=CAL)
    # and with pauses the two clocks may differ, but never in calendar processing time
    cases, events = frames(raw_cases, raw_events)
    with_pauses = kpi_document(cases, events, restart, {}, as_of=t, days=days, calendar=CAL)
    paused = kpi_document(cases, events, BASE_CATALOG, {}, as_of=t, days=days, calendar=CAL)
    for key in ("median_processing_days", "p90_processing_days", "backlog", "outflow"):
        assert with_pauses["overall"][key] == paused["overall"][key]


def write_catalog(tmp_path: Path, header: str, *rows: str) -> Path:
    path = tmp_path / "procedures.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("column", "row", "message"),
    [
        ("clock", "B,Bis,S,5,reset,none", "ligne 3, colonne clock : valeur inconnue « reset » (attendu : pause | restart)"),
        ("silence", "B,Bis,S,5,pause,oui",
         "ligne 3, colonne silence : valeur inconnue « oui » (attendu : none | accord | rejet)"),  # fmt: skip
    ],
)
def test_an_unknown_clock_or_silence_names_the_file_line_and_column(tmp_path, column, row, message) -> None:
    path = write_catalog(tmp_path, "code,name,service,sla_days,clock,silence", "A,Un,S,5,restart,accord", row)
    with pytest.raises(ConfigError) as error:
        load_catalog(path)
    assert str(error.value) == f"{path}: {message}"


def test_a_catalogue_without_the_columns_behaves_as_before(tmp_path) -> None:
    old = load_catalog(write_catalog(tmp_path, "code,name,service,sla_days", "A,Un,S,5"))
    assert old[["clock", "silence"]].values.tolist() == [["pause", "none"]]
    blank = load_catalog(write_catalog(tmp_path, "code,name,service,sla_days,clock,silence", "A,Un,S,5,,"))
    assert blank[["clock", "silence"]].values.tolist() == [["pause", "none"]]
    demo = load_catalog(Path(__file__).resolve().parents[1] / "data" / "procedures.csv")
    assert set(demo["clock"]) == {"pause", "restart"} and set(demo["silence"]) == {"none", "accord", "rejet"}


def tree(component: object) -> dict:
    """A component as the browser receives it (JSON)."""
    import json

    import plotly.utils

    return json.loads(json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder))


def test_the_wall_shows_tacit_decisions_first(sqlite_store, catalog, clock) -> None:
    from dashboard.pages.wall_alerts import tacit_panel
    from dashboard.pages.wall_views import breach_note, views
    from service.kpi_service import KpiService
    from store.reader import Reader
    from tests.support import load_fixture, texts

    load_fixture(sqlite_store, clock)  # CEET-ABO and MIN-EXP are « silence vaut accord » in the demo catalogue
    service = KpiService(Reader(sqlite_store.engine), catalog, CAL, clock)
    document = service.document(None, 7)
    accepted = {code: m["tacit_accept_open"] for code, m in document["by_procedure"].items() if m["tacit_accept_open"]}
    assert accepted and document["overall"]["tacit_accept_open"] == sum(accepted.values())
    *_, alertes = views(service, catalog)
    shown = texts(tree(alertes)["props"]["children"][1])
    total = sum(accepted.values())
    assert any(w.startswith(f"{total} accord") for w in shown)  # the first panel after the takeover note
    assert all(code in " ".join(shown) for code in accepted)
    assert tacit_panel({"P": {"tacit_accept_open": 0, "tacit_reject_open": 0}}) is None
    one = texts(tree(tacit_panel({"P": {"tacit_accept_open": 0, "tacit_reject_open": 1}})))
    assert "1 rejet tacite" in one and not any("accord" in w for w in one)
    many = texts(tree(tacit_panel({"P": {"tacit_accept_open": 11, "tacit_reject_open": 0}})))
    assert "11 accords tacites" in many
    overall = {"at_risk_open": 245, "tacit_accept_open": 12}
    assert breach_note(overall) == "dont 12 accords tacites, et 245 à risque"
    assert breach_note({**overall, "tacit_accept_open": 0}) == "et 245 à risque"


def test_the_weekly_report_names_the_tacit_decisions() -> None:
    from reports.content import procedure_table
    from reports.narrative import tacit_sentences

    cases, events = frames(CASES, EVENTS)
    document = kpi_document(cases, events, CATALOG, {}, as_of=T, days=7, calendar=CAL)
    assert tacit_sentences(document) == [
        "3 dossiers en cours ont été acceptés implicitement à l'échéance de leur délai, faute de réponse (A : 3).",
        "1 dossier en cours a été rejeté implicitement à l'échéance de son délai, faute de réponse (J : 1).",
    ]
    table = procedure_table(document, CATALOG).set_index("Procédure")
    assert table.loc["A", "Décisions implicites"] == 3 and table.loc["J", "Décisions implicites"] == 1
    assert table.loc["R", "Décisions implicites"] == 0
    quiet = {**document, "overall": {**document["overall"], "tacit_accept_open": 0, "tacit_reject_open": 0}}
    assert tacit_sentences(quiet) == []


def test_the_case_story_tells_the_restart_and_the_tacit_decision() -> None:
    from kpis.case_story import case_story

    cases, events = frames(CASES, EVENTS)
    state = state_at(prepare(cases, events, CATALOG, CAL), T)
    r1, p1, a1, j1 = (case_story(state, "src", c) for c in ("r1", "p1", "a1", "j1"))
    assert r1 is not None and r1.restarted_at == ts("2026-11-09 10:00") and r1.tacit is None
    assert p1 is not None and p1.restarted_at is None  # the same events on a pause clock: no restart
    assert a1 is not None and a1.tacit == "accord" and a1.restarted_at is None
    assert pd.Timestamp(a1.case["due_date"]) == pd.Timestamp("2026-11-17")  # the day of the tacit decision
    assert j1 is not None and j1.tacit == "rejet" and j1.restarted_at == ts("2026-11-16 08:00")


def test_the_explorer_has_a_tile_per_silence_rule_in_use_listing_its_cases(sqlite_store, catalog, clock) -> None:
    from dashboard.explorer.state import ExplorerQuery
    from dashboard.explorer.views import silences_in_use, synthesis_tiles
    from kpis.population import case_rows
    from service.kpi_service import KpiService
    from store.reader import Reader
    from tests.support import load_fixture

    load_fixture(sqlite_store, clock)
    service = KpiService(Reader(sqlite_store.engine), catalog, CAL, clock)
    overall = service.document(None, 30)["overall"]
    tiles = tree(synthesis_tiles(ExplorerQuery(), overall, silences_in_use(catalog)))["props"]["children"]
    by_label = {t["props"]["children"][0]["props"]["children"]: t["props"] for t in tiles}
    accepted = by_label["⚖ Acceptés implicitement"]
    assert accepted["children"][1]["props"]["children"] == str(overall["tacit_accept_open"]) != "0"
    assert "dossiers=accords_tacites" in accepted["href"]
    assert ("⚖ Rejetés implicitement" in by_label) == (overall["tacit_reject_open"] > 0)
    assert len(case_rows(service.state(None), 30, "accords_tacites")) == overall["tacit_accept_open"]
    assert silences_in_use(BASE_CATALOG) == frozenset()  # a catalogue without silence rules: no such tile
    assert "⚖ Acceptés implicitement" not in str(tree(synthesis_tiles(ExplorerQuery(), overall, frozenset())))
    none = {**overall, "tacit_accept_open": 0}  # no such case: no tile, unless its list is the one shown
    assert "⚖ Acceptés implicitement" not in str(tree(synthesis_tiles(ExplorerQuery(), none, silences_in_use(catalog))))
    listed = ExplorerQuery(population="accords_tacites")
    assert "⚖ Acceptés implicitement" in str(tree(synthesis_tiles(listed, none, silences_in_use(catalog))))


def test_the_case_page_says_when_the_clock_restarted_and_what_the_silence_decided() -> None:
    from dashboard.pages.case import story_page
    from kpis.case_story import case_story
    from tests.support import texts

    cases, events = frames(CASES, EVENTS)
    state = state_at(prepare(cases, events, CATALOG, CAL), T)
    names = dict(zip(CATALOG["code"], CATALOG["name"], strict=True))

    def page(case_id: str) -> list[str]:
        story = case_story(state, "src", case_id)
        assert story is not None
        return texts(tree(story_page(story, names[str(story.case["procedure_code"])])))

    r1, a1, j1, p1 = page("r1"), page("a1"), page("j1"), page("p1")
    assert "Délai relancé le" in r1 and "9 nov. 2026 10:00 (dossier complet : le délai légal repart de zéro)" in r1
    assert "Délai relancé le" not in p1 and "Décision implicite" not in p1
    assert "d'acceptation le 17 nov. 2026 (silence de l'administration)" in a1
    assert any(w.startswith("de rejet le ") for w in j1) and "Délai relancé le" in j1
    assert "— (statut actuel)" in r1  # the current status runs to now, never « jusqu'à » the present instant
    assert "— (statut actuel)" not in page("r2")  # a closed case: every status has its end
