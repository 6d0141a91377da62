"""Job execution routes: start, change the saved settings, list, get, cancel."""

from __future__ import annotations

from typing import Any

from .._lifecycle import ACTIVE, Execution
from .._validate import check_string, job_condition, string_map
from .._wire import Response, bad_parameter, bad_state, not_found, ok
from ._common import Call, page_of
from ._jobs import find_job, render_job

__all__ = [
    "cancel_execution",
    "get_execution",
    "list_executions",
    "start_execution",
    "start_run",
    "update_execute_config",
]

# Job statuses that cannot be run: not finished editing, being deleted or stopped.
_NOT_RUNNABLE = ("DRAFT", "EDITING", "DELETED", "STOPPED")


def _reference(call: Call, body: dict[str, Any], key: str) -> str | None:
    """``triggerId``/``workflowId`` from the query (documented) or the body (also seen)."""
    value = call.query.get(key)
    if value is None:
        value = body.get(key)
    if value is None or value == "":
        return None
    return check_string(value, key)


def start_run(
    call: Call,
    job: dict[str, Any],
    condition: dict[str, Any],
    parameters: dict[str, str],
    *,
    kind: str = "JOB",
    trigger: dict[str, Any] | None = None,
    workflow_id: str | None = None,
) -> Execution:
    """Create an execution of ``job`` now, shaped by the plan for that job."""
    store = call.store
    outcome, ready, running = store.runs.draw(job["jobId"])
    execution = Execution(
        execution_id=store.new_id(),
        job_id=job["jobId"],
        job_name=str(job.get("name", "")),
        created=call.now,
        ready=ready,
        running=running,
        outcome=outcome,
        condition=condition,
        parameters=parameters,
        kind=kind,
        trigger_id=None if trigger is None else trigger["triggerId"],
        trigger_name=None if trigger is None else trigger["name"],
        workflow_id=workflow_id,
    )
    store.runs.store(execution)
    return execution


def start_execution(call: Call) -> Response:
    """POST /api/v1/jobs/{jobId}/executions: run a job (``maxConcurrentRuns`` enforced)."""
    job = find_job(call, call.params[0])
    body = call.object_body(required=False)
    store = call.store
    details = store.job_details(job["jobId"], call.g2)
    condition = {k: v for k, v in details["condition"].items() if k != "parameters"}
    parameters = dict(details["condition"].get("parameters", {}))
    if body.get("jobCondition") is not None:
        given = job_condition(body["jobCondition"], "jobCondition", g2=call.g2, require_paths=False)
        parameters.update(given.pop("parameters", {}))
        condition.update(given)
    if body.get("parameters") is not None:
        parameters.update(string_map(body["parameters"], "parameters"))
    trigger_id = _reference(call, body, "triggerId")
    workflow_id = _reference(call, body, "workflowId")
    trigger = None if trigger_id is None else store.triggers.get(trigger_id)
    if trigger_id is not None and trigger is None:
        raise bad_parameter(f"triggerId names no trigger: {trigger_id!r}")
    if workflow_id is not None and workflow_id not in store.workflows:
        raise bad_parameter(f"workflowId names no workflow: {workflow_id!r}")
    status = job.get("status")
    if status in _NOT_RUNNABLE:
        raise bad_state(f"job {job['jobId']} is {status} and cannot be run")
    limit = job.get("maxConcurrentRuns")
    if isinstance(limit, int) and not isinstance(limit, bool):
        active = store.active_runs(job["jobId"], call.now)
        if active >= limit:
            raise bad_state(
                f"maxConcurrentRuns reached: job {job['jobId']} already has {active} "
                f"execution(s) in progress (limit {limit})"
            )
    kind = "WORKFLOW" if workflow_id is not None else "JOB"
    run = start_run(
        call, job, condition, parameters, kind=kind, trigger=trigger, workflow_id=workflow_id
    )
    return ok(run.render(call.now))


def update_execute_config(call: Call) -> Response:
    """PUT /api/v1/jobs/{jobId}/executions: merge into the job's saved settings."""
    job = find_job(call, call.params[0])
    body = call.object_body()
    if body.get("jobCondition") is None:
        raise bad_parameter("jobCondition is required")
    given = job_condition(body["jobCondition"], "jobCondition", g2=call.g2, require_paths=False)
    details = call.store.job_details(job["jobId"], call.g2)
    details["condition"].update(given)
    return ok(render_job(call, job))


def list_executions(call: Call) -> Response:
    """GET /api/v1/jobs/{jobId}/executions: newest first, paged."""
    job = find_job(call, call.params[0])
    runs = call.store.runs.of_job(job["jobId"])
    return page_of(call, runs, lambda run: run.render(call.now))


def _find_run(call: Call) -> Execution:
    job = find_job(call, call.params[0])
    run = call.store.runs.find(call.params[1])
    if run is None or run.job_id != job["jobId"]:
        raise not_found("job execution", call.params[1])
    return run


def get_execution(call: Call) -> Response:
    """GET /api/v1/jobs/{jobId}/executions/{executionId}."""
    return ok(_find_run(call).render(call.now))


def cancel_execution(call: Call) -> Response:
    """POST .../executions/{executionId}/cancel: READY or RUNNING -> CANCELED, ``true``."""
    run = _find_run(call)
    status = run.status(call.now)
    if status not in ACTIVE:
        raise bad_state(f"execution {run.execution_id} is {status} and cannot be canceled")
    run.canceled_at = call.now
    return ok(True)
