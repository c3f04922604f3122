"""Access control on the Flask server under Dash: login, logout, server-side sessions, CSRF, role gates.

Every request passes one gate (``before_request``), so a page, an /api endpoint and a Dash
callback are checked the same way, on the server. A callback's role comes from the server's
own callback map (the ids it declared), never from the ids a request claims. Dash's renderer
sends the ``_csrf_token`` cookie back as the ``X-CSRFToken`` header, which Flask-WTF checks
on every POST.

Wall screens log in once with ``/wall?screen=NAME&token=…``: the token is exchanged for a
session and a long-lived, HttpOnly screen cookie, and the browser is sent on to the same
address without the token, so it never lingers in the address bar, a Referer or a proxy log.
The screen cookie opens a new session whenever the old one ends (reload, crash, redeploy,
``session_hours``), until the screen's token is revoked.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from flask import Flask, Response, g, redirect, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from sqlalchemy import Engine

from dashboard.auth import audit
from dashboard.auth.accounts import Principal, authenticate, screen_for_token, token_digest
from dashboard.auth.callbacks import CallbackCheck
from dashboard.auth.roles import ROLE_LABELS, allows, endpoint_role, page_role
from dashboard.auth.sessions import end_session, open_session, session_principal
from domain.config import AuthSettings
from store.reader import STORE_DOWN

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
DEMO = Principal("démo", "admin", "demo")
SCREEN_COOKIE = "vigie_screen"
SCREEN_COOKIE_DAYS = 400  # browsers cap cookie lifetimes at 400 days; revoking the token ends it sooner
_REMEMBERED = 10_000  # sessions remembered for a store outage, per worker


def current() -> Principal | None:
    """The principal of the request being served (set by the gate)."""
    return g.get("principal")


def install_auth(
    server: Flask,
    engine: Engine,
    settings: AuthSettings,
    secret: str,
    now: Callable[[], dt.datetime],
    *,
    callback_check: Callable[[object], CallbackCheck],
    https: bool = False,
) -> None:
    """Put the gate in front of every request. ``callback_check`` tells the least role of the callback a
    ``/_dash-update-component`` body names, from the server's callback map, and whether the body is well formed."""
    server.secret_key = secret
    lifetime = dt.timedelta(hours=settings.session_hours)
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=lifetime,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a wall screen runs for weeks
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        WTF_CSRF_SSL_STRICT=False,  # nginx terminates TLS; the token is what protects
    )
    CSRFProtect(server)
    remembered: dict[str, Principal] = {}  # sessions seen alive, kept open while the store is down

    def start(who: Principal, credential: str) -> None:
        session.clear()  # a new session id on login: no fixation
        session.permanent = True
        session["sid"] = open_session(engine, who, credential, now(), lifetime)

    def from_session() -> Principal | None:
        sid = session.get("sid")
        if not isinstance(sid, str):
            return None
        try:
            who = session_principal(engine, sid, now())
        except STORE_DOWN:
            if sid in remembered:  # the store is down: a session checked before stays open (screens keep showing)
                return remembered[sid]
            raise  # never checked: answered 503 by the store-error handler
        if who is None:
            remembered.pop(sid, None)
            session.clear()
            return None
        if len(remembered) >= _REMEMBERED:
            remembered.clear()
        remembered[sid] = who
        return who

    def screen_login(token: str) -> Principal | None:
        name = screen_for_token(engine, token)
        if name is None:
            return None
        who = Principal(name, "viewer", "screen")
        start(who, token_digest(token))
        g.screen_cookie = token
        audit.record(
            engine, who=f"écran:{name}", action="screen_login", detail=request.path, address=request.remote_addr, now=now()
        )
        return who

    def principal() -> Principal | None:
        if not settings.enabled:
            return DEMO
        who = from_session()
        if who is None and request.cookies.get(SCREEN_COOKIE):
            who = screen_login(request.cookies[SCREEN_COOKIE])
            if who is None:
                g.screen_cookie = ""  # revoked or re-issued: forget it
        return who

    @server.before_request
    def gate() -> Response | None:
        path = request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        if settings.enabled and request.method == "GET" and path.startswith("/wall") and "token" in request.args:
            return _exchange_screen_token(screen_login)
        who = g.principal = principal()
        if path.startswith("/_dash-update-component"):
            check = callback_check(request.get_json(silent=True))
            if check.role is None:
                return _json_error("requête de mise à jour inconnue", 400)
            if not allows(who and who.role, check.role):
                return _json_refusal(who)
            return None if check.well_formed else _json_error("requête de mise à jour mal formée", 400)
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
    def cookies(response: Response) -> Response:
        """Give pages the CSRF token that Dash's renderer (and vigie.js) send back as X-CSRFToken; keep or drop
        the screen cookie."""
        if response.mimetype == "text/html":
            response.set_cookie("_csrf_token", generate_csrf(), samesite="Lax", httponly=False, secure=https)
        token = g.get("screen_cookie")
        if token:
            response.set_cookie(
                SCREEN_COOKIE,
                token,
                max_age=SCREEN_COOKIE_DAYS * 86400,
                httponly=True,
                samesite="Lax",
                secure=https,
            )
        elif token == "":
            response.delete_cookie(SCREEN_COOKIE)
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
                start(result.principal, result.credential)
                audit.record(engine, who=username, action="login", detail="", address=request.remote_addr, now=now())
                return redirect(target)
            if not result.waiting:  # attempts refused during a wait are counted on the wait, not audited one by one
                audit.record(
                    engine,
                    who=username[:64] or "?",
                    action="login_throttled" if result.slowed else "login_failed",
                    detail=result.message,
                    address=request.remote_addr,
                    now=now(),
                )
            message = result.message
        return _login_page(message, target, 401 if message else 200)

    @server.post("/logout")
    def logout() -> Response:
        who = session.get("sid") and from_session()
        sid = session.get("sid")
        if isinstance(sid, str):
            end_session(engine, sid)
            remembered.pop(sid, None)
        if who:
            audit.record(engine, who=who.name, action="logout", detail="", address=request.remote_addr, now=now())
        session.clear()
        g.screen_cookie = ""  # a screen's browser logged out on purpose forgets its screen too
        return redirect("/login")


def _exchange_screen_token(screen_login: Callable[[str], Principal | None]) -> Response:
    """``/wall?…&token=T``: log the screen in, then send the browser to the same address without the token."""
    query = [(k, v) for k, v in parse_qsl(request.query_string.decode("utf-8"), keep_blank_values=True) if k != "token"]
    clean = request.path + ("?" + urlencode(query) if query else "")
    who = screen_login(request.args.get("token") or "")
    response = redirect(clean if who is not None else f"/login?next={quote(clean)}")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _safe_next(target: str | None) -> str:
    """Only a local path: an open redirect would make the login page a phishing tool."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _json_error(message: str, status: int) -> Response:
    return Response(json.dumps({"error": message}, ensure_ascii=False), status, mimetype="application/json")


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
