from __future__ import annotations

import datetime as dt
import math

import pytest

from domain.french import fr_date, fr_delta, fr_number


@pytest.mark.parametrize(
    ("value", "decimals", "unit", "text"),
    [
        (1234567, 0, "", "1\u202f234\u202f567"),
        (12.345, 1, "j", "12,3\u202fj"),
        (0.5, 1, "%", "0,5\u202f%"),
        (None, 0, "", "—"),
        (math.nan, 1, "", "—"),
    ],
)
def test_fr_number(value, decimals, unit, text) -> None:
    assert fr_number(value, decimals, unit) == text


@pytest.mark.parametrize(("value", "text"), [(12, "+12"), (-3.54, "\u22123,5"), (0.01, "="), (None, "—")])
def test_fr_delta(value, text) -> None:
    assert fr_delta(value, 1 if isinstance(value, float) else 0) == text


def test_fr_date() -> None:
    assert fr_date(dt.date(2026, 12, 2)) == "2 déc. 2026"
