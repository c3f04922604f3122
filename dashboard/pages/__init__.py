"""Dash pages: one module per page, each with layout() and its callbacks."""
