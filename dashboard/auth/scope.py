"""An account's scope: the structures (catalogue services) whose cases it may see, applied in one place.

A scoped account (``users add … --services CEET``) is checked at two levels, both fail-closed:
- **which doors**: only the doors listed here apply a scope (pages, endpoints, callback components);
  the gate (``web.gate``) and the page router (``pages.routing``) refuse a scoped account every other
  one, with a French message. A new page, endpoint or callback is thus closed to scoped accounts until
  it narrows its data with ``scoped_filters`` and is listed here;
- **which cases**: every door that shows cases turns the principal and the filters it was asked for into
  scoped filters with ``scoped_filters``. A filter outside the scope is refused (« hors de votre
  périmètre »), never silently widened or emptied; the scope itself is a filter (``CaseFilters.services``)
  that only narrows which cases count, so scoped numbers are the engine's numbers on the scope's cases.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import pandas as pd

from dashboard.auth.accounts import Principal
from kpis.document import KpiParameterError
from kpis.filters import CaseFilters, group_in_scope

OUT_OF_SCOPE = "hors de votre périmètre"

#: Pages that apply the scope (segment match, as ``roles.page_role``): the overview, the explorer and case pages,
#: the alerts, the wall (a structure's wall), the weekly reports (each account sees those of its structures; their
#: downloads check it too). A scoped account is refused every other page.
SCOPED_PAGES: tuple[str, ...] = ("/", "/explorer", "/alertes", "/wall", "/rapports")
#: Endpoints (prefix match) that apply the scope; the screens' heartbeat carries no case; ``/rapports/``: a report's
#: download, 404 outside the scope.
SCOPED_ENDPOINTS: tuple[str, ...] = (
    "/api/kpis", "/api/series/", "/api/cases/", "/api/alerts", "/explorer/export", "/api/screens/heartbeat", "/rapports/",
)  # fmt: skip
#: Callback component-id prefixes whose callbacks apply the scope; ``_pages_``: Dash's router, which runs the page
#: check of ``pages.routing`` (scope included) for the path it is asked for.
SCOPED_CALLBACKS: tuple[str, ...] = ("_pages_", "explorer-", "alerts-", "case-", "wall-", "view-")
#: Callback component ids (exact) that apply the scope: the wall's own frame (its stale/ok class).
SCOPED_CALLBACK_IDS: frozenset[str] = frozenset({"wall"})

#: Why a page is refused to a scoped account, when there is more to say than « tout le ministère » (none today:
#: every page a manager may open applies the scope).
WHY_NOT: dict[str, str] = {}


class ScopeError(KpiParameterError):
    """A filter outside the account's structures; the message is for the user (French)."""


def scope_label(who: Principal) -> str:
    """« CEET, ARSE » for a scoped account, « tout le ministère » otherwise."""
    return "tout le ministère" if who.services is None else ", ".join(sorted(who.services)) or "aucune structure"


def scoped_filters(who: Principal | None, filters: CaseFilters, catalog: pd.DataFrame) -> CaseFilters:
    """``filters`` as ``who`` may apply them: unchanged for the whole ministry; for a scoped account, narrowed to
    its structures (``CaseFilters.services``). Nobody (None) sees no case.

    Raises ScopeError when a filter names a structure, or a procedure of a structure, outside the scope.
    """
    if who is None:
        return dataclasses.replace(filters, services=frozenset())
    if who.services is None:
        return filters
    mine = who.services
    if filters.service is not None and filters.service not in mine:
        raise ScopeError(f"structure « {filters.service} » {OUT_OF_SCOPE} ({scope_label(who)})")
    if filters.procedure is not None:
        owner = catalog.loc[catalog["code"] == filters.procedure, "service"]
        if owner.empty or owner.iloc[0] not in mine:
            raise ScopeError(f"procédure « {filters.procedure} » {OUT_OF_SCOPE} ({scope_label(who)})")
    asked = mine if filters.services is None else filters.services & mine
    return dataclasses.replace(filters, services=frozenset(asked))


def sees_service(who: Principal | None, service: str | None) -> bool:
    """May ``who`` see a case (or anything else) of structure ``service``?"""
    return who is not None and (who.services is None or service in who.services)


def sees_group(who: Principal | None, kind: str, group: str | None, owners: Mapping[str, str]) -> bool:
    """May ``who`` see an alert or annotation of scope ``kind`` ("overall", "service", "procedure", "source") and
    ``group``? A scoped account sees only its structures' and their procedures' (``owners``: procedure -> structure);
    ministry-wide and per-source ones concern every structure and are not shown to it (``kpis.filters.group_in_scope``,
    the rule the scoped reports follow too)."""
    return who is not None and group_in_scope(who.services, kind, group, owners)


def _segment(path: str, prefix: str) -> bool:
    return path == prefix or (prefix != "/" and path.startswith(prefix + "/"))


def page_in_scope(path: str) -> bool:
    """Does the page at ``path`` apply an account's scope?"""
    return any(_segment(path or "/", prefix) for prefix in SCOPED_PAGES)


def endpoint_in_scope(path: str) -> bool:
    return path.startswith(SCOPED_ENDPOINTS)


def callback_in_scope(component_ids: Iterable[str]) -> bool:
    """Does a callback that reads and writes these components apply the scope (every one of them listed)?"""
    names = list(component_ids)
    return bool(names) and all(name in SCOPED_CALLBACK_IDS or name.startswith(SCOPED_CALLBACKS) for name in names)


def refusal(who: Principal, path: str) -> str:
    """The French sentence a scoped account reads at a door that covers the whole ministry."""
    why = next((text for prefix, text in WHY_NOT.items() if _segment(path, prefix)), "")
    return f"Votre compte est limité à {scope_label(who)} : cette page couvre tout le ministère. {why}".strip()
