"""The weekly report as an A4 landscape PDF in French, fonts embedded (fpdf2, DejaVu Sans from matplotlib)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import matplotlib
import pandas as pd
from fpdf import FPDF
from fpdf.fonts import FontFace

from domain.french import fr_date, fr_number
from reports.charts import delays_against_legal, flows_by_service
from reports.content import WeeklyReport, headline_text

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
MINISTRY = "Ministère de l'Énergie et des Mines — République togolaise"
NAVY = (11, 61, 98)


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report_title = title
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(title)
        self.set_author("Vigie")
        self.set_creator("Vigie")
        self.set_lang("fr")

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.report_title} · page {self.page_no()}/{{nb}}", align="R")


def _heading(pdf: _Pdf, text: str) -> None:
    pdf.set_font("DejaVu", "B", 15)
    pdf.set_text_color(*NAVY)
    pdf.cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _cell(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, dt.datetime):  # pd.Timestamp included: a day, as the screens write it
        return fr_date(value)
    if isinstance(value, float):
        return fr_number(value, 1)
    if isinstance(value, int):
        return fr_number(value)
    return str(value)


def _table(pdf: _Pdf, frame: pd.DataFrame, widths: tuple[float, ...] | None = None, size: float = 9) -> None:
    pdf.set_font("DejaVu", "", size)
    heading = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY)
    with pdf.table(col_widths=widths, headings_style=heading, line_height=size * 0.55, text_align="LEFT",
                   cell_fill_color=(240, 243, 247), cell_fill_mode="ROWS") as table:  # fmt: skip
        table.row([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            table.row([_cell(v) for v in row])


def _for_scope(report: WeeklyReport) -> str:
    return "" if report.structures is None else f", pour un compte limité à {report.scope} ; seulement ses dossiers"


def render_pdf(report: WeeklyReport) -> bytes:
    week = report.week
    title = report.title
    pdf = _Pdf(title)
    # Cover
    pdf.add_page()
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(0, 8, MINISTRY, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(30)
    pdf.set_font("DejaVu", "B", 28)
    pdf.set_text_color(*NAVY)
    pdf.cell(0, 14, "Rapport hebdomadaire de supervision", new_x="LMARGIN", new_y="NEXT")
    if report.structures is not None:
        pdf.set_font("DejaVu", "B", 18)
        label = "Structures" if len(report.structures) > 1 else "Structure"
        pdf.multi_cell(0, 10, f"{label} : {report.scope}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 20)
    sunday = week.monday + pd.Timedelta(days=6)
    pdf.cell(0, 12, f"Semaine {week.week} de {week.year} ({week.label})", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "", 14)
    pdf.cell(0, 10, f"du lundi {fr_date(week.monday)} au dimanche {fr_date(sunday)}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.cell(0, 10, f"Données arrêtées au {report.data_until}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.ln(20)
    pdf.multi_cell(0, 6, "Procédures administratives du secteur de l'énergie et des mines publiées sur le portail national "
                   "des services publics. Chiffres calculés par Vigie, identiques à ceux des écrans de la salle de supervision "
                   f"(/api/kpis?{week.api_query}{_for_scope(report)}). Aucune donnée personnelle.")  # fmt: skip
    # Headline and narrative
    pdf.add_page()
    _heading(pdf, "L'essentiel de la semaine")
    pdf.set_font("DejaVu", "", 11)
    for sentence in report.sentences:
        pdf.multi_cell(0, 6.5, "• " + sentence, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _table(pdf, headline_text(report.headline), widths=(90, 50, 50, 70), size=10)
    if not report.empty:
        pdf.ln(4)
        pdf.image(io.BytesIO(flows_by_service(report.services)), w=230)
        pdf.add_page()
        _heading(pdf, "Par structure")
        _table(pdf, report.services, widths=(70, 20, 20, 20, 26, 24, 26, 26, 22, 22))
        pdf.add_page()
        _heading(pdf, "Délais de traitement par procédure (jours ouvrés)")
        _table(pdf, report.procedures, widths=(22, 88, 46, 20, 20, 16, 20, 22, 22), size=7.5)
        pdf.add_page()
        _heading(pdf, "Délais de traitement et délai légal")
        pdf.image(io.BytesIO(delays_against_legal(report.procedures)), w=260)
    pdf.add_page()
    _heading(pdf, "Les 10 dossiers hors délai les plus anciens (en cours en fin de semaine)")
    if report.oldest_breached.empty:
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(0, 8, "Aucun dossier en cours n'avait dépassé son délai légal en fin de semaine.", new_x="LMARGIN", new_y="NEXT")
    else:
        _table(pdf, report.oldest_breached, widths=(48, 22, 24, 74, 30, 24, 24, 34), size=9)
    pdf.ln(6)
    _heading(pdf, "Santé des sources durant la semaine")
    _table(pdf, report.sources, size=9)
    if not report.targets.empty:
        pdf.ln(6)
        _heading(pdf, "Objectifs")
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 5.5, "Valeur en fin de semaine, et celle que la trajectoire attendait ce jour-là : une droite de "
                       "la valeur de référence à la cible, de la date de référence à l'échéance.",
                       new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        pdf.ln(2)
        _table(pdf, report.targets, widths=(40, 26, 40, 16, 22, 20, 22, 16, 18, 20, 37), size=8)
    pdf.ln(6)
    _heading(pdf, "Événements de la semaine")
    if report.events.empty:
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(0, 8, "Aucune alerte, panne de source ni note cette semaine.", new_x="LMARGIN", new_y="NEXT")
    else:
        _table(pdf, report.events, widths=(36, 30, 60, 122, 28), size=8.5)
    return bytes(pdf.output())
