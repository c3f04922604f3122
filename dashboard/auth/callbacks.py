"""The role a Dash callback request needs, read from the server's own callback map.

A request names its callback by the ``output`` string; the components that decide the role
are the ones the server declared for that callback, never the ids the request lists (a
client could list harmless ids beside a private output). A body that does not match the
declared callback's shape is refused here, before Dash would fail on it with a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dashboard.auth.roles import callback_role
from dashboard.auth.scope import callback_in_scope


@dataclass(frozen=True)
class CallbackCheck:
    """What the gate needs to know of a callback request: the least role (None: no such callback) and
    whether the body has the declared callback's shape."""

    role: str | None
    well_formed: bool
    applies_scope: bool = False  # every component it touches is one whose callbacks apply an account's scope


def callback_gate(callback_map: Mapping[str, dict[str, Any]]) -> Callable[[object], CallbackCheck]:
    """A function from a request body to its callback's check. ``callback_map`` is read at each call:
    callbacks may be added after start-up."""
    roles: dict[str, tuple[str, bool]] = {}

    def check(body: object) -> CallbackCheck:
        output = body.get("output") if isinstance(body, dict) else None
        spec = callback_map.get(output) if isinstance(output, str) else None
        if spec is None:
            return CallbackCheck(None, False)
        if output not in roles:
            declared = declared_ids(spec)
            roles[output] = (callback_role(declared), callback_in_scope(declared))
        role, applies_scope = roles[output]
        return CallbackCheck(role, well_formed(body, spec), applies_scope)

    return check


def declared_ids(spec: dict[str, Any]) -> list[str]:
    """The ids a callback writes, reads and keeps as state; a pattern-matching id counts by its "type"."""
    outputs = spec["output"] if isinstance(spec["output"], list | tuple) else [spec["output"]]
    ids = [o.component_id for o in outputs] + [i["id"] for i in spec.get("inputs", []) + spec.get("state", [])]
    return [_id_name(i) for i in ids]


def well_formed(body: dict, spec: dict[str, Any]) -> bool:
    """The body carries as many inputs and states as the callback declares, each an id and a property."""
    inputs, state = body.get("inputs"), body.get("state", [])
    if not isinstance(inputs, list) or not isinstance(state, list):
        return False
    if len(inputs) != len(spec.get("inputs", [])) or len(state) != len(spec.get("state", [])):
        return False
    if not isinstance(body.get("outputs"), dict | list) or not isinstance(body.get("changedPropIds", []), list):
        return False
    return all(_dependency(item) for item in inputs + state)


def _dependency(item: object) -> bool:
    if isinstance(item, list):  # a pattern-matching (ALL) input: a list of matches
        return all(_dependency(i) for i in item)
    return isinstance(item, dict) and isinstance(item.get("id"), str | dict) and isinstance(item.get("property"), str)


def _id_name(component_id: object) -> str:
    if isinstance(component_id, dict):
        return str(component_id.get("type", ""))
    text = str(component_id)
    if text.startswith("{"):
        try:
            return str(json.loads(text).get("type", ""))
        except (ValueError, AttributeError):
            return text
    return text
