"""``dataflow-async triggers ...``: list, show, create and delete triggers."""

from __future__ import annotations

import argparse
from typing import Any

from .. import DayOfWeek, TriggerInterval, TriggerRuleType, TriggerType
from ._common import (
    add_list_parser,
    add_object_parser,
    read_json_body,
    run_done,
    run_list,
    run_object,
)
from ._errors import UsageError
from ._jobs_edit import add_body_option
from ._options import CliParser, Subcommands, choice
from ._program import PROG
from ._views import TRIGGER_VIEW

__all__ = ["register"]


def _names(enum: Any) -> str:
    return ", ".join(member.value for member in enum)


def _choice(enum: Any) -> Any:
    return choice(enum, label=lambda member: member.value)


def day_list(text: str) -> tuple[str, ...]:
    """The ``--day-of-week`` type: ``MONDAY,friday`` (any case, full names)."""
    convert = _choice(DayOfWeek)
    return tuple(convert(part).value for part in text.split(","))


_CREATE_EPILOG = f"""\
A trigger starts workflows on a schedule. The rule's fields by --rule-type:
  RECURRING  --interval HOUR|DAY|WEEK|MONTH and --time HH:mm; WEEK also
             --day-of-week (comma-separated), MONTH also --date-of-month (1-31, -1: last)
  ONE_TIME   --execution-date (as the API writes it, e.g. 2026-12-24T09:00)
--json FILE (or - for stdin) gives a whole body as the API spells it (name, type,
triggerRule); options given with it replace its fields. The library checks the rule
before anything is sent: a missing field exits 2.

examples:
  {PROG} triggers create -n nightly --type SCHEDULED --rule-type RECURRING \\
      --interval DAY --time 02:00
  {PROG} triggers create -n weekly --type scheduled --rule-type recurring \\
      --interval week --day-of-week MONDAY,THURSDAY --time 06:30
  {PROG} triggers create --json trigger.json -o json
"""


