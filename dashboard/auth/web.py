"""Access control on the Flask server under Dash: login, logout, server-side sessions, CSRF, role gates.

Every request passes one gate (``gate``, which the ``auth`` blueprint runs before every request
of the app), so a page, an /api endpoint and a Dash callback are checked the same way, on the
server. A callback's role comes from the server's own callback map (the ids it declared), never
from the ids a request claims. Dash's renderer sends the ``_csrf_token`` cookie back as the
``X-CSRFToken`` header, which Flask-WTF checks on every POST. ``SessionKeeper`` turns cookies
into a principal; the session rows themselves are ``store.sessions``'s.

Wall screens log in once with ``/wall?screen=NAME&token=…``: the token is exchanged for a
session and a long-lived, HttpOnly screen cookie, and the browser is sent on to the same
address without the token, so it never lingers in the address bar, a Referer or a proxy log.
The screen cookie opens a new session whenever the old one ends (reload, crash, redeploy,
``session_hours``), until the screen's token is revoked.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from flask import Blueprint, Flask, Response, g, redirect, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from sqlalchemy import Engine
from werkzeug.wrappers import Response as BaseResponse

from dashboard.auth import audit
from dashboard.auth.accounts import Principal, authenticate, screen_for_token, token_digest
from dashboard.auth.callbacks import CallbackCheck
from dashboard.auth.roles import PUBLIC_PATHS, ROLE_LABELS, allows, endpoint_role, page_role
from dashboard.auth.scope import endpoint_in_scope, page_in_scope, refusal
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
    public: bool = False,
) -> None:
    """Put the gate in front of every request. ``callback_check`` tells the least role of the callback a
    ``/_dash-update-component`` body names, from the server's callback map, and whether the body is well formed;
    ``public``: the public statistics (roles.PUBLIC_PATHS) open to anyone, else 404 to everyone."""
    lifetime = dt.timedelta(hours=settings.session_hours)
    configure_cookies(server, secret, lifetime, https=https)
    CSRFProtect(server)  # before the gate: a POST without its token is refused before anything is looked up
    keeper = SessionKeeper(engine, settings, now, lifetime)
    server.register_blueprint(auth_blueprint(keeper, settings, callback_check, https=https, public=public))


def configure_cookies(server: Flask, secret: str, lifetime: dt.timedelta, *, https: bool) -> None:
    """Sign cookies with ``secret``; session cookies are HttpOnly, SameSite=Lax, Secure under ``https``, and last
    ``lifetime``; the CSRF token is read from the ``X-CSRFToken`` header and lives as long as the session."""
    server.secret_key = secret
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=lifetime,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a wall screen runs for weeks
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        WTF_CSRF_SSL_STRICT=False,  # nginx terminates TLS; the token is what protects
    )


class SessionKeeper:
    """Who is asking, from the request's cookies, and the sessions behind them.

    The session cookie is looked up in the store on every request; a wall screen whose session ended logs in
    again with its screen cookie. Sessions seen alive are remembered (per worker) so that they stay open while
    the store is down: screens keep showing their last known state.
    """

    def __init__(self, engine: Engine, settings: AuthSettings, now: Callable[[], dt.datetime], lifetime: dt.timedelta) -> None:
        self.engine = engine
        self.settings = settings
        self.now = now
        self.lifetime = lifetime
        self._remembered: dict[str, Principal] = {}

    def principal(self) -> Principal | None:
        """The request's principal: everyone is DEMO with authentication off; else the session's owner, or the
        screen of a screen cookie; None when nobody is logged in."""
        if not self.settings.enabled:
            return DEMO
        who = self.from_session()
        if who is None and request.cookies.get(SCREEN_COOKIE):
            who = self.screen_login(request.cookies[SCREEN_COOKIE])
            if who is None:
                g.screen_cookie = ""  # revoked or re-issued: forget it
        return who

    def start(self, who: Principal, credential: str) -> None:
        """Open a session for ``who`` (``credential``: its password hash or token digest) under a new cookie."""
        session.clear()  # a new session id on login: no fixation
        session.permanent = True
        session["sid"] = open_session(self.engine, who, credential, self.now(), self.lifetime)

    def from_session(self) -> Principal | None:
        """The owner of the session cookie's live session, or None (and the cookie cleared) when it has ended.

        While the store is down, a session checked before stays open; one never checked raises the store's
        error (answered 503 by the store-error handler)."""
        sid = session.get("sid")
        if not isinstance(sid, str):
            return None
        try:
            who = session_principal(self.engine, sid, self.now())
        except STORE_DOWN:
            if sid in self._remembered:
                return self._remembered[sid]
            raise
        if who is None:
            self._remembered.pop(sid, None)
            session.clear()
            return None
        if len(self._remembered) >= _REMEMBERED:
            self._remembered.clear()
        self._remembered[sid] = who
        return who

    def screen_login(self, token: str) -> Principal | None:
        """Exchange a screen's token for a session and a screen cookie (audited); None when the token is unknown or
        revoked."""
        who = screen_for_token(self.engine, token)
        if who is None:
            return None
        self.start(who, token_digest(token))
        g.screen_cookie = token
        audit.record(
            self.engine,
            who=f"écran:{who.name}",
            action="screen_login",
            detail=request.path,
            address=request.remote_addr,
            now=self.now(),
        )
        return who

    def end(self) -> Principal | None:
        """End the session of the request's cookie, if any; returns whose it was (None when it had ended)."""
        who = session.get("sid") and self.from_session()
        sid = session.get("sid")
        if isinstance(sid, str):
            end_session(self.engine, sid)
            self._remembered.pop(sid, None)
        return who or None


