from __future__ import annotations

import json

import pandas as pd
import pytest

from collectors.normalize import MappingError, normalize_cases, normalize_events, to_utc
from domain.model import QUARANTINE_REASONS

CODES = ["CEET-BT", "MIN-PR"]


def cases(**overrides: list) -> pd.DataFrame:
    base = {
        "case_id": ["1"],
        "procedure_code": ["CEET-BT"],
        "submitted_at": ["2026-11-20 10:00:00"],
        "channel": ["online"],
        "region": ["Maritime"],
        "agent": [None],
        "updated_at": ["2026-11-20 10:00:00"],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_naive_times_are_read_in_the_source_zone() -> None:
    # Paris is UTC+1 in November and UTC+2 in July; Lomé is UTC+0.
    values = pd.Series(["2026-11-20 10:00:00", "2026-07-01 10:00:00"])
    paris = to_utc(values, "Europe/Paris")
    assert paris.tolist() == [pd.Timestamp("2026-11-20 09:00", tz="UTC"), pd.Timestamp("2026-07-01 08:00", tz="UTC")]
    assert to_utc(values, "Africa/Lome")[0] == pd.Timestamp("2026-11-20 10:00", tz="UTC")


def test_aware_and_mixed_values_are_converted_not_reinterpreted() -> None:
    values = pd.Series(["2026-11-20 10:00:00+01:00", "2026-11-20 10:00:00"], dtype=object)
    out = to_utc(values, "Africa/Lagos")
    assert out.tolist() == [pd.Timestamp("2026-11-20 09:00", tz="UTC"), pd.Timestamp("2026-11-20 09:00", tz="UTC")]
    aware = pd.Series(pd.to_datetime(["2026-11-20 10:00"]).tz_localize("Asia/Tokyo"))
    assert to_utc(aware, "Europe/Paris")[0] == pd.Timestamp("2026-11-20 01:00", tz="UTC")


def test_dst_gap_and_overlap_do_not_lose_rows() -> None:
    out = to_utc(pd.Series(["2026-03-29 02:30:00", "2026-10-25 02:30:00"]), "Europe/Paris")
    assert out.notna().all()


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"case_id": [None]}, "missing_case_id"),
        ({"submitted_at": [None]}, "bad_submitted_at"),
        ({"submitted_at": ["hier"]}, "bad_submitted_at"),
        ({"updated_at": ["??"]}, "bad_updated_at"),
        ({"procedure_code": ["XX-OLD"]}, "unknown_procedure"),
        ({"channel": ["fax"]}, "bad_channel"),
        ({"region": ["Atlantis"]}, "bad_region"),
    ],
)
def test_each_case_quarantine_reason(override: dict, reason: str) -> None:
    good, bad = normalize_cases(cases(**override), timezone="Africa/Lome", procedure_codes=CODES)
    assert good.empty
    assert bad["reason"].tolist() == [reason]
    assert reason in QUARANTINE_REASONS
    assert json.loads(bad["payload"][0])["procedure_code"] == cases(**override)["procedure_code"][0]


def test_duplicates_in_one_batch_keep_the_last_and_quarantine_the_rest() -> None:
    raw = cases(
        case_id=["1", "1"],
        agent=["old", "new"],
        updated_at=["2026-11-20 10:00", "2026-11-20 11:00"],
        procedure_code=["CEET-BT"] * 2,
        submitted_at=["2026-11-20 09:00"] * 2,
        channel=["online"] * 2,
        region=["Maritime"] * 2,
    )
    good, bad = normalize_cases(raw, timezone="Africa/Lome", procedure_codes=CODES)
    assert good["agent"].tolist() == ["new"] and bad["reason"].tolist() == ["duplicate_in_batch"]


def test_values_are_canonicalised() -> None:
    raw = cases(case_id=[12345], channel=[" Online "], region=["KARA"], agent=["  "])
    good, bad = normalize_cases(raw, timezone="Africa/Lome", procedure_codes=CODES)
    assert bad.empty
    row = good.iloc[0]
    assert (row.case_id, row.channel, row.region) == ("12345", "online", "Kara") and pd.isna(row.agent)


def test_inputs_are_never_mutated() -> None:
    raw = cases(case_id=[" 7 "], procedure_code=["nope"])
    before = raw.copy(deep=True)
    normalize_cases(raw, timezone="Europe/Paris", procedure_codes=CODES)
    events = pd.DataFrame({"case_id": ["7"], "status": ["X"], "at": ["2026-11-20"], "updated_at": [1]})
    ev_before = events.copy(deep=True)
    normalize_events(events, timezone="UTC", status_map={}, known_case_ids=[])
    pd.testing.assert_frame_equal(raw, before)
    pd.testing.assert_frame_equal(events, ev_before)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"case_id": "1", "status": "ARCHIVED", "at": "2026-11-20 10:00"}, "unknown_status"),
        ({"case_id": "1", "status": "DEP", "at": None}, "bad_event_time"),
        ({"case_id": "9", "status": "DEP", "at": "2026-11-20 10:00"}, "unknown_case"),
        ({"case_id": None, "status": "DEP", "at": "2026-11-20 10:00"}, "missing_case_id"),
    ],
)
def test_each_event_quarantine_reason(row: dict, reason: str) -> None:
    raw = pd.DataFrame([{**row, "updated_at": "2026-11-20 10:00"}])
    good, bad = normalize_events(raw, timezone="UTC", status_map={"DEP": "submitted"}, known_case_ids={"1"})
    assert good.empty and bad["reason"].tolist() == [reason]


def test_unknown_case_keeps_its_canonical_form_for_a_later_retry() -> None:
    raw = pd.DataFrame([{"case_id": "9", "status": "DEP", "at": "2026-11-20 10:00", "seq": 4, "updated_at": "x"}])
    _, bad = normalize_events(raw, timezone="Europe/Paris", status_map={"DEP": "submitted"}, known_case_ids=set())
    canonical = json.loads(bad["payload"][0])["canonical"]
    assert canonical == {"case_id": "9", "status": "submitted", "at": "2026-11-20 09:00:00+00:00", "seq": 4}


def test_missing_alias_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="region"):
        normalize_cases(cases().drop(columns=["region"]), timezone="UTC", procedure_codes=CODES)
