"""Properties of the KPI engine over generated histories (hypothesis)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.business_days import BusinessCalendar
from domain.model import CLOSING_STATUSES
from kpis.document import kpi_document
from kpis.metrics import COUNT_KEYS
from tests.kpi_fixtures import BASE, CATALOG, MINUTES, MIXED_CATALOG, frames, histories

CAL = BusinessCalendar("TG")


def doc(cases: pd.DataFrame, events: pd.DataFrame, as_of: pd.Timestamp, days: int = 7) -> dict:
    return kpi_document(cases, events, CATALOG, {}, as_of=as_of, days=days, calendar=CAL)


def transitions(case_rows: pd.DataFrame, events: pd.DataFrame, t1: pd.Timestamp, t2: pd.Timestamp) -> int:
    """Reference, one case at a time: submissions - closures + reopenings in (t1, t2]."""
    live = case_rows[case_rows["deleted_at"].isna()]
    net = int(((live["submitted_at"] > t1) & (live["submitted_at"] <= t2)).sum())
    for case_id in live["case_id"]:
        ev = events[events["case_id"] == case_id].sort_values(["at", "seq", "id"], na_position="last", kind="stable")
        ev = ev.drop_duplicates(["status", "at"])
        closed = False
        for row in ev.itertuples():
            now_closed = row.status in CLOSING_STATUSES
            if t1 < row.at <= t2 and now_closed != closed:
                net += -1 if now_closed else 1
            closed = now_closed
    return net


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_backlog_moves_by_submissions_minus_closures_plus_reopenings(history) -> None:
    case_list, event_list, t1, t2 = history
    cases, events = frames(case_list, event_list)
    delta = doc(cases, events, t2)["overall"]["backlog"] - doc(cases, events, t1)["overall"]["backlog"]
    assert delta == transitions(cases, events, t1, t2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(1, 30))
def test_groups_add_up_to_overall(history, days) -> None:
    case_list, event_list, _, t2 = history
    document = doc(*frames(case_list, event_list), t2, days)
    for by in ("by_service", "by_procedure"):
        for key in COUNT_KEYS:
            assert sum(g[key] for g in document[by].values()) == document["overall"][key], (by, key)
        for band in document["overall"]["backlog_age"]:
            assert sum(g["backlog_age"][band] for g in document[by].values()) == document["overall"]["backlog_age"][band]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.randoms(use_true_random=False))
def test_row_order_changes_nothing_and_inputs_are_not_modified(history, rnd) -> None:
    case_list, event_list, _, t2 = history
    cases, events = frames(case_list, event_list)
    before_cases, before_events = cases.copy(deep=True), events.copy(deep=True)
    reference = doc(cases, events, t2)
    pd.testing.assert_frame_equal(cases, before_cases)
    pd.testing.assert_frame_equal(events, before_events)
    shuffled_cases = cases.sample(frac=1, random_state=rnd.randint(0, 2**31))
    shuffled_events = events.sample(frac=1, random_state=rnd.randint(0, 2**31))
    assert doc(shuffled_cases, shuffled_events, t2) == reference


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(1, 15))
def test_daily_backlog_replays_the_state_at_each_day_end(history, back) -> None:
    from kpis.case_state import case_state, prepare, state_at
    from kpis.series import daily_flows

    case_list, event_list, _, t2 = history
    cases, events = frames(case_list, event_list)
    state = case_state(cases, events, CATALOG, t2, CAL)
    series = daily_flows(state_at(prepare(cases, events, CATALOG, CAL), t2), 20, None)
    day = pd.Timestamp(series["date"].iloc[-1 - back], tz="UTC")
    end = day + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    expected = int(case_state(cases, events, CATALOG, end, CAL)["is_open"].sum())
    assert series["backlog"].iloc[-1 - back] == expected
    assert series["backlog"].iloc[-1] == int(state["is_open"].sum())


@pytest.mark.parametrize("catalog", [CATALOG, MIXED_CATALOG], ids=["pause", "restart-and-silence"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(0, MINUTES), st.integers(0, 10))
def test_incremental_update_equals_a_rebuild(catalog, history, cut_minutes, deletions) -> None:
    """A poll's delta (new cases, new later events, deletions) applied to the history = preparing from scratch,
    with every clock of the law (``MIXED_CATALOG``: restart clocks and tacit decisions)."""
    from kpis.case_state import HistoryCache, prepare, state_at
    from kpis.incremental import apply_changes

    case_list, event_list, _, t2 = history
    cases, events = frames(case_list, event_list)
    cut = BASE + pd.Timedelta(minutes=cut_minutes)
    old_cases = cases[cases["submitted_at"] <= cut]
    old_events = events[(events["at"] <= cut) & events["case_id"].isin(set(old_cases["case_id"]))]
    gone = old_cases.head(deletions % 3).assign(deleted_at=cut)  # some cases deleted at the source
    new_cases = cases[cases["submitted_at"] > cut]
    after_cases = pd.concat([old_cases[~old_cases["case_id"].isin(set(gone["case_id"]))], gone, new_cases])
    after_events = events[(events["at"] > cut) | events.index.isin(old_events.index)]
    after_events = after_events[after_events["case_id"].isin(set(after_cases["case_id"]))]
    delta_cases = pd.concat([gone, new_cases])
    delta_events = after_events[~after_events.index.isin(old_events.index)]

    before = prepare(old_cases, old_events, catalog, CAL)
    cache = HistoryCache(before)
    cache.settled()  # the service keeps the settled state: the update must carry it forward correctly
    result = apply_changes(before, delta_cases, delta_events, catalog, cache)
    assert result is not None and (not cache.has_settled or result[1].has_settled)
    updated, updated_cache = result
    rebuilt = prepare(after_cases, after_events, catalog, CAL)
    for at in (t2, t2 + pd.Timedelta(days=90)):
        key = ["source", "case_id"]
        got_state, want_state = state_at(updated, at, updated_cache), state_at(rebuilt, at)
        got = got_state.frame().assign(tacit_accept=got_state.tacit_accept[got_state.visible],
                                       tacit_reject=got_state.tacit_reject[got_state.visible])  # fmt: skip
        want = want_state.frame().assign(tacit_accept=want_state.tacit_accept[want_state.visible],
                                         tacit_reject=want_state.tacit_reject[want_state.visible])  # fmt: skip
        got, want = got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_out_of_order_event_asks_for_a_rebuild() -> None:
    from kpis.case_state import prepare
    from kpis.incremental import apply_changes

    cases, events = frames(
        [{"case_id": "a", "procedure_code": "P", "submitted_at": "2026-10-01 08:00"}], [("a", "in_review", "2026-10-03 08:00")]
    )
    _, late = frames([], [("a", "submitted", "2026-10-02 08:00")])
    assert apply_changes(prepare(cases, events, CATALOG, CAL), cases.iloc[0:0], late, CATALOG) is None


def test_an_update_leaves_the_previous_version_as_it_was() -> None:
    """Requests may still read the previous History and its cache after a poll: the update changes neither."""
    from kpis.case_state import HistoryCache, prepare, state_at
    from kpis.incremental import apply_changes

    cases, events = frames(
        [{"case_id": "a", "procedure_code": "P", "submitted_at": "2026-10-01 08:00"}], [("a", "in_review", "2026-10-02 08:00")]
    )
    new_cases, new_events = frames(
        [
            {"case_id": "a", "procedure_code": "P", "submitted_at": "2026-10-01 08:00", "agent": "Afi"},
            {"case_id": "b", "procedure_code": "Q", "submitted_at": "2026-10-05 08:00"},
        ],
        [("a", "approved", "2026-10-06 08:00")],
    )
    now = pd.Timestamp("2026-10-07 08:00", tz="UTC")
    before = prepare(cases, events, CATALOG, CAL)
    cache = HistoryCache(before)
    settled = cache.settled()
    seen = state_at(before, now, cache).frame()
    result = apply_changes(before, new_cases, new_events, CATALOG, cache)
    assert result is not None
    updated, updated_cache = result
    assert cache.keys().get(("src", "b")) is None and updated_cache.keys().get(("src", "b")) == 1
    assert cache.settled() is settled and len(settled.status) == 1 and not settled.status.flags.writeable
    pd.testing.assert_frame_equal(state_at(before, now, cache).frame(), seen)
    assert state_at(updated, now, updated_cache).frame()["status"].tolist() == ["approved", "submitted"]
    assert updated.cases["agent"].iloc[0] == "Afi" and before.cases["agent"].isna().all()
    with pytest.raises(ValueError):
        state_at(updated, now, cache)  # a cache is its own History's only
