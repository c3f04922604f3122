"""French labels for the explorer's columns, statuses and filters: one place for the grid, the case page and exports."""

from __future__ import annotations

from dashboard.explorer.grid_view import GridView
from dashboard.explorer.state import CHANNEL_SLUGS, PERIODS, ExplorerQuery
from domain.french import fr_number

STATUS_LABELS = {
    "submitted": "déposé",
    "in_review": "en instruction",
    "awaiting_applicant": "en attente du demandeur",
    "approved": "accordé",
    "rejected": "refusé",
    "withdrawn": "abandonné",
}
#: The statuses in the order of a case's life (a sort by status follows it, not the codes' alphabet):
#: filed, under review, waiting for the applicant, then the three endings.
STATUS_ORDER = ("submitted", "in_review", "awaiting_applicant", "approved", "rejected", "withdrawn")
CHANNEL_LABELS = {"online": "en ligne", "counter": "guichet"}
COLUMN_LABELS = {
    "source": "Source",
    "case_id": "Dossier",
    "service": "Structure",
    "procedure_code": "Procédure",
    "region": "Région",
    "channel": "Canal",
    "status": "Statut",
    "submitted_at": "Déposé le",
    "closed_at": "Clos le",
    "business_days": "Jours ouvrés",
    "sla_days": "Délai légal (j ouvrés)",
    "due_date": "Échéance",
    "processing_days": "Durée de traitement (j)",
    "breached": "Hors délai",
    "at_risk": "À risque",
    "agent": "Agent",
}
POPULATION_LABELS = {
    "en_cours": "en cours",
    "en_attente": "en attente du demandeur",
    "deposes": "déposés sur la période",
    "clos": "clos sur la période",
    "hors_delai": "hors délai (en cours)",
    "a_risque": "à risque (en cours)",
    "accords_tacites": "acceptés implicitement (en cours)",
    "rejets_tacites": "rejetés implicitement (en cours)",
}
#: The grid's filter tests as a sentence says them (« Agent contient « Kofi » »).
TEST_LABELS = {
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
}
STEP_LABELS = {"jour": "jour", "semaine": "semaine"}
VIEW_LABELS = {"synthese": "synthèse", "charge": "charge de travail"}
#: The period as the filters' button says it.
PERIOD_SHORT = {"7j": "7 j", "30j": "30 j", "90j": "90 j", "365j": "12 mois"}


def filter_summary(query: ExplorerQuery) -> str:
    """The filters' button: « Filtres » then each active filter, shortest form (« Filtres · 30 j · CEET · Kara »).

    The period is always named; the other filters only when they narrow or change the view (the listed cases and
    the curves' step: not in the workload view, which has neither).
    """
    if query.period == "perso" and query.start is not None and query.end is not None:
        parts = [f"{query.start:%d/%m/%Y} – {query.end:%d/%m/%Y}"]
    else:
        parts = [PERIOD_SHORT.get(query.period, query.period)]
    parts += [value for value in (query.service, query.procedure, query.region) if value]
    if query.channel:
        parts.append(CHANNEL_LABELS.get(CHANNEL_SLUGS.get(query.channel, ""), query.channel))
    if query.view == "charge":  # the workload has no list and no curves: their settings do not apply
        return " · ".join(["Filtres", *parts])
    if query.population != ExplorerQuery.population:
        parts.append("dossiers " + POPULATION_LABELS.get(query.population, query.population))
    if query.step == "semaine":
        parts.append("par semaine")
    return " · ".join(["Filtres", *parts])


def period_text(query: ExplorerQuery) -> str:
    """The window in words: « 90 jours », « 12 mois », « du 01/11/2026 au 30/11/2026 »."""
    if query.period == "perso" and query.start is not None and query.end is not None:
        return f"du {query.start:%d/%m/%Y} au {query.end:%d/%m/%Y}"
    if query.period == "365j":
        return "12 mois"
    return f"{PERIODS.get(query.period, 0)} jours"


def grid_filters_text(view: GridView) -> str:
    """The grid's filters in words (« Agent contient « Kofi » ; Jours ouvrés supérieur à 20 »), "" when none."""
    parts = []
    for c in view.conditions:
        needle = fr_number(float(c.needle), 0 if float(c.needle).is_integer() else 2) if c.kind == "number" else f"« {c.needle} »"
        parts.append(f"{COLUMN_LABELS[c.column]} {TEST_LABELS[c.test]} {needle}")
    return " ; ".join(parts)


def grid_sort_text(view: GridView) -> str:
    """The grid's sorts in words (« Jours ouvrés décroissant, puis Agent croissant »), "" when none."""
    return ", puis ".join(f"{COLUMN_LABELS[c]} {'croissant' if up else 'décroissant'}" for c, up in view.sort)


def query_lines(query: ExplorerQuery) -> list[tuple[str, str]]:
    """What a list is, line by line, in French labels and values (an export's header, the tab title):
    the period, each filter that narrows, the listed population, the grid's filters and sorts."""
    lines = [("Période", period_text(query))]
    lines += [(label, value) for label, value in (("Structure", query.service), ("Procédure", query.procedure)) if value]
    if query.region:
        lines.append(("Région", query.region))
    if query.channel:
        lines.append(("Canal", CHANNEL_LABELS.get(CHANNEL_SLUGS.get(query.channel, ""), query.channel)))
    lines.append(("Dossiers listés", POPULATION_LABELS.get(query.population, query.population)))
    if query.view != ExplorerQuery.view:
        lines.append(("Vue", VIEW_LABELS.get(query.view, query.view)))
    if query.grid.conditions:
        lines.append(("Filtres de la liste", grid_filters_text(query.grid)))
    if query.grid.sort:
        lines.append(("Tri de la liste", grid_sort_text(query.grid)))
    return lines


def list_title_text(query: ExplorerQuery, shown: int, total: int) -> str:
    """The case list's title: its population and count, and how many of them the grid's filters keep.

    « Dossiers hors délai (en cours) : 379 », or « … : 69 sur 379 (filtres de la liste) » when the grid is
    filtered: the count is always the grid's, so title, grid and export agree.
    """
    head = f"Dossiers {POPULATION_LABELS.get(query.population, query.population)} : {fr_number(shown)}"
    return f"{head} sur {fr_number(total)} (filtres de la liste)" if query.grid.conditions else head


def page_title(query: ExplorerQuery) -> str:
    """The browser tab's title for an explorer view: the page, where, what is listed, and when."""
    where = " › ".join(v for v in (query.service, query.procedure, query.region) if v)
    view = "Charge de travail" if query.view == "charge" else "Explorateur"
    what = "" if query.view == "charge" else POPULATION_LABELS.get(query.population, query.population)
    parts = [view, where, what, period_text(query)]
    if query.grid.conditions:
        parts.append("liste filtrée")
    return " · ".join([p for p in parts if p] + ["Vigie"])


def business_days_text(days: float | None) -> str:
    """« 1 j ouvré », « 0 j ouvré », « 12 j ouvrés », « 1 017 j ouvrés » (French: plural from 2)."""
    if days is None:
        return "—"
    return f"{fr_number(days)} j ouvré{'s' if abs(days) >= 2 else ''}"
