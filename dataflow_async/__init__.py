"""Asyncio client for the NAVER Cloud Platform Data Flow API.

Signed requests (API Gateway signature v2), typed frozen jobs, auto-paging,
typed errors and retries; see ``docs/`` for the guide.
"""

from ._auth import NcpSignatureAuth, sign_v2
from ._client import DEFAULT_BASE_URL, DataFlowClient
from ._credentials import Credentials
from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DataFlowError,
    MissingCredentialsError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)
from ._logging import setup_logging_from_env
from ._pagination import AsyncPager, WalkStats
from ._retry import RetryPolicy
from ._version import __version__
from .types import (
    DayOfWeek,
    ExecutionBucket,
    ExecutionResult,
    ExecutionStatus,
    ExecutionTimePoint,
    ExecutionType,
    Job,
    JobCondition,
    JobExecution,
    JobNode,
    JobNodeType,
    JobPage,
    JobStatus,
    JobType,
    Page,
    Trigger,
    TriggerInterval,
    TriggerRule,
    TriggerRuleType,
    TriggerType,
    Workflow,
    WorkflowNode,
    WorkflowNodeType,
    WorkflowRunAccepted,
)

setup_logging_from_env()

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "Credentials",
    "DataFlowClient",
    "DataFlowError",
    "DayOfWeek",
    "ExecutionBucket",
    "ExecutionResult",
    "ExecutionStatus",
    "ExecutionTimePoint",
    "ExecutionType",
    "Job",
    "JobCondition",
    "JobExecution",
    "JobNode",
    "JobNodeType",
    "JobPage",
    "JobStatus",
    "JobType",
    "MissingCredentialsError",
    "NcpSignatureAuth",
    "NotFoundError",
    "Page",
    "PaginationError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "Trigger",
    "TriggerInterval",
    "TriggerRule",
    "TriggerRuleType",
    "TriggerType",
    "UnexpectedResponseError",
    "WalkStats",
    "Workflow",
    "WorkflowNode",
    "WorkflowNodeType",
    "WorkflowRunAccepted",
    "__version__",
    "sign_v2",
]
