"""What every desk page (explorer, case, home, reports, users) shares: the navigation, the page shell, a plain table.

The wall has its own chrome-less layout; these are the laptop pages, light theme (assets/app.css).
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html
from flask import has_request_context
from flask_wtf.csrf import generate_csrf

from dashboard.auth.roles import allows
from dashboard.auth.web import current

_NAV = (
    ("/", "Accueil", "viewer"),
    ("/explorer", "Explorateur", "manager"),
    ("/explorer?vue=charge", "Charge de travail", "manager"),
    ("/alertes", "Alertes", "viewer"),
    ("/rapports", "Rapports", "manager"),
    ("/wall", "Mur", "viewer"),
    ("/utilisateurs", "Utilisateurs", "admin"),
)


def nav(active: str) -> html.Nav:
    """The desk pages' navigation: only the pages the user's role opens, and the logout button."""
    who = current() if has_request_context() else None
    role = who.role if who else "viewer"
    links = [(href, label) for href, label, needed in _NAV if allows(role, needed)]
    return html.Nav(
        className="app-nav",
        children=[
            html.Span("Vigie", className="brand"),
            *[dcc.Link(label, href=href, className="active" if href == active else "") for href, label in links],
            *([] if who is None or who.kind == "demo" else [_logout()]),
        ],
    )


def _logout() -> html.Form:
    """The logout button (a POST with its CSRF token); there is no one to log out in the demo."""
    return html.Form(
        method="post",
        action="/logout",
        className="logout",
        id="logout-form",
        children=[
            dcc.Input(type="hidden", name="csrf_token", id="logout-csrf", value=generate_csrf() if has_request_context() else ""),
            html.Button("Se déconnecter", type="submit", id="logout-button"),
        ],
    )


def desk_page(active: str, *children: Any, page_id: str | None = None, class_name: str = "") -> html.Div:
    """A desk page: the navigation (``active`` is the highlighted link), then ``children``."""
    extra = {"id": page_id} if page_id else {}
    return html.Div(className=f"app-page {class_name}".strip(), children=[nav(active), *children], **extra)


def simple_table(headers: list[str], rows: list[list[Any]], empty: str) -> html.Table:
    """Headers and rows of cells (text or components); ``empty`` fills the one row of an empty table."""
    body = [html.Tr([html.Td(c) for c in r]) for r in rows] or [html.Tr(html.Td(empty, colSpan=len(headers)))]
    return html.Table(className="simple", children=[html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(body)])
