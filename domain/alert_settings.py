"""The [alerts] contract: rules over the KPI engine's numbers, and the contacts they notify.

Every rule and contact is checked at start-up, and a mistake names the rule (or contact) and the
key, like the rest of the config: an alert that silently never fires is worse than no alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from domain.config_checks import ConfigError, expand_env, reject_unknown, required

#: Metric keys of the KPI document (/api/kpis) a rule may watch: one number per group.
DOCUMENT_METRICS = (
    "backlog",
    "backlog_waiting_applicant",
    "inflow",
    "outflow",
    "approved",
    "rejected",
    "withdrawn",
    "median_processing_days",
    "p90_processing_days",
    "median_business_days",
    "sla_compliance_pct",
    "breached_open",
    "at_risk_open",
    "tacit_accept_open",
    "tacit_reject_open",
    "rejection_rate_pct",
    "online_share_pct",
)
#: Metrics about the sources themselves, read from the store's health rows and quarantine.
SOURCE_METRICS = ("source_lag_seconds", "quarantine_open")
SCOPES = ("overall", "service", "procedure", "source")
OPERATORS = (">", ">=", "<", "<=")
SEVERITIES = ("warning", "critical")
QUIET_MODES = ("never", "business-hours")
MAX_NAME = 64  # the store's column widths
MAX_GROUP = 128


@dataclass(frozen=True)
class AlertContact:
    """Who is told. Neither e-mail nor webhook: the notification is written to the collector's log only."""

    name: str
    emails: tuple[str, ...] = ()
    webhook_url: str | None = None
    webhook_secret: str | None = None
    quiet: str = "never"


@dataclass(frozen=True)
class AlertRule:
    name: str
    metric: str
    scope: str
    op: str
    threshold: float
    contacts: tuple[str, ...]
    groups: tuple[str, ...] | None = None  # None: every group of the scope
    days: int = 7
    for_minutes: float = 0.0
    severity: str = "warning"


@dataclass(frozen=True)
class AlertSettings:
    enabled: bool = False
    evaluate_every_seconds: float = 60.0
    repeat_hours: float = 24.0
    contacts: tuple[AlertContact, ...] = ()
    rules: tuple[AlertRule, ...] = ()

    def contact(self, name: str) -> AlertContact | None:
        return next((c for c in self.contacts if c.name == name), None)


def parse_alerts(raw: Any, where: str, env: dict[str, str]) -> AlertSettings:
    """Validate the [alerts] table (``where`` names the file)."""
    label = f"{where} [alerts]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{label}: une table est attendue")
    reject_unknown(raw, {"enabled", "evaluate_every_seconds", "repeat_hours", "contacts", "rules"}, label)
    enabled = raw.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{label}: clé enabled : true ou false est attendu")
    every = _positive(raw, "evaluate_every_seconds", 60.0, label)
    repeat = _positive(raw, "repeat_hours", 24.0, label)
    contacts = tuple(_contact(c, i, where, env) for i, c in enumerate(_list(raw, "contacts", label)))
    _unique([c.name for c in contacts], f"{where} [[alerts.contacts]]")
    known = {c.name for c in contacts}
    rules = tuple(_rule(r, i, where, known) for i, r in enumerate(_list(raw, "rules", label)))
    _unique([r.name for r in rules], f"{where} [[alerts.rules]]")
    return AlertSettings(enabled, every, repeat, contacts, rules)


def _contact(raw: Any, index: int, where: str, env: dict[str, str]) -> AlertContact:
    label = _label(raw, index, where, "contacts", "contact")
    reject_unknown(raw, {"name", "emails", "webhook_url", "webhook_secret", "quiet"}, label)
    emails = raw.get("emails", [])
    if not isinstance(emails, list) or not all(isinstance(e, str) and "@" in e for e in emails):
        raise ConfigError(f"{label}: clé emails : une liste d'adresses e-mail est attendue")
    url = _optional_text(raw, "webhook_url", label, env)
    if url is not None and not _http_url(url):
        raise ConfigError(f"{label}: clé webhook_url : une adresse http:// ou https:// valide est attendue")
    secret = _optional_text(raw, "webhook_secret", label, env)
    if secret is not None and url is None:
        raise ConfigError(f"{label}: clé webhook_secret sans webhook_url")
    quiet = _choice(raw, "quiet", QUIET_MODES, "never", label)
    return AlertContact(str(raw["name"]), tuple(emails), url, secret, quiet)


