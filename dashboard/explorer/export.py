"""Exports of a case list: CSV (for any tool) and XLSX (French headers, real dates), both recording their filters.

The CSV is what French-locale Excel opens directly: UTF-8 with a BOM, ";" between fields,
decimal comma, CRLF line ends (RFC 4180: the csv writer then quotes a field holding a lone
carriage return, which Excel would otherwise take for the end of the row). Its first lines start
with "#" and say when and with which filters it was made. Source text that a spreadsheet would
run as a formula is neutralised in both formats (reports.cells).
"""

from __future__ import annotations

import csv
import io

import pandas as pd
from openpyxl import Workbook

from dashboard.explorer.labels import CHANNEL_LABELS, COLUMN_LABELS, STATUS_LABELS
from domain.model import LOME_TZ
from reports.cells import csv_safe, csv_text
from reports.xlsx import save, write_sheet

LOME = LOME_TZ
LINE_END = "\r\n"
_DATE_TIME = "dd/mm/yyyy hh:mm"


def readable(rows: pd.DataFrame) -> pd.DataFrame:
    """Case rows with French headers and values; instants as naive Lomé date-times (what Excel can hold)."""
    out = rows.copy()
    for col in ("submitted_at", "closed_at"):
        out[col] = pd.to_datetime(out[col], utc=True).dt.tz_convert(LOME).dt.tz_localize(None)
    out["due_date"] = pd.to_datetime(out["due_date"]).dt.date
    out["status"] = out["status"].map(STATUS_LABELS).fillna(out["status"])
    out["channel"] = out["channel"].map(CHANNEL_LABELS).fillna(out["channel"])
    for col in ("breached", "at_risk"):
        out[col] = out[col].map({True: "oui", False: "non"})
    out["processing_days"] = out["processing_days"].round(2)
    return out.rename(columns=COLUMN_LABELS)


def header_lines(header: list[tuple[str, str]]) -> str:
    """The "# label : value" lines, one CSV cell each whatever the value holds.

    Values can come from the URL or the source (a structure's name): a line break would start a
    line of its own and a ";" a cell of its own, so line breaks become spaces, the csv writer
    quotes a line holding ";" or '"', and a value starting like a formula gets its "'".
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator=LINE_END)
    for label, value in header:
        text = csv_text(str(value)).replace("\r", " ").replace("\n", " ")
        writer.writerow([f"# {label} : {text}"])
    return out.getvalue()


def to_csv(rows: pd.DataFrame, header: list[tuple[str, str]]) -> bytes:
    table = csv_safe(readable(rows))
    body = table.to_csv(index=False, sep=";", decimal=",", date_format="%Y-%m-%d %H:%M", lineterminator=LINE_END)
    return ("\ufeff" + header_lines(header) + body).encode("utf-8")


def to_xlsx(rows: pd.DataFrame, header: list[tuple[str, str]]) -> bytes:
    """The "Dossiers" sheet (frozen header, dates as Excel dates in Lomé time) and the "Filtres" sheet, streamed."""
    table = readable(rows)
    formats = {COLUMN_LABELS["submitted_at"]: _DATE_TIME, COLUMN_LABELS["closed_at"]: _DATE_TIME}
    formats[COLUMN_LABELS["due_date"]] = "dd/mm/yyyy"
    book = Workbook(write_only=True)
    widths = [max(12, min(40, len(str(col)) + 4)) for col in table.columns]
    write_sheet(book, "Dossiers", table, widths=widths, number_formats=formats)
    filters = pd.DataFrame(header, columns=["Paramètre", "Valeur"], dtype="str")
    write_sheet(book, "Filtres", filters, widths=[24, 60], freeze_header=False)
    return save(book)
