"""The procedures catalogue: which procedures exist, who runs them, their legal delay, and how the law counts it.

Two optional columns say how: ``clock`` (``pause``: a request for missing documents stops the clock, which
resumes afterwards; ``restart``: the complete file starts the delay again from zero) and ``silence``
(``none``; ``accord`` or ``rejet``: when the delay passes unanswered, the application is deemed accepted or
rejected). A catalogue without them behaves as ``pause`` and ``none``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from domain.config import ConfigError

CATALOG_COLUMNS: tuple[str, ...] = ("code", "name", "service", "sla_days")
#: Optional columns, their allowed values and default (the first).
CLOCKS: tuple[str, ...] = ("pause", "restart")
SILENCES: tuple[str, ...] = ("none", "accord", "rejet")
_OPTIONAL: dict[str, tuple[str, ...]] = {"clock": CLOCKS, "silence": SILENCES}


def load_catalog(path: Path) -> pd.DataFrame:
    """Read ``procedures.csv``; ``sla_days`` is the legal delay in business days.

    Raises ConfigError naming the file and the faulty key or row, since a broken
    catalogue would quarantine every case and must stop start-up instead.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ConfigError(f"{path}: catalogue illisible ({exc}) (clé [catalog] path)") from None
    missing = [c for c in CATALOG_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: colonnes manquantes dans le catalogue : {', '.join(missing)}")
    for column, allowed in _OPTIONAL.items():
        if column not in frame.columns:
            frame[column] = allowed[0]
    frame = frame[[*CATALOG_COLUMNS, *_OPTIONAL]].apply(lambda col: col.str.strip())
    empty = frame[(frame[["code", "name", "service"]] == "").any(axis=1)]
    if not empty.empty:
        raise ConfigError(f"{path}: ligne {int(empty.index[0]) + 2} : code, name et service sont obligatoires")
    dupes = frame.loc[frame["code"].duplicated(), "code"]
    if not dupes.empty:
        raise ConfigError(f"{path}: code de procédure en double : {', '.join(dupes)}")
    sla = pd.to_numeric(frame["sla_days"], errors="coerce")
    bad = frame[sla.isna() | (sla <= 0) | (sla % 1 != 0)]
    if not bad.empty:
        row = int(bad.index[0]) + 2
        raise ConfigError(f"{path}: ligne {row} : sla_days doit être un nombre entier de jours ouvrés > 0")
    for column, allowed in _OPTIONAL.items():
        frame.loc[frame[column] == "", column] = allowed[0]
        wrong = frame[~frame[column].isin(allowed)]
        if not wrong.empty:
            row, value = int(wrong.index[0]) + 2, wrong[column].iloc[0]
            raise ConfigError(
                f"{path}: ligne {row}, colonne {column} : valeur inconnue « {value} » (attendu : {' | '.join(allowed)})"
            )
    return frame.assign(sla_days=sla.astype("int64"))
