"""The [[targets]] contract: a metric of the KPI document to bring to a value by a date (« Objectifs »).

Each target is checked at start-up; a mistake names the target and the key, like the rest of the config. A target
on ``scope = "service"`` or ``"procedure"`` names its ``groups``; each group is tracked on its own (its own
reference value and trajectory), as an alert rule watches each of its groups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from domain.alert_settings import DOCUMENT_METRICS
from domain.config_checks import ConfigError, reject_unknown, required

SCOPES = ("overall", "service", "procedure")
#: Metrics that are better higher. When the target equals the reference value, the direction cannot be read from
#: them and this table decides (every other metric is better lower: stocks, breaches, delays, refusals).
HIGHER_IS_BETTER = frozenset({"sla_compliance_pct", "online_share_pct", "outflow", "approved"})
MAX_NAME = 64
MAX_DAYS = 365
KEYS = {"name", "metric", "scope", "groups", "value", "by", "baseline", "days"}


@dataclass(frozen=True)
class Target:
    """Bring ``metric`` (over a window of ``days``) to ``value`` by the end of the Lomé date ``by``, along a straight
    line from its value at the end of the Lomé date ``baseline``. ``groups``: the structures (scope service) or
    procedure codes (scope procedure), each tracked on its own; empty for ``overall``."""

    name: str
    metric: str
    scope: str
    value: float
    by: dt.date
    baseline: dt.date
    days: int = 30
    groups: tuple[str, ...] = ()

    def tracks(self) -> tuple[str | None, ...]:
        """The groups tracked one by one: (None,) for the whole ministry."""
        return self.groups if self.scope != "overall" else (None,)


def parse_targets(raw: Any, where: str) -> tuple[Target, ...]:
    """Validate the [[targets]] array of tables (``where`` names the file); names are unique."""
    if not isinstance(raw, list):
        raise ConfigError(f"{where} [[targets]] : une liste de tables est attendue")
    targets = tuple(_target(item, i, where) for i, item in enumerate(raw))
    names = [t.name for t in targets]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{where} [[targets]] : nom en double : {', '.join(twice)} (clé name)")
    return targets


def _target(raw: Any, index: int, where: str) -> Target:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} [[targets]] n°{index + 1} : une table est attendue")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise ConfigError(f"{where} [[targets]] n°{index + 1} : clé name : un nom de 1 à {MAX_NAME} caractères est attendu")
    label = f"{where} objectif « {name} »"
    reject_unknown(raw, KEYS, label)
    metric = required(raw, "metric", label)
    if metric not in DOCUMENT_METRICS:
        raise ConfigError(f"{label}: clé metric : « {metric} » inconnu (attendu : {', '.join(DOCUMENT_METRICS)})")
    scope = required(raw, "scope", label)
    if scope not in SCOPES:
        raise ConfigError(f"{label}: clé scope : « {scope} » (attendu : {' | '.join(SCOPES)})")
    groups = raw.get("groups")
    if scope == "overall" and groups is not None:
        raise ConfigError(f'{label}: clé groups : sans objet pour scope = "overall"')
    if scope != "overall":
        if groups is None:
            raise ConfigError(f'{label}: clé groups : obligatoire pour scope = "{scope}" (ex. groups = ["CEET"])')
        if not isinstance(groups, list) or not groups or not all(isinstance(g, str) and g.strip() for g in groups):
            raise ConfigError(f"{label}: clé groups : une liste non vide de noms est attendue")
        if len(set(groups)) != len(groups):
            raise ConfigError(f"{label}: clé groups : un groupe est nommé deux fois")
    value = required(raw, "value", label)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{label}: clé value : un nombre est attendu")
    by = _date(required(raw, "by", label), label, "by")
    baseline = _date(required(raw, "baseline", label), label, "baseline")
    if baseline >= by:
        raise ConfigError(f"{label}: clé baseline : le {baseline.isoformat()} doit précéder la clé by ({by.isoformat()})")
    days = raw.get("days", 30)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"{label}: clé days : un entier de 1 à {MAX_DAYS} est attendu")
    return Target(name, metric, scope, float(value), by, baseline, days, tuple(groups or ()))


def _date(value: Any, label: str, key: str) -> dt.date:
    """A TOML date (``by = 2027-06-30``) or an ISO text (``by = "2027-06-30"``)."""
    if isinstance(value, dt.datetime):
        raise ConfigError(f"{label}: clé {key} : une date sans heure est attendue (AAAA-MM-JJ)")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{label}: clé {key} : date illisible « {value} » (attendu AAAA-MM-JJ)") from None


def check_target_groups(targets: tuple[Target, ...], where: str, *, procedures: set[str], services: set[str]) -> None:
    """Every named group exists in the catalogue: a typo would make a target that is never shown, silently."""
    known = {"procedure": procedures, "service": services}
    for target in targets:
        for group in target.groups:
            if group not in known[target.scope]:
                raise ConfigError(
                    f"{where} objectif « {target.name} »: clé groups : « {group} » n'est pas un groupe de la portée "
                    f"{target.scope} (attendu : {', '.join(sorted(known[target.scope]))})"
                )
