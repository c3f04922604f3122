"""``python app.py alerts list|ack|test``: the /alertes page's facts and actions, from a terminal."""

from __future__ import annotations

import datetime as dt
import json
import sys
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from alerts.actions import LIST_KEYS, AlertActionError, acknowledge, end_of_lome_day, listed, test_contact
from domain.config import Settings
from domain.model import LOME_TZ
from store.alerts import AlertStore
from store.audit import AuditLog


def alerts_command(
    settings: Settings,
    engine: Engine,
    action: str,
    target: str | None,
    now: dt.datetime,
    *,
    as_json: bool = False,
    by: str | None = None,
    comment: str | None = None,
    until: str | None = None,
) -> int:
    """Exit 0 on success, 1 on a refused action (its French reason on stderr)."""
    store = AlertStore(engine)
    try:
        if action == "list":
            _print_list(listed(store, settings.alerts, now), as_json)
        elif action == "ack":
            record = acknowledge(store, AuditLog(engine), _alert_id(target), _who(by), comment, _until(until), now)
            print(f"Alerte n° {record.id} ({record.rule} {record.group or 'ensemble'}) prise en charge par {record.ack_by}.")
        else:
            if not target:
                raise AlertActionError("nom du contact manquant : python app.py alerts test CONTACT")
            lines = test_contact(settings.alerts, settings.reports.smtp, target, now, settings.server.public_url)
            print("\n".join(lines))
            return 1 if any("ÉCHEC" in line for line in lines) else 0
    except AlertActionError as exc:
        print(f"Refusé : {exc}", file=sys.stderr)
        return 1
    return 0


def _print_list(rows: list[dict[str, object]], as_json: bool) -> None:
    if as_json:
        print(json.dumps([{k: r[k] for k in LIST_KEYS} for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        print("Aucune alerte en cours ni levée ces 7 derniers jours.")
        return
    for r in rows:
        since = dt.datetime.fromisoformat(str(r["since"])).astimezone(ZoneInfo(LOME_TZ))
        taken = f"pris en charge par {r['acknowledged_by']}" if r["acknowledged_by"] else "non pris en charge"
        if r["state"] not in ("firing", "pending"):
            taken = ""
        group = r["group"] or "ensemble"
        head = f"{r['id']:>5}  {r['state']:<9} {r['rule']:<28} {group!s:<14}"
        value = r["value"]
        shown = "—" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        print(f"{head} valeur {shown}  depuis {since:%d/%m %H:%M}  {taken}")


def _alert_id(target: str | None) -> int:
    if target is None or not target.isdigit():
        raise AlertActionError("numéro d'alerte attendu : python app.py alerts ack ID --by NOM")
    return int(target)


def _who(by: str | None) -> str:
    if not by or not by.strip():
        raise AlertActionError("--by NOM est requis : qui prend l'alerte en charge")
    return by.strip()[:64]


def _until(text: str | None) -> dt.datetime | None:
    """A Lomé date means the end of that day; a full ISO instant is taken as given."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            return end_of_lome_day(dt.date.fromisoformat(text))
        parsed = dt.datetime.fromisoformat(text)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(LOME_TZ))).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise AlertActionError(f"date --until illisible « {text} » (attendu AAAA-MM-JJ)") from None
