"""The case grid's own filters and sorts, as the URL writes them and as AG Grid says them.

A manager who filters the list to « Agent contient Kofi » and sorts it by business days must get the
same list back from a link, and the same rows in an export: the grid's filters and sorts are part of
the explorer's URL (``tri`` and ``filtre``, French slugs) and go wherever the URL goes.

``/explorer?dossiers=hors_delai&tri=-jours_ouvres,agent&filtre=agent:contient:Kofi&filtre=jours_ouvres:sup:20``

Both sources come from the browser, so parsing never raises: a part it does not understand (unknown
column or test, a number that is not one, an empty value) is dropped, as the grid's server-side
engine (explorer/grid.py) always did. Nothing here knows how a value is shown: applying a view to rows
is grid.py's, which owns the French display of each column.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: The grid's columns (AG Grid's colId) and their French slug in the URL.
COLUMN_SLUGS = {
    "case_id": "dossier",
    "source": "source",
    "service": "structure",
    "procedure_code": "procedure",
    "region": "region",
    "channel": "canal",
    "status": "statut",
    "submitted_at": "depose_le",
    "closed_at": "clos_le",
    "business_days": "jours_ouvres",
    "sla_days": "delai_legal",
    "due_date": "echeance",
    "agent": "agent",
}
#: Columns filtered as numbers; every other one is filtered on the text the grid shows.
NUMBER_COLUMNS = ("business_days", "sla_days")
#: The tests each filter kind offers (AG Grid's names) and their French slug. The grid offers exactly these:
#: « vide / non vide » and « entre » are not offered, since the server would not apply them.
NUMBER_TESTS = {
    "equals": "egal",
    "notEqual": "different",
    "lessThan": "inf",
    "lessThanOrEqual": "infeg",
    "greaterThan": "sup",
    "greaterThanOrEqual": "supeg",
}
TEXT_TESTS = {
    "contains": "contient",
    "notContains": "sans",
    "equals": "egal",
    "notEqual": "different",
    "startsWith": "debute",
    "endsWith": "finit",
}
MAX_CONDITIONS = len(COLUMN_SLUGS)  # one per column: the grid offers one condition per column
_BY_SLUG = {slug: column for column, slug in COLUMN_SLUGS.items()}


@dataclass(frozen=True)
class Condition:
    """One column filter: ``kind`` "text" or "number" (from the column), ``test`` one of the kind's, ``needle`` valid."""

    column: str
    kind: str
    test: str
    needle: str | float


@dataclass(frozen=True)
class GridView:
    """The grid's filters and sorts: conditions (one per column at most), sorts (column, ascending) by priority."""

    sort: tuple[tuple[str, bool], ...] = ()
    conditions: tuple[Condition, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.sort or self.conditions)


def condition(column: str, test: object, needle: object) -> Condition | None:
    """A valid condition on ``column``, or None: the kind follows the column, the test must be one of its kind's,
    a number must be finite, a text not empty."""
    number = column in NUMBER_COLUMNS
    if column not in COLUMN_SLUGS or not isinstance(test, str) or test not in (NUMBER_TESTS if number else TEXT_TESTS):
        return None
    if isinstance(needle, bool) or not isinstance(needle, int | float | str) or needle == "":
        return None
    if not number:
        return Condition(column, "text", test, str(needle))
    try:
        target = float(str(needle).replace(",", ".").replace("\u202f", "").replace(" ", ""))
    except (ValueError, OverflowError):  # not a number, or an integer beyond any float
        return None
    return Condition(column, "number", test, target) if math.isfinite(target) else None


def from_models(filter_model: object, sort_model: object, columns: Iterable[str] | None = None) -> GridView:
    """AG Grid's filterModel and sortModel (a getRowsRequest's) -> a GridView; never raises.

    ``columns`` narrows the known columns further (those of the rows at hand).
    """
    known = set(COLUMN_SLUGS) if columns is None else set(COLUMN_SLUGS) & set(columns)
    sort: dict[str, bool] = {}  # column -> ascending, first mention wins
    for entry in sort_model if isinstance(sort_model, list) else []:
        column = entry.get("colId") if isinstance(entry, dict) else None
        if isinstance(column, str) and column in known and column not in sort:
            sort[column] = entry.get("sort") != "desc"
    conditions = []
    for column, spec in filter_model.items() if isinstance(filter_model, dict) else []:
        if column in known and isinstance(spec, dict):
            default = "equals" if column in NUMBER_COLUMNS else "contains"
            found = condition(column, spec.get("type", default), spec.get("filter"))
            if found is not None:
                conditions.append(found)
    return GridView(tuple(sort.items()), tuple(conditions))


def from_url(sorts: str | None, filters: Iterable[str]) -> GridView:
    """``tri`` (slugs separated by commas, "-" for descending) and each ``filtre`` (slug:test:value) -> a GridView.

    Never raises: an unknown slug or test, or an invalid value, is dropped; a column keeps its first mention.
    """
    sort: dict[str, bool] = {}
    for part in (sorts or "").split(","):
        part = part.strip()
        column = _BY_SLUG.get(part.lstrip("-"))
        if column is not None and column not in sort:
            sort[column] = not part.startswith("-")
    conditions: dict[str, Condition] = {}
    for text in list(filters)[: 4 * MAX_CONDITIONS]:
        slug, _, rest = text.partition(":")
        test_slug, _, needle = rest.partition(":")
        column = _BY_SLUG.get(slug.strip())
        if column is None or column in conditions:
            continue
        tests = NUMBER_TESTS if column in NUMBER_COLUMNS else TEXT_TESTS
        test = next((name for name, s in tests.items() if s == test_slug.strip()), None)
        found = condition(column, test, needle)
        if found is not None:
            conditions[column] = found
    return GridView(tuple(sort.items()), tuple(conditions.values()))


def url_pairs(view: GridView) -> list[tuple[str, str]]:
    """The URL parameters of ``view``: one ``tri`` (when sorted), one ``filtre`` per condition."""
    pairs = []
    if view.sort:
        pairs.append(("tri", ",".join(("" if up else "-") + COLUMN_SLUGS[column] for column, up in view.sort)))
    for c in view.conditions:
        tests = NUMBER_TESTS if c.kind == "number" else TEXT_TESTS
        pairs.append(("filtre", f"{COLUMN_SLUGS[c.column]}:{tests[c.test]}:{_needle_text(c.needle)}"))
    return pairs


def _needle_text(needle: str | float) -> str:
    if isinstance(needle, float) and needle.is_integer():
        return str(int(needle))
    return str(needle)


def filter_model(view: GridView) -> dict[str, dict[str, object]]:
    """AG Grid's filterModel for ``view``: how a grid opened from the URL starts filtered."""
    return {
        c.column: {
            "filterType": c.kind,
            "type": c.test,
            "filter": (int(c.needle) if float(c.needle).is_integer() else c.needle) if c.kind == "number" else c.needle,
        }
        for c in view.conditions
    }


def sort_model(view: GridView) -> list[dict[str, str]]:
    """AG Grid's sort model for ``view`` (column state entries: colId, sort), in priority order."""
    return [{"colId": column, "sort": "asc" if up else "desc"} for column, up in view.sort]
