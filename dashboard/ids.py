"""Component ids, in one place so layouts, callbacks and browser tests agree."""

SOURCES_TICK = "sources-tick"
SOURCES_TABLE = "sources-table"
SOURCES_TOTALS = "sources-totals"
SOURCES_CLOCK = "sources-clock"
