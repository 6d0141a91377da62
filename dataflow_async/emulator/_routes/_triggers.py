"""Trigger routes: getTriggers (name filter), getTrigger, createTrigger, deleteTrigger."""

from __future__ import annotations

from typing import Any

from .._validate import check_enum, check_name, trigger_rule
from .._wire import Response, kst, not_found, ok
from ._common import Call, page_of

__all__ = ["create_trigger", "delete_trigger", "get_trigger", "list_triggers"]

TRIGGER_TYPES = ("SCHEDULED", "EVENT", "NONE")


def _newest_first(items: dict[str, dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return sorted(items.values(), key=lambda item: (str(item.get("createdDate")), item[key]))[::-1]


def list_triggers(call: Call) -> Response:
    """GET /api/v1/triggers: newest first; ``name`` is a case-sensitive substring."""
    name = call.query.get("name") or None
    triggers = [
        trigger
        for trigger in _newest_first(call.store.triggers, "triggerId")
        if name is None or name in str(trigger.get("name", ""))
    ]
    return page_of(call, triggers, dict)


def find_trigger(call: Call, trigger_id: str) -> dict[str, Any]:
    """The trigger with this id, or 404."""
    trigger = call.store.triggers.get(trigger_id)
    if trigger is None:
        raise not_found("trigger", trigger_id)
    return trigger


def get_trigger(call: Call) -> Response:
    """GET /api/v1/triggers/{triggerId}."""
    return ok(find_trigger(call, call.params[0]))


def create_trigger(call: Call) -> Response:
    """POST /api/v1/triggers: 201 and the new trigger."""
    body = call.object_body()
    name = check_name(body.get("name"))
    kind = check_enum(body.get("type"), "type", TRIGGER_TYPES)
    rule = trigger_rule(body.get("triggerRule"), kind)
    trigger_id = call.store.new_id()
    created = kst(call.now)
    trigger = {
        "triggerId": trigger_id,
        "name": name,
        "type": kind,
        "triggerRule": rule,
        "createdDate": created,
        "updatedDate": created,
    }
    call.store.triggers[trigger_id] = trigger
    return ok(trigger, 201)


def delete_trigger(call: Call) -> Response:
    """DELETE /api/v1/triggers/{triggerId}: ``true`` (workflow nodes then show isValid false)."""
    trigger = find_trigger(call, call.params[0])
    del call.store.triggers[trigger["triggerId"]]
    return ok(True)