def register(commands: Subcommands) -> None:
    """Add ``triggers`` and its actions to the command line."""
    group = commands.add_parser(
        "triggers",
        help="list, show, create and delete triggers (schedules)",
        description="Work with triggers.",
        epilog=f"examples:\n  {PROG} triggers list\n  {PROG} triggers get TRIGGER_ID",
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", parser_class=CliParser)
    listing = add_list_parser(
        actions,
        "list",
        help="list triggers",
        description="List triggers (GET /api/v1/triggers), page after page.",
        epilog=f"Formats and failures as 'jobs list'.\n\nexample:\n  {PROG} triggers list "
        "-n nightly",
    )
    listing.add_argument(
        "-n", "--name", metavar="NAME", help="only triggers matching this name, e.g. -n nightly"
    )
    listing.set_defaults(handler=cmd_list)
    get = add_object_parser(
        actions,
        "get",
        help="show one trigger",
        description="Show one trigger (GET /api/v1/triggers/{triggerId}).",
        epilog=f"example:\n  {PROG} triggers get TRIGGER_ID -o json",
    )
    get.add_argument(
        "trigger_id", metavar="TRIGGER_ID", help="the trigger's id (see 'triggers list')"
    )
    get.set_defaults(handler=cmd_get)
    create = add_object_parser(
        actions,
        "create",
        help="create a trigger",
        description="Create a trigger (POST /api/v1/triggers) and show it.",
        epilog=_CREATE_EPILOG,
    )
    _add_create_options(create)
    create.set_defaults(handler=cmd_create)
    delete = add_object_parser(
        actions,
        "delete",
        help="delete a trigger",
        description="Delete a trigger (DELETE /api/v1/triggers/{triggerId}).",
        epilog='Prints \'deleted trigger ID\' (-o json: {"trigger_id": "ID", "deleted": true}).'
        f"\n\nexample:\n  {PROG} triggers delete TRIGGER_ID",
    )
    delete.add_argument(
        "trigger_id", metavar="TRIGGER_ID", help="the trigger's id (see 'triggers list')"
    )
    delete.set_defaults(handler=cmd_delete)


def _add_create_options(create: CliParser) -> None:
    create.add_argument("-n", "--name", metavar="NAME", help="the trigger's name, e.g. -n nightly")
    create.add_argument(
        "-t",
        "--type",
        metavar="TYPE",
        type=_choice(TriggerType),
        help=f"one of {_names(TriggerType)} (any case), e.g. -t SCHEDULED",
    )
    create.add_argument(
        "--rule-type",
        metavar="TYPE",
        type=_choice(TriggerRuleType),
        help=f"one of {_names(TriggerRuleType)} (any case), e.g. --rule-type RECURRING",
    )
    create.add_argument(
        "--interval",
        metavar="UNIT",
        type=_choice(TriggerInterval),
        help=f"RECURRING: one of {_names(TriggerInterval)} (any case), e.g. --interval DAY",
    )
    create.add_argument("--time", metavar="HH:MM", help="RECURRING: the time, e.g. --time 02:00")
    create.add_argument(
        "--day-of-week",
        metavar="DAYS",
        type=day_list,
        help="WEEK: days, comma-separated (any case), e.g. --day-of-week MONDAY,FRIDAY",
    )
    create.add_argument(
        "--date-of-month",
        metavar="DAY",
        help="MONTH: the day, 1 to 31 or -1 for the last, e.g. --date-of-month 1",
    )
    create.add_argument(
        "--execution-date",
        metavar="DATE",
        help="ONE_TIME: when, e.g. --execution-date 2026-12-24T09:00",
    )
    add_body_option(create, "trigger")


_RULE_OPTIONS = (
    ("rule_type", "type"),
    ("interval", "interval"),
    ("time", "time"),
    ("day_of_week", "day_of_week"),
    ("date_of_month", "date_of_month"),
    ("execution_date", "execution_date"),
)


def create_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``client.triggers.create``: ``--json``, then options."""
    kwargs: dict[str, Any] = {}
    keys = {"name": "name", "type": "type", "triggerRule": "rule", "trigger_rule": "rule"}
    for key, value in read_json_body(args.json).items():
        if key not in keys:
            raise UsageError(f"argument --json: unknown key {key!r} in a trigger")
        kwargs[keys[key]] = value
    for option in ("name", "type"):
        if getattr(args, option) is not None:
            kwargs[option] = getattr(args, option)
    rule = kwargs.get("rule")
    rule = dict(rule) if isinstance(rule, dict) else {}
    for option, field in _RULE_OPTIONS:
        value = getattr(args, option)
        if value is not None:
            rule.pop(field, None)
            rule.pop(_camel(field), None)
            rule[field] = value
    kwargs["rule"] = rule
    for needed, flag in (("name", "--name"), ("type", "--type")):
        if needed not in kwargs:
            raise UsageError(f'a trigger needs a {needed}: {flag} (or "{needed}" in --json)')
    if "type" not in rule:
        raise UsageError('a trigger needs a rule type: --rule-type (or "triggerRule" in --json)')
    return kwargs


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def cmd_list(args: argparse.Namespace) -> int:
    """``triggers list``."""
    if args.name is not None and not args.name:
        raise UsageError("argument -n/--name: must not be empty")
    return run_list(
        args,
        TRIGGER_VIEW,
        lambda client: client.triggers.iter(
            name=args.name, page_size=args.page_size, max_items=args.max_items
        ),
    )


def cmd_get(args: argparse.Namespace) -> int:
    """``triggers get TRIGGER_ID``."""
    return run_object(args, TRIGGER_VIEW, lambda client: client.triggers.get(args.trigger_id))


def cmd_create(args: argparse.Namespace) -> int:
    """``triggers create``."""
    kwargs = create_arguments(args)
    return run_object(args, TRIGGER_VIEW, lambda client: client.triggers.create(**kwargs))


def cmd_delete(args: argparse.Namespace) -> int:
    """``triggers delete TRIGGER_ID``."""
    return run_done(
        args,
        lambda client: client.triggers.delete(args.trigger_id),
        text=f"deleted trigger {args.trigger_id}",
        record={"trigger_id": args.trigger_id, "deleted": True},
    )
