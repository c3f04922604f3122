"""Access control on the Flask server under Dash: login, logout, signed sessions, CSRF, role gates.

Every request passes one gate (``before_request``), so a page, an /api endpoint and a Dash
callback are checked the same way, on the server: a callback's role comes from its output
ids (``roles.CALLBACK_ROLES``). Dash's renderer sends the ``_csrf_token`` cookie back as the
``X-CSRFToken`` header, which Flask-WTF checks on every POST.
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from flask import Flask, Response, g, redirect, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from sqlalchemy import Engine

from collectors.config import AuthSettings
from collectors.reader import STORE_DOWN
from dashboard.auth import audit
from dashboard.auth.accounts import Principal, authenticate, screen_active, screen_for_token, user_role
from dashboard.auth.roles import ROLE_LABELS, allows, callback_role, endpoint_role, page_role

#: Paths anyone may fetch: the login form, liveness/readiness, metrics (counts, no personal data; keep them
#: behind nginx for the monitoring host), and static files.
PUBLIC_PREFIXES = (
    "/login",
    "/healthz",
    "/readyz",
    "/metrics",
    "/assets/",
    "/_dash-component-suites/",
    "/_favicon.ico",
    "/favicon.ico",
)
DASH_INTERNAL = ("/_dash-layout", "/_dash-dependencies", "/_reload-hash")
REVALIDATE_SECONDS = 5.0  # a removed user or revoked screen is shut out within this delay
DEMO = Principal("démo", "admin", "demo")


def current() -> Principal | None:
    """The principal of the request being served (set by the gate)."""
    return g.get("principal")


def install_auth(server: Flask, engine: Engine, settings: AuthSettings, secret: str, now: Callable[[], dt.datetime]) -> None:
    server.secret_key = secret
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a wall screen runs for weeks
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        WTF_CSRF_SSL_STRICT=False,  # nginx terminates TLS; the token is what protects
    )
    CSRFProtect(server)
    checked: dict[tuple[str, str], float] = {}

    def still_valid(kind: str, name: str, role: str) -> bool:
        key = (kind, name)
        if time.monotonic() - checked.get(key, -1e9) < REVALIDATE_SECONDS:
            return True
        try:
            ok = screen_active(engine, name) if kind == "screen" else user_role(engine, name) == role
        except STORE_DOWN:
            if key in checked:  # the store is down: a session checked before stays open (screens keep showing)
                return True
            raise  # never checked: answered 503 by the store-error handler
        if ok:
            checked[key] = time.monotonic()
        return ok

    def principal() -> Principal | None:
        if not settings.enabled:
            return DEMO
        token = request.args.get("token") if request.method == "GET" else None
        if token and request.path.startswith("/wall"):
            name = screen_for_token(engine, token)
            if name is not None:
                if session.get("kind") != "screen" or session.get("user") != name:
                    audit.record(
                        engine,
                        who=f"écran:{name}",
                        action="screen_login",
                        detail=request.path,
                        address=request.remote_addr,
                        now=now(),
                    )
                _login(Principal(name, "viewer", "screen"))
        name, role, kind = session.get("user"), session.get("role"), session.get("kind", "user")
        if not name or not role:
            return None
        if not still_valid(kind, name, role):
            session.clear()
            return None
        return Principal(name, role, kind)

    @server.before_request
    def gate() -> Response | None:
        path = request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        who = g.principal = principal()
        if path.startswith("/_dash-update-component"):
            needed = callback_role(_component_ids(request.get_json(silent=True) or {}))
            return None if allows(who and who.role, needed) else _json_refusal(who)
        if path.startswith(DASH_INTERNAL):
            return None if who else _json_refusal(who)
        if path.startswith(("/api/", "/explorer/export")):
            return None if allows(who and who.role, endpoint_role(path)) else _json_refusal(who)
        if path == "/logout":
            return None
        if who is None:
            return redirect(f"/login?next={quote(request.full_path.rstrip('?'))}")
        needed = page_role(path)
        if not allows(who.role, needed):
            return _refused_page(who, needed)
        return None

    @server.after_request
    def csrf_cookie(response: Response) -> Response:
        """Give pages the CSRF token that Dash's renderer (and vigie.js) send back as X-CSRFToken."""
        if response.mimetype == "text/html":
            response.set_cookie("_csrf_token", generate_csrf(), samesite="Lax", httponly=False)
        return response

    @server.errorhandler(CSRFError)
    def csrf_refused(exc: CSRFError) -> Response:
        return _page(
            "Requête refusée",
            f"<p>Jeton de sécurité (CSRF) absent ou invalide : {html.escape(exc.description)}. "
            "Rechargez la page et recommencez.</p>",
            400,
        )

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Response:
        target = _safe_next(request.values.get("next"))
        if not settings.enabled:
            return redirect(target)
        message = ""
        if request.method == "POST":
            username = (request.form.get("username") or "").strip()
            result = authenticate(
                engine,
                username,
                request.form.get("password") or "",
                request.remote_addr or "",
                now(),
                max_failures=settings.lockout_failures,
                lockout=dt.timedelta(minutes=settings.lockout_minutes),
            )
            if result.principal is not None:
                _login(result.principal)
                audit.record(engine, who=username, action="login", detail="", address=request.remote_addr, now=now())
                return redirect(target)
            audit.record(
                engine,
                who=username[:64] or "?",
                action="login_failed",
                detail=result.message,
                address=request.remote_addr,
                now=now(),
            )
            message = result.message
        return _login_page(message, target, 401 if message else 200)

    @server.post("/logout")
    def logout() -> Response:
        who = session.get("user")
        if who:
            audit.record(engine, who=who, action="logout", detail="", address=request.remote_addr, now=now())
        session.clear()
        return redirect("/login")


