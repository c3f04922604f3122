"""/alertes: what is firing, who took it in charge, what happened in 90 days, and what was sent.

Viewers read; managers take an alert in charge in one tap (with an optional comment and date) and add
annotations; admins also see the delivery log. Laid out as cards that stack on a phone: a director
opens it from a notification.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update
from dash.development.base_component import Component
from flask import request

from alerts.actions import AlertActionError, acknowledge, end_of_lome_day, history, listed, note
from alerts.messages import SEVERITY_WORDS, group_label, measured, threshold_text
from dashboard.auth.accounts import Principal
from dashboard.auth.roles import allows
from dashboard.auth.scope import OUT_OF_SCOPE, scope_label, sees_group, sees_service
from dashboard.auth.web import current
from dashboard.pages.desk import desk_page, simple_table
from dashboard.pages.routing import register_page
from domain.alert_records import AlertRecord
from domain.alert_settings import AlertSettings
from domain.french import fr_duration
from domain.model import LOME_TZ
from store.alerts import AlertStore
from store.audit import AuditLog

PATH = "/alertes"
LIST = "alerts-list"
HISTORY = "alerts-history"
SERVICE = "alerts-service"
SEVERITY = "alerts-severity"
TICK = "alerts-tick"
DONE = "alerts-done"
MESSAGE = "alerts-message"
ACK_BUTTON = "alerts-ack-button"  # pattern-matching: {"type": ACK_BUTTON, "index": alert id}
ACK_COMMENT = "alerts-ack-comment"
ACK_UNTIL = "alerts-ack-until"
NOTE_TEXT = "alerts-note-text"
NOTE_SCOPE = "alerts-note-scope"
NOTE_BUTTON = "alerts-note-button"
NOTE_RESULT = "alerts-note-result"
_LOME = ZoneInfo(LOME_TZ)
_STATE_BADGES = {"firing": ("●", "En alerte"), "pending": ("▲", "En observation"), "resolved": ("✔", "Levée")}
_KIND_WORDS = {"firing": "déclenchée", "repeat": "rappel", "resolved": "levée", "ack": "prise en charge"}


class AlertsPage:
    """The page's data: the configured rules, the alert tables, the catalogue (procedure names and owners)."""

    def __init__(self, settings: AlertSettings, store: AlertStore, audit: AuditLog, catalog: pd.DataFrame,
                 now: Callable[[], dt.datetime]) -> None:  # fmt: skip
        self.settings, self.store, self.audit, self.now = settings, store, audit, now
        self.names = dict(zip(catalog["code"], catalog["name"], strict=True))
        self.owners = dict(zip(catalog["code"], catalog["service"], strict=True))
        self.services = sorted(set(catalog["service"]))

    def service_of(self, scope: str, group: str | None) -> str | None:
        if scope == "service":
            return group
        if scope == "procedure" and group:
            return self.owners.get(group)
        return None

    def kept(
        self, scope: str, group: str | None, severity: str, service: str | None, wanted: str | None, who: Principal | None
    ) -> bool:
        """Shown to ``who`` (only its structures' alerts for a scoped account) under the page's filters."""
        if not self.visible(who, scope, group) or (wanted and severity != wanted):
            return False
        return not service or self.service_of(scope, group) == service

    def visible(self, who: Principal | None, scope: str, group: str | None) -> bool:
        """May ``who`` see an alert or annotation of this scope and group (``dashboard.auth.scope``)?"""
        return sees_group(who, scope, group, self.owners)

    def alert_visible(self, who: Principal | None, alert_id: int) -> bool:
        """Does alert ``alert_id`` exist and may ``who`` see it? (Another structure's reads as unknown.)"""
        record = self.store.record(alert_id)
        return record is not None and self.visible(who, record.scope, record.group or None)

    def structures(self, who: Principal | None) -> list[str]:
        """The structures ``who`` may pick in the page's filters."""
        return [s for s in self.services if sees_service(who, s)]


def register(page: AlertsPage) -> None:
    def layout(**_query: Any) -> Component:
        return render(page)

    register_page(__name__, PATH, layout, components=components)
    _register_callbacks(page)


