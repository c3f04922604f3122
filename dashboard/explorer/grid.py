"""The explorer's case list: AG Grid's column definitions and its server-side blocks (filter, sort, slice in pandas).

The grid's infinite row model asks the server for one block at a time (``getRowsRequest``). That
request comes from the browser, so anything may be in it: ``parse_request`` keeps only what it
understands (row numbers, known columns, the filter kinds the grid offers) and never raises;
a malformed part is dropped, and a block is at most ``MAX_BLOCK_ROWS`` rows, so a crafted request
cannot make the server render the whole population at once.

A case id is data from a source database, never markup: the grid shows it with the ``CaseLink``
renderer (assets/case_link.js), which sets it as the link's text and builds the link's target
itself, so an id such as ``X](https://evil.example) [y`` is shown as typed and links to its own case.

The grid says everything in French whatever the browser's language (``GRID_FRENCH``: pager, filter menus,
screen-reader labels, thousands and decimal separators), offers only the filter tests the server applies
(no « vide / non vide », no « entre »), and starts with the filters and sorts of the page's URL
(explorer/grid_view.py), so a link, the grid and the exports list the same cases.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import dash_ag_grid as dag
import pandas as pd

from dashboard.explorer.grid_view import (
    NUMBER_COLUMNS,
    NUMBER_TESTS,
    TEXT_TESTS,
    Condition,
    GridView,
    filter_model,
    from_models,
    sort_model,
)
from dashboard.explorer.labels import CHANNEL_LABELS, COLUMN_LABELS, STATUS_LABELS, STATUS_ORDER
from domain.model import LOME_TZ
from kpis.workload import UNASSIGNED

PAGE_SIZE = 50
MAX_BLOCK_ROWS = 500  # the grid asks for PAGE_SIZE rows; more is a crafted request
CASE_LINK_RENDERER = "CaseLink"  # window.dashAgGridComponentFunctions.CaseLink, in assets/case_link.js
AGENT_LINK_RENDERER = "AgentLink"  # window.dashAgGridComponentFunctions.AgentLink: an agent's name, a link to its cases
NUMBER_RENDERER = "FrNumber"  # window.dashAgGridComponentFunctions.FrNumber, in assets/case_link.js: « 1 017 »
NUMERIC = ("business_days", "sla_days", "processing_days")
#: The shown columns after the case id, and each one's width in pixels (sized to its header and its longest
#: usual value, with room for the sort and menu icons). The columns a manager reads first come first, so that
#: « Jours ouvrés », « Échéance » and « Agent » are on screen without scrolling from 1366 px wide.
_SHOWN_COLUMNS = {
    "service": 118,
    "procedure_code": 132,
    "status": 200,
    "business_days": 132,
    "due_date": 122,
    "agent": 150,
    "region": 112,
    "submitted_at": 150,
    "closed_at": 150,
    "sla_days": 200,
    "channel": 110,
    "source": 120,
}
CASE_ID_WIDTH = 140
#: A filter applies on « Appliquer » (or Enter), not at each keystroke: it goes into the URL, which rebuilds the page,
#: and a rebuild while the user types would close the menu under their fingers.
_FILTER_BUTTONS = {"maxNumConditions": 1, "buttons": ["reset", "apply"], "closeOnApply": True}
_NUMBER_FILTER = {"filterOptions": list(NUMBER_TESTS), **_FILTER_BUTTONS}
_TEXT_FILTER = {"filterOptions": list(TEXT_TESTS), **_FILTER_BUTTONS}

#: AG Grid's texts in French (its locale keys): pager, menus, filters, and the labels screen readers announce.
GRID_FRENCH = {
    "thousandSeparator": "\u202f",
    "decimalSeparator": ",",
    "page": "Page",
    "of": "sur",
    "to": "à",
    "more": "plus",
    "next": "Suivante",
    "previous": "Précédente",
    "first": "Première",
    "last": "Dernière",
    "firstPage": "Première page",
    "lastPage": "Dernière page",
    "nextPage": "Page suivante",
    "previousPage": "Page précédente",
    "pageLastRowUnknown": "?",
    "pageSizeSelectorLabel": "Lignes par page :",
    "paginationPageSize": "Lignes par page",
    "loadingOoo": "Chargement…",
    "loadingError": "Erreur de chargement",
    "noRowsToShow": "Aucun dossier",
    "blanks": "(vides)",
    "contains": "contient",
    "notContains": "ne contient pas",
    "equals": "égal à",
    "notEqual": "différent de",
    "startsWith": "commence par",
    "endsWith": "finit par",
    "lessThan": "inférieur à",
    "lessThanOrEqual": "inférieur ou égal à",
    "greaterThan": "supérieur à",
    "greaterThanOrEqual": "supérieur ou égal à",
    "inRange": "entre",
    "inRangeStart": "de",
    "inRangeEnd": "à",
    "blank": "vide",
    "notBlank": "non vide",
    "empty": "Choisir…",
    "andCondition": "ET",
    "orCondition": "OU",
    "filterOoo": "Filtrer…",
    "applyFilter": "Appliquer",
    "resetFilter": "Effacer",
    "clearFilter": "Effacer",
    "cancelFilter": "Annuler",
    "textFilter": "Filtre de texte",
    "numberFilter": "Filtre numérique",
    "dateFilter": "Filtre de date",
    "columns": "Colonnes",
    "filters": "Filtres",
    "pinColumn": "Épingler la colonne",
    "pinLeft": "Épingler à gauche",
    "pinRight": "Épingler à droite",
    "noPin": "Ne pas épingler",
    "autosizeThisColumn": "Ajuster cette colonne",
    "autosizeAllColumns": "Ajuster toutes les colonnes",
    "resetColumns": "Réinitialiser les colonnes",
    "sortAscending": "Tri croissant",
    "sortDescending": "Tri décroissant",
    "sortUnSort": "Retirer le tri",
    "columnFilter": "Filtre de colonne",
    "columnChooser": "Choisir les colonnes",
    "ariaChecked": "cochée",
    "ariaColumn": "Colonne",
    "ariaColumnGroup": "Groupe de colonnes",
    "ariaColumnFiltered": "Colonne filtrée",
    "ariaColumnSelectAll": "Basculer la sélection de toutes les colonnes",
    "ariaDateFilterInput": "Saisie du filtre de date",
    "ariaDefaultListName": "Liste",
    "ariaFilterColumnsInput": "Saisie du filtre des colonnes",
    "ariaFilterFromValue": "Filtrer à partir de la valeur",
    "ariaFilterInput": "Saisie du filtre",
    "ariaFilterList": "Liste de filtres",
    "ariaFilterToValue": "Filtrer jusqu'à la valeur",
    "ariaFilterValue": "Valeur du filtre",
    "ariaFilterMenuOpen": "Ouvrir le menu de filtre",
    "ariaFilteringOperator": "Opérateur de filtre",
    "ariaHidden": "masquée",
    "ariaIndeterminate": "indéterminée",
    "ariaMenuColumn": "Appuyez sur Alt+Bas pour ouvrir le menu de la colonne",
    "ariaFilterColumn": "Appuyez sur Ctrl+Entrée pour ouvrir le filtre",
    "ariaRowDeselect": "Appuyez sur Espace pour désélectionner cette ligne",
    "ariaRowSelect": "Appuyez sur Espace pour sélectionner cette ligne",
    "ariaRowSelectAll": "Appuyez sur Espace pour sélectionner toutes les lignes",
    "ariaRowToggleSelection": "Appuyez sur Espace pour basculer la sélection de la ligne",
    "ariaSearch": "Rechercher",
    "ariaSearchFilterValues": "Rechercher dans les valeurs du filtre",
    "ariaSortableColumn": "Appuyez sur Entrée pour trier",
    "ariaToggleVisibility": "Appuyez sur Espace pour basculer la visibilité",
    "ariaUnchecked": "non cochée",
    "ariaVisible": "visible",
    "ariaLabelColumnMenu": "Menu de la colonne",
    "ariaLabelColumnFilter": "Filtre de la colonne",
    "ariaLabelDialog": "Boîte de dialogue",
    "ariaLabelFilterMenu": "Menu de filtre",
    "ariaLabelSelectField": "Choix",
    "ariaLabelTooltip": "Info-bulle",
    "ariaLabelLoadingContextMenu": "Chargement du menu contextuel",
    "ariaLabelRichSelectField": "Choix",
    "ariaPageSizeSelectorLabel": "Lignes par page",
    "ariaChartMenuClose": "Fermer le menu",
    "ariaSearchFilterValues_": "Rechercher",
    "ariaSkeletonCellLoadingFailed": "Échec du chargement de la ligne",
    "ariaSkeletonCellLoading": "Chargement de la ligne…",
    "ariaDropZoneColumnComponentDescription": "Appuyez sur Suppr pour retirer",
    "ariaRowPageSize": "Lignes par page",
    "ariaPaginationFirstPage": "Première page",
    "ariaPaginationLastPage": "Dernière page",
    "ariaPaginationNextPage": "Page suivante",
    "ariaPaginationPreviousPage": "Page précédente",
}


def case_columns(view: GridView = GridView()) -> list[dict[str, Any]]:  # noqa: B008 - a frozen, empty value
    """The grid's columns: the case id first and pinned, shown by the CaseLink renderer (text, never markdown
    or HTML); each sorted as ``view`` says (a grid opened from a URL starts sorted as it was)."""
    sorts = {column: (index, up) for index, (column, up) in enumerate(view.sort)}
    columns: list[dict[str, Any]] = [
        {
            "field": "case_id",
            "headerName": COLUMN_LABELS["case_id"],
            "cellRenderer": CASE_LINK_RENDERER,
            "pinned": "left",
            "lockPinned": True,
            "width": CASE_ID_WIDTH,
            "filterParams": _TEXT_FILTER,
        },
    ]
    for key, width in _SHOWN_COLUMNS.items():
        column: dict[str, Any] = {"field": key, "headerName": COLUMN_LABELS[key], "width": width}
        if key in NUMBER_COLUMNS:
            column.update(filter="agNumberColumnFilter", type="numericColumn", cellRenderer=NUMBER_RENDERER)
        column["filterParams"] = _NUMBER_FILTER if key in NUMBER_COLUMNS else _TEXT_FILTER
        columns.append(column)
    for column in columns:
        if column["field"] in sorts:
            index, up = sorts[column["field"]]
            column.update(sort="asc" if up else "desc", sortIndex=index)
    return columns


def case_grid(component_id: str, view: GridView = GridView()) -> dag.AgGrid:  # noqa: B008 - a frozen, empty value
    """The case list: infinite row model, the browser holds a few blocks of PAGE_SIZE rows; it starts with the
    filters and sorts of ``view`` (the URL's)."""
    options: dict[str, Any] = {
        "pagination": True,
        "paginationPageSize": PAGE_SIZE,
        "cacheBlockSize": PAGE_SIZE,
        "maxBlocksInCache": 20,
        "localeText": GRID_FRENCH,
        "suppressMenuHide": True,  # the filter button is always shown, for the keyboard and touch
        "paginationPageSizeSelector": False,  # blocks are PAGE_SIZE rows; its picker was an unlabelled ARIA combobox
    }
    if view:
        options["initialState"] = {"filter": {"filterModel": filter_model(view)}, "sort": {"sortModel": sort_model(view)}}
    return dag.AgGrid(
        id=component_id,
        rowModelType="infinite",
        columnDefs=case_columns(view),
        defaultColDef={"sortable": True, "filter": "agTextColumnFilter", "resizable": True, "minWidth": 90},
        dashGridOptions=options,
        style={"height": "640px"},
        className="ag-theme-alpine",
    )


@dataclass(frozen=True)
class GridRequest:
    """What the server answers for one block: rows [start, end) after filtering and sorting."""

    start: int = 0
    end: int = PAGE_SIZE
    view: GridView = GridView()  # noqa: RUF009 - a frozen, empty value


def parse_request(raw: object, columns: Iterable[str]) -> GridRequest:
    """AG Grid's getRowsRequest -> a GridRequest; never raises.

    Non-numeric row numbers fall back to the first block, a block is capped at MAX_BLOCK_ROWS,
    and sort or filter entries that are not well-formed, or name an unknown column, are dropped
    (explorer/grid_view.py).
    """
    if not isinstance(raw, dict):
        return GridRequest()
    start = max(0, _row_number(raw.get("startRow"), 0))
    end = _row_number(raw.get("endRow"), start + PAGE_SIZE)
    end = min(max(end, start), start + MAX_BLOCK_ROWS)
    return GridRequest(start, end, from_models(raw.get("filterModel"), raw.get("sortModel"), columns))


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


def grid_page(rows: pd.DataFrame, request: object) -> dict[str, Any]:
    """One block of the case list for AG Grid's infinite row model: filter, sort, then slice, in pandas.

    ``request`` is the grid's getRowsRequest as received (see parse_request); ``rowCount`` is the
    number of rows after filtering, so the grid knows its last page.
    """
    asked = parse_request(request, rows.columns)
    frame = apply_view(rows, asked.view)
    start = min(asked.start, len(frame))
    return {"rowData": display_rows(frame.iloc[start : min(asked.end, len(frame))]), "rowCount": len(frame)}


def apply_view(rows: pd.DataFrame, view: GridView) -> pd.DataFrame:
    """The rows the grid lists for ``view``: its filters (on the values as shown), then its sorts, in pandas.

    The one place the grid's filters and sorts are applied: the grid's blocks, the list's title and the
    exports all go through it, so they count the same cases. A status sorts in the order of a case's life
    (déposé, en instruction, en attente du demandeur, accordé, refusé, abandonné), a channel by its French
    label; empty values last. ``rows`` is not modified.
    """
    frame = rows
    for condition in view.conditions:
        if condition.column in frame.columns:
            frame = frame[_match(frame[condition.column], condition)]
    sorts = [(column, up) for column, up in view.sort if column in frame.columns]
    if sorts:
        frame = frame.sort_values(
            [column for column, _ in sorts],
            ascending=[up for _, up in sorts],
            kind="stable",
            na_position="last",
            key=_sort_key,
        )
    return frame


def _sort_key(values: pd.Series) -> pd.Series:
    if values.name == "status":
        return values.map({code: rank for rank, code in enumerate(STATUS_ORDER)}).astype("Float64")
    if values.name == "channel":
        return values.map(CHANNEL_LABELS).fillna(values)
    return values


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
    if values.name == "agent":  # as the workload names them: its link to an agent's cases filters on this text
        return values.astype("string").fillna(UNASSIGNED).replace("", UNASSIGNED)
    return values.astype("string")


def display_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as the grid shows them; ``case_id`` and ``source`` stay plain text (the renderer builds the link)."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        out[column] = _shown(frame[column]) if column not in NUMERIC else frame[column]
    out["business_days"] = frame["business_days"].astype("Float64")
    return out.astype(object).where(out.notna(), None).to_dict("records")
