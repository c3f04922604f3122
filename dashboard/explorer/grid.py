"""The explorer's case list: AG Grid's column definitions and its server-side blocks (filter, sort, slice in pandas).

The grid's infinite row model asks the server for one block at a time (``getRowsRequest``). That
request comes from the browser, so anything may be in it: ``parse_request`` keeps only what it
understands (row numbers, known columns, the filter kinds the grid offers) and never raises;
a malformed part is dropped, and a block is at most ``MAX_BLOCK_ROWS`` rows, so a crafted request
cannot make the server render the whole population at once.

A case id is data from a source database, never markup: the grid shows it with the ``CaseLink``
renderer (assets/case_link.js), which sets it as the link's text and builds the link's target
itself, so an id such as ``X](https://evil.example) [y`` is shown as typed and links to its own case.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import dash_ag_grid as dag
import pandas as pd

from dashboard.explorer.labels import CHANNEL_LABELS, COLUMN_LABELS, STATUS_LABELS
from domain.model import LOME_TZ

PAGE_SIZE = 50
MAX_BLOCK_ROWS = 500  # the grid asks for PAGE_SIZE rows; more is a crafted request
CASE_LINK_RENDERER = "CaseLink"  # window.dashAgGridComponentFunctions.CaseLink, in assets/case_link.js
NUMERIC = ("business_days", "sla_days", "processing_days")
_SHOWN_COLUMNS = (
    "source",
    "service",
    "procedure_code",
    "region",
    "channel",
    "status",
    "submitted_at",
    "closed_at",
    "business_days",
    "sla_days",
    "due_date",
    "agent",
)
_NUMBER_TESTS = ("equals", "notEqual", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual")
_TEXT_TESTS = ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith")

GRID_FRENCH = {
    "page": "Page",
    "of": "sur",
    "to": "à",
    "more": "plus",
    "next": "Suivante",
    "previous": "Précédente",
    "first": "Première",
    "last": "Dernière",
    "loadingOoo": "Chargement…",
    "noRowsToShow": "Aucun dossier",
    "contains": "contient",
    "notContains": "ne contient pas",
    "equals": "égal à",
    "notEqual": "différent de",
    "startsWith": "commence par",
    "endsWith": "finit par",
    "lessThan": "inférieur à",
    "greaterThan": "supérieur à",
    "filterOoo": "Filtrer…",
    "resetFilter": "Effacer",
    "pageSizeSelectorLabel": "Lignes par page :",
}


def case_columns() -> list[dict[str, Any]]:
    """The grid's columns: the case id first, shown by the CaseLink renderer (text, never markdown or HTML)."""
    columns: list[dict[str, Any]] = [
        {
            "field": "case_id",
            "headerName": COLUMN_LABELS["case_id"],
            "cellRenderer": CASE_LINK_RENDERER,
            "pinned": "left",
            "width": 150,
        },
    ]
    for key in _SHOWN_COLUMNS:
        column: dict[str, Any] = {"field": key, "headerName": COLUMN_LABELS[key]}
        if key in NUMERIC:
            column.update(filter="agNumberColumnFilter", type="numericColumn", width=130)
        column["filterParams"] = {"maxNumConditions": 1, "buttons": ["reset"]}
        columns.append(column)
    return columns


def case_grid(component_id: str) -> dag.AgGrid:
    """The case list: infinite row model, the browser holds a few blocks of PAGE_SIZE rows."""
    return dag.AgGrid(
        id=component_id,
        rowModelType="infinite",
        columnDefs=case_columns(),
        defaultColDef={"sortable": True, "filter": "agTextColumnFilter", "resizable": True, "minWidth": 110},
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": PAGE_SIZE,
            "cacheBlockSize": PAGE_SIZE,
            "maxBlocksInCache": 20,
            "localeText": GRID_FRENCH,
        },
        style={"height": "640px"},
        className="ag-theme-alpine",
    )


@dataclass(frozen=True)
class Condition:
    """One column filter the grid offers: ``kind`` text or number, ``test`` one of the grid's, ``needle`` valid."""

    column: str
    kind: str
    test: str
    needle: str | float


@dataclass(frozen=True)
class GridRequest:
    """What the server answers for one block: rows [start, end) after filtering and sorting."""

    start: int = 0
    end: int = PAGE_SIZE
    sort: tuple[tuple[str, bool], ...] = ()  # (column, ascending), in priority order
    conditions: tuple[Condition, ...] = ()


