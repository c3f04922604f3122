"""The explorer's whole state lives in its URL: parsed and validated here, and written back.

``/explorer?periode=30j&service=CEET&procedure=CEET-BT&region=Kara&canal=en_ligne&dossiers=en_cours``
Copying a link reproduces the view; back and forward replay it. Every value is checked
against the catalogue and vocabularies: a bad one gives a French message, never a traceback.
The case grid's own filters and sorts (``tri``, ``filtre``: explorer/grid_view.py) come from the
grid itself, so they are read fail-safe instead: a part that cannot be read is dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

import pandas as pd

from dashboard.auth.accounts import Principal
from dashboard.auth.scope import scoped_filters
from dashboard.explorer.grid_view import GridView, from_url, url_pairs
from domain.model import LOME_TZ
from kpis.document import EARLIEST_AS_OF, KpiParameterError
from kpis.filters import CaseFilters, parse_filters
from kpis.population import POPULATIONS

PERIODS = {"7j": 7, "30j": 30, "90j": 90, "365j": 365}
PERIOD_LABELS = {
    "7j": "7 derniers jours",
    "30j": "30 derniers jours",
    "90j": "90 derniers jours",
    "365j": "12 derniers mois",
    "perso": "Période personnalisée",
}
CHANNEL_SLUGS = {"en_ligne": "online", "guichet": "counter"}
#: The time charts' step in the URL (``pas``) -> kpis.periods' step; "auto" chooses from the window's length.
STEPS = {"auto": "auto", "jour": "day", "semaine": "week", "mois": "month"}
STEP_LABELS = {"auto": "automatique", "jour": "jour", "semaine": "semaine ISO", "mois": "mois"}
VIEWS = ("synthese", "charge")
MAX_CUSTOM_DAYS = 730
DEFAULT_PERIOD = "30j"
EARLIEST_DAY = EARLIEST_AS_OF.date()  # a custom range starts no earlier than the KPI engine's first instant
#: Each field of ExplorerQuery and its URL parameter, in the URL's order: the French slugs are the contract.
PARAMETERS = {
    "period": "periode",
    "start": "du",
    "end": "au",
    "service": "service",
    "procedure": "procedure",
    "region": "region",
    "channel": "canal",
    "population": "dossiers",
    "step": "pas",
    "view": "vue",
}
#: The grid's parameters (explorer/grid_view.py), after the others; ``filtre`` may repeat.
GRID_PARAMETERS = ("tri", "filtre")
_KEYS = (*PARAMETERS.values(), *GRID_PARAMETERS)


class ExplorerQueryError(ValueError):
    """A URL the explorer cannot show; the message names the faulty parameter (French)."""


@dataclass(frozen=True)
class ExplorerQuery:
    """One explorer view; each field is written in the URL under its French name (``PARAMETERS``)."""

    period: str = DEFAULT_PERIOD  # a PERIODS key, or "perso" for start..end
    start: dt.date | None = None  # first Lomé date of a custom period
    end: dt.date | None = None  # last Lomé date of a custom period, included
    service: str | None = None
    procedure: str | None = None
    region: str | None = None
    channel: str | None = None  # URL slug: en_ligne / guichet
    population: str = "en_cours"  # which cases the list shows (kpis.population.POPULATIONS)
    step: str = "auto"  # the trend charts' step (STEPS)
    view: str = "synthese"  # VIEWS: the synthesis, or the workload by agent
    grid: GridView = GridView()  # the case grid's filters and sorts (tri, filtre)
    services: frozenset[str] | None = None  # the account's scope (never in the URL): see parse_for

    @property
    def level(self) -> str:
        """Drill level: services -> procedures (of one service) -> cases (of one procedure)."""
        return "cases" if self.procedure else "procedures" if self.service else "services"

    @property
    def filters(self) -> CaseFilters:
        channel = CHANNEL_SLUGS.get(self.channel) if self.channel else None
        return CaseFilters(
            service=self.service, procedure=self.procedure, region=self.region, channel=channel, services=self.services
        )

    def window(self, now: dt.datetime) -> tuple[pd.Timestamp | None, int]:
        """(as_of, days) for the KPI engine: None means "now" for the rolling presets.

        A custom range start..end covers whole Lomé dates, end included: T is the midnight after end,
        or now when end is today (the window then ends now and is as long as the range).
        """
        if self.period != "perso":
            return None, PERIODS[self.period]
        assert self.start is not None and self.end is not None
        until = pd.Timestamp(self.end + dt.timedelta(days=1)).tz_localize(LOME_TZ).tz_convert("UTC")
        return min(until, pd.Timestamp(now).tz_convert("UTC")), (self.end - self.start).days + 1

    def with_(self, **changes: object) -> ExplorerQuery:
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_search(self) -> str:
        """The query string (with its "?"), listing only what differs from the defaults, in a fixed order."""
        default = ExplorerQuery()
        pairs = []
        for field, key in PARAMETERS.items():
            value = getattr(self, field)
            if value is not None and value != getattr(default, field):
                pairs.append((key, value.isoformat() if isinstance(value, dt.date) else str(value)))
        pairs += url_pairs(self.grid)
        return "?" + urlencode(pairs) if pairs else ""


def _lome_today(now: dt.datetime) -> dt.date:
    return pd.Timestamp(now).tz_convert(LOME_TZ).date()


def parse_search(search: str | None, catalog: pd.DataFrame, now: dt.datetime) -> ExplorerQuery:
    """Parse and validate a query string; raise ExplorerQueryError with a French message."""
    if search is not None and not isinstance(search, str):  # a crafted callback request
        raise ExplorerQueryError("adresse illisible")
    every = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    raw = {k: v[-1] for k, v in every.items()}
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise ExplorerQueryError(f"paramètre inconnu : {', '.join(unknown)} (attendus : {', '.join(_KEYS)})")
    period = raw.get("periode", DEFAULT_PERIOD)
    if period not in PERIODS and period != "perso":
        raise ExplorerQueryError(f"période inconnue : « {period} » (attendu : {', '.join([*PERIODS, 'perso'])})")
    start, end = _date(raw, "du"), _date(raw, "au")
    if period == "perso":
        if start is None or end is None:
            raise ExplorerQueryError("période personnalisée : les dates du et au sont obligatoires (AAAA-MM-JJ)")
        if end > _lome_today(now):  # checked first: a far-future au is « in the future », not « too long a range »
            raise ExplorerQueryError(f"période personnalisée : au ({end.isoformat()}) est dans le futur")
        if start < EARLIEST_DAY:
            raise ExplorerQueryError(
                f"période personnalisée : du ({start.isoformat()}) précède le {EARLIEST_DAY.strftime('%d/%m/%Y')}, "
                "avant toute donnée"
            )
        if end < start:
            raise ExplorerQueryError(f"période personnalisée : au ({end.isoformat()}) précède du ({start.isoformat()})")
        if (end - start).days + 1 > MAX_CUSTOM_DAYS:
            raise ExplorerQueryError(f"période personnalisée : {MAX_CUSTOM_DAYS} jours au plus")
    elif start is not None or end is not None:
        raise ExplorerQueryError("les dates du et au ne s'emploient qu'avec periode=perso")
    channel = raw.get("canal")
    if channel is not None and channel not in CHANNEL_SLUGS:
        raise ExplorerQueryError(f"canal inconnu : « {channel} » (attendu : {', '.join(CHANNEL_SLUGS)})")
    for key, allowed in (("dossiers", POPULATIONS), ("pas", STEPS), ("vue", VIEWS)):
        if key in raw and raw[key] not in allowed:
            raise ExplorerQueryError(f"{key} inconnu : « {raw[key]} » (attendu : {', '.join(allowed)})")
    query = ExplorerQuery(
        period=period,
        start=start,
        end=end,
        service=raw.get("service"),
        procedure=raw.get("procedure"),
        region=raw.get("region"),
        channel=channel,
        population=raw.get("dossiers", "en_cours"),
        step=raw.get("pas", "auto"),
        view=raw.get("vue", "synthese"),
        grid=from_url(raw.get("tri"), every.get("filtre", [])),
    )
    try:
        parse_filters({"service": query.service, "procedure": query.procedure, "region": query.region}, catalog)
    except KpiParameterError as exc:
        raise ExplorerQueryError(str(exc)) from None
    if query.procedure and not query.service:  # a procedure belongs to one service: the breadcrumb shows it
        query = query.with_(service=str(catalog.loc[catalog["code"] == query.procedure, "service"].iloc[0]))
    return query


def parse_for(who: Principal | None, search: str | None, catalog: pd.DataFrame, now: dt.datetime) -> ExplorerQuery:
    """``parse_search``, then narrowed to what ``who`` may see (``dashboard.auth.scope``): every door of the
    explorer (page, grid, exports) reads its URL through here. A filter outside the scope is an ExplorerQueryError
    (« hors de votre périmètre »)."""
    query = parse_search(search, catalog, now)
    try:
        return query.with_(services=scoped_filters(who, query.filters, catalog).services)
    except KpiParameterError as exc:
        raise ExplorerQueryError(str(exc)) from None


def _date(raw: dict[str, str], key: str) -> dt.date | None:
    if key not in raw:
        return None
    try:
        return dt.date.fromisoformat(raw[key])
    except ValueError:
        raise ExplorerQueryError(f"date illisible pour {key} : « {raw[key]} » (attendu AAAA-MM-JJ)") from None
