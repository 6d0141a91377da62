"""The ``dataflow-async`` command line.

::

    dataflow-async jobs list [options]   list jobs as a table, JSON, JSON Lines or CSV
    dataflow-async emulator [options]    serve the local Data Flow emulator
    dataflow-async demo [options]        run the real client against a throwaway emulator

:func:`main` returns the exit code (the console script calls ``sys.exit(main())``).
Expected failures print one line to stderr, never a traceback, and never a secret.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import io
import os
import shlex
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

import attrs
import httpx

from ._cli_output import (
    WRITERS,
    JobWriter,
    Progress,
    TableWriter,
    ensure_utf8,
    plural,
    render_table,
    wants_color,
    wants_progress,
)
from ._client import DEFAULT_BASE_URL, ENDPOINT_ENV_VAR, DataFlowClient
from ._credentials import Credentials
from ._errors import (
    APIConnectionError,
    AuthenticationError,
    DataFlowError,
    MissingCredentialsError,
    PermissionDeniedError,
)
from ._models import Job, JobStatus
from ._version import __version__

if TYPE_CHECKING:
    from .emulator import RequestRecord, RunningEmulator

__all__ = ["ExitCode", "build_parser", "main"]

PROG = "dataflow-async"


class ExitCode(IntEnum):
    """What ``dataflow-async`` exits with."""

    OK = 0
    ERROR = 1
    """The API answered with an error, or something it sent could not be used."""
    USAGE = 2
    """A bad option or argument; nothing was sent."""
    CREDENTIALS = 3
    """No credentials, or the API rejected them (authentication or permission)."""
    CONNECTION = 4
    """The endpoint could not be reached, or did not answer in time."""
    INTERRUPTED = 130
    """Ctrl+C (128 + SIGINT)."""
    BROKEN_PIPE = 141
    """The reader of stdout went away, as in ``| head`` (128 + SIGPIPE)."""


class UsageError(Exception):
    """A bad option value, reported as ``error: ...`` with exit code 2."""


# --------------------------------------------------------------------------- parser

_MAIN_EPILOG = f"""\
examples:
  {PROG} demo
  {PROG} jobs list --status RUNNING
  {PROG} jobs list --format jsonl | jq .name
  {PROG} emulator --port 8080

credentials come from NCLOUD_ACCESS_KEY_ID / NCLOUD_SECRET_ACCESS_KEY, else from
~/.ncloud/configure (profile DEFAULT, $NCLOUD_PROFILE or --profile).

on a terminal, 'jobs list' shows its progress on stderr and colours the table's
statuses; NO_COLOR=1 turns colour off, FORCE_COLOR=1 on (see 'jobs list --help').

exit codes: 0 ok, 1 API or response error, 2 bad usage, 3 credentials missing or
rejected, 4 endpoint unreachable or timed out, 130 interrupted (Ctrl+C), 141 output
closed early (as by `| head`).
"""

_LIST_EPILOG = f"""\
output formats:
  table   aligned columns and a total (the default; read by people)
  json    one JSON array, written job by job
  jsonl   one JSON object per line, flushed as each job arrives
  csv     a header row, then one row per job
machine formats use the library's field names (job_id, name, type, status, created_date,
updated_date, resource_id, disabled, last_execution_status, last_execution_date,
max_concurrent_runs); dates are ISO 8601 with their offset, a missing value is
null (JSON) or an empty cell (CSV). Machine formats stream: should the walk fail
midway, what came so far stays on stdout, the error goes to stderr, and the exit status
is not 0.

terminal output:
  progress  while the walk runs, one self-rewriting line on stderr, such as
              … 12,000 jobs, 12 pages
            redrawn up to 10 times a second and erased before the table is printed.
            Shown only for the table, only when stderr is a terminal and TERM is not
            'dumb'; --no-progress hides it.
  colour    the STATUS and LAST RUN columns of the table (RUNNING green, STOPPED yellow,
            a FAILED last run red, ...). --color auto, the default, colours only when
            stdout is a terminal, NO_COLOR is unset or empty and TERM is not 'dumb';
            a non-empty FORCE_COLOR colours even into a pipe. --color always / never
            override all of these. JSON, JSON Lines and CSV are never coloured.

