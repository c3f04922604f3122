"""The page for an address no page answers (Dash pages shows the module named ``not_found_404``)."""

from __future__ import annotations

from typing import Any

from dash import html

PATH = "/404"  # Dash needs a path for every page; this one answers the same for itself as for any unknown one


def layout(path: str = "", **_query: Any) -> html.Div:
    return html.Div(
        className="app-page",
        children=[
            html.H1("Page introuvable"),
            html.P(f"« {path} » n'existe pas. Essayez /, /wall, /explorer, /sources ou /ecrans."),
        ],
    )
