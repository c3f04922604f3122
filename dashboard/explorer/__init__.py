"""The managers' explorer: URL state, navigation, the case grid, figures and exports (pages/explorer.py wires them)."""