examples:
  {PROG} jobs list
  {PROG} jobs list --status RUNNING --name nightly
  {PROG} jobs list --color always | less -R
  NO_COLOR=1 {PROG} jobs list
  {PROG} jobs list --max-items 20 --format json
  {PROG} jobs list --format csv > jobs.csv
  {PROG} jobs list --profile staging --endpoint https://dataflow.apigw.ntruss.com
  {PROG} jobs list --endpoint http://127.0.0.1:8080     # against `{PROG} emulator`
"""

_EMULATOR_EPILOG = f"""\
The emulator checks signatures like the API gateway, so the real client (or any other)
must sign with the key pair it prints. That pair is a local test key, not a secret.

examples:
  {PROG} emulator
  {PROG} emulator --port 9000 --jobs 50000 --count-mode total
  {PROG} emulator --access-key MYKEY --secret-key MYSECRET
"""

_DEMO_EPILOG = f"""\
Nothing leaves this machine: the emulator listens on a free loopback port for the
duration of the demo and every request is signed and checked over real HTTP.

examples:
  {PROG} demo
  {PROG} demo --jobs 20000 --status STOPPED --page-size 1000
"""

_STATUS_NAMES = ", ".join(s.value for s in JobStatus)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the epilog's layout (examples, tables) as written."""