def auth_blueprint(
    keeper: SessionKeeper,
    settings: AuthSettings,
    callback_check: Callable[[object], CallbackCheck],
    *,
    https: bool,
    public: bool = False,
) -> Blueprint:
    """The gate before every request of the app, the cookies after it, the CSRF refusal page, /login and /logout."""
    blueprint = Blueprint("auth", __name__)
    blueprint.before_app_request(functools.partial(gate, keeper, settings, callback_check, public=public))
    blueprint.after_app_request(functools.partial(set_cookies, https=https))
    blueprint.app_errorhandler(CSRFError)(csrf_refused)
    blueprint.add_url_rule("/login", "login", _view(login, keeper, settings), methods=["GET", "POST"])
    blueprint.add_url_rule("/logout", "logout", _view(logout, keeper), methods=["POST"])
    return blueprint


def _view(view: Callable[..., BaseResponse], *args: object) -> Callable[[], BaseResponse]:
    """``view`` with its first arguments bound, keeping its name and module (Flask-WTF's exemptions read them)."""
    return functools.update_wrapper(functools.partial(view, *args), view)


def gate(
    keeper: SessionKeeper, settings: AuthSettings, callback_check: Callable[[object], CallbackCheck], *, public: bool = False
) -> BaseResponse | None:
    """Let the request through (None) or answer it: a refusal, a redirect to /login, or a screen token's exchange.
    Sets ``g.principal`` for ``current()``. The public statistics pass without a session when ``public``, and are
    404 to everyone otherwise."""
    path = request.path
    if path in PUBLIC_PATHS:
        return None if public else _page("Page introuvable", "<p>Cette page n'existe pas.</p>", 404)
    if path.startswith(PUBLIC_PREFIXES):
        return None
    if settings.enabled and request.method == "GET" and path.startswith("/wall") and "token" in request.args:
        return _exchange_screen_token(keeper)
    who = g.principal = keeper.principal()
    if path.startswith("/_dash-update-component"):
        return _callback_gate(who, callback_check(request.get_json(silent=True)))
    if path.startswith(DASH_INTERNAL):
        return None if who else _json_refusal(who)
    if path.startswith(("/api/", "/explorer/export")):
        if not allows(who.role if who else None, endpoint_role(path)):
            return _json_refusal(who)
        return _json_error(refusal(who, path), 403) if who and who.scoped and not endpoint_in_scope(path) else None
    if path == "/logout":
        return None
    return _page_gate(who, path)


