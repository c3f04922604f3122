"""The checks every config section shares: known keys, declared types, ``${VAR}`` from the environment.

Each message names where the problem is (file, section, key), in French, for the operator.
"""

from __future__ import annotations

import re
from typing import Any


class ConfigError(Exception):
    """A configuration problem; its message is meant for the operator, in French."""


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def typed_table(raw: Any, keys: dict[str, tuple[type | tuple[type, ...], str]], where: str) -> dict[str, Any]:
    """A table whose keys are all known and of their declared type."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: une table est attendue")
    reject_unknown(raw, set(keys), where)
    for key, (kind, _help) in keys.items():
        # bool is an int in Python: a number is not accepted for a flag nor a bool for a number
        if key in raw and (not isinstance(raw[key], kind) or (kind is not bool and isinstance(raw[key], bool))):
            raise ConfigError(f"{where}: type invalide pour la clé {key}")
    return dict(raw)


def expand_env(value: str, env: dict[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise ConfigError(f"{where} : variable d'environnement ${{{name}}} non définie")
        return env[name]

    return _VAR.sub(replace, value)


def required(raw: dict[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise ConfigError(f"{where}: clé obligatoire manquante : {key}")
    return raw[key]


def reject_unknown(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"{where}: clé inconnue : {', '.join(unknown)}")