def components() -> html.Div:
    """What the callbacks read and write, for Dash's check of callback ids."""
    return html.Div([dcc.Dropdown(id=SERVICE), dcc.Dropdown(id=SEVERITY), dcc.Interval(id=TICK), dcc.Store(id=DONE),
                     html.Div(id=LIST), html.Div(id=HISTORY), html.Div(id=MESSAGE), dcc.Input(id=NOTE_TEXT),
                     dcc.Dropdown(id=NOTE_SCOPE), html.Button(id=NOTE_BUTTON), html.Div(id=NOTE_RESULT)])  # fmt: skip


def render(page: AlertsPage) -> html.Div:
    who = current()
    role = who.role if who else "viewer"
    lead = "Alertes en cours et levées ces 7 derniers jours, calculées sur les mêmes chiffres que /api/kpis."
    if who is not None and who.scoped:
        lead += f" Celles de votre périmètre seulement ({scope_label(who)})."
    filters = html.Div(
        className="alerts-filters",
        children=[
            html.Label(
                [
                    "Structure",
                    dcc.Dropdown(
                        id=SERVICE,
                        options=[{"label": s, "value": s} for s in page.structures(who)],
                        placeholder="Toutes",
                        clearable=True,
                    ),
                ]
            ),  # fmt: skip
            html.Label(
                [
                    "Gravité",
                    dcc.Dropdown(
                        id=SEVERITY,
                        placeholder="Toutes",
                        clearable=True,
                        options=[{"label": w.capitalize(), "value": k} for k, w in SEVERITY_WORDS.items()],
                    ),
                ]
            ),  # fmt: skip
        ],
    )
    parts: list[Any] = [
        html.H1("Alertes"),
        html.P(lead, className="lead"),
        filters,
        html.Div(id=MESSAGE, role="status", className="alerts-message"),
        html.Div(id=LIST, className="alert-cards", children=cards(page, None, None, who)),
        dcc.Interval(id=TICK, interval=20_000),
        dcc.Store(id=DONE),
    ]
    if allows(role, "manager"):
        parts += [html.H2("Ajouter une annotation"), _note_form(page, who)]
    parts += [html.H2("Historique (90 jours)"), html.Div(id=HISTORY, children=history_table(page, None, None, who))]
    if allows(role, "admin"):
        parts += [html.H2("Journal des envois"), delivery_table(page)]
    return desk_page(PATH, *parts, page_id="alerts-page")


def cards(page: AlertsPage, service: str | None, severity: str | None, who: Principal | None) -> list[Component]:
    """The alert cards ``who`` may see, under the page's filters."""
    now = page.now()
    role = who.role if who else "viewer"
    rows = [
        r
        for r in listed(page.store, page.settings, now)
        if page.kept(r["scope"], r["group"], r["severity"], service, severity, who)
    ]
    if not rows:
        return [html.P("Aucune alerte en cours ni levée ces 7 derniers jours.", className="empty")]
    rules = {r.name: r for r in page.settings.rules}
    return [_card(page, r, rules[r["rule"]].days, role) for r in rows]


def _card(page: AlertsPage, row: dict[str, Any], days: int, role: str) -> html.Article:
    record = AlertRecord(row["rule"], row["group"] or "", row["scope"], row["metric"], row["severity"], row["state"],
                         row["value"], row["threshold"], dt.datetime.fromisoformat(row["since"]))  # fmt: skip
    icon, word = _STATE_BADGES[row["state"]]
    active = row["state"] in ("firing", "pending")
    taken = (f"Pris en charge par {row['acknowledged_by']}" + (f" — « {row['comment']} »" if row["comment"] else "")
             if row["acknowledged_by"] else "Non pris en charge")  # fmt: skip
    body: list[Any] = [
        html.Div(
            className="alert-head",
            children=[
                html.Span(f"{icon} {word}", className=f"badge state-{row['state']}"),
                html.Span(SEVERITY_WORDS[row["severity"]].capitalize(), className=f"badge severity-{row['severity']}"),
                html.Span(f"n° {row['id']}", className="alert-id"),
            ],
        ),  # fmt: skip
        html.H3(group_label(record, page.names)),
        html.P(f"{measured(record.metric, record.value, days)} — seuil {threshold_text(record.metric, record.threshold)}"),
        html.P(f"Règle « {row['rule']} » · depuis {fr_duration(row['duration_seconds'])}", className="muted"),
    ]
    if active:
        body.append(html.P(taken, className="taken" if row["acknowledged_by"] else "not-taken"))
    if active and not row["acknowledged_by"] and allows(role, "manager"):
        body.append(_ack_form(row["id"]))
    return html.Article(className=f"alert-card {row['state']}", children=body, id=f"alert-{row['id']}")


