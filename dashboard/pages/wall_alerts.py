"""The wall's Alertes view, and when an alert may take a screen over.

First the alerts firing now (then pending), each with its group, its value against the threshold, how long,
its severity and who took it in charge; below, breached and at-risk cases by body and by procedure, and the
cases falling due. The alerts come from the alert store (the collector's evaluator writes it), read on every
tick into a small snapshot each screen keeps: the view is rebuilt when that snapshot or the data version
changes. No agent or applicant name: groups, counts, case numbers, and the Vigie user who took an alert.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from dash import dcc, html

from alerts.actions import listed
from alerts.messages import METRIC_WORDING, SEVERITY_WORDS, STATE_WORDS, group_label, measured, threshold_text
from dashboard import ids
from dashboard.figures import alerts_by_procedure, short_service
from dashboard.graph_config import WALL_GRAPH
from dashboard.i18n import tr
from dashboard.pages.alerts import AlertsPage
from domain.alert_records import AlertRecord
from domain.alert_settings import AlertSettings
from domain.french import NARROW_NBSP, fr_date, fr_duration, fr_number
from domain.model import LOME_TZ

SHOWN_ALERTS = 5  # beyond, « + N autres alertes » (the list is on /alertes)
DUE_ROWS = 8  # cases falling due, fewer as alerts take the room
_STATE_MARKS = {"firing": "✖", "pending": "▲"}


def alerts_enabled(settings: AlertSettings) -> bool:
    return settings.enabled and bool(settings.rules)


def snapshot(page: AlertsPage) -> list[dict[str, Any]] | None:
    """The pending and firing alerts as a screen keeps them; None when alerts are off. Firing ones nobody has taken in
    charge first, then those taken, then pending ones; longest first within each.

    ``key`` names one firing episode (an alert that resolves and fires again is news again); durations are in
    whole minutes, so a screen's snapshot changes at most once a minute while nothing else moves. The
    taking-in-charge comment stays off the wall: it is free text.
    """
    if not alerts_enabled(page.settings):
        return None
    days = {r.name: r.days for r in page.settings.rules}
    rows = [
        {"key": f"{r['id']}@{r['since']}", "id": r["id"], "state": r["state"], "severity": r["severity"],
         "rule": r["rule"], "scope": r["scope"], "group": r["group"], "metric": r["metric"], "value": r["value"],
         "threshold": r["threshold"], "days": days[r["rule"]], "since": r["since"],
         "minutes": int(r["duration_seconds"] // 60), "taken_by": r["acknowledged_by"]}
        for r in listed(page.store, page.settings, page.now())
        if r["state"] in ("firing", "pending")
    ]  # fmt: skip
    return sorted(rows, key=lambda a: (a["state"] != "firing", a["taken_by"] is not None))  # stable: longest first stays


def new_alerts(seen: list[str] | None, active: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Firing alerts nobody has taken in charge that the screen has not shown yet (none on its first load)."""
    if seen is None or active is None:
        return []
    return [a for a in active if a["state"] == "firing" and not a["taken_by"] and a["key"] not in seen]


def seen_now(active: list[dict[str, Any]]) -> list[str]:
    """What the screen has shown once it shows ``active``: its firing episodes (resolved ones drop out)."""
    return [a["key"] for a in active if a["state"] == "firing"]


def alert_label(alert: dict[str, Any], names: dict[str, str], lang: str = "fr") -> str:
    """'CEET-BT — Raccordement au réseau basse tension', 'CEET', 'Ensemble du ministère', 'Source portail'."""
    if alert["scope"] == "service":
        return short_service(alert["group"] or "")
    since = dt.datetime.fromisoformat(alert["since"])
    record = AlertRecord(alert["rule"], alert["group"] or "", alert["scope"], alert["metric"], alert["severity"],
                         alert["state"], alert["value"], alert["threshold"], since)  # fmt: skip
    return tr(group_label(record, names), lang)


