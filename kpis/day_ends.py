"""Breached open cases at each past day-end, kept across data versions while the past is unchanged.

The count at a day-end D depends only on what the history says up to D. New polls nearly
always bring events timed now, after every past day-end, so a value computed once stays
right; a late row (an event, a submission, or a changed case submitted at or before D)
drops the values from its time on. Each past day-end then costs one exact replay
(``state_at``), once, instead of thirty replays per data version.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpis.case_state import HistoryCache, state_at
from kpis.history import History

_NEVER = np.iinfo(np.int64).max


def earliest_touch_us(history: History, cases: pd.DataFrame, events: pd.DataFrame, cache: HistoryCache | None = None) -> int:
    """The earliest instant (µs, UTC) whose state the changed rows can alter; _NEVER when nothing changed.

    ``cache`` (``history``'s) lends its case-number index; without it one is built.
    """
    times = []
    if len(events):
        times.append(int(events["at"].min().value // 1000))
    if len(cases):
        times.append(int(cases["submitted_at"].min().value // 1000))
        keys = (HistoryCache(history) if cache is None else cache.belongs_to(history)).keys()
        before = keys.lookup(cases["source"].to_numpy(), cases["case_id"].to_numpy())
        before = before[before >= 0]  # the index is this history's own: every number is one of its cases
        times += [int(history.submitted_us[before].min())] if len(before) else []
    return min(times, default=_NEVER)


class DayEndBreaches:
    """day-end (µs) -> breached open cases then, per structure (so a structure's wall costs nothing more);
    ``forget_from`` drops what a change can alter."""

    def __init__(self) -> None:
        self._values: dict[int, np.ndarray] = {}

    def forget_from(self, touched_us: int) -> None:
        self._values = {d: v for d, v in self._values.items() if d < touched_us}

    def clear(self) -> None:
        self._values.clear()

    def counts(
        self,
        history: History,
        day_ends: list[pd.Timestamp],
        cache: HistoryCache | None = None,
        services: frozenset[str] | None = None,
    ) -> list[int]:
        """The counts at ``day_ends`` over the structures ``services`` (None: all); ``cache``: the history's, for a
        day-end that sees every event (a weekend without events)."""
        width = len(history.services)
        keep = np.ones(width, dtype=bool) if services is None else np.isin(history.services, sorted(services))
        out = []
        for end in day_ends:
            key = int(end.value // 1000)
            if key not in self._values or len(self._values[key]) != width:
                numbers = history.service_no[state_at(history, end, cache).breached]
                self._values[key] = np.bincount(numbers[numbers >= 0], minlength=width)
            out.append(int(self._values[key][keep].sum()))
        return out
