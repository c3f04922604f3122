"""French labels for the explorer's columns, statuses and filters: one place for the grid, the case page and exports."""

from __future__ import annotations

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
