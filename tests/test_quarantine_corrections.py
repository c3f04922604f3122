"""Issue 20: a row corrected at the source resolves its own quarantine entry, whatever its reason.

Pure table tests of collectors.quarantine_match first (no database), then the collector end to
end on real SQLite, PostgreSQL and MariaDB sources, read back through /api/kpis, /metrics and
the /sources page's callback, and a property: after any sequence of corrections, the open
quarantine equals a recount of the rows bad at the source now.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from collectors.normalize import normalize_events
from collectors.poll import PollResult, poll_source
from collectors.quarantine_match import seq_values, superseded_case_entries, superseded_event_entries
from dashboard import create_app
from domain.business_days import BusinessCalendar
from service.kpi_service import KpiService
from store.engines import create_source_engine, create_store_engine
from store.reader import Reader
from store.writer import Store
from tests.factories import STATUS_MAP, add_case, create_source_schema, csrf_headers, naive, source_settings
from tests.support import reader_for

EVENTS_SQL_WITHOUT_SEQ = """SELECT e.ref AS case_id, e.st AS status, e.happened AS at, e.modified AS updated_at
                            FROM src_events e WHERE e.modified >= :since"""
T = naive(2026, 11, 20, 10)  # Lomé wall time = UTC; the clock fixture stands at 12:00 UTC the same day


# --- pure: collectors.quarantine_match ----------------------------------------------------------


def entry(i: int, reason: str, raw: dict[str, Any], *, stream: str = "events", row_hash: str | None = None) -> dict[str, Any]:
    """An open entry as Store.open_quarantine returns it (unknown_case payloads wrap the raw row)."""
    payload = {"raw": raw, "canonical": {}} if reason == "unknown_case" else raw
    case_id = None if raw.get("case_id") is None else str(raw["case_id"])
    return {
        "id": i,
        "stream": stream,
        "reason": reason,
        "case_id": case_id,
        "payload": json.dumps(payload, default=str),
        "row_hash": row_hash or f"h{i}",
    }


def entries(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["id", "stream", "reason", "case_id", "payload", "row_hash"])


def fresh(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def requarantined(*pairs: tuple[str, str], case_ids: tuple[str | None, ...] = ()) -> pd.DataFrame:
    return pd.DataFrame(
        {"reason": [r for r, _ in pairs], "row_hash": [h for _, h in pairs], "case_id": list(case_ids) or [None] * len(pairs)}
    )


NONE_AGAIN = requarantined()
AT = "2026-11-20 10:00:00"
AT2 = "2026-11-20 11:00:00"


@pytest.mark.parametrize(
    ("open_", "fresh_rows", "again", "expected"),
    [
        pytest.param(  # the status fixed: the same seq, admitted now
            [entry(1, "unknown_status", {"case_id": "A", "status": "XX", "at": AT, "seq": 7})],
            [{"case_id": "A", "status": "DEP", "at": AT, "seq": 7}],
            NONE_AGAIN,
            [1],
            id="seq-bad-to-good",
        ),
        pytest.param(  # the case id fixed too: seq alone is the identity
            [entry(1, "unknown_case", {"case_id": "A-X", "status": "DEP", "at": AT, "seq": 7})],
            [{"case_id": "A", "status": "DEP", "at": AT, "seq": 7}],
            NONE_AGAIN,
            [1],
            id="seq-unknown-case-to-good",
        ),
        pytest.param(
            [entry(1, "missing_case_id", {"case_id": None, "status": "DEP", "at": AT, "seq": 7})],
            [{"case_id": "A", "status": "DEP", "at": AT, "seq": 7}],
            NONE_AGAIN,
            [1],
            id="seq-missing-case-id-to-good",
        ),
        pytest.param(  # corrected into another bad value: the old entry closes, the new one (h9) opens
            [entry(1, "unknown_status", {"case_id": "A", "status": "XX", "at": AT, "seq": 7})],
            [{"case_id": "A", "status": "DEP", "at": None, "seq": 7}],
            requarantined(("bad_event_time", "h9")),
            [1],
            id="seq-moves-to-another-reason",
        ),
        pytest.param(  # the same content fetched again: this poll's verdict is the entry itself
            [entry(1, "unknown_status", {"case_id": "A", "status": "XX", "at": AT, "seq": 7}, row_hash="h1")],
            [{"case_id": "A", "status": "XX", "at": AT, "seq": 7}],
            requarantined(("unknown_status", "h1")),
            [],
            id="seq-same-verdict-stays-open",
        ),
        pytest.param(  # another event of the same case at the same instant is another row
            [entry(1, "unknown_status", {"case_id": "A", "status": "XX", "at": AT, "seq": 7})],
            [{"case_id": "A", "status": "DEP", "at": AT, "seq": 8}],
            NONE_AGAIN,
            [],
            id="seq-other-row-same-key",
        ),
        pytest.param(  # seq as the drivers may give it: a float in one poll, text in another
            [
                entry(1, "unknown_status", {"case_id": "A", "status": "XX", "at": AT, "seq": 7.0}),
                entry(2, "bad_event_time", {"case_id": "A", "status": "DEP", "at": None, "seq": "8"}),
            ],
            [{"case_id": "A", "status": "DEP", "at": AT, "seq": 7}, {"case_id": "A", "status": "DEP", "at": AT, "seq": 8.0}],
            NONE_AGAIN,
            [1, 2],
            id="seq-types",
        ),
        pytest.param(  # without seq: unknown_status is known by (case_id, raw at)
            [entry(1, "unknown_status", {"case_id": "A", "status": "XX", "at": AT})],
            [{"case_id": "A", "status": "DEP", "at": AT}],
            NONE_AGAIN,
            [1],
            id="key-unknown-status",
        ),
        pytest.param(  # without seq: bad_event_time is known by (case_id, raw status)
            [entry(1, "bad_event_time", {"case_id": "A", "status": "DEP", "at": "hier"})],
            [{"case_id": "A", "status": "DEP", "at": AT}],
            NONE_AGAIN,
            [1],
            id="key-bad-event-time",
        ),
        pytest.param(  # without seq: unknown_case and missing_case_id by (raw status, raw at)
            [
                entry(1, "unknown_case", {"case_id": "A-X", "status": "DEP", "at": AT}),
                entry(2, "missing_case_id", {"case_id": None, "status": "OK", "at": AT2}),
            ],
            [{"case_id": "A", "status": "DEP", "at": AT}, {"case_id": "A", "status": "OK", "at": AT2}],
            NONE_AGAIN,
            [1, 2],
            id="key-unknown-or-missing-case",
        ),
        pytest.param(  # a timestamp read by a driver matches the text the payload holds
            [entry(1, "unknown_status", {"case_id": "A", "status": "XX", "at": AT})],
            [{"case_id": "A", "status": "DEP", "at": pd.Timestamp(AT)}],
            NONE_AGAIN,
            [1],
            id="key-timestamp-vs-text",
        ),
        pytest.param(  # two open entries share the key: either could be the row fixed, so neither closes
            [
                entry(1, "unknown_status", {"case_id": "A", "status": "XX", "at": AT}),
                entry(2, "unknown_status", {"case_id": "A", "status": "YY", "at": AT}),
            ],
            [{"case_id": "A", "status": "DEP", "at": AT}],
            NONE_AGAIN,
            [],
            id="key-ambiguous",
        ),
        pytest.param(  # a key with a missing part identifies nothing
            [entry(1, "unknown_status", {"case_id": "A", "status": "XX", "at": None})],
            [{"case_id": "A", "status": "DEP", "at": None}],
            NONE_AGAIN,
            [],
            id="key-incomplete",
        ),
        pytest.param(  # entries of the cases stream are not events
            [entry(1, "bad_channel", {"case_id": "A", "status": "DEP", "at": AT, "seq": 7}, stream="cases")],
            [{"case_id": "A", "status": "DEP", "at": AT, "seq": 7}],
            NONE_AGAIN,
            [],
            id="cases-stream-ignored",
        ),
        pytest.param(
            [entry(1, "unknown_status", {"case_id": "A", "status": "XX", "at": AT, "seq": 7})],
            [],
            NONE_AGAIN,
            [],
            id="nothing-fetched",
        ),
    ],
)
def test_superseded_event_entries(open_: list[dict], fresh_rows: list[dict], again: pd.DataFrame, expected: list[int]) -> None:
    assert superseded_event_entries(entries(*open_), fresh(*fresh_rows), again) == expected


def test_superseded_event_entries_reads_payloads_written_by_normalize() -> None:
    """The payload path in production: normalize's own payloads (unknown_case wrapped) and row hashes."""
    raw = pd.DataFrame(
        [
            {"case_id": "A", "status": "XX", "at": pd.Timestamp(AT), "seq": 1, "updated_at": pd.Timestamp(AT)},
            {"case_id": "Z", "status": "DEP", "at": pd.Timestamp(AT), "seq": 2, "updated_at": pd.Timestamp(AT)},
        ]
    )
    _, bad = normalize_events(raw, timezone="UTC", status_map=STATUS_MAP, known_case_ids={"A"})
    open_ = bad.assign(id=[10, 11])
    later = raw.assign(status=["DEP", "DEP"], case_id=["A", "A"], updated_at=pd.Timestamp(AT2))
    assert superseded_event_entries(open_, later, NONE_AGAIN) == [10, 11]
    # The very same rows fetched again (a replay): normalize quarantines them with the same hashes.
    _, again = normalize_events(raw, timezone="UTC", status_map=STATUS_MAP, known_case_ids={"A"})
    assert superseded_event_entries(open_, raw, again) == []


