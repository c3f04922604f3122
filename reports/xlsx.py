"""The weekly workbook: the report's tables, one sheet each, French headers (openpyxl)."""

from __future__ import annotations

import io

import pandas as pd

from reports.content import WeeklyReport


def render_xlsx(report: WeeklyReport) -> bytes:
    week = report.week
    summary = pd.concat([report.headline, pd.DataFrame({"Indicateur": ["", *report.sentences]})], ignore_index=True)
    sheets = {
        "Synthèse": summary,
        "Par structure": report.services,
        "Par procédure": report.procedures,
        "Hors délai les plus anciens": report.oldest_breached,
        "Sources": report.sources,
        "Paramètres": pd.DataFrame(
            [
                ("Semaine", week.label),
                ("Du (heure de Lomé)", week.start.tz_convert("Africa/Lome").strftime("%d/%m/%Y %H:%M")),
                ("Au, exclu (heure de Lomé)", week.end.tz_convert("Africa/Lome").strftime("%d/%m/%Y %H:%M")),
                ("Données arrêtées au", report.data_until),
                ("Source des chiffres", f"/api/kpis?{week.api_query}"),
            ],
            columns=["Paramètre", "Valeur"],
        ),
    }
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False, freeze_panes=(1, 0))
            sheet = writer.sheets[name[:31]]
            for idx, column in enumerate(frame.columns, start=1):
                longest = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200))])
                sheet.column_dimensions[sheet.cell(row=1, column=idx).column_letter].width = min(60, max(10, longest + 2))
    return buffer.getvalue()
