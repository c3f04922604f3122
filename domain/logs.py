"""Process logging: text or JSON lines, and no secret ever written.

Database URLs carry passwords (``postgresql://user:secret@host``) and driver errors sometimes
repeat them: every record is scrubbed before it is formatted, whatever the format.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<secret>[^@\s]+)@", re.IGNORECASE)
_KEY_VALUE = re.compile(r"(?P<key>password|passwd|pwd|secret|token)(?P<sep>\s*[=:]\s*)(?P<value>[^\s,;&'\"]+)", re.IGNORECASE)
MASK = "***"


def scrub(text: str) -> str:
    """``postgresql://vigie:s3cret@db`` -> ``postgresql://vigie:***@db``; ``password=x`` -> ``password=***``."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _KEY_VALUE.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text)


class ScrubSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: ts (UTC, ISO 8601), level, logger, message, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(json_lines: bool, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ScrubSecrets())
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is the proxy's job
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # fpdf2's font subsetting: ~100 INFO lines per PDF