@pytest.mark.parametrize(
    ("open_", "again", "expected"),
    [
        ([entry(1, "bad_channel", {"case_id": "X"}, stream="cases")], requarantined(("bad_region", "h9"), case_ids=("X",)), [1]),
        ([entry(1, "bad_channel", {"case_id": "X"}, stream="cases")], requarantined(("bad_channel", "h1"), case_ids=("X",)), []),
        ([entry(1, "bad_channel", {"case_id": "X"}, stream="cases")], requarantined(("bad_region", "h9"), case_ids=("Y",)), []),
        ([entry(1, "missing_case_id", {"case_id": None}, stream="cases")], requarantined(("missing_case_id", "h9")), []),
        ([entry(1, "unknown_status", {"case_id": "X"})], requarantined(("bad_region", "h9"), case_ids=("X",)), []),
    ],
    ids=["moves", "same-verdict", "other-case", "no-identity", "events-stream-ignored"],
)
def test_superseded_case_entries(open_: list[dict], again: pd.DataFrame, expected: list[int]) -> None:
    assert superseded_case_entries(entries(*open_), again) == expected


def test_seq_values_read_seq_as_normalize_does() -> None:
    values = pd.Series([7, 7.0, "7", " 8", None, "x", 7.5], dtype=object)
    assert seq_values(values).tolist() == [7, 7, 7, 8, pd.NA, pd.NA, pd.NA]


