"""Job routes: getJob, createJob, verifyJob, updateJob (PUT or PATCH), deleteJob.

getJobs itself is served by the app (``_app.py``), which keeps its sorted, cached view
of ``app.jobs`` for big lists. The revision switch (``api_version``) decides the job
model: G2 jobs are ``VISUAL``/``SCRIPT`` and ``READY`` with ``jobCondition``; G1 jobs
are ``DATAFLOW`` and ``RUNNABLE`` with ``runCondition``.
"""

from __future__ import annotations

from typing import Any

from .._lifecycle import ACTIVE
from .._validate import (
    JOB_STATUSES,
    check_bool,
    check_enum,
    check_int,
    check_name,
    etl_nodes,
    job_condition,
)
from .._wire import Response, bad_parameter, bad_state, kst, method_not_allowed, not_found, ok
from ._common import Call, page_of

__all__ = [
    "create_job",
    "delete_job",
    "get_job",
    "list_jobs",
    "patch_job",
    "put_job",
    "render_job",
    "verify_job",
]

G2_TYPES = ("VISUAL", "SCRIPT")
G1_TYPES = ("DATAFLOW", "VISUAL", "SCRIPT")
_MAX_RUNS = 100


def find_job(call: Call, job_id: str) -> dict[str, Any]:
    """The job dict with this id, or 404."""
    job = call.store.job(job_id)
    if job is None:
        raise not_found("job", job_id)
    return job


def render_job(call: Call, job: dict[str, Any]) -> dict[str, Any]:
    """The detail object of getJob: the list fields, the newest run, and the settings."""
    store = call.store
    job_id = job["jobId"]
    details = store.job_details(job_id, call.g2)
    body = {
        key: value
        for key, value in store.job_list_item(job, call.now).items()
        if key not in ("resourceId", "disabled")
    }
    key = "jobCondition" if call.g2 else "runCondition"
    body["description"] = details["description"]
    body["nodes"] = details["nodes"]
    body[key] = dict(details["condition"])
    return body


def list_jobs(call: Call) -> Response:
    """GET /api/v1/jobs: ``name`` (substring) and ``status`` filters, newest first, paged."""
    name = call.query.get("name") or None
    status = call.query.get("status")
    if status is not None and status not in JOB_STATUSES:
        raise bad_parameter(f"status must be one of {', '.join(JOB_STATUSES)}, not {status!r}")
    store = call.store
    matching = store.view.matching(store.jobs(), name, status)
    # Jobs are served as stored unless some have executions to mirror: a page of 1,000
    # jobs is then sent without copying any of them.
    if not store.runs.has_any():
        return page_of(call, matching, min_limit=1)
    return page_of(call, matching, lambda job: store.job_list_item(job, call.now), min_limit=1)


def get_job(call: Call) -> Response:
    """GET /api/v1/jobs/{jobId}."""
    return ok(render_job(call, find_job(call, call.params[0])))


def _checked_job_body(call: Call, body: dict[str, Any], *, type_required: bool) -> dict[str, Any]:
    """The fields of a create or update body that are given, each checked."""
    checked: dict[str, Any] = {}
    if "name" in body:
        checked["name"] = check_name(body["name"])
    if call.g2:
        checked["type"] = check_enum(body.get("type"), "type", G2_TYPES)
    elif body.get("type") is not None or type_required:
        checked["type"] = check_enum(body.get("type"), "type", G1_TYPES)
    if body.get("maxConcurrentRuns") is not None:
        checked["maxConcurrentRuns"] = check_int(
            body["maxConcurrentRuns"], "maxConcurrentRuns", 1, _MAX_RUNS
        )
    for key in ("jobCondition", "runCondition"):
        if body.get(key) is not None:
            checked["condition"] = job_condition(body[key], key, g2=call.g2, require_paths=False)
    if body.get("nodes") is not None:
        checked["nodes"] = etl_nodes(body["nodes"])
    if body.get("description") is not None:
        if not isinstance(body["description"], str):
            raise bad_parameter("description must be a string")
        checked["description"] = body["description"]
    if body.get("isTemp") is not None:
        checked["isTemp"] = check_bool(body["isTemp"], "isTemp")
    return checked


def create_job(call: Call) -> Response:
    """POST /api/v1/jobs: 201 and the new job."""
    body = call.object_body()
    if "name" not in body:
        raise bad_parameter("name is required")
    checked = _checked_job_body(call, body, type_required=False)
    store = call.store
    job_id = store.new_id()
    created = kst(call.now)
    job: dict[str, Any] = {
        "jobId": job_id,
        "name": checked["name"],
        "type": checked.get("type", "SCRIPT" if call.g2 else "DATAFLOW"),
        "status": "READY" if call.g2 else "RUNNABLE",
        "createdDate": created,
        "updatedDate": created,
        "resourceId": job_id,
        "disabled": False,
    }
    if "maxConcurrentRuns" in checked or call.g2:
        job["maxConcurrentRuns"] = checked.get("maxConcurrentRuns", 1)
    details = store.job_details(job_id, call.g2)
    details["condition"].update(checked.get("condition", {}))
    details["nodes"] = checked.get("nodes", [])
    details["description"] = checked.get("description", "")
    store.jobs().append(job)
    return ok(render_job(call, job), 201)


def verify_job(call: Call) -> Response:
    """POST /api/v1/jobs/verify: 200 ``true`` when the definition is valid."""
    body = call.object_body()
    check_name(body.get("name"))
    if body.get("nodes") is None:
        raise bad_parameter("nodes is required")
    etl_nodes(body["nodes"])
    return ok(True)


def _update(call: Call, body: dict[str, Any]) -> Response:
    job = find_job(call, call.params[0])
    checked = _checked_job_body(call, body, type_required=not call.g2)
    details = call.store.job_details(job["jobId"], call.g2)
    for key in ("name", "type", "maxConcurrentRuns"):
        if key in checked:
            job[key] = checked[key]
    if "isTemp" in checked:
        job["status"] = "DRAFT" if checked["isTemp"] else ("READY" if call.g2 else "RUNNABLE")
    details["condition"].update(checked.get("condition", {}))
    for key in ("nodes", "description"):
        if key in checked:
            details[key] = checked[key]
    job["updatedDate"] = kst(call.now)
    call.store.jobs().touch()
    return ok(render_job(call, job))


def patch_job(call: Call) -> Response:
    """PATCH /api/v1/jobs/{jobId} (the newer revision): absent fields are kept."""
    if not call.g2:
        raise method_not_allowed("PATCH", "PUT")
    return _update(call, call.object_body())


def put_job(call: Call) -> Response:
    """PUT /api/v1/jobs/{jobId} (the older revision): ``name`` and ``type`` required."""
    if call.g2:
        raise method_not_allowed("PUT", "PATCH")
    body = call.object_body()
    if "name" not in body:
        raise bad_parameter("name is required")
    return _update(call, body)


def delete_job(call: Call) -> Response:
    """DELETE /api/v1/jobs/{jobId}: ``true``; refused while an execution is active."""
    job = find_job(call, call.params[0])
    job_id = job["jobId"]
    store = call.store
    active = [
        run.execution_id for run in store.runs.of_job(job_id) if run.status(call.now) in ACTIVE
    ]
    if active:
        raise bad_state(f"job {job_id} has executions in progress: {', '.join(active)}")
    jobs = store.jobs()
    for i, candidate in enumerate(jobs):
        if candidate is job:
            del jobs[i]
            break
    store.details.pop(job_id, None)
    return ok(True)