def _rule(raw: Any, index: int, where: str, contacts: set[str]) -> AlertRule:
    label = _label(raw, index, where, "rules", "règle")
    keys = {"name", "metric", "scope", "groups", "op", "threshold", "days", "for_minutes", "severity", "contacts"}
    reject_unknown(raw, keys, label)
    metric = required(raw, "metric", label)
    if metric not in DOCUMENT_METRICS + SOURCE_METRICS:
        raise ConfigError(
            f"{label}: clé metric : « {metric} » inconnu (attendu : {', '.join(DOCUMENT_METRICS + SOURCE_METRICS)})"
        )
    scope = _choice(raw, "scope", SCOPES, None, label)
    if (metric in SOURCE_METRICS) != (scope == "source"):
        raise ConfigError(
            f"{label}: clé scope : « {scope} » ne convient pas à {metric} "
            f"(source_lag_seconds et quarantine_open se mesurent par source, les autres indicateurs ne le sont pas)"
        )
    groups = raw.get("groups")
    if groups is not None and (
        not isinstance(groups, list) or not groups or not all(isinstance(g, str) and 0 < len(g) <= MAX_GROUP for g in groups)
    ):
        raise ConfigError(f"{label}: clé groups : une liste non vide de noms est attendue")
    if groups is not None and scope == "overall":
        raise ConfigError(f'{label}: clé groups : sans objet pour scope = "overall"')
    threshold = required(raw, "threshold", label)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ConfigError(f"{label}: clé threshold : un nombre est attendu")
    days = raw.get("days", 7)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        raise ConfigError(f"{label}: clé days : un entier de 1 à 3660 est attendu")
    for_minutes = raw.get("for_minutes", 0)
    if isinstance(for_minutes, bool) or not isinstance(for_minutes, int | float) or for_minutes < 0:
        raise ConfigError(f"{label}: clé for_minutes : un nombre positif ou nul est attendu")
    names = required(raw, "contacts", label)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{label}: clé contacts : une liste de noms de contacts est attendue")
    unknown = [n for n in names if n not in contacts]
    if unknown:
        raise ConfigError(f"{label}: clé contacts : contact inconnu « {unknown[0]} » (déclarez-le dans [[alerts.contacts]])")
    return AlertRule(
        name=str(raw["name"]),
        metric=metric,
        scope=str(scope),
        op=str(_choice(raw, "op", OPERATORS, None, label)),
        threshold=float(threshold),
        contacts=tuple(names),
        groups=tuple(groups) if groups is not None else None,
        days=days,
        for_minutes=float(for_minutes),
        severity=str(_choice(raw, "severity", SEVERITIES, "warning", label)),
    )


def check_groups(
    settings: AlertSettings,
    where: str,
    *,
    procedures: set[str] | None = None,
    services: set[str] | None = None,
    sources: set[str] | None = None,
) -> None:
    """Every named group exists (a scope given None is not checked): a typo in ``groups`` would make a rule
    that never fires, silently."""
    given = {"procedure": procedures, "service": services, "source": sources}
    known = {scope: names for scope, names in given.items() if names is not None}
    for rule in settings.rules:
        for group in rule.groups or ():
            if rule.scope in known and group not in known[rule.scope]:
                raise ConfigError(
                    f"{where} règle d'alerte « {rule.name} »: clé groups : « {group} » n'est pas un groupe de la portée "
                    f"{rule.scope} (attendu : {', '.join(sorted(known[rule.scope]))})"
                )


def _http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _label(raw: Any, index: int, where: str, table: str, noun: str) -> str:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} [[alerts.{table}]] n°{index + 1}: une table est attendue")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise ConfigError(f"{where} [[alerts.{table}]] n°{index + 1}: clé name : un nom de 1 à {MAX_NAME} caractères est attendu")
    return f"{where} {noun} d'alerte « {name} »"


def _list(raw: dict[str, Any], key: str, label: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{label}: [[alerts.{key}]] doit être une liste de tables")
    return value


def _positive(raw: dict[str, Any], key: str, default: float, label: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{label}: clé {key} : un nombre positif est attendu")
    return float(value)


def _choice(raw: dict[str, Any], key: str, allowed: tuple[str, ...], default: str | None, label: str) -> str:
    value = raw.get(key, default) if default is not None else required(raw, key, label)
    if value not in allowed:
        raise ConfigError(f"{label}: clé {key} : « {value} » (attendu : {' | '.join(allowed)})")
    return str(value)


def _optional_text(raw: dict[str, Any], key: str, label: str, env: dict[str, str]) -> str | None:
    if key not in raw:
        return None
    if not isinstance(raw[key], str):
        raise ConfigError(f"{label}: clé {key} : un texte est attendu")
    value = expand_env(raw[key], env, f"{label}, clé {key}").strip()
    return value or None  # an empty variable turns the channel off rather than posting to ""


def _unique(names: list[str], label: str) -> None:
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{label}: nom en double : {', '.join(twice)} (clé name)")