# --- end to end -------------------------------------------------------------------------------


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def source_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'src.db'}"
    return request.getfixturevalue("pg_url" if request.param == "postgres" else "mariadb_url")


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def any_store(request, tmp_path) -> Store:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'vigie.db'}"
    else:
        url = request.getfixturevalue("pg_url_2" if request.param == "postgres" else "mariadb_url")
    store = Store(create_store_engine(url))
    store.create()
    yield store
    store.engine.dispose()


#: Per reason: the columns of the approval event's bad version; its good version is (A, OK, T + 1 h).
BAD_VERSIONS: dict[str, dict[str, Any]] = {
    "unknown_status": {"st": "VALIDE"},
    "bad_event_time": {"happened": None},
    "unknown_case": {"ref": "A-X"},
    "missing_case_id": {"ref": None},
}
GOOD = {"ref": "A", "st": "OK", "happened": T + dt.timedelta(hours=1)}


def add_event(engine: Engine, modified: dt.datetime, **columns: Any) -> int:
    """Insert one source event row (GOOD overridden by ``columns``) and return its id, the source's key."""
    values = {**GOOD, **columns, "modified": modified}
    with engine.begin() as conn:
        insert = "INSERT INTO src_events (ref, st, happened, modified) VALUES (:ref, :st, :happened, :modified)"
        conn.execute(text(insert), values)
        return int(conn.execute(text("SELECT MAX(id) FROM src_events")).scalar_one())


