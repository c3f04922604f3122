"""Pure: what a notification says — the webhook body (the JSON contract), its French summary, the e-mail.

Alerts are about counts and delays of whole groups: no agent or applicant name is ever in them. Group
names and procedure names come from the configuration and the catalogue, and are escaped in HTML all
the same.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from domain.alert_records import AlertEvent, AlertRecord
from domain.french import fr_number
from domain.model import LOME_TZ

_LOME = ZoneInfo(LOME_TZ)
#: metric -> (how a value reads, decimals)
METRIC_WORDING: dict[str, tuple[str, int]] = {
    "backlog": ("{v} dossiers en cours", 0),
    "backlog_waiting_applicant": ("{v} dossiers en attente du demandeur", 0),
    "inflow": ("{v} dossiers déposés en {d} j", 0),
    "outflow": ("{v} dossiers clos en {d} j", 0),
    "approved": ("{v} dossiers accordés en {d} j", 0),
    "rejected": ("{v} dossiers refusés en {d} j", 0),
    "withdrawn": ("{v} dossiers abandonnés en {d} j", 0),
    "median_processing_days": ("délai médian de {v} j calendaires ({d} j)", 1),
    "p90_processing_days": ("9 dossiers sur 10 traités en {v} j calendaires au plus ({d} j)", 1),
    "median_business_days": ("délai médian de {v} j ouvrés ({d} j)", 1),
    "sla_compliance_pct": ("{v} % des dossiers clos dans le délai légal ({d} j)", 1),
    "breached_open": ("{v} dossiers en cours hors délai", 0),
    "at_risk_open": ("{v} dossiers à risque de dépassement", 0),
    "tacit_accept_open": ("{v} dossiers acceptés implicitement (silence vaut accord)", 0),
    "tacit_reject_open": ("{v} dossiers rejetés implicitement (silence vaut rejet)", 0),
    "rejection_rate_pct": ("{v} % de refus ({d} j)", 1),
    "online_share_pct": ("{v} % de dépôts en ligne ({d} j)", 1),
    "source_lag_seconds": ("données vieilles de {v} min", 0),
    "quarantine_open": ("{v} lignes en quarantaine", 0),
}
#: metric -> explorer population slug, so the link opens the list the alert is about
EXPLORER_POPULATION = {"backlog": "en_cours", "backlog_waiting_applicant": "en_attente", "inflow": "deposes",
                       "outflow": "clos", "breached_open": "hors_delai", "at_risk_open": "a_risque",
                       "tacit_accept_open": "accords_tacites", "tacit_reject_open": "rejets_tacites"}  # fmt: skip
_SINGULAR = (("dossiers", "dossier"), ("lignes", "ligne"), ("déposés", "déposé"), ("accordés", "accordé"),
             ("refusés", "refusé"), ("abandonnés", "abandonné"), ("traités", "traité"),
             ("acceptés", "accepté"), ("rejetés", "rejeté"))  # fmt: skip
EXPLORER_PERIODS = {7: "7j", 30: "30j", 90: "90j", 365: "365j"}
STATE_WORDS = {"ok": "normale", "pending": "en observation", "firing": "en alerte", "resolved": "levée"}
SEVERITY_WORDS = {"warning": "avertissement", "critical": "critique"}


def group_label(record: AlertRecord, procedure_names: dict[str, str]) -> str:
    if record.scope == "overall":
        return "Ensemble du ministère"
    if record.scope == "source":
        return f"Source {record.group}"
    if record.scope == "procedure" and record.group in procedure_names:
        return f"{record.group} — {procedure_names[record.group]}"
    return record.group


def measured(metric: str, value: float | None, days: int) -> str:
    """'532 dossiers en cours'; lags read in minutes."""
    wording, decimals = METRIC_WORDING[metric]
    if metric == "source_lag_seconds" and value is not None:
        if math.isinf(value):
            return "aucune donnée reçue depuis le démarrage"
        value = value / 60
    if value is not None and decimals == 0 and abs(value) < 2:  # French: « 0 dossier », « 1 dossier »
        for plural, singular in _SINGULAR:
            wording = wording.replace(plural, singular)
    return wording.format(v=fr_number(value, decimals), d=days)


def threshold_text(metric: str, threshold: float) -> str:
    decimals = METRIC_WORDING[metric][1]
    return fr_number(threshold / 60 if metric == "source_lag_seconds" else threshold, decimals)


def lome_time(at: dt.datetime, now: dt.datetime) -> str:
    """'08:15' today, '28/11 08:15' another day (Lomé)."""
    local, today = at.astimezone(_LOME), now.astimezone(_LOME).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%d/%m %H:%M}"


def summary(record: AlertRecord, kind: str, days: int, at: dt.datetime, procedure_names: dict[str, str]) -> str:
    """One French sentence: « CEET-BT — Raccordement BT : 532 dossiers en cours (seuil 500) depuis 08:15 »."""
    head = f"{group_label(record, procedure_names)} : {measured(record.metric, record.value, days)}"
    limit = f"(seuil {threshold_text(record.metric, record.threshold)})"
    if kind == "resolved":
        return f"{head} {limit} — alerte levée à {lome_time(at, at)}"
    if kind == "test":
        return f"Test de notification Vigie : {head} {limit}"
    since = record.condition_since or record.since
    again = " — rappel, non pris en charge" if kind == "repeat" else ""
    return f"{head} {limit} depuis {lome_time(since, at)}{again}"


def explorer_url(base_url: str, record: AlertRecord, procedure_service: dict[str, str], days: int = 30) -> str:
    """The explorer filtered on the alert's group (the sources page for a source alert)."""
    base = base_url.rstrip("/")
    if record.scope == "source":
        return f"{base}/sources"
    query: dict[str, str] = {}
    if record.scope == "service":
        query["service"] = record.group
    elif record.scope == "procedure":
        if record.group in procedure_service:
            query["service"] = procedure_service[record.group]
        query["procedure"] = record.group
    if record.metric in EXPLORER_POPULATION:
        query["dossiers"] = EXPLORER_POPULATION[record.metric]
    if days in EXPLORER_PERIODS:  # the rule's window, when the explorer has it as a period
        query["periode"] = EXPLORER_PERIODS[days]
    return f"{base}/explorer" + (f"?{urlencode(query)}" if query else "")


