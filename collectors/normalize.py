"""Pure: source frames -> canonical frames plus a quarantine, with a reason per bad row.

Nothing here drops a row silently: each input row ends up either in the canonical
output or in the quarantine frame. Inputs are never modified.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from domain.model import CASE_COLUMNS, CHANNELS, EVENT_COLUMNS, REGIONS
from domain.values import as_text
from store.watermark import row_hashes

QUARANTINE_COLUMNS: tuple[str, ...] = ("stream", "reason", "case_id", "detail", "payload", "row_hash")
_REGION_BY_LOWER = {r.lower(): r for r in REGIONS}


class MappingError(Exception):
    """The operator's SQL did not return the required column aliases."""


def to_utc(values: pd.Series, timezone: str) -> pd.Series:
    """Timestamps -> tz-aware UTC; naive values are read in ``timezone``.

    Unparseable or missing values become NaT (the caller quarantines them). In a DST
    zone an ambiguous wall time is read as the first (summer) occurrence, a
    non-existent one is shifted forward: a source that stores local wall time
    cannot tell us more.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    if pd.api.types.is_datetime64_dtype(values):
        parsed = values
    elif pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    else:
        parsed = _parse_texts(values, timezone)
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            return parsed.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    local = parsed.dt.tz_localize(timezone, ambiguous=np.ones(len(parsed), dtype=bool), nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def _parse_texts(values: pd.Series, timezone: str) -> pd.Series:
    texts = as_text(values)
    try:
        return pd.to_datetime(texts, errors="coerce", format="ISO8601")
    except (ValueError, TypeError):
        # Mixed offsets (some values naive, some with an offset): value by value.
        return texts.map(lambda v: _one_to_utc(v, timezone)).astype("datetime64[us, UTC]")


def _one_to_utc(value: object, timezone: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return pd.NaT
    if stamp is pd.NaT:
        return pd.NaT
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


def _require(raw: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise MappingError(f"{what} : colonnes manquantes dans le résultat SQL : {', '.join(missing)}")


def _quarantine(
    raw: pd.DataFrame, mask: pd.Series, reasons: pd.Series, stream: str, case_ids: pd.Series, detail: pd.Series
) -> pd.DataFrame:
    bad = raw.loc[mask]
    if bad.empty:
        return empty_quarantine()
    payload = [json.dumps(row, default=str, ensure_ascii=False) for row in bad.to_dict("records")]
    return pd.DataFrame(
        {
            "stream": stream,
            "reason": reasons.loc[mask].to_numpy(),
            "case_id": case_ids.loc[mask].to_numpy(),
            "detail": detail.loc[mask].to_numpy(),
            "payload": payload,
            "row_hash": row_hashes(bad).to_numpy(),
        }
    )


def empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in QUARANTINE_COLUMNS})


Check = tuple[str, pd.Series, Callable[[pd.Series], pd.Series]]


def _first_reason(checks: list[Check], index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """For each row, the first failing check's reason and detail (None when all pass).

    A check's detail is only built for the rows that fail it: most batches are clean.
    """
    reason = pd.Series(None, index=index, dtype=object)
    detail = pd.Series(None, index=index, dtype=object)
    for name, failed, describe in checks:
        take = failed & reason.isna()
        if take.any():
            reason[take] = name
            detail[take] = describe(take).to_numpy()
    return reason, detail


def _shown(raw: pd.DataFrame, column: str) -> Callable[[pd.Series], pd.Series]:
    """Detail builder: 'column = value' for the failing rows."""
    return lambda rows: column + " = " + as_text(raw.loc[rows, column]).fillna("(vide)")


def _fixed(text: str) -> Callable[[pd.Series], pd.Series]:
    return lambda rows: pd.Series(text, index=rows.index[rows.to_numpy()])


def normalize_cases(raw: pd.DataFrame, *, timezone: str, procedure_codes: Iterable[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical cases (UTC, validated) and the quarantined rows.

    Duplicated case_ids within one batch keep the last row (the batch is ordered by
    updated_at) and quarantine the earlier ones, so a bad JOIN in the mapping SQL is
    visible instead of silently collapsing rows.
    """
    _require(raw, CASE_COLUMNS, "cases_sql")
    case_id = as_text(raw["case_id"])
    procedure = as_text(raw["procedure_code"])
    submitted = to_utc(raw["submitted_at"], timezone)
    updated = to_utc(raw["updated_at"], timezone)
    channel = as_text(raw["channel"]).str.lower()
    region = as_text(raw["region"]).str.lower().map(_REGION_BY_LOWER)
    codes = set(procedure_codes)
    checks: list[Check] = [
        ("missing_case_id", case_id.isna(), _fixed("case_id vide")),
        ("bad_submitted_at", submitted.isna(), _shown(raw, "submitted_at")),
        ("bad_updated_at", updated.isna(), _shown(raw, "updated_at")),
        ("unknown_procedure", ~procedure.isin(codes), _shown(raw, "procedure_code")),
        ("bad_channel", ~channel.isin(CHANNELS), _shown(raw, "channel")),
        ("bad_region", region.isna(), _shown(raw, "region")),
    ]
    reason, detail = _first_reason(checks, raw.index)
    valid = reason.isna()
    later_dupe = case_id.where(valid).duplicated(keep="last") & valid
    reason[later_dupe] = "duplicate_in_batch"
    detail[later_dupe] = "case_id = " + case_id[later_dupe].astype(str)
    bad = reason.notna()

    good = (
        pd.DataFrame(
            {
                "case_id": case_id,
                "procedure_code": procedure,
                "submitted_at": submitted,
                "channel": channel,
                "region": region,
                "agent": as_text(raw["agent"]),
                "updated_at": updated,
            }
        )
        .loc[~bad]
        .reset_index(drop=True)
    )
    return good, _quarantine(raw, bad, reason, "cases", case_id, detail)