def reading(alert: dict[str, Any], lang: str = "fr") -> str:
    """The value against the threshold: '12 dossiers en cours hors délai — seuil 10'."""
    metric, value, threshold = alert["metric"], alert["value"], alert["threshold"]
    if lang != "en":
        return f"{measured(metric, value, alert['days'])} — seuil {threshold_text(metric, threshold)}"
    decimals = METRIC_WORDING[metric][1]
    per_minute = 60 if metric == "source_lag_seconds" else 1  # lags read in minutes
    shown = None if value is None else value / per_minute
    limit = fr_number(threshold / per_minute, decimals, lang=lang)
    return f"{alert['rule']}: {fr_number(shown, decimals, lang=lang)} — threshold {limit}"


def duration(minutes: int, state: str = "firing", lang: str = "fr") -> str:
    """'depuis 2 h 05' ('for 2 h 05'), 'en observation depuis 3 min' for a pending alert; under a minute, '< 1 min'."""
    text = fr_duration(minutes * 60) if minutes >= 1 else f"<{NARROW_NBSP}1{NARROW_NBSP}min"
    text = text.replace("j", "d") if lang == "en" else text  # 'j' is only ever days there
    return tr("en observation depuis {duration}" if state == "pending" else "depuis {duration}", lang, duration=text)


def active_panel(
    active: list[dict[str, Any]] | None, names: dict[str, str], news: list[dict[str, Any]] | None = None, lang: str = "fr"
) -> html.Div:
    """« Alertes en cours »: one row per alert, firing then pending; one compact line when there is none."""
    if not active:
        calm = html.Span("✔ " + tr("Aucune alerte en cours", lang))
        return html.Div(id=ids.WALL_ACTIVE_ALERTS, className="panel active-alerts calm", children=calm)
    fresh = {a["key"] for a in news or []}
    rows = [_alert_row(a, names, a["key"] in fresh, lang) for a in active[:SHOWN_ALERTS]]
    more = len(active) - SHOWN_ALERTS
    return html.Div(id=ids.WALL_ACTIVE_ALERTS, className="panel active-alerts", children=[
        html.H2(tr("Alertes en cours ({n})", lang, n=fr_number(len(active), lang=lang))),
        html.Table(className="active", children=html.Tbody(rows)),
        html.Div(tr("+ 1 autre alerte sur /alertes" if more == 1 else "+ {n} autres alertes sur /alertes", lang,
                    n=fr_number(more, lang=lang)), className="more")  # fmt: skip
        if more > 0 else None,
    ])  # fmt: skip


def _alert_row(alert: dict[str, Any], names: dict[str, str], fresh: bool, lang: str) -> html.Tr:
    state, severity = alert["state"], alert["severity"]
    if alert["taken_by"]:
        care = html.Span("✔ " + tr("pris en charge par {name}", lang, name=alert["taken_by"]), className="care taken")
    else:
        care = html.Span("⚠ " + tr("non pris en charge", lang), className="care not-taken")
    badge = f"{_STATE_MARKS[state]} {tr(SEVERITY_WORDS[severity], lang)}"
    return html.Tr(className=f"alert-row {state}" + (" new" if fresh else ""), children=[
        html.Td(html.Span(badge, className=f"severity {severity}", title=tr(STATE_WORDS[state], lang))),
        html.Td(alert_label(alert, names, lang), className="group"),
        html.Td(reading(alert, lang), className="reading"),
        html.Td(duration(alert["minutes"], state, lang), className="since"),
        html.Td(care, className="care-cell"),
    ])  # fmt: skip


def tacit_panel(by_procedure: dict[str, dict[str, Any]], lang: str = "fr") -> html.Div | None:
    """« Décisions implicites », first on the view: cases whose legal silence has decided for the ministry
    (« silence vaut accord / rejet », docs/kpis.md); None when there is none. Procedures with the most first."""
    lines = []
    kinds = (("tacit_accept_open", "{n} accord tacite", "{n} accords tacites"),
             ("tacit_reject_open", "{n} rejet tacite", "{n} rejets tacites"))  # fmt: skip
    for key, one, many in kinds:
        groups = sorted(((m[key], code) for code, m in by_procedure.items() if m.get(key)), reverse=True)
        if not groups:
            continue
        total = sum(n for n, _ in groups)
        label = tr(one if total == 1 else many, lang, n=fr_number(total, lang=lang))
        where = ", ".join(f"{code} {fr_number(n, lang=lang)}" for n, code in groups[:4])
        more = "…" if len(groups) > 4 else ""
        lines.append(html.Div([html.Strong(label), html.Span(f" — {where}{more}", className="where")]))
    if not lines:
        return None
    title = tr("⚖ Décisions implicites : le délai légal a décidé à la place de l'administration", lang)
    return html.Div(id=ids.WALL_TACIT, className="panel tacit", children=[html.H2(title), *lines])


