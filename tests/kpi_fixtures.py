"""Hand-built histories for the KPI tests: frames shaped like the reader's."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

from domain.model import STATUSES
from store.reader import CASE_FIELDS

CATALOG = pd.DataFrame(
    {
        "code": ["P", "Q", "Z"],
        "name": ["Procédure P", "Procédure Q", "Procédure Z"],
        "service": ["S1", "S2", "S2"],
        "sla_days": [5, 10, 3],
    }
)

#: The same procedures with the law's other clocks (issue 17): P restarts, Q is « silence vaut accord »,
#: Z restarts and is « silence vaut rejet ».
MIXED_CATALOG = CATALOG.assign(clock=["restart", "pause", "restart"], silence=["none", "accord", "rejet"])


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def frames(cases: list[dict], events: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """cases: dicts with case_id, procedure_code, submitted_at (+ channel, deleted_at); events: (case_id, status, at[, seq])."""
    rows = []
    for c in cases:
        rows.append(
            {
                "source": c.get("source", "src"),
                "case_id": c["case_id"],
                "procedure_code": c["procedure_code"],
                "submitted_at": ts(c["submitted_at"]),
                "channel": c.get("channel", "online"),
                "region": c.get("region", "Maritime"),
                "agent": c.get("agent"),
                "updated_at": ts(c["submitted_at"]),
                "deleted_at": ts(c["deleted_at"]) if c.get("deleted_at") else pd.NaT,
                "version": 1,
            }
        )
    case_frame = pd.DataFrame(rows, columns=list(CASE_FIELDS))
    for col in ("submitted_at", "updated_at", "deleted_at"):
        case_frame[col] = pd.to_datetime(case_frame[col], utc=True).astype("datetime64[us, UTC]")
    ev_rows = [
        {
            "id": i + 1,
            "source": "src",
            "case_id": e[0],
            "status": e[1],
            "at": ts(e[2]),
            "seq": e[3] if len(e) > 3 else pd.NA,
            "version": 1,
        }
        for i, e in enumerate(events)
    ]
    event_frame = pd.DataFrame(ev_rows, columns=["id", "source", "case_id", "status", "at", "seq", "version"])
    event_frame["at"] = pd.to_datetime(event_frame["at"], utc=True).astype("datetime64[us, UTC]")
    event_frame = event_frame.astype({"seq": "Int64", "id": "int64"})
    return case_frame, event_frame


#: The hand-computed history of tests/test_kpis.py (also loaded into a store by tests.support.load_fixture).
CASES = [
    {"case_id": "c1", "procedure_code": "P", "submitted_at": "2026-11-09 10:00"},
    {"case_id": "c2", "procedure_code": "P", "submitted_at": "2026-11-02 08:00"},
    {"case_id": "c3", "procedure_code": "P", "submitted_at": "2026-11-16 08:00"},
    {"case_id": "c4", "procedure_code": "Q", "submitted_at": "2026-11-02 09:00"},
    {"case_id": "c5", "procedure_code": "P", "submitted_at": "2026-11-09 08:00", "channel": "counter"},
    {"case_id": "c6", "procedure_code": "P", "submitted_at": "2026-11-14 10:00", "channel": "counter"},
    {"case_id": "c7", "procedure_code": "P", "submitted_at": "2026-04-27 10:00"},
    {"case_id": "c8", "procedure_code": "P", "submitted_at": "2026-05-21 09:00"},
    {"case_id": "c9a", "procedure_code": "P", "submitted_at": "2026-11-05 12:00"},
    {"case_id": "c9b", "procedure_code": "P", "submitted_at": "2026-11-19 12:00"},
    {"case_id": "c9c", "procedure_code": "P", "submitted_at": "2026-11-20 12:00"},
    {"case_id": "c9d", "procedure_code": "P", "submitted_at": "2026-11-06 12:00"},
    {"case_id": "c11", "procedure_code": "Q", "submitted_at": "2026-11-09 08:00"},
    {"case_id": "c12", "procedure_code": "P", "submitted_at": "2026-11-18 08:00"},
    {"case_id": "c13", "procedure_code": "P", "submitted_at": "2026-11-10 08:00", "deleted_at": "2026-11-15 00:00"},
    {"case_id": "c14", "procedure_code": "P", "submitted_at": "2026-11-21 08:00"},  # after T
]

EVENTS = [
    ("c1", "submitted", "2026-11-09 10:00"),
    ("c1", "in_review", "2026-11-10 09:00"),
    ("c1", "approved", "2026-11-12 10:00"),
    # closed, reopened, re-closed: the later closure counts, the closed interval is processing time
    ("c2", "submitted", "2026-11-02 08:00"),
    ("c2", "approved", "2026-11-04 08:00"),
    ("c2", "in_review", "2026-11-06 08:00"),
    ("c2", "rejected", "2026-11-10 08:00"),
    # reopened and still open
    ("c3", "submitted", "2026-11-16 08:00"),
    ("c3", "approved", "2026-11-17 08:00"),
    ("c3", "in_review", "2026-11-18 08:00"),
    # a pause still open at T
    ("c4", "submitted", "2026-11-02 09:00"),
    ("c4", "in_review", "2026-11-02 10:00"),
    ("c4", "awaiting_applicant", "2026-11-05 09:00"),
    # out of order, with a duplicate
    ("c5", "approved", "2026-11-11 08:00"),
    ("c5", "submitted", "2026-11-09 08:00"),
    ("c5", "in_review", "2026-11-10 08:00"),
    ("c5", "in_review", "2026-11-10 08:00"),
    # c6: a Saturday submission with no history at all
    # Independence Day (Mon 27/04) and Labour Day (Fri 01/05)
    ("c7", "submitted", "2026-04-27 10:00"),
    ("c7", "approved", "2026-05-04 10:00"),
    # across Pentecost Monday (25/05) and Tabaski (27/05)
    ("c8", "submitted", "2026-05-21 09:00"),
    ("c8", "approved", "2026-05-29 09:00"),
    # closed exactly at the window start (in outflow) / exactly at T (not in outflow)
    ("c9a", "approved", "2026-11-06 12:00"),
    ("c9b", "approved", "2026-11-20 12:00"),
    # withdrawn after a pause
    ("c11", "submitted", "2026-11-09 08:00"),
    ("c11", "awaiting_applicant", "2026-11-10 08:00"),
    ("c11", "withdrawn", "2026-11-13 08:00"),
    # an event after T does not count
    ("c12", "submitted", "2026-11-18 08:00"),
    ("c12", "approved", "2026-11-21 08:00"),
    ("c13", "approved", "2026-11-12 08:00"),
    ("ghost", "approved", "2026-11-12 08:00"),  # an event without a stored case counts nowhere
]


#: Generated histories (hypothesis): up to 20 cases over 40 days from BASE, with duplicated and tied events.
BASE = pd.Timestamp("2026-10-01", tz="UTC")
MINUTES = 60 * 24 * 40


@st.composite
def histories(draw):  # type: ignore[no-untyped-def]
    cases, events = [], []
    for i in range(draw(st.integers(0, 20))):
        submitted = draw(st.integers(0, MINUTES))
        cases.append(
            {
                "case_id": f"k{i}",
                "procedure_code": draw(st.sampled_from(["P", "Q", "Z"])),
                "submitted_at": str(BASE + pd.Timedelta(minutes=submitted)),
                "channel": draw(st.sampled_from(["online", "counter"])),
                "deleted_at": "2026-11-01" if draw(st.integers(0, 15)) == 0 else None,
            }
        )
        for _ in range(draw(st.integers(0, 6))):
            at = submitted + draw(st.integers(0, 60 * 24 * 20))
            event = (
                f"k{i}",
                draw(st.sampled_from(STATUSES)),
                str(BASE + pd.Timedelta(minutes=at)),
                draw(st.one_of(st.none(), st.integers(0, 5))),
            )
            events.append(event)
            if draw(st.integers(0, 8)) == 0:
                events.append(event)  # a duplicated event
    t1 = BASE + pd.Timedelta(minutes=draw(st.integers(0, MINUTES + 60 * 24 * 20)))
    t2 = t1 + pd.Timedelta(minutes=draw(st.integers(0, 60 * 24 * 20)))
    return cases, [e if e[3] is not None else e[:3] for e in events], t1, t2
