"""The [[reports.subscriptions]] contract: which structures' reports are mailed, to whom, and when.

- ``weekly``: the Monday report restricted to the subscription's structures (PDF and XLSX attached);
- ``daily_due``: each business morning at 07:00 Lomé, the open cases of these structures due within
  ``horizon_business_days`` business days, attached as CSV.

Checked at start-up like the rest of the config: a mistake names the subscription and the key, in French. The
structures are checked against the catalogue by :func:`check_subscription_services`, once the catalogue is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domain.config_checks import ConfigError, required, typed_table

KINDS = ("weekly", "daily_due")
_NAME = re.compile(r"^[\w.-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s,<>\"]+@[^@\s,<>\"]+\.[^@\s,<>\"]+$")
MAX_HORIZON = 60

SUBSCRIPTION_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "name": (str, "unique name, letters, digits, . _ - (64 at most): the delivery log's key"),
    "kind": (str, "weekly (the Monday report) or daily_due (each business morning, the cases due soon)"),
    "services": (list, "the structures (catalogue services) the subscription covers"),
    "recipients": (list, "e-mail addresses: the managers of these structures"),
    "horizon_business_days": (int, "daily_due: cases due within this many business days (1 to 60, default 5)"),
    "skip_if_empty": (bool, "daily_due: send nothing when no case is due (default false)"),
}


@dataclass(frozen=True)
class Subscription:
    name: str
    kind: str
    services: frozenset[str]
    recipients: tuple[str, ...]
    horizon_business_days: int = 5
    skip_if_empty: bool = False


def parse_subscriptions(raw: Any, where: str) -> tuple[Subscription, ...]:
    """The ``subscriptions`` array of [reports]; ConfigError naming the subscription and the key."""
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: [[reports.subscriptions]] doit être une liste de tables")
    found = tuple(_parse_one(item, index, where) for index, item in enumerate(raw))
    names = [s.name for s in found]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{where}: nom d'abonnement en double : {', '.join(dupes)} (clé name)")
    return found


def _parse_one(raw: Any, index: int, where: str) -> Subscription:
    label = f"{where} abonnement n° {index + 1}"
    values = typed_table(raw, SUBSCRIPTION_KEYS, label)
    name = required(values, "name", label)
    if not _NAME.match(name):
        raise ConfigError(f"{label}: clé name : « {name} » (lettres, chiffres, . _ -, 64 caractères au plus)")
    label = f"{where} abonnement « {name} »"
    kind = required(values, "kind", label)
    if kind not in KINDS:
        raise ConfigError(f"{label}: clé kind : « {kind} » (attendu : {', '.join(KINDS)})")
    services = required(values, "services", label)
    if not services or not all(isinstance(s, str) and s.strip() for s in services):
        raise ConfigError(f"{label}: clé services : une liste non vide de structures est attendue")
    recipients = required(values, "recipients", label)
    if not recipients or not all(isinstance(r, str) and _EMAIL.match(r) for r in recipients):
        raise ConfigError(f"{label}: clé recipients : une liste non vide d'adresses e-mail est attendue")
    if kind == "weekly":
        extra = sorted({"horizon_business_days", "skip_if_empty"} & set(values))
        if extra:
            raise ConfigError(f"{label}: clé {extra[0]} : réservée aux abonnements daily_due")
    horizon = values.get("horizon_business_days", 5)
    if not 1 <= horizon <= MAX_HORIZON:
        raise ConfigError(f"{label}: clé horizon_business_days : un entier de 1 à {MAX_HORIZON} est attendu")
    return Subscription(
        name=name,
        kind=kind,
        services=frozenset(s.strip() for s in services),
        recipients=tuple(recipients),
        horizon_business_days=horizon,
        skip_if_empty=values.get("skip_if_empty", False),
    )


def check_subscription_services(subscriptions: Iterable[Subscription], where: str, services: set[str]) -> None:
    """Every subscription's structures are structures of the catalogue (its ``service`` column)."""
    for subscription in subscriptions:
        unknown = sorted(subscription.services - services)
        if unknown:
            raise ConfigError(
                f"{where} abonnement « {subscription.name} »: clé services : structure inconnue : {', '.join(unknown)} "
                f"(attendu : {', '.join(sorted(services))})"
            )
