"""The KPI service: the pure engine (``kpis``) fed with the store's frames, with caches per data version."""