def correct(engine: Engine, event_id: int, modified: dt.datetime, **columns: Any) -> None:
    """Change a source event row in place and move its cursor, as a source fixing a row does."""
    values = {**columns, "modified": modified, "id": event_id}
    assignments = ", ".join(f"{name} = :{name}" for name in values if name != "id")
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE src_events SET {assignments} WHERE id = :id"), values)


class Views:
    """What the operators see: /api/kpis, /metrics and /sources, through the app's own Flask client."""

    def __init__(self, store: Store, catalog: pd.DataFrame, clock: Any) -> None:
        self.service = KpiService(Reader(store.engine), catalog, BusinessCalendar("TG"), clock)
        self.client = create_app(self.service.reader, self.service, clock).server.test_client()

    def kpis(self) -> dict[str, Any]:
        response = self.client.get("/api/kpis")
        assert response.status_code == 200
        return response.get_json()

    def metrics(self) -> dict[str, float]:
        """vigie_quarantine_open_rows samples of source "src", by reason, parsed from the Prometheus text."""
        response = self.client.get("/metrics")
        assert response.status_code == 200
        found: dict[str, float] = {}
        for line in response.get_data(as_text=True).splitlines():
            match = re.fullmatch(r"vigie_quarantine_open_rows\{(?P<labels>[^}]*)\} (?P<value>\S+)", line)
            if match:
                labels = dict(re.findall(r'([a-z_]+)="([^"]*)"', match["labels"]))
                if labels["source"] == "src":
                    found[labels["reason"]] = float(match["value"])
        return found

    def sources_page(self) -> int:
        """The "Quarantaine" cell of source "src" in the /sources table, as its callback serves it."""
        body = {
            "output": "..sources-table.children...sources-totals.children...sources-clock.children..",
            "outputs": [
                {"id": "sources-table", "property": "children"},
                {"id": "sources-totals", "property": "children"},
                {"id": "sources-clock", "property": "children"},
            ],
            "inputs": [{"id": "sources-tick", "property": "n_intervals", "value": 1}],
            "changedPropIds": ["sources-tick.n_intervals"],
        }
        response = self.client.post("/_dash-update-component", json=body, headers=csrf_headers(self.client, "/sources"))
        assert response.status_code == 200
        table = response.get_json()["response"]["sources-table"]["children"]
        head, tbody = table["props"]["children"]
        titles = [th["props"]["children"] for th in head["props"]["children"]["props"]["children"]]
        rows = [tr["props"]["children"] for tr in tbody["props"]["children"]]
        cells = {row[0]["props"]["children"]: row for row in rows}
        return int(cells["src"][titles.index("Quarantaine")]["props"]["children"].replace("\u202f", ""))


def poll(source: Any, store: Store, catalog: pd.DataFrame, clock: Any) -> PollResult:
    result = poll_source(source, reader_for(source.url), store, catalog["code"], now=clock)
    assert result.error is None, result.error
    return result


def open_counts(store: Store) -> dict[str, int]:
    counts = store.quarantine_counts()
    return {r.reason: int(r.rows) for r in counts.itertuples(index=False) if r.source == "src"}


def seeded(url: str) -> Engine:
    """A source holding case A, submitted at T with its DEP event: the case is in progress."""
    engine = create_source_engine(url, 5)
    create_source_schema(engine)
    add_case(engine, "A", T, events=(("DEP", T),))
    return engine


@pytest.mark.parametrize("reason", sorted(BAD_VERSIONS))
def test_a_corrected_event_resolves_its_quarantine_on_every_source_backend(
    source_url, reason, sqlite_store, catalog, clock
) -> None:
    """Quarantined and counted everywhere; corrected at the source; admitted, counted in the KPIs,
    and gone from the open quarantine on /api/kpis, /metrics and /sources."""
    engine = seeded(source_url)
    approval = add_event(engine, T + dt.timedelta(hours=1), **BAD_VERSIONS[reason])
    source = source_settings(source_url)
    views = Views(sqlite_store, catalog, clock)

    first = poll(source, sqlite_store, catalog, clock)
    assert (first.new_cases, first.new_events, dict(first.quarantined)) == (1, 1, {reason: 1})
    before = views.kpis()
    assert before["quarantined"] == {reason: 1}
    assert (before["overall"]["approved"], before["overall"]["backlog"]) == (0, 1)
    assert views.metrics() == {reason: 1} and views.sources_page() == 1

    correct(engine, approval, T + dt.timedelta(hours=1, minutes=30), **GOOD)
    second = poll(source, sqlite_store, catalog, clock)
    assert (second.new_events, dict(second.quarantined)) == (1, {})
    after = views.kpis()
    assert after["quarantined"] == {} and open_counts(sqlite_store) == {}
    assert (after["overall"]["approved"], after["overall"]["outflow"], after["overall"]["backlog"]) == (1, 1, 0)
    assert views.metrics() == {} and views.sources_page() == 0
    events = Reader(sqlite_store.engine).frames().events
    assert sorted(events["status"].astype(str)) == ["approved", "submitted"]
    # Nothing changes on a poll with nothing new, and the entry is resolved, not deleted.
    assert poll(source, sqlite_store, catalog, clock).version is None
    held = Reader(sqlite_store.engine).quarantine(open_only=False)
    assert held["reason"].tolist() == [reason] and held["resolved_at"].tolist() == [pd.Timestamp(clock.now)]


