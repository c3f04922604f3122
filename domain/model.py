"""The canonical case model: column names and vocabularies, declared once.

Every module that touches cases or events takes its column names from here, so a
rename is a one-line change and a typo is an ImportError rather than a KeyError.
"""

from __future__ import annotations

CASE_COLUMNS: tuple[str, ...] = (
    "case_id",
    "procedure_code",
    "submitted_at",
    "channel",
    "region",
    "agent",
    "updated_at",
)
EVENT_COLUMNS: tuple[str, ...] = ("case_id", "status", "at", "updated_at")
#: Optional event column: the source's own ordering (e.g. its primary key), used to
#: break ties between events that share the same ``at``.
EVENT_OPTIONAL_COLUMNS: tuple[str, ...] = ("seq",)

STATUSES: tuple[str, ...] = (
    "submitted",
    "in_review",
    "awaiting_applicant",
    "approved",
    "rejected",
    "withdrawn",
)
CLOSING_STATUSES: frozenset[str] = frozenset({"approved", "rejected", "withdrawn"})
PAUSE_STATUS = "awaiting_applicant"

CHANNELS: tuple[str, ...] = ("online", "counter")
REGIONS: tuple[str, ...] = ("Maritime", "Plateaux", "Centrale", "Kara", "Savanes")

#: Quarantine reasons, with the French label shown to operators.
QUARANTINE_REASONS: dict[str, str] = {
    "unknown_status": "statut absent de status_map",
    "unknown_procedure": "code de procédure inconnu du catalogue",
    "bad_submitted_at": "date de dépôt manquante ou illisible",
    "unknown_case": "événement pour un dossier inconnu",
    "missing_case_id": "identifiant de dossier manquant",
    "bad_channel": "canal inconnu (attendu : online ou counter)",
    "bad_region": "région inconnue (attendu : une des cinq régions du Togo)",
    "bad_event_time": "date d'événement manquante ou illisible",
    "bad_updated_at": "date de mise à jour manquante ou illisible",
    "duplicate_in_batch": "dossier renvoyé plusieurs fois par la même requête",
}

LOME_TZ = "Africa/Lome"
