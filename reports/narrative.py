"""The report's few sentences, written from the numbers (pure, French).

For example: « Le stock de dossiers a augmenté de 12 % (+84), principalement à la CEET
(raccordements BT). » — the service and the procedure named are those whose backlog moved
most in the same direction as the total.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from domain.french import fr_number


def _signed(value: float, decimals: int = 0) -> str:
    return ("+" if value > 0 else "\u2212") + fr_number(abs(value), decimals)


def _leader(changes: dict[str, int], direction: int) -> str | None:
    """The key with the largest change in ``direction`` (+1/-1), or None."""
    moved = {k: v for k, v in changes.items() if v * direction > 0}
    return max(moved, key=lambda k: (abs(moved[k]), k)) if moved else None


def narrative(current: dict[str, Any], previous: dict[str, Any], catalog: pd.DataFrame) -> list[str]:
    now, before = current["overall"], previous["overall"]
    if now["inflow"] == 0 and now["outflow"] == 0 and now["backlog"] == 0:
        return ["Aucun dossier déposé, clos ou en cours durant cette semaine : il n'y a pas de donnée à analyser."]
    sentences = []
    delta = now["backlog"] - before["backlog"]
    if delta == 0:
        sentences.append(f"Le stock de dossiers en cours est stable ({fr_number(now['backlog'])}).")
    else:
        verb = "augmenté" if delta > 0 else "diminué"
        share = (
            f"de {fr_number(abs(100 * delta / before['backlog']))} % ({_signed(delta)})"
            if before["backlog"]
            else f"de {_signed(delta)}"
        )
        sentence = f"Le stock de dossiers a {verb} {share}"
        direction = 1 if delta > 0 else -1
        service = _leader(
            {s: m["backlog"] - previous["by_service"][s]["backlog"] for s, m in current["by_service"].items()}, direction
        )
        if service is not None:
            own = catalog.loc[catalog["service"] == service]
            procedure = _leader(
                {c: current["by_procedure"][c]["backlog"] - previous["by_procedure"][c]["backlog"] for c in own["code"]},
                direction,
            )
            where = f", principalement à {_article(service)}"
            if procedure is not None:
                name = own.loc[own["code"] == procedure, "name"].iloc[0].split(" (")[0]  # no parentheses inside ours
                where += f" ({name[0].lower() + name[1:]})"
            sentence += where
        sentences.append(sentence + ".")
    sentences.append(
        f"{fr_number(now['inflow'])} dossiers déposés et {fr_number(now['outflow'])} clos, contre "
        f"{fr_number(before['inflow'])} et {fr_number(before['outflow'])} la semaine précédente."
    )
    if now["sla_compliance_pct"] is not None:
        text = f"{fr_number(now['sla_compliance_pct'], 1)} % des dossiers clos l'ont été dans le délai légal"
        if before["sla_compliance_pct"] is not None:
            gap = now["sla_compliance_pct"] - before["sla_compliance_pct"]
            text += " (stable)" if round(gap, 1) == 0 else f" ({_signed(gap, 1)} point{'s' if abs(gap) >= 2 else ''})"
        sentences.append(text + ".")
    if now["breached_open"]:
        worst = max(current["by_service"], key=lambda s: (current["by_service"][s]["breached_open"], s))
        sentences.append(
            f"{fr_number(now['breached_open'])} dossiers en cours ont dépassé leur délai légal, dont "
            f"{fr_number(current['by_service'][worst]['breached_open'])} à {_article(worst)}."
        )
    else:
        sentences.append("Aucun dossier en cours n'a dépassé son délai légal.")
    sentences += tacit_sentences(current)
    return sentences


def tacit_sentences(current: dict[str, Any]) -> list[str]:
    """The decisions the legal silence took for the ministry (docs/kpis.md), named with their procedures: these
    are the cases to answer first."""
    out = []
    for key, one, many in (("tacit_accept_open", "accepté implicitement", "acceptés implicitement"),
                           ("tacit_reject_open", "rejeté implicitement", "rejetés implicitement")):  # fmt: skip
        total = current["overall"].get(key) or 0
        if not total:
            continue
        groups = sorted(((m[key], code) for code, m in current["by_procedure"].items() if m.get(key)), reverse=True)
        where = ", ".join(f"{code} : {fr_number(n)}" for n, code in groups[:3]) + (" …" if len(groups) > 3 else "")
        noun = "dossier en cours a été" if total == 1 else "dossiers en cours ont été"
        word = one if total == 1 else many
        their = "son" if total == 1 else "leur"
        out.append(f"{fr_number(total)} {noun} {word} à l'échéance de {their} délai, faute de réponse ({where}).")
    return out


def _article(service: str) -> str:
    """« la CEET », « l'ARSE », « la Direction générale… »: the article French needs before a service."""
    if service[:1].upper() in "AEIOUYÉ":
        return f"l'{service}"
    return f"la {service}"
