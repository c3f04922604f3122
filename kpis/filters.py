"""Filters on the case population (service, procedure, region, channel): the explorer's and /api/kpis's.

A filter narrows which cases are *visible*; every metric is then the same function of the
narrowed state, so the explorer's numbers are the KPI engine's numbers by construction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from domain.model import CHANNELS, REGIONS
from kpis.case_state import CaseState, History
from kpis.document import KpiParameterError

FILTER_KEYS = ("service", "procedure", "region", "channel")


@dataclass(frozen=True)
class CaseFilters:
    """None means "all". Hashable: it is part of the KPI cache key.

    ``services`` is an account's scope (the structures it may see; never read from a URL): like every filter it
    only narrows which cases count; an empty set keeps no case at all.
    """

    service: str | None = None
    procedure: str | None = None
    region: str | None = None
    channel: str | None = None
    services: frozenset[str] | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, k) is None for k in FILTER_KEYS) and self.services is None

    def without(self, *names: str) -> CaseFilters:
        """These filters with ``names`` (FILTER_KEYS) removed, the others kept: a chart's siblings (the other
        procedures, the other regions) are counted without their own filter, so a drill keeps them in view."""
        return dataclasses.replace(self, **dict.fromkeys(names))

    def as_dict(self) -> dict[str, str]:
        found = {k: v for k in FILTER_KEYS if (v := getattr(self, k)) is not None}
        return found if self.services is None else {**found, "services": ",".join(sorted(self.services))}


def parse_filters(values: dict[str, str | None], catalog: pd.DataFrame) -> CaseFilters:
    """Validate raw values (URL or API parameters) against the catalogue and vocabularies.

    An unknown value is an error with a French message naming it, never a silent "all".
    A procedure outside the chosen service is an error too: the answer would always be empty.
    """
    clean = {k: (str(values.get(k)).strip() or None) if values.get(k) is not None else None for k in FILTER_KEYS}
    services = sorted(catalog["service"].unique())
    if clean["service"] is not None and clean["service"] not in services:
        raise KpiParameterError(f"service inconnu : « {clean['service']} » (attendu : {', '.join(services)})")
    if clean["procedure"] is not None:
        row = catalog.loc[catalog["code"] == clean["procedure"]]
        if row.empty:
            raise KpiParameterError(f"procédure inconnue : « {clean['procedure']} »")
        owner = row["service"].iloc[0]
        if clean["service"] is not None and owner != clean["service"]:
            raise KpiParameterError(f"la procédure « {clean['procedure']} » relève de {owner}, pas de {clean['service']}")
    if clean["region"] is not None and clean["region"] not in REGIONS:
        raise KpiParameterError(f"région inconnue : « {clean['region']} » (attendu : {', '.join(REGIONS)})")
    if clean["channel"] is not None and clean["channel"] not in CHANNELS:
        raise KpiParameterError(f"canal inconnu : « {clean['channel']} » (attendu : {', '.join(CHANNELS)})")
    return CaseFilters(clean["service"], clean["procedure"], clean["region"], clean["channel"])


def case_mask(history: History, filters: CaseFilters) -> np.ndarray:
    """Boolean mask over History.cases: the cases the filters keep."""
    keep = np.ones(len(history.cases), dtype=bool)
    if filters.services is not None:
        keep &= np.isin(history.service_no, [no for no, name in enumerate(history.services) if name in filters.services])
    if filters.service is not None:
        keep &= history.service_no == history.services.index(filters.service)
    if filters.procedure is not None:
        keep &= history.procedure_no == history.procedures.index(filters.procedure)
    for key, column in (("region", "region"), ("channel", "channel")):
        value = getattr(filters, key)
        if value is not None:
            keep &= (history.cases[column] == value).to_numpy(dtype=bool, na_value=False)
    return keep


def filter_state(state: CaseState, filters: CaseFilters) -> CaseState:
    """The same state with only the filtered cases visible (the input state is not modified)."""
    if filters.empty:
        return state
    return dataclasses.replace(state, visible=state.visible & case_mask(state.history, filters), unfiltered_visible=state.visible)


def scope_document(document: dict[str, Any], services: frozenset[str] | None, catalog: pd.DataFrame) -> dict[str, Any]:
    """The document as a scoped account sees it: ``by_service`` only its structures, ``by_procedure`` only their
    procedures (the groups left out count none of its cases: the state's filter already hid them), and no
    ``quarantined`` counts: they are per source, every structure's rows mixed. ``services`` None returns the
    document unchanged."""
    if services is None:
        return document
    procedures = scope_procedures(services, catalog)
    return {
        **document,
        "by_service": {k: v for k, v in document["by_service"].items() if k in services},
        "by_procedure": {k: v for k, v in document["by_procedure"].items() if k in procedures},
        "quarantined": {},
    }


def scope_procedures(services: frozenset[str], catalog: pd.DataFrame) -> frozenset[str]:
    """The procedure codes of the structures ``services`` (from the catalogue)."""
    return frozenset(catalog.loc[catalog["service"].isin(services), "code"])


def group_in_scope(services: frozenset[str] | None, kind: str, group: str | None, owners: Mapping[str, str]) -> bool:
    """Does an alert or annotation of scope ``kind`` ("overall", "service", "procedure", "source") and ``group``
    concern only the structures ``services`` (None: the whole ministry, which sees everything)? ``owners``: procedure
    -> structure. Ministry-wide and per-source ones concern every structure: outside any scope. The one rule for the
    dashboard (``dashboard.auth.scope.sees_group``) and the scoped weekly reports."""
    if services is None:
        return True
    if kind == "service":
        return group in services
    if kind == "procedure":
        return group is not None and owners.get(group) in services
    return False
