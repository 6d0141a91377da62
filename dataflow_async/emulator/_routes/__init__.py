"""The route table: which handler serves which method and path.

Paths are matched on the raw (still percent-encoded) path; each id segment is then
percent-decoded. A path that matches no route, or a method the route does not take, is
the gateway's 404 (``errorCode`` 300), as for any unknown route.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from ._common import NO_BODY, Call, Handler
from ._executions import (
    cancel_execution,
    get_execution,
    list_executions,
    start_execution,
    update_execute_config,
)
from ._jobs import create_job, delete_job, get_job, list_jobs, patch_job, put_job, verify_job
from ._stats import execution_interval, execution_result, execution_times
from ._triggers import create_trigger, delete_trigger, get_trigger, list_triggers
from ._workflows import (
    create_workflow,
    delete_workflow,
    execute_workflow,
    get_workflow,
    list_workflow_executions,
    list_workflows,
    update_workflow,
)

__all__ = ["NO_BODY", "ROUTES", "Call", "Handler", "resolve"]

_ID = "([^/]+)"
_V1 = "/api/v1"


def _route(path: str, handlers: dict[str, Handler]) -> tuple[re.Pattern[str], dict[str, Handler]]:
    return re.compile(_V1 + path.replace("{}", _ID)), handlers


#: Every operation of the API (getExecutionTimes under both documented spellings).
ROUTES: tuple[tuple[re.Pattern[str], dict[str, Handler]], ...] = (
    _route("/jobs", {"GET": list_jobs, "POST": create_job}),
    _route("/jobs/verify", {"POST": verify_job}),
    _route("/jobs/{}", {"GET": get_job, "PUT": put_job, "PATCH": patch_job, "DELETE": delete_job}),
    _route(
        "/jobs/{}/executions",
        {"GET": list_executions, "POST": start_execution, "PUT": update_execute_config},
    ),
    _route("/jobs/{}/executions/{}", {"GET": get_execution}),
    _route("/jobs/{}/executions/{}/cancel", {"POST": cancel_execution}),
    _route("/workflows", {"GET": list_workflows, "POST": create_workflow}),
    _route(
        "/workflows/{}", {"GET": get_workflow, "PUT": update_workflow, "DELETE": delete_workflow}
    ),
    _route("/workflows/{}/executions", {"GET": list_workflow_executions, "POST": execute_workflow}),
    _route("/triggers", {"GET": list_triggers, "POST": create_trigger}),
    _route("/triggers/{}", {"GET": get_trigger, "DELETE": delete_trigger}),
    _route("/stats/executions", {"GET": execution_result}),
    _route("/stats/executions-interval", {"GET": execution_interval}),
    _route("/stats/execution-times", {"GET": execution_times}),
    _route("/stats/executions-times", {"GET": execution_times}),
)


def resolve(method: str, raw_path: bytes) -> tuple[Handler, tuple[str, ...]] | None:
    """The handler for ``method`` on ``raw_path`` and its decoded path parameters, or None."""
    if not raw_path.isascii():
        return None
    path = raw_path.decode("ascii")
    for pattern, handlers in ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        handler = handlers.get(method)
        if handler is None:
            return None
        try:
            params = tuple(unquote_to_bytes(group).decode("utf-8") for group in match.groups())
        except UnicodeDecodeError:
            return None
        return handler, params
    return None
