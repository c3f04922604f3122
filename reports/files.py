"""Report files on disk: written atomically, listed by week. No dependency on the dashboard (it lists them)."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def list_reports(out_dir: Path) -> list[tuple[str, list[Path]]]:
    """(week, files) for every stored report, newest week first; partial files are not listed."""
    if not out_dir.is_dir():
        return []
    weeks = []
    for folder in sorted((p for p in out_dir.iterdir() if p.is_dir()), reverse=True):
        files = sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
        if files:
            weeks.append((folder.name, files))
    return weeks
