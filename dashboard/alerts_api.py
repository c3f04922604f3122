"""/api/alerts: the /alertes list as JSON (viewers), and taking an alert in charge (managers).

``POST /api/alerts/<id>/ack`` takes a JSON body ``{"comment": "...", "until": "2026-12-05"}`` (both
optional) and, like every POST, the CSRF token in ``X-CSRFToken``. Its role is checked by the gate
(dashboard/auth/roles.py) and again here.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, jsonify, request

from alerts.actions import LIST_KEYS, AlertActionError, acknowledge, end_of_lome_day, listed
from dashboard.auth.roles import allows
from dashboard.auth.web import current
from dashboard.pages.alerts import AlertsPage


def alerts_blueprint(page: AlertsPage) -> Blueprint:
    api = Blueprint("alerts_api", __name__)

    @api.get("/api/alerts")
    def alerts_list() -> Response:
        """The alerts the asker may see: a scoped account only its structures' and their procedures'."""
        who = current()
        return jsonify(
            [
                {k: r[k] for k in LIST_KEYS} | {"severity": r["severity"]}
                for r in listed(page.store, page.settings, page.now())
                if page.visible(who, r["scope"], r["group"])
            ]
        )

    @api.post("/api/alerts/<int:alert_id>/ack")
    def alerts_ack(alert_id: int) -> tuple[Response, int]:
        who = current()
        if who is None or not allows(who.role, "manager"):
            return jsonify({"error": "Accès refusé : il faut le rôle gestionnaire."}), 403
        if not page.alert_visible(who, alert_id):  # another structure's alert reads as unknown: no existence leaks
            return jsonify({"error": f"alerte n° {alert_id} inconnue"}), 404
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) else {}
        now = page.now()
        try:
            comment = body.get("comment")
            if comment is not None and not isinstance(comment, str):
                raise AlertActionError("« comment » doit être un texte")
            record = acknowledge(page.store, page.audit, alert_id, who.name, comment, _until(body.get("until"), now), now,
                                 request.remote_addr)  # fmt: skip
        except AlertActionError as exc:
            status = 404 if "inconnue" in str(exc) else 409 if "rien à prendre" in str(exc) else 400
            return jsonify({"error": str(exc)}), status
        return jsonify({"id": record.id, "acknowledged_by": record.ack_by, "comment": record.ack_comment}), 200

    return api


def _until(value: object, now: dt.datetime) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AlertActionError("« until » doit être une date AAAA-MM-JJ")
    try:
        return end_of_lome_day(dt.date.fromisoformat(value))
    except ValueError:
        raise AlertActionError(f"« until » illisible : « {value[:40]} » (attendu AAAA-MM-JJ)") from None
