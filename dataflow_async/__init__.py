"""Asyncio client for the NAVER Cloud Platform Data Flow API.

Signed requests (API Gateway signature v2), typed frozen jobs, auto-paging,
typed errors and retries; see ``docs/`` for the guide.
"""

from ._auth import NcpSignatureAuth, sign_v2
from ._client import DEFAULT_BASE_URL, DataFlowClient
from ._credentials import Credentials
from ._errors import (
    AmbiguousWriteError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    DataFlowError,
    EventLoopMismatchError,
    MissingCredentialsError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    RequestNotSentError,
    ResponseTooLargeError,
    ServerError,
    UnexpectedResponseError,
)
from ._logging import setup_logging_from_env
from ._models import ExecutionStatus, Job, JobPage, JobStatus, JobType
from ._pagination import AsyncPager, WalkStats
from ._retry import RetryPolicy
from ._version import __version__

setup_logging_from_env()

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousWriteError",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "Credentials",
    "DataFlowClient",
    "DataFlowError",
    "EventLoopMismatchError",
    "ExecutionStatus",
    "Job",
    "JobPage",
    "JobStatus",
    "JobType",
    "MissingCredentialsError",
    "NcpSignatureAuth",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RequestNotSentError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "UnexpectedResponseError",
    "WalkStats",
    "__version__",
    "sign_v2",
]
