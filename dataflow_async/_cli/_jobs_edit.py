"""``jobs get``, ``jobs create`` and ``jobs delete``."""

from __future__ import annotations

import argparse
from typing import Any

from .. import JobType
from ._common import add_object_parser, read_json_body, run_done, run_object
from ._errors import UsageError
from ._options import CliParser, Subcommands, choice, integer
from ._program import PROG

__all__ = ["add_body_option", "parameter", "register_actions"]

TYPE_NAMES = ", ".join(t.value for t in JobType)
job_type = choice(JobType, label=lambda kind: kind.value)

_GET_EPILOG = f"""\
The table is one 'KEY  value' line per field; -o json is one JSON object with the
library's field names (job_condition and nodes included). On failure nothing is
written on stdout.

examples:
  {PROG} jobs get job000000001
  {PROG} jobs get job000000001 -o json | jq .job_condition
"""

_CREATE_EPILOG = f"""\
The options give the essential fields; --json FILE (or - for stdin) gives a whole
body as the API spells it (name, type, jobCondition, maxConcurrentRuns, nodes; snake_case
keys work too). Options given with --json replace the body's fields. The library checks
the body before anything is sent: a bad value exits 2.

examples:
  {PROG} jobs create --name nightly-etl --type SCRIPT --num-worker 2 --timeout-minutes 60
  {PROG} jobs create -n visual-copy -t visual --json job.json -o json
  cat job.json | {PROG} jobs create --json -
"""

_DELETE_EPILOG = f"""\
Prints 'deleted job ID' (-o json: {{"job_id": "ID", "deleted": true}}).

example:
  {PROG} jobs delete job000000001
"""


def parameter(text: str) -> tuple[str, str]:
    """The ``--param KEY=VALUE`` type."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, got {text!r}")
    return key, value


def add_body_option(parser: CliParser, what: str) -> None:
    """``--json FILE|-``: a whole request body."""
    parser.add_argument(
        "--json",
        metavar="FILE",
        help=f"read the {what} from this JSON file ('-': stdin), e.g. --json {what}.json",
    )


def register_actions(actions: Subcommands) -> None:
    """Add ``get``, ``create`` and ``delete`` to the ``jobs`` group."""
    get = add_object_parser(
        actions,
        "get",
        help="show one job with its settings",
        description="Show one job (GET /api/v1/jobs/{jobId}).",
        epilog=_GET_EPILOG,
    )
    get.add_argument("job_id", metavar="JOB_ID", help="the job's id (see 'jobs list')")
    get.set_defaults(handler=cmd_get)

    create = add_object_parser(
        actions,
        "create",
        help="create a job",
        description="Create a job (POST /api/v1/jobs) and show it as the service answers.",
        epilog=_CREATE_EPILOG,
    )
    _add_create_options(create)
    create.set_defaults(handler=cmd_create)

    delete = add_object_parser(
        actions,
        "delete",
        help="delete a job",
        description="Delete a job (DELETE /api/v1/jobs/{jobId}).",
        epilog=_DELETE_EPILOG,
    )
    delete.add_argument("job_id", metavar="JOB_ID", help="the job's id (see 'jobs list')")
    delete.set_defaults(handler=cmd_delete)


def _add_create_options(create: CliParser) -> None:
    create.add_argument("-n", "--name", metavar="NAME", help="the job's name, e.g. -n nightly")
    create.add_argument(
        "-t",
        "--type",
        metavar="TYPE",
        type=job_type,
        help=f"one of {TYPE_NAMES} (any case; default SCRIPT), e.g. -t script",
    )
    create.add_argument(
        "--max-concurrent-runs",
        metavar="N",
        type=integer(1),
        help="executions that may run at once, e.g. --max-concurrent-runs 1",
    )
    create.add_argument(
        "--num-worker", metavar="N", type=integer(1), help="workers, e.g. --num-worker 2"
    )
    create.add_argument(
        "--worker-type", metavar="TYPE", help="worker type, e.g. --worker-type DEFAULT"
    )
    create.add_argument(
        "--timeout-minutes",
        metavar="M",
        type=integer(1),
        help="a run longer than this fails, e.g. --timeout-minutes 60",
    )
    create.add_argument(
        "--script-path",
        metavar="PATH",
        help="the script's object path, e.g. --script-path bucket/scripts/etl.py",
    )
    create.add_argument(
        "--log-path",
        metavar="PATH",
        help="where logs are written, e.g. --log-path bucket/logs/",
    )
    create.add_argument(
        "--nrn",
        metavar="NRN",
        help="the role (NRN) runs use, e.g. --nrn nrn:PUB:IAM::1000000:Role/etl",
    )
    create.add_argument(
        "-p",
        "--param",
        metavar="KEY=VALUE",
        type=parameter,
        action="append",
        help="a run parameter (repeatable), e.g. -p date=2026-01-31",
    )
    add_body_option(create, "job")


_CONDITION_OPTIONS = (
    ("num_worker", "num_worker"),
    ("worker_type", "worker_type"),
    ("timeout_minutes", "timeout"),
    ("script_path", "script_path"),
    ("log_path", "log_path"),
    ("nrn", "nrn"),
)
_BODY_KEYS = {
    "name": "name",
    "type": "type",
    "jobCondition": "job_condition",
    "job_condition": "job_condition",
    "maxConcurrentRuns": "max_concurrent_runs",
    "max_concurrent_runs": "max_concurrent_runs",
    "nodes": "nodes",
}


def create_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``client.jobs.create``: ``--json``, then the options."""
    kwargs: dict[str, Any] = {}
    for key, value in read_json_body(args.json).items():
        if key not in _BODY_KEYS:
            raise UsageError(f"argument --json: unknown key {key!r} in a job")
        kwargs[_BODY_KEYS[key]] = value
    for option in ("name", "type", "max_concurrent_runs"):
        if getattr(args, option) is not None:
            kwargs[option] = getattr(args, option)
    condition = dict(kwargs.get("job_condition") or {})
    for option, field in _CONDITION_OPTIONS:
        if getattr(args, option) is not None:
            condition[field] = getattr(args, option)
    if args.param:
        condition["parameters"] = dict(args.param)
    if condition:
        kwargs["job_condition"] = condition
    if "name" not in kwargs:
        raise UsageError('a job needs a name: --name NAME (or "name" in --json)')
    return kwargs


def cmd_get(args: argparse.Namespace) -> int:
    """``jobs get JOB_ID``."""
    from ._jobs import JOB_VIEW

    return run_object(args, JOB_VIEW, lambda client: client.jobs.get(args.job_id))


def cmd_create(args: argparse.Namespace) -> int:
    """``jobs create``."""
    from ._jobs import JOB_VIEW

    kwargs = create_arguments(args)
    return run_object(args, JOB_VIEW, lambda client: client.jobs.create(**kwargs))


def cmd_delete(args: argparse.Namespace) -> int:
    """``jobs delete JOB_ID``."""
    return run_done(
        args,
        lambda client: client.jobs.delete(args.job_id),
        text=f"deleted job {args.job_id}",
        record={"job_id": args.job_id, "deleted": True},
    )
