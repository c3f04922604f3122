"""How a page joins Dash pages: what the router passes to its layout, the role check, and what Dash validates.

Dash's router calls a page's ``layout(**query)`` with the query string's parameters; ``ROUTING_STATE``
adds ``path`` and ``search`` as the address bar holds them (they win over parameters of the same name).
Pages whose contract is the whole query string (the explorer, the wall) read ``search``; the case page
and the 404 read ``path``.

The browser tab names the page and its filters (« Explorateur · CEET › CEET-BT · hors délai · 30 jours · Vigie »):
a page gives ``title(path, search)``. Dash asks a page's title without the address, twice: when it serves the
page's HTML (the request's own address is then the page's) and right after the layout in its router callback
(the layout has then said its title with ``set_title``, which knows the address).

On a worker's first request, Dash also calls every layout with no argument at all, to build the layout
it checks callback ids against (``suppress_callback_exceptions`` is False). That call comes before the
auth gate and must not touch the store: it gets the page's ``components``, the ones its callbacks use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
from dash import Input, State, html
from dash.development.base_component import Component
from flask import g, has_request_context, request

from dashboard import ids
from dashboard.auth.roles import allows, page_role
from dashboard.auth.scope import page_in_scope, refusal
from dashboard.auth.web import current
from dashboard.pages import not_found_404

ROUTING_STATE: dict[str, Input | State] = {"path": State(ids.URL, "pathname"), "search": State(ids.URL, "search")}
Layout = Callable[..., Component]
Title = Callable[[str, str], str]
APP_TITLE = "Vigie"


def set_title(text: str) -> None:
    """The tab title of the page being built in this request (read by the page's title function, see above)."""
    if has_request_context():
        g.vigie_title = text


def _title(title: Title | None) -> Callable[..., str]:
    def current_title(**_path_variables: Any) -> str:
        if not has_request_context():
            return APP_TITLE
        said = g.get("vigie_title")
        if said:
            return str(said)
        if title is not None and request.method == "GET":  # the page's HTML: its address is the request's
            search = request.query_string.decode("utf-8", "replace")
            try:
                return title(request.path, "?" + search if search else "")
            except Exception:  # noqa: BLE001 - a title never breaks a page; the layout says what is wrong
                return APP_TITLE
        return APP_TITLE

    return current_title


def register_page(
    module: str,
    path: str,
    layout: Layout,
    *,
    components: Callable[[], Component] | None = None,
    path_template: str | None = None,
    exact: bool = True,
    title: Title | None = None,
) -> None:
    """Register ``layout`` for ``path`` behind the role check; ``exact``: only ``path`` and ``path/`` open it
    (Dash alone would also open it for ``//path//``); ``title(path, search)``: the tab's title (« Vigie » without)."""
    dash.register_page(
        module,
        path=path,
        path_template=path_template,
        layout=guarded(path, layout, components, exact),
        title=_title(title),
    )


def guarded(path: str, layout: Layout, components: Callable[[], Component] | None, exact: bool) -> Layout:
    """``layout`` after checking the role of the path asked for on the server (a direct callback call gets
    nothing more); called with no routing state, the components Dash validates callbacks against."""

    def routed(**query: Any) -> Component:
        if "path" not in query:  # Dash building its validation layout (see the module's docstring)
            return components() if components else html.Div()
        asked = query["path"] or "/"
        who = current()
        if who is None or not allows(who.role, page_role(asked)):
            set_title("Accès refusé · " + APP_TITLE)
            return refused()
        if who.scoped and not page_in_scope(asked):
            set_title("Accès refusé · " + APP_TITLE)
            return html.Div(className="app-page", children=[html.H1("Accès refusé"), html.P(refusal(who, asked))])
        if exact and asked not in (path, path.rstrip("/") + "/"):
            return not_found_404.layout(path=asked)
        return layout(**{**query, "path": asked})

    return routed


def refused() -> html.Div:
    return html.Div(
        className="app-page", children=[html.H1("Accès refusé"), html.P("Votre rôle ne donne pas accès à cette page.")]
    )