def due_words(due: pd.Timestamp, today: dt.date, lang: str = "fr") -> str:
    """Past, today and coming due dates read differently: 'dépassée depuis le 28 nov. 2026', 'aujourd'hui', 'le 2 déc. 2026'."""
    day = pd.Timestamp(due).date()
    if day < today:
        return tr("dépassée depuis le {date}", lang, date=fr_date(day, lang))
    if day == today:
        return tr("aujourd'hui", lang)
    return tr("le {date}", lang, date=fr_date(day, lang))


def alerts(
    current: dict[str, Any],
    at_risk: pd.DataFrame,
    fresh: list[str] | None = None,
    lang: str = "fr",
    active: list[dict[str, Any]] | None = None,
    news: list[dict[str, Any]] | None = None,
    names: dict[str, str] | None = None,
) -> html.Div:
    """The Alertes view: the alerts in progress, then breached and at-risk counts by procedure and by body,
    and the cases falling due within 5 business days.

    ``fresh``: procedures that newly crossed into breach (the takeover when alerts are off); ``active``: the
    screen's alert snapshot (None: alerts off); ``news``: the alerts that just took the screen over.
    """
    names = names or {}
    shown = min(len(active or []), SHOWN_ALERTS)
    soon = at_risk[at_risk["due_soon"]].head(max(3, DUE_ROWS - shown))
    today = pd.Timestamp(current["as_of"]).tz_convert(LOME_TZ).date()
    by_service = sorted(current["by_service"].items(), key=lambda kv: -kv[1]["breached_open"])
    rows = [
        html.Tr([html.Td(r.case_id, className="case"), html.Td(r.procedure_code), html.Td(due_words(r.due_date, today, lang)),
                 html.Td(f"{r.admin_bd_now} / {r.sla_days} {'d' if lang == 'en' else 'j'}")])
        for r in soon.itertuples()
    ]  # fmt: skip
    if news:
        labels = ", ".join(alert_label(a, names, lang) for a in news)
        note: html.Div | None = html.Div(
            tr("⚠ Nouvelle alerte : {groups}" if len(news) == 1 else "⚠ Nouvelles alertes : {groups}", lang, groups=labels),
            className="takeover-note",
        )
    elif fresh:
        note = html.Div(tr("⚠ Nouveaux dépassements : {codes}", lang, codes=", ".join(fresh)), className="takeover-note")
    else:
        note = None
    counts = [  # two bodies a line: the alerts above take the room
        html.Div(className="count", children=[
            html.Span(short_service(s)), html.Span(f"✖ {fr_number(m['breached_open'], lang=lang)}", className="bad"),
            html.Span(f"▲ {fr_number(m['at_risk_open'], lang=lang)}", className="warn"),
        ])
        for s, m in by_service
    ]  # fmt: skip
    due_title = tr("Échéance dans les 5 jours ouvrés ({n})", lang, n=fr_number(int(at_risk["due_soon"].sum()), lang=lang))
    header = html.Tr([html.Th(tr(h, lang)) for h in ("Dossier", "Procédure", "Échéance", "Jours ouvrés")])
    chart = dcc.Graph(figure=alerts_by_procedure(current["by_procedure"], lang=lang), config=WALL_GRAPH, className="panel chart")
    return html.Div(className="alerts-view", children=[
        note,
        tacit_panel(current["by_procedure"], lang),
        active_panel(active, names, news, lang),
        html.Div(className="grid-2 alerts-grid", children=[
            chart,
            html.Div(id=ids.WALL_DUE, className="panel side", children=[
                html.H2(tr("Par structure", lang)),
                html.Div(className="counts", children=counts),
                html.H2(due_title),
                html.Table(className="due", children=[
                    html.Thead(header),
                    html.Tbody(rows or [html.Tr(html.Td(tr("Aucun dossier", lang), colSpan=4))]),
                ]),
            ]),
        ]),
    ])  # fmt: skip
