"""Security headers on every response: what the browser may load, frame, sniff or leak.

The Content-Security-Policy allows Dash and nothing else: scripts only from this server,
plus the inline scripts Dash writes into its page, each allowed by its hash (no
``'unsafe-inline'``, no ``eval``). Styles keep ``'unsafe-inline'`` because React, Plotly and
AG Grid set element styles at run time; a style cannot run code. Downloads of exports and
reports are never stored by a browser or a proxy cache (``no-store``).
"""

from __future__ import annotations

from dash import Dash
from flask import Response, request

NO_STORE_PREFIXES = ("/explorer/export", "/rapports/")


def content_security_policy(script_hashes: list[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def install_headers(app: Dash) -> None:
    """Call after every callback is defined: the policy hashes the inline scripts Dash will serve."""
    policy: list[str] = []

    @app.server.after_request
    def secure(response: Response) -> Response:
        if not policy:  # computed on first use: clientside callbacks may add inline scripts until then
            policy.append(content_security_policy(list(app.csp_hashes())))
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy[0])
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")  # no address of the room leaves with a link
        if request.path.startswith(NO_STORE_PREFIXES):
            headers["Cache-Control"] = "no-store"
        return response
