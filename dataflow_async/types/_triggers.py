"""Triggers: when a workflow starts."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._enums import DayOfWeek, TriggerInterval, TriggerRuleType, TriggerType

__all__ = ["Trigger", "TriggerRule"]


@attrs.frozen
class TriggerRule:
    """When a trigger fires.

    ``RECURRING`` rules need ``interval`` and ``time`` (``"mm"`` for ``HOUR``, ``"HH:mm"``
    otherwise), plus ``day_of_week`` for ``WEEK`` and ``date_of_month`` (``"1"``-``"31"``,
    or ``"-1"`` for the last day) for ``MONTH``. ``ONE_TIME`` rules need
    ``execution_date``. Times are read in KST (UTC+9) by the service.
    """

    type: TriggerRuleType | str
    interval: TriggerInterval | str | None = None
    time: str | None = None
    day_of_week: tuple[DayOfWeek | str, ...] | None = None
    date_of_month: str | None = None
    execution_date: str | None = None


@attrs.frozen
class Trigger:
    """A trigger: ``SCHEDULED`` by its rule, ``EVENT``, or ``NONE`` (started by hand)."""

    trigger_id: str
    name: str
    type: TriggerType | str
    trigger_rule: TriggerRule
    created_date: datetime | None = None
    updated_date: datetime | None = None
