"""A client for the connection options every API command shares."""

from __future__ import annotations

import argparse
import os

from .. import DEFAULT_BASE_URL, Credentials, DataFlowClient, MissingCredentialsError
from .._client import ENDPOINT_ENV_VAR
from ._errors import UsageError
from ._options import endpoint_problem

__all__ = ["check_endpoint", "make_client"]


def check_endpoint(args: argparse.Namespace) -> None:
    """``UsageError`` when ``$DATAFLOW_ASYNC_ENDPOINT`` (used without ``--endpoint``) is
    not a URL; ``--endpoint`` itself was checked while parsing."""
    if args.endpoint:
        return
    url = os.environ.get(ENDPOINT_ENV_VAR) or DEFAULT_BASE_URL
    problem = endpoint_problem(url)
    if problem:
        raise UsageError(f"${ENDPOINT_ENV_VAR} {problem}")


def make_client(args: argparse.Namespace) -> DataFlowClient:
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
