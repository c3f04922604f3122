"""The managers' explorer: URL state, figures and exports (pages/explorer.py wires them)."""
