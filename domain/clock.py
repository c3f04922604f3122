"""The one wall clock of the process. Everything else receives ``now`` as an argument, so tests move time by hand."""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """The current instant, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)
