"""Load and validate the TOML configuration (store, catalogue, calendar, sources).

A bad config must stop start-up with a message that names the file, the source and
the key, because an operator editing it on a wall-screen PC has nothing else to go on.
Secrets never live in the file: ``${VAR}`` is read from the environment.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.alert_settings import AlertSettings, check_groups, parse_alerts
from domain.config_checks import ConfigError, expand_env, reject_unknown, required, typed_table
from domain.model import LOME_TZ, STATUSES
from domain.report_settings import Subscription, parse_subscriptions
from domain.target_settings import Target, parse_targets


@dataclass(frozen=True)
class SourceSettings:
    name: str
    url: str
    cases_sql: str
    events_sql: str | None = None
    status_map: dict[str, str] = field(default_factory=dict)
    every_seconds: float = 30.0
    timezone: str = LOME_TZ
    timeout_seconds: float = 20.0
    reconcile_every_polls: int = 60
    max_backoff_seconds: float = 600.0
    initial_since: dt.datetime = dt.datetime(1900, 1, 1)  # noqa: DTZ001 - bound as the source's own naive type


@dataclass(frozen=True)
class AuthSettings:
    """Access control ([auth]). On unless a config turns it off (only the demo does).

    The cookie-signing secret is never in the file: it is read from the environment
    variable named by ``secret_env`` when the app starts.
    """

    enabled: bool = True
    secret_env: str = "VIGIE_SECRET_KEY"
    session_hours: float = 12.0
    lockout_failures: int = 20
    lockout_minutes: float = 15.0


#: A session may not be set to outlive this (a year): 1e12 hours would overflow every date library.
MAX_SESSION_HOURS = 24 * 366


@dataclass(frozen=True)
class ServerSettings:
    """The web server's place in the network ([server]).

    ``trusted_proxies`` is how many reverse proxies (nginx) stand in front of Vigie: only that many
    ``X-Forwarded-For`` hops are believed, so a client cannot forge its address. ``https`` marks the
    session cookies ``Secure`` (the proxy terminates TLS, Vigie itself sees plain HTTP).
    """

    trusted_proxies: int = 0
    https: bool = False
    public_url: str = "http://127.0.0.1:8050"


#: [server] keys: (type, help). Defaults live on ServerSettings.
SERVER_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "trusted_proxies": (int, "reverse proxies in front of Vigie whose X-Forwarded-For is believed (0: none)"),
    "https": (bool, "served over HTTPS (by the proxy): cookies are marked Secure"),
    "public_url": (str, "the address users open Vigie at: the links in alert notifications start with it"),
}


@dataclass(frozen=True)
class ExplorerSettings:
    """The managers' explorer ([explorer])."""

    export_max_rows: int = 200_000


#: [explorer] keys: (type, help). Defaults live on ExplorerSettings.
EXPLORER_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "export_max_rows": (int, "largest CSV/XLSX export; a larger list must be narrowed by its filters"),
}


@dataclass(frozen=True)
class PublicSettings:
    """The public statistics page ([public]): /statistiques and its open data, without login, when enabled."""

    enabled: bool = False


#: [public] keys: (type, help). Defaults live on PublicSettings.
PUBLIC_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "enabled": (bool, "serve /statistiques, /statistiques.csv and /statistiques.json to anyone, without login"),
}


#: [auth] keys: (type, help). Defaults live on AuthSettings.
AUTH_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "enabled": (bool, "authentication on (default) or off (demo only)"),
    "secret_env": (str, "environment variable holding the session-signing secret"),
    "session_hours": ((int, float), "a login lasts this long"),
    "lockout_failures": (int, "wrong passwords in a row that lock an account"),
    "lockout_minutes": ((int, float), "how long a locked account (or address) stays locked"),
}


