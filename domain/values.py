"""Source values as text, the same way everywhere (mapping, hashing, quarantine)."""

from __future__ import annotations

import pandas as pd


def as_text(values: pd.Series) -> pd.Series:
    """Stripped text (str dtype), NaN for missing or empty; whole floats lose their '.0'.

    Integer keys with nulls arrive from drivers as floats; without this, case 12 would
    be '12.0' in one poll and '12' in the next. Vectorised: no Python call per value.
    """
    if pd.api.types.is_float_dtype(values) and bool((values.dropna() % 1 == 0).all()):
        values = values.astype("Int64")
    text = values.astype("str").str.strip()
    return text.where(text != "")