def _ack_form(alert_id: int) -> html.Div:
    return html.Div(
        className="ack-form",
        children=[
            dcc.Input(
                id={"type": ACK_COMMENT, "index": alert_id},
                placeholder="Commentaire (facultatif)",
                maxLength=500,
                className="ack-comment",
                debounce=False,
            ),  # fmt: skip
            dcc.Input(
                id={"type": ACK_UNTIL, "index": alert_id},
                type="text",
                placeholder="Jusqu'au JJ/MM/AAAA (facultatif)",
                className="ack-until",
                maxLength=10,
            ),  # fmt: skip
            html.Button("Je prends en charge", id={"type": ACK_BUTTON, "index": alert_id}, className="ack-button", n_clicks=0),
        ],
    )


def _note_form(page: AlertsPage, who: Principal | None) -> html.Div:
    whole = [] if who is not None and who.scoped else [{"label": "Tout le ministère", "value": "overall"}]
    scopes = whole + [{"label": s, "value": f"service:{s}"} for s in page.structures(who)]
    return html.Div(
        className="note-form",
        children=[
            html.Label([  # the field's name for screen readers; its visible cue is its placeholder
                html.Span("Note pour les courbes de l'explorateur", className="visually-hidden"),
                dcc.Input(id=NOTE_TEXT, placeholder="Ex. : grève des agents 3–5 déc.", maxLength=500, className="note-text"),
            ]),
            dcc.Dropdown(
                id=NOTE_SCOPE,
                options=scopes,
                value=scopes[0]["value"] if scopes else None,
                clearable=False,
                className="note-scope",
            ),
            html.Button("Ajouter", id=NOTE_BUTTON, n_clicks=0),
            html.Div(id=NOTE_RESULT, role="status"),
        ],
    )


def history_table(page: AlertsPage, service: str | None, severity: str | None, who: Principal | None) -> html.Table:
    events = history(page.store, page.now())
    rows = []
    for e in events.to_dict("records"):
        if not page.kept(e["scope"], e["grp"] or None, e["severity"], service, severity, who):
            continue
        record = AlertRecord(
            e["rule"], e["grp"], e["scope"], e["metric"], e["severity"], "firing", e["value"], e["threshold"], e["at"]
        )
        actor = f"{e['actor']}" + (f" : « {e['comment']} »" if isinstance(e["comment"], str) and e["comment"] else "")
        rows.append([
            pd.Timestamp(e["at"]).tz_convert(LOME_TZ).strftime("%d/%m/%Y %H:%M"),
            group_label(record, page.names),
            e["rule"],
            _KIND_WORDS.get(e["kind"], e["kind"]),
            threshold_text(e["metric"], e["value"]) if e["value"] is not None and pd.notna(e["value"]) else "—",
            actor if isinstance(e["actor"], str) and e["actor"] else "",
        ])  # fmt: skip
    return simple_table(["Quand", "Groupe", "Règle", "Événement", "Valeur", "Par"], rows, "Aucun événement en 90 jours")


def delivery_table(page: AlertsPage) -> html.Table:
    log = page.store.deliveries(page.now() - dt.timedelta(days=7))
    states = {"sent": "envoyée", "pending": "en attente", "failed": "ÉCHEC"}
    rows = [
        [_when(d["created_at"]), d["contact"], d["channel"], d["idempotency_key"], states.get(d["state"], d["state"]),
         str(d["attempts"]), _when(d["sent_at"]) if d["state"] == "sent" else _when(d["due_at"]), d["last_error"] or ""]
        for d in log.to_dict("records")
    ]  # fmt: skip
    headers = ["Créée", "Contact", "Canal", "Clé", "État", "Essais", "Envoyée / prochain essai", "Dernière erreur"]
    return simple_table(headers, rows, "Aucun envoi ces 7 derniers jours")


def _when(value: object) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).tz_convert(LOME_TZ).strftime("%d/%m %H:%M")  # type: ignore[arg-type]


