"""The « dossiers à échéance » e-mail of a daily_due subscription (pure): the list, its text, its CSV.

What "due within N business days" means is the engine's (``kpis.series.cases_at_risk``): an open case not yet past
its legal delay whose due date falls within the next N business days (Togo's calendar), as of the morning the
list is made. The cases already past their delay are only counted, in one sentence.

Source text (case numbers, agents) is data: the e-mail is plain text only (no HTML, so nothing in it can be
markup), control characters become spaces so a value cannot start a line of its own, the only link is our own
case page (each part percent-encoded, as ``assets/case_link.js`` does), and the CSV neutralises formulas
(``reports.cells.csv_safe``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import pandas as pd

from domain.french import fr_date, fr_number
from domain.model import LOME_TZ
from reports.cells import csv_safe

COLUMNS = ("Dossier", "Source", "Procédure", "Intitulé", "Échéance", "Jours ouvrés utilisés", "Délai légal", "Agent", "Lien")
#: Control characters, line separators and the invisible format characters that can reorder or hide text (bidi
#: overrides, zero-width marks): a source value becomes one visible line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
LINE_END = "\r\n"


@dataclass(frozen=True)
class DueList:
    """The cases due soon for some structures on one Lomé morning."""

    day: pd.Timestamp  # the Lomé date the list is made for (midnight, Lomé)
    structures: frozenset[str]
    horizon_business_days: int
    rows: pd.DataFrame  # COLUMNS
    already_breached: int

    @property
    def scope(self) -> str:
        return ", ".join(sorted(self.structures))

    @property
    def empty(self) -> bool:
        return self.rows.empty


def case_url(public_url: str, source: str, case_id: str) -> str:
    """``<public_url>/explorer/case/<source>/<id>``, each part percent-encoded (``/``, ``?``, ``#`` included)."""
    return f"{public_url.rstrip('/')}/explorer/case/{quote(source, safe='')}/{quote(case_id, safe='')}"


def plain(value: object) -> str:
    """A source value as one line of plain text, trimmed: a value hidden behind a tab or a space still reads as the
    formula it starts like, so the CSV guard (``csv_safe``, applied after) sees it."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return "—"
    return _CONTROL.sub(" ", str(value)).strip()


def due_list(
    at_risk: pd.DataFrame,
    catalog: pd.DataFrame,
    as_of: pd.Timestamp,
    structures: frozenset[str],
    horizon_business_days: int,
    public_url: str,
) -> DueList:
    """From ``KpiService.at_risk(as_of, horizon, CaseFilters(services=structures))``: the cases not past their delay
    that are due within the horizon, soonest first (the engine's order)."""
    names = dict(zip(catalog["code"], catalog["name"], strict=True))
    due = at_risk[at_risk["due_soon"].astype(bool) & ~at_risk["breached"].astype(bool)]
    rows = pd.DataFrame(
        {
            COLUMNS[0]: [plain(v) for v in due["case_id"]],
            COLUMNS[1]: [plain(v) for v in due["source"]],
            COLUMNS[2]: [str(v) for v in due["procedure_code"]],
            COLUMNS[3]: [names.get(str(v), "") for v in due["procedure_code"]],
            COLUMNS[4]: [fr_date(pd.Timestamp(v).date()) for v in due["due_date"]],
            COLUMNS[5]: [int(v) for v in due["admin_bd_now"]],
            COLUMNS[6]: [int(v) for v in due["sla_days"]],
            COLUMNS[7]: [plain(v) for v in due["agent"]],
            COLUMNS[8]: [case_url(public_url, str(s), str(c)) for s, c in zip(due["source"], due["case_id"], strict=True)],
        },
        columns=list(COLUMNS),
    )
    day = as_of.tz_convert(LOME_TZ).normalize()
    breached = int(at_risk["breached"].astype(bool).sum())
    return DueList(day, structures, horizon_business_days, rows, breached)


def subject(due: DueList) -> str:
    return f"Vigie — dossiers à échéance ({due.scope}) — {due.day.strftime('%d/%m/%Y')}"


def body(due: DueList, notice: str | None = None) -> str:
    """The e-mail's plain text (French); ``notice``: an earlier mail of the subscription that did not arrive."""
    lines = [notice, ""] if notice else []
    n = len(due.rows)
    when = f"dans les {due.horizon_business_days} prochains jours ouvrés"
    lines.append(
        f"Dossiers en cours de {due.scope} dont l'échéance légale tombe {when} (et pas encore dépassée), "
        f"au {fr_date(due.day.date())} : {fr_number(n)}."
    )
    if due.already_breached:
        lines.append(f"Par ailleurs, {fr_number(due.already_breached)} dossier(s) en cours ont déjà dépassé leur délai légal.")
    lines.append("")
    for r in due.rows.to_dict("records"):
        lines += [
            f"• {r['Dossier']} — {r['Procédure']} ({r['Intitulé']})",
            f"  échéance le {r['Échéance']} ; {r['Jours ouvrés utilisés']} jours ouvrés utilisés sur {r['Délai légal']} ; "
            f"agent : {r['Agent']}",
            f"  {r['Lien']}",
        ]
    if n:
        lines += ["", "La liste est jointe au format CSV (séparateur « ; »)."]
    lines += ["", "Envoyé aux responsables de ces structures (abonnement [[reports.subscriptions]]).", "— Vigie"]
    return "\n".join(lines)


def to_csv(due: DueList) -> bytes:
    """The list as CSV (UTF-8 with BOM, ``;``, CRLF), text starting like a formula prefixed with ``'``."""
    text = csv_safe(due.rows).to_csv(index=False, sep=";", lineterminator=LINE_END)
    return ("\ufeff" + text).encode("utf-8")
