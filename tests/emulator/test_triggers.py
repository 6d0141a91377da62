"""Trigger routes: the validation matrix of createTrigger, then list, get, delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dataflow_async.emulator import EmulatorApp

from .kit import assert_bad, assert_not_found, create_trigger

WEEKLY = {"type": "RECURRING", "interval": "WEEK", "time": "06:30", "dayOfWeek": ["MONDAY"]}


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"type": "NONE", "triggerRule": {"type": "NONE"}}, "name"),
        ({"name": "ab", "type": "NONE", "triggerRule": {"type": "NONE"}}, "name"),
        ({"name": "trig", "triggerRule": {"type": "NONE"}}, "type"),
        ({"name": "trig", "type": "CRON", "triggerRule": {"type": "NONE"}}, "type"),
        ({"name": "trig", "type": "NONE"}, "triggerRule"),
        ({"name": "trig", "type": "NONE", "triggerRule": {}}, "triggerRule.type"),
        ({"name": "trig", "type": "NONE", "triggerRule": {"type": "RECURRING"}}, "NONE"),
        ({"name": "trig", "type": "SCHEDULED", "triggerRule": {"type": "NONE"}}, "SCHEDULED"),
        ({"name": "trig", "type": "SCHEDULED", "triggerRule": {"type": "RECURRING"}}, "interval"),
    ],
)
async def test_create_rejects_a_wrong_top_level(
    app: EmulatorApp, client: httpx.AsyncClient, body: dict[str, Any], mentions: str
) -> None:
    assert_bad(await client.post("/api/v1/triggers", json=body), "bad-parameter", mentions)
    assert app.triggers == {}


@pytest.mark.parametrize(
    ("rule", "mentions"),
    [
        ({"interval": "YEAR", "time": "10:00"}, "triggerRule.interval"),
        ({"interval": "HOUR"}, "triggerRule.time"),
        ({"interval": "HOUR", "time": "60"}, "triggerRule.time"),
        ({"interval": "HOUR", "time": "5"}, "triggerRule.time"),
        ({"interval": "HOUR", "time": "10:00"}, "triggerRule.time"),
        ({"interval": "DAY", "time": "24:00"}, "triggerRule.time"),
        ({"interval": "DAY", "time": "10"}, "triggerRule.time"),
        ({"interval": "WEEK", "time": "10:00"}, "triggerRule.dayOfWeek"),
        ({"interval": "WEEK", "time": "10:00", "dayOfWeek": []}, "triggerRule.dayOfWeek"),
        ({"interval": "WEEK", "time": "10:00", "dayOfWeek": ["MON"]}, "triggerRule.dayOfWeek"),
        (
            {"interval": "WEEK", "time": "10:00", "dayOfWeek": ["MONDAY", "MONDAY"]},
            "triggerRule.dayOfWeek",
        ),
        ({"interval": "MONTH", "time": "10:00"}, "triggerRule.dateOfMonth"),
        ({"interval": "MONTH", "time": "10:00", "dateOfMonth": "32"}, "triggerRule.dateOfMonth"),
        ({"interval": "MONTH", "time": "10:00", "dateOfMonth": "0"}, "triggerRule.dateOfMonth"),
        ({"interval": "MONTH", "time": "10:00", "dateOfMonth": 5}, "triggerRule.dateOfMonth"),
    ],
)
async def test_create_rejects_a_recurring_rule_missing_what_it_needs(
    client: httpx.AsyncClient, rule: dict[str, Any], mentions: str
) -> None:
    body = {"name": "trig", "type": "SCHEDULED", "triggerRule": {"type": "RECURRING", **rule}}
    assert_bad(await client.post("/api/v1/triggers", json=body), "bad-parameter", mentions)


@pytest.mark.parametrize("date", [None, "", "tomorrow", "2026-13-01T00:00:00"])
async def test_create_rejects_a_one_time_rule_without_a_date(
    client: httpx.AsyncClient, date: str | None
) -> None:
    rule: dict[str, Any] = {"type": "ONE_TIME", "executionDate": date}
    body = {"name": "once", "type": "SCHEDULED", "triggerRule": rule}
    response = await client.post("/api/v1/triggers", json=body)
    assert_bad(response, "bad-parameter", "triggerRule.executionDate")


@pytest.mark.parametrize(
    ("kind", "rule", "stored"),
    [
        ("NONE", {"type": "NONE", "interval": "DAY"}, {"type": "NONE"}),
        ("EVENT", {"type": "NONE"}, {"type": "NONE"}),
        (
            "SCHEDULED",
            {"type": "RECURRING", "interval": "HOUR", "time": "05", "dayOfWeek": ["MONDAY"]},
            {"type": "RECURRING", "interval": "HOUR", "time": "05"},
        ),
        ("SCHEDULED", WEEKLY, WEEKLY),
        (
            "SCHEDULED",
            {"type": "RECURRING", "interval": "MONTH", "time": "23:59", "dateOfMonth": "-1"},
            {"type": "RECURRING", "interval": "MONTH", "time": "23:59", "dateOfMonth": "-1"},
        ),
        (
            "SCHEDULED",
            {"type": "ONE_TIME", "executionDate": "2026-11-01T03:00:00", "time": "10:00"},
            {"type": "ONE_TIME", "executionDate": "2026-11-01T03:00:00"},
        ),
    ],
)
async def test_create_keeps_only_the_fields_the_rule_uses(
    client: httpx.AsyncClient, kind: str, rule: dict[str, Any], stored: dict[str, Any]
) -> None:
    trigger = await create_trigger(client, kind, "my_trigger", **rule)
    assert trigger["type"] == kind
    assert trigger["triggerRule"] == stored
    assert trigger["createdDate"] == trigger["updatedDate"] == "2026-09-21T23:13:20+09:00"
    fetched = await client.get(f"/api/v1/triggers/{trigger['triggerId']}")
    assert fetched.json() == trigger


async def test_unknown_trigger_is_404(client: httpx.AsyncClient) -> None:
    assert_not_found(await client.get("/api/v1/triggers/NoSuchTrig12"), "NoSuchTrig12")
    assert_not_found(await client.delete("/api/v1/triggers/NoSuchTrig12"), "NoSuchTrig12")


async def test_list_filters_by_name_and_pages(app: EmulatorApp, client: httpx.AsyncClient) -> None:
    for name in ("nightly_0200", "nightly_0300", "manual_run"):
        await create_trigger(client, name=name)
    everything = (await client.get("/api/v1/triggers")).json()
    nightly = (await client.get("/api/v1/triggers", params={"name": "nightly"})).json()
    second = (await client.get("/api/v1/triggers", params={"limit": 2, "page": 1})).json()
    assert everything["count"] == 3 and everything["limit"] == 1000
    assert sorted(t["name"] for t in nightly["list"]) == ["nightly_0200", "nightly_0300"]
    assert second["count"] == 1 and second["page"] == 1
    assert_bad(await client.get("/api/v1/triggers?limit=-1"), "bad-parameter", "limit")


async def test_delete_answers_true_then_404(client: httpx.AsyncClient) -> None:
    trigger = await create_trigger(client)
    response = await client.delete(f"/api/v1/triggers/{trigger['triggerId']}")
    assert (response.status_code, response.json()) == (200, True)
    assert_not_found(
        await client.get(f"/api/v1/triggers/{trigger['triggerId']}"), trigger["triggerId"]
    )
