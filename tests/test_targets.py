"""Targets (« Objectifs », issue 19): the [[targets]] contract, the trajectory arithmetic, the statuses from the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from domain.business_days import BusinessCalendar
from domain.config import ConfigError, load_settings
from domain.target_settings import Target, check_target_groups, parse_targets
from kpis.targets import assess, reference_end, rising, status_day, trajectory
from service.kpi_service import KpiService
from service.targets import statuses, weekly_values
from store.reader import Reader
from tests.support import load_fixture

D = dt.date
NNBSP = "\u202f"  # between a number and its unit, as every screen writes it


def target(metric: str = "sla_compliance_pct", value: float = 90, **kw: object) -> Target:
    """A 10-day trajectory: from the end of 1 Jan 2027 to the end of 11 Jan 2027."""
    fields: dict[str, object] = {"name": "t", "metric": metric, "scope": "overall", "value": value,
                                 "by": D(2027, 1, 11), "baseline": D(2027, 1, 1), "days": 30}  # fmt: skip
    return Target(**{**fields, **kw})  # type: ignore[arg-type]


# --- the trajectory ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "goal", "baseline", "day", "expected"),
    [
        ("sla_compliance_pct", 90, 70, D(2027, 1, 6), 80.0),  # half-way: 70 + 20 × 5/10
        ("sla_compliance_pct", 90, 70, D(2027, 1, 3), 74.0),  # 70 + 20 × 2/10
        ("sla_compliance_pct", 90, 70, D(2027, 1, 1), 70.0),  # the reference date
        ("sla_compliance_pct", 90, 70, D(2026, 12, 25), 70.0),  # before: the reference value
        ("sla_compliance_pct", 90, 70, D(2027, 1, 11), 90.0),  # the deadline
        ("sla_compliance_pct", 90, 70, D(2027, 3, 1), 90.0),  # after: the target
        ("breached_open", 100, 200, D(2027, 1, 4), 170.0),  # falling: 200 − 100 × 3/10
        ("median_processing_days", 10, 20, D(2027, 1, 9), 12.0),  # 20 − 10 × 8/10
    ],
)
def test_trajectory_is_linear_between_the_reference_and_the_deadline(metric, goal, baseline, day, expected) -> None:
    assert trajectory(target(metric, goal), baseline, day) == pytest.approx(expected)


def test_direction_is_read_from_the_reference_value_then_from_the_metric() -> None:
    assert rising(target("sla_compliance_pct", 90), 70) is True
    assert rising(target("sla_compliance_pct", 60), 70) is False  # a lower target is a fall, whatever the metric
    assert rising(target("backlog", 500), 800) is False
    assert rising(target("backlog", 900), 800) is True
    # equal (or unknown): the metric's nature
    assert rising(target("sla_compliance_pct", 70), 70) is True
    assert rising(target("online_share_pct", 50), None) is True
    assert rising(target("backlog", 800), 800) is False
    assert rising(target("rejection_rate_pct", 10), None) is False


@pytest.mark.parametrize(
    ("metric", "goal", "baseline", "day", "value", "state", "text"),
    [
        # rising: trajectory 80.0 on 6 Jan
        ("sla_compliance_pct", 90, 70, D(2027, 1, 6), 76.8, "behind", "en retard de 3,2 points"),
        ("sla_compliance_pct", 90, 70, D(2027, 1, 6), 79.0, "behind", "en retard de 1,0 point"),
        ("sla_compliance_pct", 90, 70, D(2027, 1, 6), 80.04, "on_track", "dans la trajectoire"),  # 0,04 shows as 0,0
        ("sla_compliance_pct", 90, 70, D(2027, 1, 6), 85.0, "ahead", "en avance"),
        ("sla_compliance_pct", 90, 70, D(2027, 1, 11), 90.0, "met", "objectif atteint"),  # on the deadline
        ("sla_compliance_pct", 90, 70, D(2027, 2, 1), 93.5, "met", "objectif atteint"),
        ("sla_compliance_pct", 90, 70, D(2027, 2, 1), 87.0, "behind", "en retard de 3,0 points"),  # missed: 90 − 87
        ("sla_compliance_pct", 90, 70, D(2026, 12, 20), 69.0, "behind", "en retard de 1,0 point"),  # before: flat 70
        # falling: trajectory 170 on 4 Jan
        ("breached_open", 100, 200, D(2027, 1, 4), 215, "behind", "en retard de 45 dossiers"),
        ("breached_open", 100, 200, D(2027, 1, 4), 171, "behind", "en retard de 1 dossier"),
        ("breached_open", 100, 200, D(2027, 1, 4), 170.4, "on_track", "dans la trajectoire"),
        ("breached_open", 100, 200, D(2027, 1, 4), 120, "ahead", "en avance"),
        ("breached_open", 100, 200, D(2027, 1, 20), 99, "met", "objectif atteint"),
        ("breached_open", 100, 200, D(2027, 1, 8), 99, "ahead", "en avance"),  # reached early: still ahead until by
        # days: trajectory 15,0 j on 6 Jan
        ("median_processing_days", 10, 20, D(2027, 1, 6), 18.2, "behind", "en retard de 3,2 j"),
        ("median_business_days", 10, 20, D(2027, 1, 6), 14.0, "ahead", "en avance"),
        ("median_business_days", 10, 20, D(2027, 1, 6), 17.5, "behind", "en retard de 2,5 j ouvrés"),
        # unknown value
        ("sla_compliance_pct", 90, 70, D(2027, 1, 6), None, "no_data", "pas de donnée"),
    ],
)
def test_status_against_the_trajectory(metric, goal, baseline, day, value, state, text) -> None:
    status = assess(target(metric, goal), None, day, value, baseline, started=True)
    assert (status.state, status.text.replace(NNBSP, " ")) == (state, text)


def test_gap_and_trajectory_are_kept_for_the_report() -> None:
    status = assess(target("breached_open", 100), "CEET", D(2027, 1, 4), 215, 200, started=True)
    assert (status.trajectory, status.gap, status.rising, status.label) == (170.0, 45.0, False, "t — CEET")
    ahead = assess(target(), None, D(2027, 1, 6), 85.0, 70, started=True)
    assert ahead.gap == -5.0


def test_without_a_reference_nothing_is_compared() -> None:
    pending = assess(target(), None, D(2027, 1, 1), 80.0, None, started=False)
    assert (pending.state, pending.text, pending.trajectory) == ("pending", "référence le 1 janv. 2027", None)
    unknown = assess(target(), None, D(2027, 1, 6), 80.0, None, started=True)
    assert (unknown.state, unknown.text, unknown.trajectory) == ("no_baseline", "pas de donnée à la référence", None)


def test_the_target_is_written_as_it_was_set() -> None:
    from kpis.targets import goal_text

    texts = [
        goal_text(target(m, v)).replace(NNBSP, " ")
        for m, v in (
            ("sla_compliance_pct", 90),
            ("sla_compliance_pct", 92.5),
            ("breached_open", 197),
            ("median_business_days", 12),
        )
    ]
    assert texts == ["90 %", "92,5 %", "197", "12 j ouvrés"]


def test_the_day_an_instant_closes_or_falls_in() -> None:
    assert status_day(pd.Timestamp("2026-11-23 00:00", tz="UTC")) == D(2026, 11, 22)  # a week's end closes Sunday
    assert status_day(pd.Timestamp("2026-11-20 18:00", tz="UTC")) == D(2026, 11, 20)
    assert reference_end(target(baseline=D(2026, 12, 1))) == pd.Timestamp("2026-12-02 00:00", tz="UTC")


# --- the configuration ------------------------------------------------------------------------------------------

TARGET = """
[[targets]]
name = "Délais légaux 2027"
metric = "sla_compliance_pct"
scope = "overall"
value = 90
by = "2027-06-30"
baseline = "2026-12-01"
"""


CONFIG = """
[store]
url = "sqlite:///data/vigie.db"
[catalog]
path = "data/procedures.csv"
[[sources]]
name = "portail"
url = "sqlite://"
cases_sql = "SELECT a AS case_id FROM t WHERE u >= :since"
"""


def _load(tmp_path: Path, body: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "vigie.toml"
    path.write_text(CONFIG + body, encoding="utf-8")
    return load_settings(path, env={}, base_dir=tmp_path)


def test_targets_load_with_their_defaults(tmp_path: Path) -> None:
    extra = TARGET + '\n[[targets]]\nname = "CEET"\nmetric = "breached_open"\nscope = "service"\ngroups = ["CEET"]\n'
    extra += "value = 40\nby = 2027-03-31\nbaseline = 2026-11-30\ndays = 7\n"
    settings = _load(tmp_path, extra)
    assert settings.targets == (
        Target("Délais légaux 2027", "sla_compliance_pct", "overall", 90.0, D(2027, 6, 30), D(2026, 12, 1), 30, ()),
        Target("CEET", "breached_open", "service", 40.0, D(2027, 3, 31), D(2026, 11, 30), 7, ("CEET",)),
    )
    assert settings.targets[1].tracks() == ("CEET",) and settings.targets[0].tracks() == (None,)
    assert _load(tmp_path, "").targets == ()


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda s: s.replace('scope = "overall"', 'scope = "overall"\ncolour = 1'), ["Délais légaux", "clé inconnue : colour"]),
        (lambda s: s.replace("sla_compliance_pct", "happiness"), ["clé metric", "« happiness » inconnu"]),
        (lambda s: s.replace('"overall"', '"region"'), ["clé scope", "overall | service | procedure"]),
        (lambda s: s.replace('"overall"', '"service"'), ["clé groups", "obligatoire"]),
        (lambda s: s.replace('scope = "overall"', 'scope = "overall"\ngroups = ["CEET"]'), ["clé groups", "sans objet"]),
        (lambda s: s.replace("value = 90", 'value = "90 %"'), ["clé value", "un nombre"]),
        (lambda s: s.replace("value = 90\n", ""), ["clé obligatoire manquante : value"]),
        (lambda s: s.replace('"2027-06-30"', '"30/06/2027"'), ["clé by", "30/06/2027"]),
        (lambda s: s.replace('"2026-12-01"', '"2027-06-30"'), ["clé baseline", "doit précéder"]),
        (lambda s: s.replace('baseline = "2026-12-01"', 'baseline = "2026-12-01"\ndays = 0'), ["clé days", "1 à 365"]),
        (lambda s: s + s, ["nom en double : Délais légaux 2027"]),
    ],
)
def test_a_bad_target_names_the_file_the_target_and_the_key(tmp_path: Path, edit, words) -> None:
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, edit(TARGET))
    assert all(w in str(error.value) for w in ["vigie.toml", *words]), str(error.value)


def test_groups_are_checked_against_the_catalogue(catalog) -> None:
    targets = parse_targets(
        [{"name": "x", "metric": "backlog", "scope": "procedure", "groups": ["CEET-BT", "CEET-ZZ"], "value": 1,
          "by": "2027-01-02", "baseline": "2027-01-01"}], "vigie.toml"
    )  # fmt: skip
    with pytest.raises(ConfigError, match="« CEET-ZZ » n'est pas un groupe de la portée procedure"):
        check_target_groups(targets, "vigie.toml", procedures=set(catalog["code"]), services=set(catalog["service"]))


def test_the_demo_configures_targets_on_known_groups(catalog) -> None:
    settings = load_settings(Path(__file__).resolve().parent.parent / "config" / "demo.toml", env={})
    assert settings.targets
    check_target_groups(settings.targets, "demo.toml", procedures=set(catalog["code"]), services=set(catalog["service"]))


# --- from the store ---------------------------------------------------------------------------------------------
# tests/test_kpis.py's history (P = CEET-ABO of the CEET, Q = MIN-EXP), T = Fri 20/11/2026 12:00.
# At the end of Thu 12/11 (13/11 00:00) the open cases are c4 (Q), c9d (P) and c11 (Q, withdrawn on the 13th at 08:00):
# backlog 3, the CEET's 1. Closures in the 14 days before it: c1, c5, c9a on time, c2 late (6 business days > 5): 75 %.
# At T: backlog 6 (the CEET's 5: c3, c6, c9c, c9d, c12), 80 % on time over 14 days.


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    load_fixture(sqlite_store, clock)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


def _goal(metric: str, value: float, scope: str = "overall", groups: tuple[str, ...] = (), days: int = 14) -> Target:
    return Target(f"{metric} {scope}", metric, scope, value, D(2026, 11, 22), D(2026, 11, 12), days, groups)


def test_statuses_from_the_store(service: KpiService) -> None:
    sla, backlog = _goal("sla_compliance_pct", 90), _goal("backlog", 0, days=7)
    ceet = _goal("backlog", 0, "service", ("CEET",), days=7)
    got = {s.label: s for s in statuses(service, [sla, backlog, ceet], None)}
    # 20/11 is 8 days of 10 along: 75 + 15 × 0,8 = 87,0 ; 3 − 3 × 0,8 = 0,6 ; 1 − 0,8 = 0,2
    assert (got["sla_compliance_pct overall"].baseline_value, got["sla_compliance_pct overall"].value) == (75.0, 80.0)
    assert got["sla_compliance_pct overall"].trajectory == pytest.approx(87.0)
    assert got["sla_compliance_pct overall"].text.replace(NNBSP, " ") == "en retard de 7,0 points"
    assert (got["backlog overall"].baseline_value, got["backlog overall"].value) == (3, 6)
    assert got["backlog overall"].text.replace(NNBSP, " ") == "en retard de 5 dossiers"  # 6 − 0,6 = 5,4
    assert (got["backlog service — CEET"].baseline_value, got["backlog service — CEET"].value) == (1, 5)
    assert got["backlog service — CEET"].text.replace(NNBSP, " ") == "en retard de 5 dossiers"  # 5 − 0,2 = 4,8
    # an account limited to the CEET sees its structure's target only, never the ministry's
    assert [s.label for s in statuses(service, [sla, backlog, ceet], None, frozenset({"CEET"}))] == ["backlog service — CEET"]
    assert statuses(service, [sla, backlog, ceet], None, frozenset({"ARSE"})) == []


def test_before_the_reference_date_has_ended_the_status_waits(service: KpiService, clock) -> None:
    later = Target("later", "backlog", "overall", 0, D(2026, 12, 31), D(2026, 11, 20), 7)
    (only,) = statuses(service, [later], None)
    assert (only.state, only.text, only.value) == ("pending", "référence le 20 nov. 2026", 6)


def test_weekly_values_start_at_the_reference(service: KpiService) -> None:
    backlog = Target("b", "backlog", "overall", 0, D(2026, 12, 31), D(2026, 11, 5), 7)
    frame = weekly_values(service, backlog, None, None)
    # the reference (end of 5/11), then T (20/11) and 7 and 14 days before it; 30/10 is before the reference: left out
    assert frame["day"].tolist() == [D(2026, 11, 5), D(2026, 11, 6), D(2026, 11, 13), D(2026, 11, 20)]
    # end of 5/11: c4, c9a (approved 6/11 12:00) → 2 (c2 approved 4/11, reopened only on the 6th)
    # end of 6/11: c2 (reopened 08:00), c4, c9d (submitted 12:00) → 3 (c9a closed at 12:00)
    # end of 13/11: c4, c9d → 2 (c11 withdrawn on the 13th); at T: 6
    assert frame["value"].tolist() == [2, 3, 2, 6]


# --- the wall's tiles -------------------------------------------------------------------------------------------


def _texts(tile) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(child.children).replace(NNBSP, " ") for child in tile.children if not hasattr(child, "figure")]


def test_the_ministry_wall_shows_overall_targets_on_their_tiles(service: KpiService) -> None:
    from dashboard.pages.wall import changes
    from dashboard.pages.wall_views import overview_shape, views

    sla, ceet = _goal("sla_compliance_pct", 90), _goal("backlog", 0, "service", ("CEET",), days=7)
    content = views(service, service.catalog, targets=[sla, ceet])
    tiles = {tile.id: tile for tile in content[0].children}
    assert len(tiles["tile-sla"].children) == 6 and all(len(t.children) == 5 for k, t in tiles.items() if k != "tile-sla")
    goal = tiles["tile-sla"].children[5]
    assert goal.className == "note goal goal-behind"
    # the tile counts 7 days, the target 14: its own value is said
    assert goal.children.replace(NNBSP, " ") == (
        "Objectif 90 % au 22 nov. 2026 · sur 14 j : 80,0 % · attendu 87,0 % · en retard de 7,0 points"
    )
    assert overview_shape(content[0]).split(",")[4] == "tile-sla+objectif"
    # the same shape on the next version: a Patch, whose last path writes the target's line
    _, digests = changes(content, None)
    moved, _ = changes((views(service, service.catalog, targets=[_goal("sla_compliance_pct", 95)])[0], *content[1:]), digests)
    operations = moved[0].to_plotly_json()["operations"]
    line = next(o for o in operations if o["location"] == ["props", "children", 4, "props", "children", 5, "props", "children"])
    assert "attendu 91,0 %" in line["params"]["value"].replace(NNBSP, " ")  # 75 + 20 × 0,8
    # without targets, the tiles are as before
    assert all(len(t.children) == 5 for t in views(service, service.catalog)[0].children)


def test_a_structure_wall_shows_only_its_own_structure_targets(service: KpiService) -> None:
    from dashboard.pages.wall_views import views
    from kpis.filters import CaseFilters

    sla, ceet = _goal("sla_compliance_pct", 90), _goal("backlog", 0, "service", ("CEET",), days=7)
    tiles = {t.id: t for t in views(service, service.catalog, filters=CaseFilters(services=frozenset({"CEET"})),
                                    targets=[sla, ceet])[0].children}  # fmt: skip
    assert [k for k, t in tiles.items() if len(t.children) == 6] == ["tile-backlog"]
    assert tiles["tile-backlog"].children[1].children == "5"  # the CEET's backlog, the target's numbers
    assert _texts(tiles["tile-backlog"])[-1] == "Objectif 0 au 22 nov. 2026 · attendu 0 · en retard de 5 dossiers"
    both = CaseFilters(services=frozenset({"CEET", "ARSE"}))
    assert all(len(t.children) == 5 for t in views(service, service.catalog, filters=both, targets=[sla, ceet])[0].children)


# --- the weekly report ------------------------------------------------------------------------------------------
# Week 47 ends on Mon 23/11 00:00: the status date is Sun 22/11, the deadline of the _goal targets (trajectory = target).
# On-time share over the 14 days [09/11, 23/11): c1, c5, c9b, c11 (4 − 3 paused business days), c12 on time, c2 late:
# 5/6 = 83,3 %. The CEET's backlog: c3, c6, c9c, c9d and c14 (submitted 21/11) = 5 (c12 approved 21/11).
# MIN-EXP: c4 open at both ends; c11 open at the reference, withdrawn since: 2 → 1.


def test_the_weekly_report_has_a_section_objectifs(service: KpiService, clock, tmp_path: Path) -> None:
    import openpyxl
    import pypdfium2 as pdfium

    from reports.build import generate
    from reports.week import IsoWeek

    clock.now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    sla, ceet = _goal("sla_compliance_pct", 90), _goal("backlog", 0, "service", ("CEET",), days=7)
    mines = _goal("backlog", 1, "procedure", ("MIN-EXP",), days=7)
    files = generate(service, service.reader, IsoWeek(2026, 47), tmp_path, service.now, targets=[sla, ceet, mines])
    table = files.report.targets
    assert table["Périmètre"].tolist() == ["Ensemble", "CEET", "MIN-EXP"]
    assert table["Indicateur"].tolist() == ["Clos dans le délai légal (14 j)", "Dossiers en cours", "Dossiers en cours"]
    assert table["Unité"].tolist() == ["%", "dossiers", "dossiers"]
    assert table["Valeur de référence"].tolist() == [75.0, 1, 2]
    assert table["Valeur"].tolist() == [83.3, 5, 1]
    assert table["Trajectoire"].tolist() == [90.0, 0, 1]
    assert [s.replace(NNBSP, " ") for s in table["Statut"]] == [
        "en retard de 6,7 points",
        "en retard de 5 dossiers",
        "objectif atteint",
    ]
    sheet = openpyxl.load_workbook(files.xlsx)["Objectifs"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Objectif", "Périmètre", "Indicateur", "Unité")
    assert rows[1][8:10] == (83.3, 90) and rows[2][8:10] == (5, 0)  # numbers, not text
    assert rows[1][6] == dt.datetime(2026, 11, 22)  # noqa: DTZ001 - a spreadsheet date has no zone
    assert sheet["G2"].number_format == "dd/mm/yyyy"
    document = pdfium.PdfDocument(str(files.pdf))
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document))).replace(NNBSP, " ")
    document.close()
    assert "Objectifs" in text and "en retard de 6,7 points" in text and "objectif atteint" in text
    # a report on the CEET: its structure's target only
    scoped = generate(service, service.reader, IsoWeek(2026, 47), tmp_path, service.now, services=frozenset({"CEET"}),
                      targets=[sla, ceet, mines])  # fmt: skip
    assert scoped.report.targets["Périmètre"].tolist() == ["CEET"]
    # no target: no section, the workbook as before
    plain = generate(service, service.reader, IsoWeek(2026, 47), tmp_path, service.now)
    assert plain.report.targets.empty and "Objectifs" not in openpyxl.load_workbook(plain.xlsx).sheetnames


# --- the explorer -----------------------------------------------------------------------------------------------


def _explorer(service: KpiService, search: str, targets: list[Target], services: frozenset[str] | None = None):  # type: ignore[no-untyped-def]
    from dashboard.explorer.state import parse_search
    from dashboard.explorer.views import synthesis_view

    query = parse_search(search, service.catalog, service.now()).with_(services=services)
    as_of, days = query.window(service.now())
    document = service.document(as_of, days, query.filters)
    return synthesis_view(query, service, service.catalog, document, as_of, days, [], targets)


def _target_graphs(page) -> list[dict]:  # type: ignore[no-untyped-def]
    from dashboard import ids

    found = [c for c in page.children if getattr(c, "id", None) == ids.EXPLORER_TARGETS]
    return [] if not found else [graph.figure for graph in found[0].children[1].children]


def test_the_explorer_draws_the_targets_of_the_view(service: KpiService) -> None:
    backlog = Target("Stock", "backlog", "overall", 0, D(2026, 11, 22), D(2026, 11, 5), 7)
    ceet = Target("Stock CEET", "backlog", "service", 0, D(2026, 11, 22), D(2026, 11, 5), 7, ("CEET",))
    targets = [backlog, ceet]
    (overall,) = _target_graphs(_explorer(service, "", targets))
    values, trajectory, goal = overall["data"]
    # the weekly values (tests above: 2, 3, 2, 6) and the straight line from the reference value (2) to the target
    assert values["x"] == ["2026-11-05", "2026-11-06", "2026-11-13", "2026-11-20"] and values["y"] == [2, 3, 2, 6]
    assert trajectory["x"] == ["2026-11-05", "2026-11-22"] and trajectory["y"] == [2, 0.0]
    assert goal["x"] == ["2026-11-22"] and goal["y"] == [0.0]
    # 20/11: 15 days of 17 along, 2 − 2 × 15/17 = 0,24; 6 − 0,24 = 5,8 → 6
    assert overall["layout"]["title"]["text"] == "Stock"
    assert "en retard de 6" in overall["layout"]["title"]["subtitle"]["text"]
    # at the CEET, its own target; at one of its procedures, or under a region filter, none
    (at_ceet,) = _target_graphs(_explorer(service, "?service=CEET", targets))
    assert at_ceet["layout"]["title"]["text"] == "Stock CEET — CEET"
    assert _target_graphs(_explorer(service, "?service=CEET&procedure=CEET-ABO", targets)) == []
    assert _target_graphs(_explorer(service, "?region=Kara", targets)) == []
    # an account limited to the CEET: never the ministry's target at « Ensemble »; its structure's at the CEET
    assert _target_graphs(_explorer(service, "", targets, frozenset({"CEET"}))) == []
    assert len(_target_graphs(_explorer(service, "?service=CEET", targets, frozenset({"CEET"})))) == 1
    # no target: the page is as before
    assert _target_graphs(_explorer(service, "", [])) == []


def test_the_served_explorer_page_carries_the_targets(sqlite_store, catalog, clock) -> None:
    """From create_app's targets to the page the router renders: the wiring, not only the view builder."""
    from dashboard import create_app, ids
    from dashboard.auth.accounts import add_user
    from domain.config import AuthSettings
    from tests.support import PASSWORD, call, login

    load_fixture(sqlite_store, clock)
    add_user(sqlite_store.engine, "marc", PASSWORD, "manager", clock.now)
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    stock = Target("Stock du ministère", "backlog", "overall", 0, D(2026, 11, 22), D(2026, 11, 5), 7)
    for targets, shown in (([stock], True), ([], False)):
        app = create_app(service.reader, service, clock, AuthSettings(enabled=True), "s" * 40, targets=targets)
        address = [{"id": "_pages_location", "property": "pathname", "value": "/explorer"},
                   {"id": "_pages_location", "property": "search", "value": ""}]  # fmt: skip
        answer = call(login(app, "marc"), ".._pages_content.children..._pages_store.data..", address, state=address)
        assert answer.status_code == 200
        assert (ids.EXPLORER_TARGETS in answer.get_data(as_text=True)) == shown