def normalize_events(
    raw: pd.DataFrame, *, timezone: str, status_map: dict[str, str], known_case_ids: Iterable[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical events (status mapped, ``at`` in UTC) and the quarantined rows.

    ``known_case_ids`` are the cases the store holds or that this poll brings; an
    event for any other case is quarantined as unknown_case and retried by later polls
    (the case row may simply be committed by the source a moment after its event).
    """
    _require(raw, EVENT_COLUMNS, "events_sql")
    case_id = as_text(raw["case_id"])
    source_status = raw["status"].astype("str")  # status_map matches exactly: no trimming, no case folding
    status = source_status.map(status_map)
    at = to_utc(raw["at"], timezone)
    seq = (
        pd.to_numeric(raw["seq"], errors="coerce").astype("Int64")
        if "seq" in raw.columns
        else pd.Series(pd.NA, index=raw.index, dtype="Int64")
    )
    known = set(known_case_ids)
    checks: list[Check] = [
        ("missing_case_id", case_id.isna(), _fixed("case_id vide")),
        ("unknown_status", status.isna(), _shown(raw, "status")),
        ("bad_event_time", at.isna(), _shown(raw, "at")),
        ("unknown_case", ~case_id.isin(known), _shown(raw, "case_id")),
    ]
    reason, detail = _first_reason(checks, raw.index)
    bad = reason.notna()
    good = pd.DataFrame({"case_id": case_id, "status": status, "at": at, "seq": seq}).loc[~bad]
    quarantine = _quarantine(raw, bad, reason, "events", case_id, detail)
    unknown = quarantine["reason"] == "unknown_case"
    if unknown.any():
        # Keep the canonical form too, so a later poll can admit the event without re-mapping.
        canon = pd.DataFrame({"status": status[bad], "at": at[bad].astype(str), "seq": seq[bad].astype(object)}).reset_index(
            drop=True
        )
        quarantine.loc[unknown, "payload"] = [
            json.dumps(
                {"raw": json.loads(p), "canonical": {"case_id": c, "status": s, "at": a, "seq": None if pd.isna(q) else int(q)}},
                ensure_ascii=False,
            )
            for p, c, s, a, q in zip(
                quarantine.loc[unknown, "payload"],
                quarantine.loc[unknown, "case_id"],
                canon.loc[unknown, "status"],
                canon.loc[unknown, "at"],
                canon.loc[unknown, "seq"],
                strict=True,
            )
        ]
    return good.reset_index(drop=True), quarantine
