"""KPI engine: pure functions over the store's frames. No I/O; ``as_of`` is always passed in."""
