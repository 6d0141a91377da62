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

    Attributes:
        type: A `TriggerRuleType` (`RECURRING`, `ONE_TIME` or `NONE`), or the string the
            server sent.
        interval: A `TriggerInterval` for a `RECURRING` rule.
        time: `"mm"` for `HOUR`, `"HH:mm"` otherwise (KST).
        day_of_week: `DayOfWeek`s for `WEEK`.
        date_of_month: `"1"`-`"31"`, or `"-1"` for the last day, for `MONTH`.
        execution_date: When a `ONE_TIME` rule fires.
    """

    type: TriggerRuleType | str
    interval: TriggerInterval | str | None = None
    time: str | None = None
    day_of_week: tuple[DayOfWeek | str, ...] | None = None
    date_of_month: str | None = None
    execution_date: str | None = None


@attrs.frozen
class Trigger:
    """A trigger: ``SCHEDULED`` by its rule, ``EVENT``, or ``NONE`` (started by hand).

    Attributes:
        trigger_id: The trigger's id.
        name: The trigger's name.
        type: A `TriggerType`, or the string the server sent.
        trigger_rule: When it fires, a `TriggerRule`.
        created_date: When it was created.
        updated_date: When it last changed.
    """

    trigger_id: str
    name: str
    type: TriggerType | str
    trigger_rule: TriggerRule
    created_date: datetime | None = None
    updated_date: datetime | None = None
