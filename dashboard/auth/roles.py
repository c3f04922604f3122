"""Who may see what. One table per kind of door (page path, callback output, endpoint), read top-down.

Roles are ordered: an admin can do what a manager can, a manager what a viewer can.
Anything not listed needs admin: a new page or callback is closed until it is placed here.
Page paths match whole segments ("/wall" covers "/wall" and "/wall/…", not "/wallpaper"),
and "/" covers the overview alone.
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("viewer", "manager", "admin")
ROLE_LABELS = {"viewer": "lecteur", "manager": "gestionnaire", "admin": "administrateur"}

#: The public statistics page, its open data and its stylesheet: anyone, without login, when ``[public] enabled``
#: (404 to everyone otherwise). Exact paths: "/statistiques/x" or "/statistiques.xlsx" are ordinary pages.
PUBLIC_PATHS = frozenset({"/statistiques", "/statistiques.csv", "/statistiques.json", "/statistiques.css"})

#: Page paths (segment match, first hit wins) -> the least role that may open them.
PAGE_ROLES: tuple[tuple[str, str], ...] = (
    ("/wall", "viewer"),
    ("/explorer", "manager"),
    ("/alertes", "viewer"),  # taking in charge and annotations: their callbacks need a manager
    ("/rapports", "manager"),
    ("/sources", "admin"),
    ("/ecrans", "admin"),
    ("/utilisateurs", "admin"),
    ("/journal", "admin"),
    ("/", "viewer"),  # the overview only: an unknown path needs admin
)

#: Flask endpoints under /api/ and /explorer/ (prefix match).
ENDPOINT_ROLES: tuple[tuple[str, str], ...] = (
    ("/api/screens/heartbeat", "viewer"),
    ("/api/screens", "admin"),
    ("/api/kpis", "viewer"),
    ("/api/alerts/", "manager"),  # POST /api/alerts/<id>/ack
    ("/api/alerts", "viewer"),
    ("/api/series/", "viewer"),
    ("/api/cases/", "viewer"),  # agent names are masked for viewers
    ("/explorer/export", "manager"),
)

#: Dash component-id prefixes -> the least role that may run a callback that reads or writes them.
CALLBACK_ROLES: tuple[tuple[str, str], ...] = (
    ("_pages_", "viewer"),  # Dash pages: the router (it checks the path's role itself), the address bar (the explorer's
    # navigation is closed by its explorer-* inputs), the page title
    ("wall", "viewer"),
    ("view-", "viewer"),  # the wall's views
    ("home-", "viewer"),
    ("explorer-", "manager"),
    ("alerts-ack", "manager"),  # taking an alert in charge
    ("alerts-note", "manager"),  # adding an annotation
    ("alerts-", "viewer"),
    ("case-", "manager"),
    ("sources-", "admin"),
    ("screens-", "admin"),
    ("admin-", "admin"),
    ("reports-", "admin"),  # /rapports is a manager's page; its one callback builds a missing week: the admins'
)


def allows(role: str | None, needed: str) -> bool:
    """True when ``role`` is at least ``needed``; no role (not logged in) allows nothing."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def _lookup(table: tuple[tuple[str, str], ...], key: str) -> str:
    return next((role for prefix, role in table if key.startswith(prefix)), "admin")


def page_role(path: str) -> str:
    path = path or "/"
    for prefix, role in PAGE_ROLES:
        if path == prefix or (prefix != "/" and path.startswith(prefix + "/")):
            return role
    return "admin"


def endpoint_role(path: str) -> str:
    return _lookup(ENDPOINT_ROLES, path)


def callback_role(component_ids: list[str]) -> str:
    """The strictest role among the components a callback reads and writes (as closed as its most private one)."""
    needed = [_lookup(CALLBACK_ROLES, i) for i in component_ids] or ["admin"]
    return max(needed, key=ROLES.index)