def payload(
    record: AlertRecord,
    event: AlertEvent,
    *,
    alert_id: int,
    days: int,
    op: str,
    as_of: dt.datetime,
    text: str,
    url: str,
) -> dict[str, Any]:
    """The webhook body: exactly the keys of the contract (README, "Alerts")."""
    since = record.since if event.kind == "resolved" else (record.condition_since or record.since)
    return {
        "alert_id": alert_id,
        "rule": record.rule,
        "state": "firing" if event.kind == "repeat" else event.kind,
        "severity": record.severity,
        "scope": record.scope,
        "group": record.group or None,
        "metric": record.metric,
        "op": op,
        "threshold": record.threshold,
        "value": event.value if event.value is None or math.isfinite(event.value) else None,
        "days": days,
        "since": since.astimezone(dt.UTC).isoformat(),
        "as_of": as_of.astimezone(dt.UTC).isoformat(),
        "summary": text,
        "url": url,
    }


def email(bodies: list[dict[str, Any]], sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    """One e-mail for one notification, or a digest of several (quiet hours): a plain-text and an HTML part."""
    firing = sum(1 for b in bodies if b["state"] == "firing")
    if len(bodies) == 1:
        one = bodies[0]
        word = {"firing": "Alerte", "resolved": "Alerte levée", "test": "Test"}[one["state"]]
        subject = f"Vigie — {word} ({SEVERITY_WORDS.get(one['severity'], one['severity'])}) : {one['summary']}"
    else:
        subject = f"Vigie — {len(bodies)} notifications d'alerte ({firing} en alerte)"
    message = EmailMessage()
    message["Subject"] = subject[:250]
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    lines = ["Bonjour,", "", "Vigie, la salle de supervision du ministère, vous signale :", ""]
    for b in bodies:
        lines += [f"• {_state_word(b)} — {b['summary']}", f"  Voir : {b['url']}", ""]
    lines += ["Pour prendre une alerte en charge : page « Alertes » de Vigie.", "— Vigie, salle de supervision"]
    message.set_content("\n".join(lines))
    items = "".join(
        f"<li><strong>{html.escape(_state_word(b))}</strong> — {html.escape(b['summary'])}<br>"
        f'<a href="{html.escape(b["url"], quote=True)}">Ouvrir dans Vigie</a></li>'
        for b in bodies
    )
    message.add_alternative(
        f"<html><body><p>Bonjour,</p><p>Vigie, la salle de supervision du ministère, vous signale :</p><ul>{items}</ul>"
        "<p>Pour prendre une alerte en charge : page « Alertes » de Vigie.</p><p>— Vigie, salle de supervision</p></body></html>",
        subtype="html",
    )
    return message


def _state_word(body: dict[str, Any]) -> str:
    if body["state"] == "resolved":
        return "Alerte levée"
    if body["state"] == "test":
        return "Test"
    return f"Alerte {SEVERITY_WORDS.get(body['severity'], body['severity'])}"
