"""Report files on disk: written atomically, listed by week, named for the structures they cover.

``<out>/<week>/vigie-rapport-<week>.pdf`` covers the whole ministry; ``vigie-rapport-<week>-CEET-ARSE.pdf`` covers
only those structures (sorted), each written as its file-name token (:func:`service_token`). No dependency on the
dashboard (it lists them).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

PREFIX = "vigie-rapport-"
_TOKEN = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class FileNameError(ValueError):
    """A structure whose name cannot be told apart in a report's file name; the message is French."""


def service_token(service: str) -> str:
    """A structure as it appears in a file name: « CEET » stays « CEET »; « Direction générale de l'énergie »
    becomes « Direction_generale_de_l_energie » (accents dropped, anything but letters and digits an ``_``), so a
    name never holds a path separator, a ``-`` (the separator of structures) nor a character a mail client mangles.
    FileNameError when nothing is left or it is longer than 64 characters."""
    ascii_ = unicodedata.normalize("NFKD", service).encode("ascii", "ignore").decode("ascii")
    token = re.sub(r"[^A-Za-z0-9]+", "_", ascii_).strip("_")
    if not _TOKEN.match(token):
        raise FileNameError(f"structure « {service} » : nom inutilisable dans un nom de fichier de rapport")
    return token


def check_tokens(services: Iterable[str]) -> dict[str, str]:
    """token -> structure for every structure of the catalogue; FileNameError when two share a token (their
    reports could not be told apart) or one has none."""
    found: dict[str, str] = {}
    for service in sorted(set(services)):
        token = service_token(service)
        if token in found:
            raise FileNameError(f"structures « {found[token]} » et « {service} » : même nom de fichier « {token} »")
        found[token] = service
    return found


def report_stem(week: str, services: frozenset[str] | None) -> str:
    """``vigie-rapport-<week>`` (whole ministry) or ``vigie-rapport-<week>-<S1>-<S2>`` (tokens, sorted)."""
    if services is None:
        return f"{PREFIX}{week}"
    if not services:
        raise FileNameError("un rapport par structure nomme au moins une structure")
    return "-".join([f"{PREFIX}{week}", *sorted(service_token(s) for s in services)])


def covered_services(name: str, week: str, tokens: dict[str, str]) -> frozenset[str] | None:
    """The structures a stored report's file covers: None for the whole ministry, the set for a scoped one.
    ``tokens``: :func:`check_tokens` of the catalogue. A name that is not a report's, or names a structure the
    catalogue no longer has, covers an empty set: nobody scoped sees it (fail closed)."""
    stem = name.rsplit(".", 1)[0]
    base = f"{PREFIX}{week}"
    if stem == base:
        return None
    if not stem.startswith(base + "-"):
        return frozenset()
    parts = stem[len(base) + 1 :].split("-")
    if not all(p in tokens for p in parts):
        return frozenset()
    return frozenset(tokens[p] for p in parts)


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
