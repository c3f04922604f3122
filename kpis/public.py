"""What the public statistics page says that the KPI document does not: « N demandes sur M ont reçu une réponse
en D jours ouvrés ou moins », read from the distribution itself rather than from an interpolated quantile.

An interpolated p80 rounded up can be an over-statement: with 12 closures at 1, 2, …, 8, then 8, 20, 20, 20 business
days the linear p80 is 17,6, and « 8 sur 10 en 18 jours ou moins » would be false (9 of 12 = 75 %); D is 20 here. The number
here is the smallest whole number of business days D such that at least the stated share of the closures took
D or fewer: the sentence is true, and D is as small as it can be.
"""

from __future__ import annotations

import numpy as np

from kpis.case_state import CaseState
from kpis.metrics import PopulationMemo, populations, split_by_group


def business_days_for_share(
    state: CaseState, days: int, share: tuple[int, int] = (8, 10), memo: PopulationMemo | None = None
) -> dict[str, int | None]:
    """Per procedure code: the fewest whole business days D such that at least ``share`` (numerator, denominator)
    of the outflow of [T - days, T) — the document's ``outflow`` — had ``admin_business_days`` at closure ≤ D
    (the measure of ``median_business_days`` and the on-time rule). None for a procedure without closures.

    Exact integer arithmetic: at least ceil(n × numerator / denominator) of the n closures are within D.
    """
    numerator, denominator = share
    if not 0 < numerator <= denominator:
        raise ValueError(f"share must be a fraction in (0, 1]: {numerator}/{denominator}")
    h = state.history
    outflow = populations(state, days, memo)["outflow"]
    per_procedure = split_by_group(h.procedure_no[outflow], state.business_days[outflow].astype(np.int64), len(h.procedures))
    result: dict[str, int | None] = {}
    for code, values in zip(h.procedures, per_procedure, strict=True):
        within = -(-len(values) * numerator // denominator)  # ceil without floats
        result[code] = int(values[within - 1]) if len(values) else None
    return result