def build_parser() -> argparse.ArgumentParser:
    """The ``dataflow-async`` argument parser, with every command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Command line for the NAVER Cloud Platform Data Flow API.",
        epilog=_MAIN_EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"{PROG} {__version__}",
        help=f"print the version and exit, e.g. {PROG} --version",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_jobs_parser(commands)
    _add_emulator_parser(commands)
    _add_demo_parser(commands)
    return parser


def _add_jobs_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    jobs = commands.add_parser(
        "jobs",
        help="list Data Flow jobs: 'jobs list' (see 'jobs list --help')",
        description="Work with Data Flow jobs.",
        epilog=f"example:\n  {PROG} jobs list --status RUNNING",
        formatter_class=_Formatter,
    )
    actions = jobs.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="list jobs, walking every page",
        description="List jobs (GET /api/v1/jobs), page after page, with signed requests.",
        epilog=_LIST_EPILOG,
        formatter_class=_Formatter,
    )
    listing.add_argument(
        "--status",
        metavar="S",
        help=f"only jobs in this state, one of {_STATUS_NAMES} (any case), e.g. --status RUNNING",
    )
    listing.add_argument(
        "--name", metavar="N", help="only jobs matching this name filter, e.g. --name daily-etl"
    )
    listing.add_argument(
        "--max-items",
        metavar="K",
        type=int,
        help="stop after K jobs (fetching no more pages than needed), e.g. --max-items 50",
    )
    listing.add_argument(
        "--page-size",
        metavar="N",
        type=int,
        default=1000,
        help="jobs asked for per request (the API's 'limit'; default %(default)s), "
        "e.g. --page-size 200",
    )
    listing.add_argument(
        "--format",
        choices=sorted(WRITERS),
        default="table",
        help="output format (default %(default)s; see 'output formats' below), e.g. --format jsonl",
    )
    listing.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the table's STATUS and LAST RUN columns: 'auto' (the default) when "
        "stdout is a terminal and NO_COLOR is not set, 'always' (even into a pipe or "
        "file), or 'never'; see 'terminal output' below, e.g. --color never",
    )
    listing.add_argument(
        "--no-progress",
        action="store_true",
        help="hide the progress line that a table listing draws on stderr when stderr "
        "is a terminal (see 'terminal output' below), e.g. --no-progress",
    )
    _add_connection_options(listing)
    listing.set_defaults(handler=_cmd_jobs_list)


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        default=None,
        help=f"API base URL (default: ${ENDPOINT_ENV_VAR}, else {DEFAULT_BASE_URL}), "
        "e.g. --endpoint http://127.0.0.1:8080 for a local emulator",
    )
    parser.add_argument(
        "--profile",
        metavar="P",
        help="read the key pair from this profile of ~/.ncloud/configure instead of the "
        "environment, e.g. --profile staging (default: environment, then $NCLOUD_PROFILE "
        "or DEFAULT)",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        help="per-request timeout, e.g. --timeout 5 (default: 30 s, 10 s to connect)",
    )
    parser.add_argument(
        "--max-retries",
        metavar="N",
        type=int,
        help="retries of a failed request (connection errors, 429, 5xx), e.g. "
        "--max-retries 0 (default: 2)",
    )


def _add_emulator_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    emulator = commands.add_parser(
        "emulator",
        help="serve a local emulator of the API, for trying things out",
        description="Serve a local emulator of the Data Flow API until Ctrl+C.",
        epilog=_EMULATOR_EPILOG,
        formatter_class=_Formatter,
    )
    emulator.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default %(default)s, this machine only), e.g. --host ::1",
    )
    emulator.add_argument(
        "--port",
        type=int,
        default=8080,
        help="port to listen on (default %(default)s; 0 picks a free one), e.g. --port 9000",
    )
    emulator.add_argument(
        "--jobs",
        type=int,
        default=1000,
        help="how many generated jobs it holds (default %(default)s), e.g. --jobs 50000",
    )
    emulator.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the generated jobs (default %(default)s; same seed, same jobs), "
        "e.g. --seed 7",
    )
    emulator.add_argument(
        "--access-key",
        metavar="K",
        help="access key it accepts (default: its built-in test key), e.g. --access-key MYKEY",
    )
    emulator.add_argument(
        "--secret-key",
        metavar="S",
        help="secret key it accepts (default: its built-in test secret), "
        "e.g. --secret-key MYSECRET",
    )
    emulator.add_argument(
        "--count-mode",
        choices=("page", "total"),
        default="page",
        help="what 'count' in a page means: 'page', the jobs in that page (as documented; "
        "the default), or 'total', all matching jobs (as some servers do), "
        "e.g. --count-mode total",
    )
    emulator.set_defaults(handler=_cmd_emulator)


def _add_demo_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="start an emulator, walk its jobs with the real client, print a report",
        description="Start the emulator on a free loopback port, list all its jobs with the "
        "real client (signed requests, several pages), and print what happened.",
        epilog=_DEMO_EPILOG,
        formatter_class=_Formatter,
    )
    demo.add_argument(
        "--jobs",
        type=int,
        default=3000,
        help="jobs the emulator holds (default %(default)s), e.g. --jobs 20000",
    )
    demo.add_argument(
        "--status",
        metavar="S",
        default=JobStatus.RUNNING.value,
        help=f"status whose jobs are tabled (default %(default)s), one of {_STATUS_NAMES}, "
        "e.g. --status STOPPED",
    )
    demo.add_argument(
        "--page-size",
        metavar="N",
        type=int,
        default=500,
        help="jobs per request (default %(default)s), e.g. --page-size 1000",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the generated jobs (default %(default)s), e.g. --seed 7",
    )
    demo.set_defaults(handler=_cmd_demo)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dataflow-async`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse reported
        return ExitCode.OK if exc.code is None else int(exc.code)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except UsageError as exc:
        return _fail(str(exc), ExitCode.USAGE)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        _detach_stdout()
        return ExitCode.BROKEN_PIPE
    except DataFlowError as exc:
        message, code = describe_error(exc)
        return _fail(message, code)


def describe_error(exc: DataFlowError) -> tuple[str, ExitCode]:
    """A one-line message and the exit code for an expected failure."""
    message, code = _explain(exc)
    return " ".join(message.split()), code  # a server's message may hold newlines


def _explain(exc: DataFlowError) -> tuple[str, ExitCode]:
    if isinstance(exc, MissingCredentialsError):
        return str(exc), ExitCode.CREDENTIALS
    if isinstance(exc, AuthenticationError):
        return (
            f"{exc}; check the access key and secret key (and that this machine's clock is right)",
            ExitCode.CREDENTIALS,
        )
    if isinstance(exc, PermissionDeniedError):
        return f"{exc}; this key may not list Data Flow jobs", ExitCode.CREDENTIALS
    if isinstance(exc, APIConnectionError):
        where = _origin(exc.request.url) if exc.request is not None else "the endpoint"
        return f"cannot reach {where}: {exc}", ExitCode.CONNECTION
    return str(exc), ExitCode.ERROR


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def _fail(message: str, code: ExitCode) -> int:
    """Print ``error: message`` as one line on stderr; return ``code``."""
    one_line = " ".join(message.split())
    print(f"error: {one_line}", file=sys.stderr, flush=True)
    return code


def _detach_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that the interpreter's final
    flush does not complain ("Exception ignored ... BrokenPipeError")."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


# --------------------------------------------------------------------------- jobs list


@attrs.frozen
class JobQuery:
    """The checked filters and limits of one ``jobs list``."""

    status: JobStatus | None
    name: str | None
    max_items: int | None
    page_size: int


def _job_query(args: argparse.Namespace) -> JobQuery:
    if args.max_items is not None and args.max_items < 0:
        raise UsageError(f"--max-items must be 0 or more, got {args.max_items}")
    if args.page_size < 1:
        raise UsageError(f"--page-size must be 1 or more, got {args.page_size}")
    if args.name is not None and not args.name:
        raise UsageError("--name must not be empty")
    return JobQuery(
        status=_status(args.status, "--status"),
        name=args.name,
        max_items=args.max_items,
        page_size=args.page_size,
    )


def _status(value: str | None, option: str) -> JobStatus | None:
    """The status named by ``value`` (any case); ``UsageError`` naming the valid ones."""
    if value is None:
        return None
    try:
        return JobStatus(value.strip().upper())
    except ValueError:
        raise UsageError(f"{option} must be one of {_STATUS_NAMES}, got {value!r}") from None


def _check_connection_options(args: argparse.Namespace) -> None:
    url = args.endpoint or os.environ.get(ENDPOINT_ENV_VAR) or DEFAULT_BASE_URL
    option = "--endpoint" if args.endpoint else f"${ENDPOINT_ENV_VAR}"
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(f"{option} must be an http:// or https:// URL, got {url!r}")
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError(f"--timeout must be more than 0 seconds, got {args.timeout}")
    if args.max_retries is not None and args.max_retries < 0:
        raise UsageError(f"--max-retries must be 0 or more, got {args.max_retries}")


def _make_client(args: argparse.Namespace) -> DataFlowClient:
    """A client for the options; credentials by the library's chain (or ``--profile``)."""
    try:
        credentials = Credentials.resolve(profile=args.profile)
    except ValueError as exc:  # a key that is not a valid key (the message holds no key)
        raise MissingCredentialsError(f"unusable credentials: {exc}") from None
    try:
        return DataFlowClient(
            credentials,
            base_url=args.endpoint,
            timeout=args.timeout,
            max_retries=args.max_retries,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _cmd_jobs_list(args: argparse.Namespace) -> int:
    query = _job_query(args)
    _check_connection_options(args)
    ensure_utf8(sys.stdout)
    table = args.format == "table"
    make_writer = WRITERS[args.format]
    color = table and wants_color(args.color, sys.stdout, os.environ)
    writer = (
        TableWriter(sys.stdout, color=color)
        if make_writer is TableWriter
        else make_writer(sys.stdout)
    )
    progress = Progress(
        sys.stderr,
        enabled=table and not args.no_progress and wants_progress(sys.stderr, os.environ),
    )
    if progress.enabled:
        ensure_utf8(sys.stderr)
    total = asyncio.run(_list_jobs(args, query, writer, progress))
    writer.finish(total, limited=query.max_items is not None and total == query.max_items)
    return ExitCode.OK


async def _list_jobs(
    args: argparse.Namespace, query: JobQuery, writer: JobWriter, progress: Progress
) -> int:
    """Walk the jobs into ``writer``, showing ``progress``; return how many there were.
    The progress line is erased however the walk ends."""
    total = 0
    async with _make_client(args) as client:
        try:
            jobs = client.iter_jobs(
                status=query.status,
                name=query.name,
                page_size=query.page_size,
                max_items=query.max_items,
            )
        except ValueError as exc:  # the library's own argument checks, before any request
            raise UsageError(str(exc)) from None
        stats = jobs.stats
        try:
            async with jobs:
                async for job in jobs:
                    progress.update(stats.jobs, stats.pages)
                    writer.write(job)
                    total += 1
        finally:
            progress.clear()
    return total


# --------------------------------------------------------------------------- emulator


_UVICORN_MISSING = (
    "the emulator needs uvicorn to serve over HTTP: pip install 'dataflow-async[emulator]'"
)


def _has_uvicorn() -> bool:
    return importlib.util.find_spec("uvicorn") is not None


def _require_uvicorn() -> None:
    if not _has_uvicorn():
        raise DataFlowError(_UVICORN_MISSING)


def _check_emulator_options(args: argparse.Namespace) -> None:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {args.port}")
    if args.jobs < 0:
        raise UsageError(f"--jobs must be 0 or more, got {args.jobs}")
    for option, value in (("--access-key", args.access_key), ("--secret-key", args.secret_key)):
        if value is not None and (not value or not value.isascii() or value != value.strip()):
            raise UsageError(f"{option} must be non-empty ASCII without surrounding spaces")


def _cmd_emulator(args: argparse.Namespace) -> int:
    _check_emulator_options(args)
    _require_uvicorn()
    from .emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, EmulatorApp, serve_forever
    from .emulator import make_jobs as generate

    access_key = args.access_key or DEFAULT_ACCESS_KEY
    secret_key = args.secret_key or DEFAULT_SECRET_KEY
    app = EmulatorApp(
        generate(args.jobs, seed=args.seed),
        credentials={access_key: secret_key},
        count_mode=args.count_mode,
    )

    def ready(url: str) -> None:
        print(emulator_instructions(url, access_key, secret_key, jobs=args.jobs), flush=True)

    try:
        serve_forever(app, host=args.host, port=args.port, ready=ready)
    except BrokenPipeError:
        raise
    except OSError as exc:  # the address is taken, or not one of this machine's
        raise DataFlowError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from None
    print("Emulator stopped.", flush=True)
    return ExitCode.OK


def emulator_instructions(url: str, access_key: str, secret_key: str, *, jobs: int) -> str:
    """What to print once the emulator listens: how to point a client at it."""
    access, secret = shlex.quote(access_key), shlex.quote(secret_key)
    return f"""\
Data Flow emulator listening on {url} with {plural(jobs, "job")}.
It checks signatures: sign with this key pair (a local test key, not a real secret).

In a shell:

  export NCLOUD_ACCESS_KEY_ID={access}
  export NCLOUD_SECRET_ACCESS_KEY={secret}
  export {ENDPOINT_ENV_VAR}={url}
  {PROG} jobs list

In Python:

  import asyncio
  from dataflow_async import Credentials, DataFlowClient

  async def main() -> None:
      credentials = Credentials({access_key!r}, {secret_key!r})
      async with DataFlowClient(credentials, base_url={url!r}) as client:
          async for job in client.iter_jobs(status="RUNNING"):
              print(job.job_id, job.name)

  asyncio.run(main())

Press Ctrl+C to stop."""


# --------------------------------------------------------------------------- demo

DEMO_ROWS = 15
"""Rows of the demo's table; the rest are counted."""


@attrs.frozen
class DemoReport:
    """What the demo's walks fetched and how long they took."""

    jobs: tuple[Job, ...]
    pages: int
    seconds: float
    status: JobStatus
    matching: tuple[Job, ...]
    matching_pages: int
    rejected: str | None
    """How the emulator answered a request signed with a wrong secret (``None``: it
    accepted it, which it must not)."""


def _cmd_demo(args: argparse.Namespace) -> int:
    status = _status(args.status, "--status") or JobStatus.RUNNING
    if args.jobs < 0:
        raise UsageError(f"--jobs must be 0 or more, got {args.jobs}")
    if args.page_size < 1:
        raise UsageError(f"--page-size must be 1 or more, got {args.page_size}")
    _require_uvicorn()
    from .emulator import run_emulator

    ensure_utf8(sys.stdout)
    started = time.perf_counter()
    with run_emulator(jobs=args.jobs, seed=args.seed) as emulator:
        startup = time.perf_counter() - started
        report = asyncio.run(_demo_walk(emulator, status, args.page_size))
        requests = list(emulator.app.requests)
        print(render_demo(emulator.url, report, requests, args.page_size, startup), flush=True)
    return ExitCode.OK if report.rejected is not None else ExitCode.ERROR


async def _demo_walk(emulator: RunningEmulator, status: JobStatus, page_size: int) -> DemoReport:
    """Walk every job, then the jobs of ``status``, then try a wrongly signed request."""
    started = time.perf_counter()
    jobs: list[Job] = []
    matching: list[Job] = []
    pages = matching_pages = 0
    async with DataFlowClient(emulator.credentials, base_url=emulator.url) as client:
        async for page in client.iter_job_pages(page_size=page_size):
            pages += 1
            jobs.extend(page.jobs)
        async for page in client.iter_job_pages(status=status, page_size=page_size):
            matching_pages += 1
            matching.extend(page.jobs)
    seconds = time.perf_counter() - started
    return DemoReport(
        jobs=tuple(jobs),
        pages=pages,
        seconds=seconds,
        status=status,
        matching=tuple(matching),
        matching_pages=matching_pages,
        rejected=await _try_wrong_secret(emulator),
    )


async def _try_wrong_secret(emulator: RunningEmulator) -> str | None:
    """Send one request signed with a wrong secret; how it was refused (``None``: it was
    not)."""
    wrong = Credentials(emulator.credentials.access_key, "not-the-secret-key")
    async with DataFlowClient(wrong, base_url=emulator.url, max_retries=0) as client:
        try:
            await client.list_jobs(limit=1)
        except AuthenticationError as exc:
            return f"HTTP {exc.status_code} {exc.message}"
    return None


def render_demo(
    url: str,
    report: DemoReport,
    requests: Sequence[RequestRecord],
    page_size: int,
    startup: float,
) -> str:
    """The demo's printout."""
    verified = sum(1 for record in requests if record.status == 200)
    refused = (
        f"refused, as it must be: {report.rejected}"
        if report.rejected is not None
        else "ACCEPTED: the emulator did not check the signature!"
    )
    lines = [
        f"{PROG} {__version__} demo: the real client against a local emulator, over HTTP",
        "",
        f"  emulator      {url} (loopback only, up in {startup:.2f} s)",
        f"  fetched       {plural(len(report.jobs), 'job')} in "
        f"{plural(report.pages, 'page')} of up to {page_size:,}",
        f"  filtered      {plural(len(report.matching), 'job')} with status {report.status} "
        f"in {plural(report.matching_pages, 'page')} (filtered by the server)",
        f"  signatures    {plural(verified, 'signed request')} verified by the emulator "
        "(API Gateway signature v2)",
        f"  wrong secret  {refused}",
        f"  elapsed       {report.seconds:.2f} s for both walks",
        "",
        f"Jobs with status {report.status}:",
        "",
        *_demo_table(report.matching),
        "",
        "Jobs per status:",
        "",
        *_status_counts(report.jobs),
        "",
        f"Next: '{PROG} emulator' serves it on a fixed port and prints how to use it.",
    ]
    return "\n".join(lines)


def _demo_table(jobs: Sequence[Job]) -> list[str]:
    if not jobs:
        return ["  (none)"]
    lines = render_table(jobs[:DEMO_ROWS]).splitlines()
    if len(jobs) > DEMO_ROWS:
        lines.append(f"… and {len(jobs) - DEMO_ROWS:,} more")
    return lines


def _status_counts(jobs: Iterable[Job]) -> list[str]:
    """``  STATUS  count`` lines, most frequent first, then the total."""
    counts = Counter(str(job.status) for job in jobs)
    width = max((len(name) for name in counts), default=5)
    rows = [f"  {name:<{width}}  {count:>7,}" for name, count in counts.most_common()]
    return [*rows, f"  {'total':<{width}}  {counts.total():>7,}"]