def parse_request(raw: object, columns: Iterable[str]) -> GridRequest:
    """AG Grid's getRowsRequest -> a GridRequest; never raises.

    Non-numeric row numbers fall back to the first block, a block is capped at MAX_BLOCK_ROWS,
    and sort or filter entries that are not well-formed, or name an unknown column, are dropped.
    """
    if not isinstance(raw, dict):
        return GridRequest()
    known = set(columns)
    start = max(0, _row_number(raw.get("startRow"), 0))
    end = _row_number(raw.get("endRow"), start + PAGE_SIZE)
    end = min(max(end, start), start + MAX_BLOCK_ROWS)
    sort_model, filter_model = raw.get("sortModel"), raw.get("filterModel")
    sort: dict[str, bool] = {}  # column -> ascending, first mention wins
    for entry in sort_model if isinstance(sort_model, list) else []:
        column = entry.get("colId") if isinstance(entry, dict) else None
        if isinstance(column, str) and column in known and column not in sort:
            sort[column] = entry.get("sort") != "desc"
    conditions = []
    for column, spec in filter_model.items() if isinstance(filter_model, dict) else []:
        condition = _condition(column, spec) if column in known else None
        if condition is not None:
            conditions.append(condition)
    return GridRequest(start, end, tuple(sort.items()), tuple(conditions))


def _row_number(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else default
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:  # not a number, or more digits than Python converts
            return default
    return default


def _condition(column: str, spec: object) -> Condition | None:
    if not isinstance(spec, dict):
        return None
    needle, number = spec.get("filter"), spec.get("filterType") == "number"
    test = spec.get("type", "equals" if number else "contains")
    if test not in (_NUMBER_TESTS if number else _TEXT_TESTS):  # also what is not a string
        return None
    if isinstance(needle, bool) or not isinstance(needle, int | float | str) or needle == "":
        return None
    if not number:
        return Condition(column, "text", test, str(needle))
    try:
        target = float(needle)
    except (ValueError, OverflowError):  # not a number, or an integer beyond any float
        return None
    return Condition(column, "number", test, target) if math.isfinite(target) else None


def grid_page(rows: pd.DataFrame, request: object) -> dict[str, Any]:
    """One block of the case list for AG Grid's infinite row model: filter, sort, then slice, in pandas.

    ``request`` is the grid's getRowsRequest as received (see parse_request); ``rowCount`` is the
    number of rows after filtering, so the grid knows its last page.
    """
    asked = parse_request(request, rows.columns)
    frame = rows
    for condition in asked.conditions:
        frame = frame[_match(frame[condition.column], condition)]
    if asked.sort:
        frame = frame.sort_values(
            [column for column, _ in asked.sort],
            ascending=[ascending for _, ascending in asked.sort],
            kind="stable",
            na_position="last",
        )
    start = min(asked.start, len(frame))
    return {"rowData": display_rows(frame.iloc[start : min(asked.end, len(frame))]), "rowCount": len(frame)}


def _match(values: pd.Series, condition: Condition) -> pd.Series:
    if condition.kind == "number":
        numbers = pd.to_numeric(values, errors="coerce")
        target = float(condition.needle)
        tests = {
            "equals": numbers == target,
            "notEqual": numbers != target,
            "lessThan": numbers < target,
            "lessThanOrEqual": numbers <= target,
            "greaterThan": numbers > target,
            "greaterThanOrEqual": numbers >= target,
        }
        return tests[condition.test].fillna(False).astype(bool)
    text = _shown(values).str.casefold()
    needle = str(condition.needle).casefold()
    tests = {
        "contains": text.str.contains(needle, regex=False),
        "notContains": ~text.str.contains(needle, regex=False),
        "equals": text == needle,
        "notEqual": text != needle,
        "startsWith": text.str.startswith(needle),
        "endsWith": text.str.endswith(needle),
    }
    return tests[condition.test].fillna(False).astype(bool)


def _shown(values: pd.Series) -> pd.Series:
    """Values as the grid shows them (French labels, Lomé dates), so a text filter matches what is read."""
    if values.name == "status":
        return values.map(STATUS_LABELS).fillna(values).astype("string")
    if values.name == "channel":
        return values.map(CHANNEL_LABELS).fillna(values).astype("string")
    if values.name in ("submitted_at", "closed_at"):
        return pd.to_datetime(values, utc=True).dt.tz_convert(LOME_TZ).dt.strftime("%d/%m/%Y %H:%M").astype("string")
    if values.name == "due_date":
        return pd.to_datetime(values).dt.strftime("%d/%m/%Y").astype("string")
    return values.astype("string")


def display_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as the grid shows them; ``case_id`` and ``source`` stay plain text (the renderer builds the link)."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        out[column] = _shown(frame[column]) if column not in NUMERIC else frame[column]
    out["business_days"] = frame["business_days"].astype("Float64")
    return out.astype(object).where(out.notna(), None).to_dict("records")