@pytest.mark.parametrize("reason", sorted(BAD_VERSIONS))
def test_without_seq_a_corrected_event_is_known_by_the_fields_its_reason_did_not_blame(
    sqlite_source, reason, sqlite_store, catalog, clock
) -> None:
    url, engine = sqlite_source
    add_case(engine, "A", T, events=(("DEP", T),))
    approval = add_event(engine, T + dt.timedelta(hours=1), **BAD_VERSIONS[reason])
    source = source_settings(url, events_sql=EVENTS_SQL_WITHOUT_SEQ)
    assert dict(poll(source, sqlite_store, catalog, clock).quarantined) == {reason: 1}
    correct(engine, approval, T + dt.timedelta(hours=2), **GOOD)
    assert poll(source, sqlite_store, catalog, clock).new_events == 1
    assert open_counts(sqlite_store) == {}


def test_a_row_corrected_into_another_bad_value_moves_to_the_new_reason(sqlite_source, any_store, catalog, clock) -> None:
    """Never counted twice: re-touched while still bad, moved to another reason, then fixed; cases too."""
    url, engine = sqlite_source
    add_case(engine, "A", T, events=(("DEP", T),))
    add_case(engine, "X", T, chan="fax")
    approval = add_event(engine, T + dt.timedelta(hours=1), st="VALIDE")
    source = source_settings(url)
    views = Views(any_store, catalog, clock)
    poll(source, any_store, catalog, clock)
    assert open_counts(any_store) == {"unknown_status": 1, "bad_channel": 1}

    correct(engine, approval, T + dt.timedelta(hours=2))  # touched, still bad: one row, one entry
    add_case(engine, "X", T + dt.timedelta(hours=2), chan="fax", officer="K. Agbeko")
    assert dict(poll(source, any_store, catalog, clock).quarantined) == {"unknown_status": 1, "bad_channel": 1}
    assert open_counts(any_store) == {"unknown_status": 1, "bad_channel": 1}

    correct(engine, approval, T + dt.timedelta(hours=3), st="OK", happened=None)  # status fixed, time lost
    add_case(engine, "X", T + dt.timedelta(hours=3), chan="counter", reg="Atlantide")  # channel fixed, region broken
    poll(source, any_store, catalog, clock)
    assert open_counts(any_store) == {"bad_event_time": 1, "bad_region": 1}
    assert views.kpis()["quarantined"] == {"bad_event_time": 1, "bad_region": 1}
    assert views.metrics() == {"bad_event_time": 1, "bad_region": 1} and views.sources_page() == 2

    correct(engine, approval, T + dt.timedelta(hours=4), **GOOD)
    add_case(engine, "X", T + dt.timedelta(hours=4))
    poll(source, any_store, catalog, clock)
    assert open_counts(any_store) == {} and views.kpis()["quarantined"] == {}
    assert views.metrics() == {} and views.sources_page() == 0
    assert views.kpis()["overall"]["approved"] == 1
    held = Reader(any_store.engine).quarantine(open_only=False)
    assert len(held) == 6 and held["resolved_at"].notna().all()


