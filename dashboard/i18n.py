"""French first; English on request (``?lang=en``). Texts are keyed by their French wording."""

from __future__ import annotations

LANGS = ("fr", "en")

_EN = {
    "Vue d'ensemble": "Overview",
    "Par structure": "By body",
    "Délais": "Processing times",
    "Alertes": "Alerts",
    "Ministère de l'Énergie et des Mines": "Ministry of Energy and Mines",
    "Stock de dossiers": "Open cases",
    "dont {n} en attente du demandeur": "{n} waiting for the applicant",
    "Entrées 7 jours": "Submitted, 7 days",
    "Sorties 7 jours": "Closed, 7 days",
    "aujourd'hui : {n}": "today: {n}",
    "Délai médian": "Median processing time",
    "jours calendaires, suspensions déduites": "calendar days, pauses excluded",
    "Dans les délais": "On time",
    "des dossiers clos en 7 jours": "of cases closed in 7 days",
    "Hors délai en cours": "Open past legal delay",
    "et {n} à risque": "and {n} at risk",
    " vs 7 jours précédents": " vs previous 7 days",
    "⚠ Nouveaux dépassements : {codes}": "⚠ Newly past legal delay: {codes}",
    "Échéance dans les 5 jours ouvrés ({n})": "Due within 5 business days ({n})",
    "Procédure": "Procedure",
    "Structure": "Body",
    "Dossier": "Case",
    "Échéance": "Due",
    "dépassée depuis le {date}": "overdue since {date}",
    "aujourd'hui": "today",
    "le {date}": "on {date}",
    "Alertes en cours ({n})": "Active alerts ({n})",
    "Aucune alerte en cours": "No active alert",
    "+ {n} autres alertes sur /alertes": "+ {n} more alerts on /alertes",
    "+ 1 autre alerte sur /alertes": "+ 1 more alert on /alertes",
    "pris en charge par {name}": "taken in charge by {name}",
    "non pris en charge": "not taken in charge",
    "depuis {duration}": "for {duration}",
    "en observation depuis {duration}": "pending for {duration}",
    "en alerte": "firing",
    "en observation": "pending",
    "avertissement": "warning",
    "critique": "critical",
    "Ensemble du ministère": "Whole ministry",
    "⚠ Nouvelle alerte : {groups}": "⚠ New alert: {groups}",
    "⚠ Nouvelles alertes : {groups}": "⚠ New alerts: {groups}",
    "Jours ouvrés": "Business days",
    "Aucun dossier": "No case",
    "Aucun dossier clos ces 90 jours": "No case closed in the last 90 days",
    "✖ Source « {source} » en panne — {since}": "✖ Source “{source}” down — {since}",
    "jamais interrogée avec succès": "never read successfully",
    "données figées depuis {when}": "data frozen since {when}",
    "✖ Base de données de Vigie injoignable depuis {since} — derniers chiffres connus": (
        "✖ Vigie's database unreachable since {since} — last known figures"
    ),
    "Entrées et sorties — {days} jours": "Submitted and closed — {days} days",
    "Entrées": "Submitted",
    "Sorties": "Closed",
    "Stock par ancienneté": "Open cases by age",
    "Jours ouvrés de traitement (90 jours) face au délai légal": "Business days to close (90 days) against the legal delay",
    "médiane": "median",
    "délai légal": "legal delay",
    "Dossiers en cours hors délai et à risque, par procédure": "Open cases past or near their legal delay, by procedure",
    "✖ hors délai": "✖ past delay",
    "▲ à risque": "▲ at risk",
    "à jour": "up to date",
    "en retard": "late",
    "en panne": "down",
}


def tr(text: str, lang: str, **values: object) -> str:
    """The text in ``lang`` (French when missing), with ``{name}`` placeholders filled."""
    translated = _EN.get(text, text) if lang == "en" else text
    return translated.format(**values) if values else translated
