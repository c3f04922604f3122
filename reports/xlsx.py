"""XLSX sheets that stream and hold no formula: the weekly workbook, and the one sheet writer the explorer's export shares.

Workbooks are openpyxl write-only: rows go to the file as they are appended instead of
living as cell objects (a few hundred bytes each) until the end. Every value goes through
``reports.cells``: text is a string cell, never a formula, whatever the source wrote.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from domain.model import LOME_TZ
from reports.cells import ERROR_TEXTS, starts_like_formula, xlsx_column

if TYPE_CHECKING:  # only for annotations: the explorer imports write_sheet without the report's dependencies
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from reports.content import WeeklyReport

_BOLD = Font(bold=True)


def _text_cell(sheet: WriteOnlyWorksheet, text: str, *, bold: bool = False) -> Cell:
    """A string cell even for "=…" or "#N/A" (openpyxl would make a formula or an error of them)."""
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    if starts_like_formula(text) or text in ERROR_TEXTS:
        cell.quotePrefix = True  # Excel's own mark of a typed '=…: editing the cell keeps it text
    if bold:
        cell.font = _BOLD
    return cell


def _formatted(sheet: WriteOnlyWorksheet, values: Iterable[object], number_format: str) -> Iterator[object]:
    """The column's values, each in one reused cell carrying the number format.

    One styled cell per column, not per value: a write-only sheet writes a row when it is
    appended, before the next value is set, and a new styled cell per date costs more than
    writing it.
    """
    cell = WriteOnlyCell(sheet)
    cell.number_format = number_format
    for value in values:
        if value is None or isinstance(value, Cell):
            yield value
        else:
            cell.value = value
            yield cell


def write_sheet(
    book: Workbook,
    title: str,
    frame: pd.DataFrame,
    *,
    widths: Sequence[float],
    number_formats: Mapping[str, str] | None = None,
    freeze_header: bool = True,
) -> None:
    """``frame`` as a new sheet of a write-only ``book``: a bold header row (frozen), one row per frame row.

    ``widths`` are the columns' widths in characters, in order; ``number_formats`` maps a column
    name to an Excel number format (dates); numbers and dates stay numbers and dates.
    """
    sheet = book.create_sheet(title[:31])
    if freeze_header:
        sheet.freeze_panes = "A2"  # set before the first row: a write-only sheet writes its view first
    for idx, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(idx)].width = width
    sheet.append([_text_cell(sheet, str(name), bold=True) for name in frame.columns])
    columns: list[Iterable[object]] = []
    for name in frame.columns:
        values, forced = xlsx_column(frame[name])
        for pos in forced:
            values[pos] = _text_cell(sheet, str(values[pos]))
        fmt = (number_formats or {}).get(name)
        columns.append(_formatted(sheet, values, fmt) if fmt else values)
    for row in zip(*columns, strict=True):
        sheet.append(row)


def save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _width(frame: pd.DataFrame, column: str) -> float:
    """Wide enough for the header and the first 200 values, between 10 and 60 characters."""
    longest = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200))])
    return min(60, max(10, longest + 2))


#: Number formats, as stored in the file: Excel and LibreOffice show them in the reader's locale, so a French
#: installation shows « 3 426 », « 93,5 % », « 12,9 j » and « 16/11/2026 08:30 » while the cells stay numbers and dates.
#: (A literal space, ``# ##0``, would print « 1234 567 » past a million and a comma decimal elsewhere.)
COUNT = "#,##0"
DECIMAL = "#,##0.0"
DATE_TIME = "dd/mm/yyyy hh:mm"
DATE = "dd/mm/yyyy"


def headline_format(decimals: int, unit: str) -> str:
    """The number format of a headline value with ``decimals`` and ``unit``: ``#,##0.0" %"`` for a rate (the unit is
    quoted text: a bare « % » would multiply by 100)."""
    digits = COUNT + ("." + "0" * decimals if decimals else "")
    return f'{digits}" {unit}"' if unit else digits


def column_formats(frame: pd.DataFrame) -> dict[str, str]:
    """Counts, decimals and dates of a report table, by column dtype: text and mixed columns have none."""
    formats = {}
    for name in frame.columns:
        kind = frame[name].dtype
        if pd.api.types.is_integer_dtype(kind):
            formats[name] = COUNT
        elif pd.api.types.is_float_dtype(kind):
            formats[name] = DECIMAL
        elif pd.api.types.is_datetime64_any_dtype(kind):
            formats[name] = DATE_TIME
    return formats


def _number_cell(sheet: WriteOnlyWorksheet, value: int | float | None, number_format: str) -> Cell:
    cell = WriteOnlyCell(sheet, value)
    cell.number_format = number_format
    return cell


def _summary_sheet(book: Workbook, report: WeeklyReport) -> None:
    """« Synthèse »: the headline, each value a number cell in its row's format, then the sentences (text cells)."""
    from reports.content import HEADLINE  # here: the explorer imports this module without the report's dependencies

    frame = report.headline
    sheet = book.create_sheet("Synthèse")
    sheet.freeze_panes = "A2"
    for idx, width in enumerate((40, 18, 22, 28), start=1):
        sheet.column_dimensions[get_column_letter(idx)].width = width
    sheet.append([_text_cell(sheet, str(name), bold=True) for name in frame.columns])
    for (_, _, decimals, unit), row in zip(HEADLINE, frame.itertuples(index=False), strict=True):
        label, now, before, change = row
        number_format = headline_format(decimals, unit)
        sheet.append([_text_cell(sheet, str(label)), _number_cell(sheet, now, number_format),
                      _number_cell(sheet, before, number_format), _text_cell(sheet, str(change))])  # fmt: skip
    sheet.append([])
    for sentence in report.sentences:
        sheet.append([_text_cell(sheet, sentence)])


def render_xlsx(report: WeeklyReport) -> bytes:
    week = report.week
    sheets = {
        "Par structure": report.services,
        "Par procédure": report.procedures,
        "Hors délai les plus anciens": report.oldest_breached,
        "Sources": report.sources,
        "Événements": report.events if not report.events.empty else pd.DataFrame({"Événements de la semaine": ["Aucun"]}),
        **({"Objectifs": report.targets} if not report.targets.empty else {}),
        "Paramètres": pd.DataFrame(
            [
                ("Semaine", week.label),
                ("Structures", report.scope),
                ("Du (heure de Lomé)", week.start.tz_convert(LOME_TZ).strftime("%d/%m/%Y %H:%M")),
                ("Au, exclu (heure de Lomé)", week.end.tz_convert(LOME_TZ).strftime("%d/%m/%Y %H:%M")),
                ("Données arrêtées au", report.data_until),
                (
                    "Source des chiffres",
                    f"/api/kpis?{week.api_query}" + ("" if report.structures is None else f" (compte limité à {report.scope})"),
                ),
            ],
            columns=["Paramètre", "Valeur"],
        ),
    }
    book = Workbook(write_only=True)
    _summary_sheet(book, report)
    # the targets' dates are days (the end of that day is meant), not instants
    days = {"Objectifs": {"Référence au": DATE, "Échéance": DATE}}
    for name, frame in sheets.items():
        widths = [_width(frame, c) for c in frame.columns]
        write_sheet(book, name, frame, widths=widths, number_formats={**column_formats(frame), **days.get(name, {})})
    return save(book)
