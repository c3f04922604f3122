"""Collectors: poll source case databases into the canonical Vigie store."""
