"""Report files on disk: written atomically, listed by week. No dependency on the dashboard (it lists them)."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, payload: bytes) -> None:
    """One file: see :func:`write_all_or_nothing`."""
    write_all_or_nothing({path: payload})


def write_all_or_nothing(files: dict[Path, bytes]) -> None:
    """Write every file under a temporary name, then rename them all: a report is its PDF *and* its
    workbook, so a full disk or a crash leaves the previous versions (or nothing), never half a pair.
    Renames need no space, so once every payload is on disk the swap cannot fail for lack of it."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, payload in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.partial")
            staged.append((partial, path))
            with open(partial, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        for partial, path in staged:
            os.replace(partial, path)
    finally:
        for partial, _ in staged:
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
