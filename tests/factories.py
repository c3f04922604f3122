"""A small source schema that every test backend can hold, and helpers to fill it.

Column names differ from the canonical model on purpose: the mapping SQL does the work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, text

from domain.config import SourceSettings

STATUS_MAP = {
    "DEP": "submitted",
    "INS": "in_review",
    "ATT": "awaiting_applicant",
    "OK": "approved",
    "KO": "rejected",
    "ABD": "withdrawn",
}

CASES_SQL = """SELECT c.ref AS case_id, c.proc AS procedure_code, c.deposited AS submitted_at, c.chan AS channel,
                      c.reg AS region, c.officer AS agent, c.modified AS updated_at
               FROM src_cases c WHERE c.modified >= :since"""
EVENTS_SQL = """SELECT e.ref AS case_id, e.st AS status, e.happened AS at, e.id AS seq, e.modified AS updated_at
                FROM src_events e WHERE e.modified >= :since"""


def create_source_schema(engine: Engine) -> None:
    ts = "DATETIME(6)" if engine.dialect.name in ("mysql", "mariadb") else "TIMESTAMP"
    auto = {"postgresql": "BIGSERIAL PRIMARY KEY", "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT"}.get(
        engine.dialect.name, "BIGINT AUTO_INCREMENT PRIMARY KEY"
    )
    with engine.begin() as conn:
        conn.execute(
            text(f"""CREATE TABLE src_cases (ref VARCHAR(64) PRIMARY KEY, proc VARCHAR(32), deposited {ts} NULL,
                               chan VARCHAR(16), reg VARCHAR(32), officer VARCHAR(64), modified {ts} NOT NULL)""")
        )
        conn.execute(
            text(f"""CREATE TABLE src_events (id {auto}, ref VARCHAR(64), st VARCHAR(16), happened {ts} NULL,
                               modified {ts} NOT NULL)""")
        )
        conn.execute(text("CREATE INDEX ix_src_cases_mod ON src_cases (modified)"))
        conn.execute(text("CREATE INDEX ix_src_events_mod ON src_events (modified)"))


def add_case(
    engine: Engine,
    ref: str,
    modified: dt.datetime,
    *,
    proc: str = "CEET-BT",
    deposited: Any = "same",
    chan: str = "online",
    reg: str = "Maritime",
    officer: str | None = None,
    events: tuple[tuple[str, dt.datetime], ...] = (),
) -> None:
    """Insert (or replace) a source case, and append its status events (modified = event time)."""
    deposited = modified if deposited == "same" else deposited
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM src_cases WHERE ref = :r"), {"r": ref})
        conn.execute(
            text("INSERT INTO src_cases VALUES (:r, :p, :d, :c, :g, :o, :m)"),
            {"r": ref, "p": proc, "d": deposited, "c": chan, "g": reg, "o": officer, "m": modified},
        )
        for status, at in events:
            conn.execute(
                text("INSERT INTO src_events (ref, st, happened, modified) VALUES (:r, :s, :a, :m)"),
                {"r": ref, "s": status, "a": at, "m": at},
            )


def source_settings(url: str, name: str = "src", **overrides: Any) -> SourceSettings:
    values: dict[str, Any] = {
        "name": name,
        "url": url,
        "cases_sql": CASES_SQL,
        "events_sql": EVENTS_SQL,
        "status_map": STATUS_MAP,
        "every_seconds": 30,
        "timezone": "Africa/Lome",
        "timeout_seconds": 5,
    }
    values.update(overrides)
    return SourceSettings(**values)


def naive(*args: int) -> dt.datetime:
    """A naive wall-clock datetime, as legacy sources store them."""
    return dt.datetime(*args)  # noqa: DTZ001 - deliberately naive: that is what the sources hold


def csrf_headers(client: Any, page: str = "/wall") -> dict[str, str]:
    """Load a page as a browser would, and return the X-CSRFToken header its cookie gives."""
    client.get(page)
    cookie = client.get_cookie("_csrf_token")
    assert cookie is not None, "the page set no _csrf_token cookie"
    return {"X-CSRFToken": cookie.value}