def _login(who: Principal) -> None:
    session.clear()  # a new session id on login: no fixation
    session.permanent = True
    session.update(user=who.name, role=who.role, kind=who.kind)


def _component_ids(body: dict) -> list[str]:
    """The component ids a Dash callback request reads and writes (outputs, inputs, states; pattern-matching ids
    count by their "type"). The outputs declared in ``output`` are always included, whatever else is sent."""
    found: list[str] = []

    def collect(items: object) -> None:
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, list):  # a pattern-matching input: a list of matches
                collect(item)
                continue
            cid = item.get("id") if isinstance(item, dict) else None
            if isinstance(cid, dict):
                cid = cid.get("type")
            if isinstance(cid, str):
                found.append(cid)

    for key in ("outputs", "inputs", "state"):
        collect(body.get(key) or [])
    if isinstance(body.get("output"), str):
        found += [part.split(".")[0] for part in body["output"].strip(".").split("...") if part]
    return found


def _safe_next(target: str | None) -> str:
    """Only a local path: an open redirect would make the login page a phishing tool."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _json_refusal(who: Principal | None) -> Response:
    if who is None:
        return Response('{"error": "authentification requise"}', 401, mimetype="application/json")
    return Response('{"error": "accès refusé pour ce rôle"}', 403, mimetype="application/json")


def _refused_page(who: Principal, needed: str) -> Response:
    body = (
        f"<p>Votre rôle ({html.escape(ROLE_LABELS.get(who.role, who.role))}) ne donne pas accès à cette page ; "
        f"il faut le rôle {html.escape(ROLE_LABELS[needed])}.</p>"
        "<p><a href='/'>Retour à l'accueil</a> · <a href='/wall'>Mur</a></p>"
    )
    return _page("Accès refusé", body, 403)


def _login_page(message: str, target: str, status: int) -> Response:
    error = f"<p class='login-error' role='alert'>{html.escape(message)}</p>" if message else ""
    body = f"""
<form method="post" action="/login" class="login-form">
  <input type="hidden" name="csrf_token" value="{generate_csrf()}">
  <input type="hidden" name="next" value="{html.escape(target)}">
  <label for="username">Nom d'utilisateur</label>
  <input id="username" name="username" autocomplete="username" required autofocus>
  <label for="password">Mot de passe</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  {error}
  <button type="submit" id="login-submit">Se connecter</button>
</form>"""
    return _page("Connexion", body, status)


def _page(title: str, body: str, status: int) -> Response:
    text = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)} · Vigie</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/app.css"></head>
<body class="plain-page"><main class="plain-main">
<div class="plain-brand">Vigie · Ministère de l'Énergie et des Mines</div>
<h1>{html.escape(title)}</h1>{body}</main></body></html>"""
    return Response(text, status, mimetype="text/html")
