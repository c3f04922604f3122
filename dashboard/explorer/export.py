"""Exports of a case list: CSV (for any tool) and XLSX (French headers, real dates), both recording their filters.

The CSV is what French-locale Excel opens directly: UTF-8 with a BOM, ";" between fields,
decimal comma. Its first lines start with "#" and say when and with which filters it was made.
"""

from __future__ import annotations

import io

import pandas as pd

from dashboard.explorer.labels import CHANNEL_LABELS, COLUMN_LABELS, STATUS_LABELS

LOME = "Africa/Lome"


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


def to_csv(rows: pd.DataFrame, header: list[tuple[str, str]]) -> bytes:
    lines = "".join(f"# {label} : {value}\n" for label, value in header)
    body = readable(rows).to_csv(index=False, sep=";", decimal=",", date_format="%Y-%m-%d %H:%M")
    return ("\ufeff" + lines + body).encode("utf-8")


def to_xlsx(rows: pd.DataFrame, header: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        table = readable(rows)
        table.to_excel(writer, sheet_name="Dossiers", index=False, freeze_panes=(1, 0))
        pd.DataFrame(header, columns=["Paramètre", "Valeur"]).to_excel(writer, sheet_name="Filtres", index=False)
        sheet = writer.sheets["Dossiers"]
        for idx, col in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=idx).column_letter
            sheet.column_dimensions[letter].width = max(12, min(40, len(str(col)) + 4))
            if col in (COLUMN_LABELS["submitted_at"], COLUMN_LABELS["closed_at"]):
                for cell in sheet[letter][1:]:
                    cell.number_format = "dd/mm/yyyy hh:mm"
            elif col == COLUMN_LABELS["due_date"]:
                for cell in sheet[letter][1:]:
                    cell.number_format = "dd/mm/yyyy"
        writer.sheets["Filtres"].column_dimensions["A"].width = 24
        writer.sheets["Filtres"].column_dimensions["B"].width = 60
    return buffer.getvalue()
