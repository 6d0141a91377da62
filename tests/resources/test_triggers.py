"""client.triggers against scripted servers: refusals and odd answers first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dataflow_async import (
    APIConnectionError,
    BadRequestError,
    DataFlowClient,
    DayOfWeek,
    NotFoundError,
    ServerError,
    Trigger,
    TriggerInterval,
    TriggerRule,
    TriggerRuleType,
    TriggerType,
    UnexpectedResponseError,
)

from .conftest import ScriptedAPI, error, page, reply

TRIGGER = {
    "triggerId": "Tg3mL8vR1cYb",
    "name": "nightly_0200",
    "type": "SCHEDULED",
    "triggerRule": {"type": "RECURRING", "interval": "DAY", "time": "02:00"},
    "createdDate": "2026-09-30T10:55:00+09:00",
    "updatedDate": "2026-09-30T10:55:00+09:00",
}


@pytest.mark.parametrize(
    ("rule", "match"),
    [
        ({"type": "RECURRING", "time": "02:00"}, "interval and time"),
        ({"type": "RECURRING", "interval": "DAY"}, "interval and time"),
        ({"type": "recurring", "interval": "week", "time": "06:30"}, "day_of_week"),
        (
            {"type": "RECURRING", "interval": "WEEK", "time": "06:30", "dayOfWeek": []},
            "day_of_week",
        ),
        (
            {"type": "RECURRING", "interval": "WEEK", "time": "06:30", "day_of_week": ["FUNDAY"]},
            "day_of_week",
        ),
        ({"type": "RECURRING", "interval": "MONTH", "time": "06:30"}, "date_of_month"),
        (
            {"type": "RECURRING", "interval": "MONTH", "time": "06:30", "date_of_month": "32"},
            "date_of_month",
        ),
        (
            {"type": "RECURRING", "interval": "MONTH", "time": "06:30", "date_of_month": "0"},
            "date_of_month",
        ),
        ({"type": "ONE_TIME"}, "execution_date"),
        ({"interval": "DAY"}, "type"),
        ({"type": "NONE", "cron": "* * * * *"}, "unknown key"),
    ],
)
async def test_create_refuses_a_rule_missing_what_its_type_requires(
    client: DataFlowClient, api: ScriptedAPI, rule: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        await client.triggers.create(name="nightly", type="SCHEDULED", rule=rule)
    assert api.requests == []


async def test_create_refuses_bad_names_and_ids_before_sending(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    with pytest.raises(ValueError, match="name"):
        await client.triggers.create(name="no", type="NONE", rule={"type": "NONE"})
    with pytest.raises(TypeError, match="rule"):
        await client.triggers.create(name="manual", type="NONE", rule="NONE")  # type: ignore[arg-type]
    for bad in ("", "a/b"):
        with pytest.raises(ValueError, match="trigger_id"):
            await client.triggers.get(bad)
        with pytest.raises(ValueError, match="trigger_id"):
            await client.triggers.delete(bad)
    assert api.requests == []


@pytest.mark.parametrize(
    ("rule", "sent"),
    [
        (
            TriggerRule(
                type=TriggerRuleType.RECURRING,
                interval=TriggerInterval.WEEK,
                time="06:30",
                day_of_week=(DayOfWeek.MONDAY, "wednesday"),
            ),
            {
                "type": "RECURRING",
                "interval": "WEEK",
                "time": "06:30",
                "dayOfWeek": ["MONDAY", "WEDNESDAY"],
            },
        ),
        (
            {"type": "recurring", "interval": "month", "time": "01:00", "dateOfMonth": -1},
            {"type": "RECURRING", "interval": "MONTH", "time": "01:00", "dateOfMonth": "-1"},
        ),
        (
            {"type": "RECURRING", "interval": "HOUR", "time": "05"},
            {"type": "RECURRING", "interval": "HOUR", "time": "05"},
        ),
        (
            {"type": "ONE_TIME", "execution_date": "2026-11-01T03:00:00"},
            {"type": "ONE_TIME", "executionDate": "2026-11-01T03:00:00"},
        ),
        ({"type": "none"}, {"type": "NONE"}),
    ],
)
async def test_create_sends_the_rule_in_camel_case(
    client: DataFlowClient, api: ScriptedAPI, rule: Any, sent: dict[str, Any]
) -> None:
    api.add("POST", "/api/v1/triggers", reply(201, TRIGGER))
    trigger = await client.triggers.create(name="weekly_mon_wed", type="scheduled", rule=rule)
    assert isinstance(trigger, Trigger) and trigger.type is TriggerType.SCHEDULED
    assert api.bodies() == [{"name": "weekly_mon_wed", "type": "SCHEDULED", "triggerRule": sent}]


async def test_create_refusal_and_odd_answers(client: DataFlowClient, api: ScriptedAPI) -> None:
    api.add(
        "POST",
        "/api/v1/triggers",
        error(400, "bad-parameter", "triggerRule.time"),
        reply(200, {"triggerId": "x"}),
        reply(503),
    )
    rule = {"type": "NONE"}
    with pytest.raises(BadRequestError):
        await client.triggers.create(name="manual_start", type="NONE", rule=rule)
    with pytest.raises(UnexpectedResponseError):
        await client.triggers.create(name="manual_start", type="NONE", rule=rule)
    with pytest.raises((ServerError, APIConnectionError)):
        await client.triggers.create(name="manual_start", type="NONE", rule=rule)
    assert len(api.requests) == 3


async def test_get_reads_a_trigger_and_unknown_values(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    later = {**TRIGGER, "type": "WEBHOOK", "triggerRule": {"type": "CRON", "cron": "0 2 * * *"}}
    api.add(
        "GET",
        "/api/v1/triggers/Tg3mL8vR1cYb",
        reply(200, TRIGGER),
        reply(200, later),
        error(404, "NOT_FOUND", "trigger not found"),
    )
    trigger = await client.triggers.get("Tg3mL8vR1cYb")
    assert trigger.trigger_rule.interval is TriggerInterval.DAY
    odd = await client.triggers.get("Tg3mL8vR1cYb")
    assert odd.type == "WEBHOOK" and odd.trigger_rule.type == "CRON"
    with pytest.raises(NotFoundError):
        await client.triggers.get("Tg3mL8vR1cYb")


async def test_list_and_iter_filter_by_name(client: DataFlowClient, api: ScriptedAPI) -> None:
    triggers = [{**TRIGGER, "triggerId": f"t{i}"} for i in range(3)]
    api.add("GET", "/api/v1/triggers", reply(200, page(triggers[:1], 0, 1)))
    api.add(
        "GET",
        "/api/v1/triggers",
        reply(200, page(triggers[:2], 0, 2)),
        reply(200, page(triggers[1:3], 1, 2)),
        reply(200, page([], 2, 2)),
    )
    first = await client.triggers.list(name="nightly", limit=1)
    assert [t.trigger_id for t in first.items] == ["t0"]
    walked = [
        t.trigger_id async for t in client.triggers.iter(name="nightly", page_size=2, prefetch=0)
    ]
    assert walked == ["t0", "t1", "t2"]
    assert {r.url.params["name"] for r in api.requests} == {"nightly"}
    with pytest.raises(ValueError, match="name"):
        await client.triggers.list(name="")


@pytest.mark.parametrize("answer", [reply(200, True), httpx.Response(204), httpx.Response(200)])
async def test_delete_accepts_true_empty_and_204(
    client: DataFlowClient, api: ScriptedAPI, answer: httpx.Response
) -> None:
    api.add("DELETE", "/api/v1/triggers/Tg3mL8vR1cYb", answer, reply(200, "deleted"))
    await client.triggers.delete("Tg3mL8vR1cYb")
    with pytest.raises(UnexpectedResponseError):
        await client.triggers.delete("Tg3mL8vR1cYb")
