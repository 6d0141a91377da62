"""A local emulator of the Data Flow API's ``GET /api/v1/jobs``, for tests and benchmarks.

It checks signature v2 like the NCP API gateway, validates and pages like the service,
and injects faults on demand (throttling, 5xx, latency, dropped connections, truncated
or malformed bodies). Use it in process through :meth:`EmulatorApp.transport`, or on a
loopback socket with :func:`run_emulator` (needs uvicorn, imported only then)::

    with run_emulator(jobs=2000) as emu:
        auth = NcpSignatureAuth(emu.credentials)
        async with httpx.AsyncClient(auth=auth, base_url=emu.url) as client:
            page = (await client.get("/api/v1/jobs", params={"limit": 100})).json()
"""

from ._app import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    JOB_STATUSES,
    JOBS_PATH,
    EmulatorApp,
    JobList,
    RequestRecord,
)
from ._faults import (
    DropConnection,
    Fault,
    FaultPlan,
    Latency,
    MalformedBody,
    ServerFailure,
    Throttle,
    TruncatedBody,
)
from ._seed import make_jobs
from ._server import RunningEmulator, run_emulator, serve_forever

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_SECRET_KEY",
    "JOBS_PATH",
    "JOB_STATUSES",
    "DropConnection",
    "EmulatorApp",
    "Fault",
    "FaultPlan",
    "JobList",
    "Latency",
    "MalformedBody",
    "RequestRecord",
    "RunningEmulator",
    "ServerFailure",
    "Throttle",
    "TruncatedBody",
    "make_jobs",
    "run_emulator",
    "serve_forever",
]