def _callback_gate(who: Principal | None, check: CallbackCheck) -> BaseResponse | None:
    """A Dash callback: unknown (400), refused for the role (401/403), malformed (400), or let through."""
    if check.role is None:
        return _json_error("requête de mise à jour inconnue", 400)
    if not allows(who.role if who else None, check.role):
        return _json_refusal(who)
    if who is not None and who.scoped and not check.applies_scope:
        return _json_error(refusal(who, ""), 403)
    return None if check.well_formed else _json_error("requête de mise à jour mal formée", 400)


def _page_gate(who: Principal | None, path: str) -> BaseResponse | None:
    """A page: nobody logged in goes to /login (and comes back after); a role too low gets the refusal page."""
    if who is None:
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'))}")
    needed = page_role(path)
    if not allows(who.role, needed):
        return _refused_page(who, needed)
    if who.scoped and not page_in_scope(path):
        return _page("Accès refusé", f"<p>{html.escape(refusal(who, path))}</p><p><a href='/'>Retour à l'accueil</a></p>", 403)
    return None


def set_cookies(response: Response, *, https: bool) -> Response:
    """Give pages the CSRF token that Dash's renderer (and vigie.js) send back as X-CSRFToken; keep or drop
    the screen cookie."""
    if response.mimetype == "text/html" and request.path not in PUBLIC_PATHS:  # the public page sets no cookie
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


def csrf_refused(exc: CSRFError) -> Response:
    """The page for a POST whose CSRF token is missing or invalid (400)."""
    return _page(
        "Requête refusée",
        f"<p>Jeton de sécurité (CSRF) absent ou invalide : {html.escape(exc.description)}. Rechargez la page et recommencez.</p>",
        400,
    )


def login(keeper: SessionKeeper, settings: AuthSettings) -> BaseResponse:
    """/login: the form (GET), or a login attempt (POST), audited unless refused during a wait."""
    target = _safe_next(request.values.get("next"))
    if not settings.enabled:
        return redirect(target)
    message = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        result = authenticate(
            keeper.engine,
            username,
            request.form.get("password") or "",
            request.remote_addr or "",
            keeper.now(),
            max_failures=settings.lockout_failures,
            lockout=dt.timedelta(minutes=settings.lockout_minutes),
        )
        if result.principal is not None:
            keeper.start(result.principal, result.credential)
            audit.record(keeper.engine, who=username, action="login", detail="", address=request.remote_addr, now=keeper.now())
            return redirect(target)
        if not result.waiting:  # attempts refused during a wait are counted on the wait, not audited one by one
            audit.record(
                keeper.engine,
                who=username[:64] or "?",
                action="login_throttled" if result.slowed else "login_failed",
                detail=result.message,
                address=request.remote_addr,
                now=keeper.now(),
            )
        message = result.message
    return _login_page(message, target, 401 if message else 200)


def logout(keeper: SessionKeeper) -> BaseResponse:
    """/logout (POST): end the session (audited), and make a screen's browser forget its screen too."""
    who = keeper.end()
    if who:
        audit.record(keeper.engine, who=who.name, action="logout", detail="", address=request.remote_addr, now=keeper.now())
    session.clear()
    g.screen_cookie = ""  # a screen's browser logged out on purpose forgets its screen too
    return redirect("/login")


def _exchange_screen_token(keeper: SessionKeeper) -> BaseResponse:
    """``/wall?…&token=T``: log the screen in, then send the browser to the same address without the token."""
    query = [(k, v) for k, v in parse_qsl(request.query_string.decode("utf-8"), keep_blank_values=True) if k != "token"]
    clean = request.path + ("?" + urlencode(query) if query else "")
    who = keeper.screen_login(request.args.get("token") or "")
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
