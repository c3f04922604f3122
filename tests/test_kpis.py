"""KPI definitions, checked against hand-computed expectations (see docs/kpis.md)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from domain.business_days import BusinessCalendar
from kpis.case_state import case_state
from kpis.document import KpiParameterError, kpi_document, parse_as_of, parse_days
from tests.kpi_fixtures import CASES, CATALOG, EVENTS, frames, ts

T = ts("2026-11-20 12:00")  # a Friday
CAL = BusinessCalendar("TG")



@pytest.fixture(scope="module")
def state() -> pd.DataFrame:
    cases, events = frames(CASES, EVENTS)
    return case_state(cases, events, CATALOG, T, CAL).set_index("case_id")


@pytest.mark.parametrize(
    ("case", "status", "is_open", "closed_at"),
    [
        ("c1", "approved", False, "2026-11-12 10:00"),
        ("c2", "rejected", False, "2026-11-10 08:00"),
        ("c3", "in_review", True, None),
        ("c4", "awaiting_applicant", True, None),
        ("c5", "approved", False, "2026-11-11 08:00"),
        ("c6", "submitted", True, None),
        ("c9b", "approved", False, "2026-11-20 12:00"),
        ("c12", "submitted", True, None),
    ],
)
def test_status_and_closure_at_t(state, case, status, is_open, closed_at) -> None:
    row = state.loc[case]
    assert (row.status, bool(row.is_open)) == (status, is_open)
    assert pd.isna(row.closed_at) if closed_at is None else row.closed_at == ts(closed_at)


@pytest.mark.parametrize(
    ("case", "days", "business", "on_time"),
    [
        ("c1", 3.0, 3, True),
        ("c2", 8.0, 6, False),  # the days between the first closure and the reopening count
        ("c5", 2.0, 2, True),
        ("c7", 7.0, 3, True),  # 27/04 and 01/05 are holidays
        ("c8", 8.0, 4, True),  # 25/05 Pentecost Monday and 27/05 Tabaski
        ("c9a", 1.0, 1, True),
        ("c11", 1.0, 1, True),  # 3 days paused out of 4
    ],
)
def test_processing_time_and_business_days_at_closure(state, case, days, business, on_time) -> None:
    row = state.loc[case]
    assert row.processing_days == pytest.approx(days, abs=1e-9)
    assert row.admin_bd_at_close == business and bool(row.on_time) == on_time


def test_open_pause_runs_until_t(state) -> None:
    row = state.loc["c4"]
    assert row.paused_seconds == (T - ts("2026-11-05 09:00")).total_seconds()
    assert row.pause_business_days == 11 and row.admin_bd_now == 3  # 14 business days since 02/11, 11 paused
    assert row.due_date == pd.Timestamp("2026-12-02")  # sla 10 + 11 paused: bd(02/11, 02/12) = 22 > 21


@pytest.mark.parametrize(
    ("case", "admin", "due", "breached", "at_risk", "age"),
    [
        ("c3", 4, "2026-11-24", False, True, 4),  # Mon 16 to Mon 23 inclusive is 6 business days
        ("c6", 4, "2026-11-24", False, True, 6),  # Saturday: the count starts on Monday
        ("c9c", 0, "2026-11-28", False, False, 0),
        ("c9d", 10, "2026-11-14", True, False, 14),
        ("c12", 2, "2026-11-26", False, False, 2),
    ],
)
def test_open_cases_against_their_legal_delay(state, case, admin, due, breached, at_risk, age) -> None:
    row = state.loc[case]
    assert (row.admin_bd_now, bool(row.breached), bool(row.at_risk), row.age_days) == (admin, breached, at_risk, age)
    assert row.due_date == pd.Timestamp(due)


def test_deleted_future_and_orphan_cases_count_nowhere(state) -> None:
    assert {"c13", "c14", "ghost"}.isdisjoint(state.index)


@pytest.fixture(scope="module")
def document() -> dict:
    cases, events = frames(CASES, EVENTS)
    return kpi_document(cases, events, CATALOG, {"unknown_status": 2}, as_of=T, days=14, calendar=CAL)


def test_overall_metrics_match_hand_computation(document) -> None:
    assert document["as_of"] == "2026-11-20T12:00:00+00:00" and document["window_days"] == 14
    assert document["overall"] == {
        "backlog": 6,
        "backlog_waiting_applicant": 1,
        "backlog_age": {"0-7": 4, "8-30": 2, "31-90": 0, "91+": 0},
        "inflow": 8,
        "outflow": 5,
        "approved": 3,
        "rejected": 1,
        "withdrawn": 1,
        "median_processing_days": pytest.approx(2.0),
        "p90_processing_days": pytest.approx(6.0),
        "median_business_days": 2.0,
        "sla_compliance_pct": 80.0,
        "breached_open": 1,
        "at_risk_open": 2,
        "tacit_accept_open": 0,  # no procedure of this catalogue has « silence »
        "tacit_reject_open": 0,
        "rejection_rate_pct": 25.0,
        "online_share_pct": 75.0,
    }
    assert document["quarantined"] == {"unknown_status": 2}


def test_groups_include_empty_procedures_with_nulls(document) -> None:
    assert set(document["by_procedure"]) == {"P", "Q", "Z"} and set(document["by_service"]) == {"S1", "S2"}
    z = document["by_procedure"]["Z"]
    assert z["backlog"] == 0 and z["outflow"] == 0 and z["backlog_age"] == {"0-7": 0, "8-30": 0, "31-90": 0, "91+": 0}
    for key in (
        "median_processing_days",
        "p90_processing_days",
        "median_business_days",
        "sla_compliance_pct",
        "rejection_rate_pct",
        "online_share_pct",
    ):
        assert z[key] is None
    q = document["by_procedure"]["Q"]
    assert (q["backlog"], q["outflow"], q["withdrawn"], q["rejection_rate_pct"]) == (1, 1, 1, None)
    assert document["by_service"]["S2"]["backlog_waiting_applicant"] == 1


def test_counts_are_ints_and_numbers_plain_floats(document) -> None:
    for key, value in document["overall"].items():
        if key == "backlog_age":
            assert all(type(v) is int for v in value.values())
        else:
            assert type(value) in (int, float) and not hasattr(value, "dtype"), key


def test_a_past_week_is_recomputed_from_events_up_to_then() -> None:
    cases, events = frames(CASES, EVENTS)
    earlier = kpi_document(cases, events, CATALOG, {}, as_of=ts("2026-11-05 00:00"), days=7, calendar=CAL)["overall"]
    # On 05/11: c2 approved on 04/11 (not yet reopened), c4 in review, nothing else submitted yet but c2/c4.
    assert (earlier["backlog"], earlier["outflow"], earlier["approved"]) == (1, 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T12:00:00Z", "2026-11-20T12:00:00+00:00"),
        ("2026-11-20T12:00:00", "2026-11-20T12:00:00+00:00"),  # naive means UTC
        ("2026-11-20T13:00:00+01:00", "2026-11-20T12:00:00+00:00"),
        ("2026-11-20", "2026-11-20T00:00:00+00:00"),
    ],
)
def test_as_of_parsing(text: str, expected: str) -> None:
    assert parse_as_of(text, dt.datetime.now(dt.UTC)).isoformat() == expected


@pytest.mark.parametrize("text", ["demain", "2026-13-01", "20/11/2026"])
def test_bad_as_of_is_a_clear_error(text: str) -> None:
    with pytest.raises(KpiParameterError, match="as_of invalide"):
        parse_as_of(text, dt.datetime.now(dt.UTC))


@pytest.mark.parametrize("text", ["0", "-3", "sept", "100000"])
def test_bad_days_is_a_clear_error(text: str) -> None:
    with pytest.raises(KpiParameterError, match="days invalide"):
        parse_days(text)


@pytest.mark.parametrize("size", [1, 2, 7, 100])
@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_sorted_quantile_matches_numpy_linear(size: int, q: float) -> None:
    import numpy as np

    from kpis.metrics import quantile_sorted

    values = np.sort(np.random.default_rng(size).normal(10, 3, size))
    assert quantile_sorted(values, q) == pytest.approx(float(np.quantile(values, q)), abs=1e-12)
    assert quantile_sorted(values[:0], q) is None