def parse_until(text: str | None, now: dt.datetime) -> dt.datetime | None:
    """« 05/12/2026 » -> the end of that Lomé day (UTC); blank -> None; AlertActionError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        until = end_of_lome_day(dt.datetime.strptime(text, "%d/%m/%Y").replace(tzinfo=_LOME).date())
    except ValueError:
        raise AlertActionError(f"date « {text} » illisible (attendu JJ/MM/AAAA)") from None
    if until <= now:
        raise AlertActionError("la date « jusqu'au » doit être aujourd'hui ou plus tard")
    return until


def _register_callbacks(page: AlertsPage) -> None:
    import dash

    @dash.callback(Output(LIST, "children"), Output(HISTORY, "children"), Input(SERVICE, "value"), Input(SEVERITY, "value"),
                   Input(TICK, "n_intervals"), Input(DONE, "data"), prevent_initial_call=True)  # fmt: skip
    def refresh(service: str | None, severity: str | None, _tick: int | None, _done: object) -> tuple[list[Component], Component]:
        who = current()
        if service is not None and not sees_service(who, service):  # a forged filter: the same refusal as every door
            refused = html.P(f"Structure « {service} » {OUT_OF_SCOPE}.", className="notice error", role="alert")
            return [refused], html.Div()
        return cards(page, service, severity, who), history_table(page, service, severity, who)

    @dash.callback(Output(DONE, "data"), Output(MESSAGE, "children"), Input({"type": ACK_BUTTON, "index": ALL}, "n_clicks"),
                   State({"type": ACK_COMMENT, "index": ALL}, "value"), State({"type": ACK_UNTIL, "index": ALL}, "value"),
                   prevent_initial_call=True)  # fmt: skip
    def take(clicks: list[int | None], comments: list[str | None], untils: list[str | None]) -> tuple[object, str]:
        return take_from_page(page, clicks, comments, untils)

    @dash.callback(Output(NOTE_RESULT, "children"), Output(NOTE_TEXT, "value"), Input(NOTE_BUTTON, "n_clicks"),
                   State(NOTE_TEXT, "value"), State(NOTE_SCOPE, "value"), prevent_initial_call=True)  # fmt: skip
    def add_note(clicks: int | None, text: str | None, scope: str | None) -> tuple[str, object]:
        return note_from_page(page, clicks, text, scope)


def take_from_page(
    page: AlertsPage, clicks: list[int | None], comments: list[str | None], untils: list[str | None]
) -> tuple[object, str]:
    """The one-tap « Je prends en charge »: which button was tapped, and its card's comment and date."""
    triggered = callback_context.triggered_id
    if not isinstance(triggered, dict) or not any(clicks):
        return no_update, ""
    ids = [i["id"]["index"] for i in callback_context.inputs_list[0]]
    if triggered.get("index") not in ids:
        return no_update, ""
    position = ids.index(triggered["index"])
    who = current()
    if who is None or not allows(who.role, "manager"):  # the gate refuses first; this is the second lock
        return no_update, "Accès refusé"
    now = page.now()
    if not page.alert_visible(who, int(triggered["index"]) if str(triggered["index"]).isdigit() else -1):
        return no_update, f"Refusé : alerte n° {triggered['index']} inconnue"
    try:
        until = parse_until(untils[position] if position < len(untils) else None, now)
        comment = comments[position] if position < len(comments) else None
        record = acknowledge(page.store, page.audit, int(triggered["index"]), who.name, comment, until, now, request.remote_addr)
    except (AlertActionError, ValueError) as exc:
        return no_update, f"Refusé : {exc}"
    return json.dumps({"id": record.id, "at": now.isoformat()}), f"Alerte n° {record.id} prise en charge par {who.name}."


def note_from_page(page: AlertsPage, clicks: int | None, text: str | None, scope: str | None) -> tuple[str, object]:
    who = current()
    if not clicks:
        return "", no_update
    if who is None or not allows(who.role, "manager"):
        return "Accès refusé", no_update
    kind, _, group = (scope or "overall").partition(":")
    if not page.visible(who, kind, group or None):
        return f"Refusé : cette portée est {OUT_OF_SCOPE}.", no_update
    now = page.now()
    try:
        note(page.store, page.audit, text=text or "", scope=kind, group=group, at=now, by=who.name, now=now,
             address=request.remote_addr)  # fmt: skip
    except AlertActionError as exc:
        return f"Refusé : {exc}", no_update
    return "Annotation ajoutée : elle apparaît sur les courbes de l'explorateur et dans le rapport de la semaine.", ""
