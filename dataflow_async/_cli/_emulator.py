"""``dataflow-async emulator``: serve the local emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import importlib.util
import shlex

from .. import DataFlowError
from .._client import ENDPOINT_ENV_VAR
from ._errors import ExitCode
from ._options import CliParser, Subcommands, choice, integer
from ._program import PROG, invocation
from ._terminal import plural

__all__ = ["emulator_instructions", "has_uvicorn", "register", "require_uvicorn"]

UVICORN_MISSING = (
    "the emulator needs uvicorn to serve over HTTP: pip install 'dataflow-async[emulator]'"
)

_EPILOG = f"""\
The emulator checks signatures like the API gateway, so the real client (or any other)
must sign with the key pair it prints. That pair is a local test key, not a secret.

examples:
  {PROG} emulator
  {PROG} emulator --port 9000 --jobs 50000 --count-mode total
  {PROG} emulator --access-key MYKEY --secret-key MYSECRET
"""


def has_uvicorn() -> bool:
    """Whether uvicorn (the ``[emulator]`` extra) is installed."""
    return importlib.util.find_spec("uvicorn") is not None


def require_uvicorn() -> None:
    """``DataFlowError`` saying what to install when uvicorn is missing."""
    if not has_uvicorn():
        raise DataFlowError(UVICORN_MISSING)


def key(text: str) -> str:
    """The ``--access-key``/``--secret-key`` type: non-empty ASCII, no surrounding spaces."""
    if not text or not text.isascii() or text != text.strip() or not text.isprintable():
        raise argparse.ArgumentTypeError(
            "must be non-empty printable ASCII without surrounding spaces"
        )
    return text


def register(commands: Subcommands) -> None:
    """Add ``emulator`` to the command line."""
    emulator: CliParser = commands.add_parser(
        "emulator",
        help="serve a local emulator of the API, for trying things out",
        description="Serve a local emulator of the Data Flow API until Ctrl+C.",
        epilog=_EPILOG,
    )
    emulator.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default %(default)s, this machine only), e.g. --host ::1",
    )
    emulator.add_argument(
        "--port",
        type=integer(0, 65535),
        default=8080,
        help="port to listen on (default %(default)s; 0 picks a free one), e.g. --port 9000",
    )
    emulator.add_argument(
        "--jobs",
        type=integer(0),
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
        metavar="KEY",
        type=key,
        help="access key it accepts (default: its built-in test key), e.g. --access-key MYKEY",
    )
    emulator.add_argument(
        "--secret-key",
        metavar="SECRET",
        type=key,
        help="secret key it accepts (default: its built-in test secret), "
        "e.g. --secret-key MYSECRET",
    )
    emulator.add_argument(
        "--count-mode",
        metavar="{page,total}",
        type=choice(("page", "total")),
        default="page",
        help="what 'count' in a page means: 'page', the jobs in that page (as documented; "
        "the default), or 'total', all matching jobs (as some servers do), "
        "e.g. --count-mode total",
    )
    emulator.set_defaults(handler=cmd_emulator)


def cmd_emulator(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; print how to use it once it listens."""
    require_uvicorn()
    from ..emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, EmulatorApp, serve_forever
    from ..emulator import make_jobs as generate

    access_key = args.access_key or DEFAULT_ACCESS_KEY
    secret_key = args.secret_key or DEFAULT_SECRET_KEY
    app = EmulatorApp(
        generate(args.jobs, seed=args.seed),
        credentials={access_key: secret_key},
        count_mode=args.count_mode,
    )
    command = invocation()

    def ready(url: str) -> None:
        text = emulator_instructions(url, access_key, secret_key, jobs=args.jobs, command=command)
        print(text, flush=True)

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


def emulator_instructions(
    url: str, access_key: str, secret_key: str, *, jobs: int, command: str = PROG
) -> str:
    """What to print once the emulator listens: how to point a client at it, with
    ``command`` as the way to run this program from a shell."""
    access, secret = shlex.quote(access_key), shlex.quote(secret_key)
    return f"""\
Data Flow emulator listening on {url} with {plural(jobs, "job")}.
It checks signatures: sign with this key pair (a local test key, not a real secret).

In a shell:

  export NCLOUD_ACCESS_KEY_ID={access}
  export NCLOUD_SECRET_ACCESS_KEY={secret}
  export {ENDPOINT_ENV_VAR}={url}
  {command} jobs list

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