def test_a_parked_event_corrected_as_its_case_arrives_lands_once_in_its_corrected_form(
    sqlite_source, sqlite_store, catalog, clock
) -> None:
    """The parked canonical form (DEP) is superseded by the row's new version (INS): not both."""
    url, engine = sqlite_source
    early = add_event(engine, T, ref="Z", st="DEP", happened=T)
    source = source_settings(url)
    assert dict(poll(source, sqlite_store, catalog, clock).quarantined) == {"unknown_case": 1}
    add_case(engine, "Z", T + dt.timedelta(minutes=5))
    correct(engine, early, T + dt.timedelta(minutes=5), st="INS")
    result = poll(source, sqlite_store, catalog, clock)
    assert (result.new_cases, result.new_events) == (1, 1)
    events = Reader(sqlite_store.engine).frames().events
    assert events["status"].astype(str).tolist() == ["in_review"] and open_counts(sqlite_store) == {}


# --- property: the open quarantine is a recount of the rows bad at the source now -----------------

QUALITIES = ("good", "unknown_status", "bad_event_time", "unknown_case", "missing_case_id")


def version_of(quality: str, variant: int) -> dict[str, Any]:
    """Source columns of an event row of that quality; ``variant`` gives a second value of each kind."""
    good = {"ref": ("A", "B")[variant], "st": ("INS", "OK")[variant], "happened": T + dt.timedelta(minutes=variant)}
    bad = {
        "good": {},
        "unknown_status": {"st": ("VALIDE", "ARCHIVE")[variant]},
        "bad_event_time": {"happened": None},
        "unknown_case": {"ref": ("A-X", "B-X")[variant]},
        "missing_case_id": {"ref": None},
    }[quality]
    return {**good, **bad}


def recount(engine: Engine) -> dict[str, int]:
    """The reasons the source's event rows deserve now, by the README's rules, in normalize's order."""
    with engine.connect() as conn:
        refs = set(conn.execute(text("SELECT ref FROM src_cases")).scalars())
        rows = conn.execute(text("SELECT ref, st, happened FROM src_events")).all()
    counts: dict[str, int] = {}
    for ref, status, at in rows:
        if ref is None:
            reason = "missing_case_id"
        elif status not in STATUS_MAP:
            reason = "unknown_status"
        elif at is None:
            reason = "bad_event_time"
        elif ref not in refs:
            reason = "unknown_case"
        else:
            continue
        counts[reason] = counts.get(reason, 0) + 1
    return counts


version = st.tuples(st.sampled_from(QUALITIES), st.integers(0, 1))
# (row, new version), (row, None): touched only, or ARRIVES: case A-X turns up (its parked events are admitted).
ARRIVES = (-1, None)
step = st.one_of(st.tuples(st.integers(0, 2), st.one_of(version, st.just(None))), st.just(ARRIVES))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initial=st.lists(version, min_size=1, max_size=3), steps=st.lists(step, min_size=1, max_size=6))
def test_open_quarantine_equals_a_recount_of_the_rows_bad_at_the_source(
    initial: list[tuple[str, int]], steps: list[tuple[int, tuple[str, int] | None]], catalog: pd.DataFrame
) -> None:
    """Steps: good -> bad, bad -> good, bad -> another bad, bad -> the same bad touched, a parked
    event's case arriving; a poll after each, and the open quarantine per reason checked each time."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'src.db'}"
        engine = create_source_engine(url, 5)
        create_source_schema(engine)
        store = Store(create_store_engine(f"sqlite:///{Path(folder) / 'vigie.db'}"))
        store.create()
        clock = lambda: dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)  # noqa: E731 - a fixed clock is all a poll needs
        try:
            add_case(engine, "A", T)
            add_case(engine, "B", T)
            ids = [add_event(engine, T, **version_of(*v)) for v in initial]
            source = source_settings(url)
            poll(source, store, catalog, clock)
            assert open_counts(store) == recount(engine)
            for n, (row, change) in enumerate(steps, start=1):
                if (row, change) == ARRIVES:
                    add_case(engine, "A-X", T + dt.timedelta(minutes=n))
                else:
                    columns = {} if change is None else version_of(*change)
                    correct(engine, ids[row % len(ids)], T + dt.timedelta(minutes=n), **columns)
                poll(source, store, catalog, clock)
                assert open_counts(store) == recount(engine), (n, row, change)
        finally:
            store.engine.dispose()
            engine.dispose()