@dataclass(frozen=True)
class SmtpSettings:
    """Optional e-mail delivery of the weekly report ([reports.smtp]); the password comes from ${VAR}."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class ReportSettings:
    """Weekly reports ([reports]): where they are stored and when the cron job runs (Lomé time)."""

    out_dir: Path = Path("data/reports")
    day_of_week: str = "mon"
    hour: int = 6
    minute: int = 0
    smtp: SmtpSettings | None = None
    subscriptions: tuple[Subscription, ...] = ()  # [[reports.subscriptions]] (domain.report_settings)


@dataclass(frozen=True)
class Settings:
    path: Path | None
    store_url: str
    snapshot_dir: Path
    catalog_path: Path
    country: str
    extra_closures: tuple[dt.date, ...]
    sources: tuple[SourceSettings, ...]
    auth: AuthSettings = field(default_factory=AuthSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    explorer: ExplorerSettings = field(default_factory=ExplorerSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    public: PublicSettings = field(default_factory=PublicSettings)
    targets: tuple[Target, ...] = ()  # [[targets]] (domain.target_settings): the « Objectifs »


#: Optional per-source keys: (type, help). Defaults live on SourceSettings.
SOURCE_OPTIONAL_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "events_sql": (str, "SQL of the status history; omit for a legacy source without one"),
    "status_map": (dict, "source status value -> canonical status"),
    "every_seconds": ((int, float), "poll period in seconds"),
    "timezone": (str, "IANA zone in which the source's naive timestamps are read"),
    "timeout_seconds": ((int, float), "connect and statement timeout"),
    "reconcile_every_polls": (int, "a full key reconcile (deleted cases) every N polls; 0 disables it"),
    "max_backoff_seconds": ((int, float), "longest wait between retries of a failing source"),
    "initial_since": ((str, dt.datetime), "watermark of the very first poll"),
}
SOURCE_REQUIRED_KEYS = ("name", "url", "cases_sql")
_SINCE = re.compile(r"(?<![:\w]):since\b")


def load_settings(path: str | os.PathLike[str], env: dict[str, str] | None = None, base_dir: Path | None = None) -> Settings:
    """Read, expand and validate a config file; raise ConfigError naming file/source/key.

    Relative paths (catalogue, snapshot folder, SQLite URLs) are read from ``base_dir``,
    the working directory by default, like any command-line tool.
    """
    path = Path(path)
    env = dict(os.environ) if env is None else env
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: fichier de configuration introuvable") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: fichier illisible ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML invalide ({exc})") from None
    return parse_settings(raw, path=path, env=env, base_dir=base_dir or Path.cwd())


def parse_settings(raw: dict[str, Any], *, path: Path | None, env: dict[str, str], base_dir: Path) -> Settings:
    """Validate an already-parsed TOML document."""
    where = str(path) if path else "<config>"
    sections = {"store", "catalog", "calendar", "sources", "auth", "reports", "server", "explorer", "alerts", "public", "targets"}
    reject_unknown(raw, sections, where)

    store = _table(raw, "store", where)
    reject_unknown(store, {"url", "snapshot_dir"}, f"{where} [store]")
    store_url = _absolute_sqlite(expand_env(required(store, "url", f"{where} [store]"), env, f"{where} [store] url"), base_dir)

    catalog = _table(raw, "catalog", where)
    reject_unknown(catalog, {"path"}, f"{where} [catalog]")
    catalog_path = base_dir / Path(required(catalog, "path", f"{where} [catalog]"))

    calendar = raw.get("calendar", {})
    reject_unknown(calendar, {"country", "extra_closures"}, f"{where} [calendar]")
    country = calendar.get("country", "TG")
    closures = tuple(_as_date(v, f"{where} [calendar] extra_closures") for v in calendar.get("extra_closures", []))

    sources_raw = raw.get("sources")
    if not isinstance(sources_raw, list) or not sources_raw:
        raise ConfigError(f"{where}: au moins une section [[sources]] est requise")
    sources = tuple(_parse_source(s, i, where, env, base_dir) for i, s in enumerate(sources_raw))
    names = [s.name for s in sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{where}: nom de source en double : {', '.join(dupes)} (clé name)")

    alerts = parse_alerts(raw.get("alerts", {}), where, env)
    reports = _parse_reports(raw.get("reports", {}), f"{where} [reports]", env, base_dir)
    check_groups(alerts, where, sources={s.name for s in sources})
    mailed = [c.name for c in alerts.contacts if c.emails]
    if mailed and reports.smtp is None:
        raise ConfigError(
            f"{where} contact d'alerte « {mailed[0]} »: clé emails : il faut un serveur [reports.smtp] pour les envoyer"
        )
    due = [s.name for s in reports.subscriptions if s.kind == "daily_due"]
    if due and "public_url" not in (raw.get("server") or {}):
        raise ConfigError(
            f"{where} abonnement « {due[0]} » : ses liens vers les dossiers demandent [server] public_url "
            "(l'adresse où les gestionnaires ouvrent Vigie, ex. https://vigie.mme.gouv.tg)"
        )
    return Settings(
        path=path,
        store_url=store_url,
        snapshot_dir=base_dir / Path(store.get("snapshot_dir", "data/snapshots")),
        catalog_path=catalog_path,
        country=country,
        extra_closures=closures,
        sources=sources,
        auth=_parse_auth(raw.get("auth", {}), f"{where} [auth]"),
        reports=reports,
        server=_parse_server(raw.get("server", {}), f"{where} [server]"),
        explorer=_parse_explorer(raw.get("explorer", {}), f"{where} [explorer]"),
        alerts=alerts,
        public=PublicSettings(**typed_table(raw.get("public", {}), PUBLIC_KEYS, f"{where} [public]")),
        targets=parse_targets(raw.get("targets", []), where),
    )


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _parse_reports(raw: Any, where: str, env: dict[str, str], base_dir: Path) -> ReportSettings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: une table est attendue")
    reject_unknown(raw, {"out_dir", "day_of_week", "hour", "minute", "smtp", "subscriptions"}, where)
    day = raw.get("day_of_week", "mon")
    if day not in _DAYS:
        raise ConfigError(f"{where}: clé day_of_week : « {day} » (attendu : {', '.join(_DAYS)})")
    for key, high in (("hour", 23), ("minute", 59)):
        value = raw.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
            raise ConfigError(f"{where}: clé {key} : un entier de 0 à {high} est attendu")
    smtp = None
    if "smtp" in raw:
        smtp = _parse_smtp(raw["smtp"], f"{where[:-1]}.smtp]", env)
    subscriptions = parse_subscriptions(raw.get("subscriptions", []), where)
    if subscriptions and smtp is None:
        raise ConfigError(f"{where}: les abonnements [[reports.subscriptions]] demandent un serveur [reports.smtp]")
    return ReportSettings(
        out_dir=base_dir / Path(raw.get("out_dir", "data/reports")),
        day_of_week=day,
        hour=raw.get("hour", 6),
        minute=raw.get("minute", 0),
        smtp=smtp,
        subscriptions=subscriptions,
    )


def _parse_smtp(raw: Any, where: str, env: dict[str, str]) -> SmtpSettings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: une table est attendue")
    reject_unknown(raw, {"host", "port", "sender", "recipients", "username", "password", "starttls", "timeout_seconds"}, where)
    for key in ("host", "sender", "recipients"):
        required(raw, key, where)
    recipients = raw["recipients"]
    if not isinstance(recipients, list) or not recipients or not all(isinstance(r, str) and "@" in r for r in recipients):
        raise ConfigError(f"{where}: clé recipients : une liste d'adresses e-mail est attendue")
    if not isinstance(raw.get("port", 587), int):
        raise ConfigError(f"{where}: clé port : un entier est attendu")
    password = raw.get("password")
    return SmtpSettings(
        host=expand_env(str(raw["host"]), env, f"{where} host"),
        sender=str(raw["sender"]),
        recipients=tuple(recipients),
        port=raw.get("port", 587),
        username=expand_env(str(raw["username"]), env, f"{where} username") if "username" in raw else None,
        password=expand_env(str(password), env, f"{where} password") if password is not None else None,
        starttls=bool(raw.get("starttls", True)),
        timeout_seconds=float(raw.get("timeout_seconds", 30.0)),
    )



def _parse_auth(raw: Any, where: str) -> AuthSettings:
    values = typed_table(raw, AUTH_KEYS, where)
    for key in ("session_hours", "lockout_failures", "lockout_minutes"):
        if key in values and not values[key] > 0:
            raise ConfigError(f"{where}: la clé {key} doit être positive")
    if values.get("session_hours", 0) > MAX_SESSION_HOURS:
        raise ConfigError(f"{where}: la clé session_hours ne peut dépasser {MAX_SESSION_HOURS} (un an)")
    if values.get("lockout_minutes", 0) > 24 * 60:
        raise ConfigError(f"{where}: la clé lockout_minutes ne peut dépasser 1440 (un jour)")
    return AuthSettings(**values)


def _parse_server(raw: Any, where: str) -> ServerSettings:
    values = typed_table(raw, SERVER_KEYS, where)
    if not str(values.get("public_url", "http://")).startswith(("http://", "https://")):
        raise ConfigError(f"{where}: la clé public_url doit commencer par http:// ou https://")
    if not 0 <= values.get("trusted_proxies", 0) <= 5:
        raise ConfigError(f"{where}: la clé trusted_proxies doit être un entier de 0 à 5")
    return ServerSettings(**values)


def _parse_explorer(raw: Any, where: str) -> ExplorerSettings:
    values = typed_table(raw, EXPLORER_KEYS, where)
    if values.get("export_max_rows", 1) < 1:
        raise ConfigError(f"{where}: la clé export_max_rows doit être positive")
    return ExplorerSettings(**values)


def _parse_source(raw: Any, index: int, where: str, env: dict[str, str], base_dir: Path) -> SourceSettings:
    label = f"{where} [[sources]] n°{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{label}: une table est attendue")
    if isinstance(raw.get("name"), str):
        label = f"{where} source « {raw['name']} »"
    allowed = set(SOURCE_REQUIRED_KEYS) | set(SOURCE_OPTIONAL_KEYS)
    reject_unknown(raw, allowed, label)
    for key in SOURCE_REQUIRED_KEYS:
        value = required(raw, key, label)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{label}: la clé {key} doit être un texte non vide")
    for key, (kind, _help) in SOURCE_OPTIONAL_KEYS.items():
        if key in raw and not isinstance(raw[key], kind):
            raise ConfigError(f"{label}: type invalide pour la clé {key}")

    values: dict[str, Any] = {k: raw[k] for k in raw}
    values["url"] = _absolute_sqlite(expand_env(raw["url"], env, f"{label}, clé url"), base_dir)
    for key in ("cases_sql", "events_sql"):
        if key in raw and not _SINCE.search(raw[key]):
            raise ConfigError(f"{label}: la requête {key} doit utiliser le paramètre :since (filigrane)")
    status_map = {str(k): v for k, v in raw.get("status_map", {}).items()}
    for source_value, canonical in status_map.items():
        if canonical not in STATUSES:
            raise ConfigError(
                f"{label}: clé status_map.{source_value} : statut canonique inconnu « {canonical} » "
                f"(attendu : {', '.join(STATUSES)})"
            )
    if "events_sql" in raw and not status_map:
        raise ConfigError(f"{label}: clé status_map requise quand events_sql est donné")
    values["status_map"] = status_map
    try:
        ZoneInfo(values.get("timezone", LOME_TZ))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{label}: clé timezone : fuseau inconnu « {values['timezone']} »") from None
    for key in ("every_seconds", "timeout_seconds", "max_backoff_seconds"):
        if key in values and values[key] <= 0:
            raise ConfigError(f"{label}: la clé {key} doit être positive")
    if values.get("reconcile_every_polls", 0) < 0:
        raise ConfigError(f"{label}: la clé reconcile_every_polls doit être positive ou nulle")
    if isinstance(values.get("initial_since"), str):
        try:
            values["initial_since"] = dt.datetime.fromisoformat(values["initial_since"])
        except ValueError:
            raise ConfigError(f"{label}: clé initial_since : date ISO illisible") from None
    return SourceSettings(**values)



def _absolute_sqlite(url: str, base_dir: Path) -> str:
    """``sqlite:///data/x.db`` -> an absolute path under ``base_dir``; other URLs unchanged."""
    prefix = "sqlite:///"
    rest = url[len(prefix) :]
    if url.startswith(prefix) and not rest.startswith(("/", ":memory:", "file:")):  # file: URIs name their own path
        return prefix + str(base_dir / url[len(prefix) :])
    return url


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = required(raw, key, where)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] doit être une table")
    return value




def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: date illisible « {value} » (attendu AAAA-MM-JJ)") from None
