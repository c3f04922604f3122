"""French labels for the explorer's columns, statuses and filters: one place for the grid, the case page and exports."""

from __future__ import annotations

from dashboard.explorer.state import CHANNEL_SLUGS, ExplorerQuery

STATUS_LABELS = {
    "submitted": "déposé",
    "in_review": "en instruction",
    "awaiting_applicant": "en attente du demandeur",
    "approved": "accordé",
    "rejected": "refusé",
    "withdrawn": "abandonné",
}
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
}
FILTER_LABELS = {
    "periode": "Période",
    "du": "Du",
    "au": "Au",
    "service": "Structure",
    "procedure": "Procédure",
    "region": "Région",
    "canal": "Canal",
    "dossiers": "Dossiers",
    "pas": "Pas",
    "vue": "Vue",
}
#: The period as the filters' button says it.
PERIOD_SHORT = {"7j": "7 j", "30j": "30 j", "90j": "90 j", "365j": "12 mois"}


def filter_summary(query: ExplorerQuery) -> str:
    """The filters' button: « Filtres » then each active filter, shortest form (« Filtres · 30 j · CEET · Kara »).

    The period is always named; the other filters only when they narrow or change the view.
    """
    if query.period == "perso" and query.start is not None and query.end is not None:
        parts = [f"{query.start:%d/%m/%Y} – {query.end:%d/%m/%Y}"]
    else:
        parts = [PERIOD_SHORT.get(query.period, query.period)]
    parts += [value for value in (query.service, query.procedure, query.region) if value]
    if query.channel:
        parts.append(CHANNEL_LABELS.get(CHANNEL_SLUGS.get(query.channel, ""), query.channel))
    if query.population != ExplorerQuery.population:
        parts.append("dossiers " + POPULATION_LABELS.get(query.population, query.population))
    if query.step == "semaine":
        parts.append("par semaine")
    return " · ".join(["Filtres", *parts])
