"""A local, stateful emulator of the whole Data Flow API, for tests and benchmarks.

It checks signature v2 like the NCP API gateway on every route, validates and pages
like the service, keeps jobs, executions, workflows and triggers in one store, moves
executions through READY -> RUNNING -> COMPLETED/FAILED on a clock the caller controls,
and injects faults on demand (throttling, 5xx, latency, dropped connections, truncated
or malformed bodies, responses lost after a write). Use it in process through
`EmulatorApp.transport`, or on a loopback socket with `run_emulator`
(needs uvicorn, imported only then):

```python
with run_emulator(jobs=2000) as emu:
    auth = NcpSignatureAuth(emu.credentials)
    async with httpx.AsyncClient(auth=auth, base_url=emu.url) as client:
        page = (await client.get("/api/v1/jobs", params={"limit": 100})).json()
```

From a shell, `dataflow-async emulator` serves one until Ctrl-C.
"""

from ._app import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    JOB_STATUSES,
    JOBS_PATH,
    ApiVersion,
    EmulatorApp,
    JobList,
    RequestRecord,
)
from ._clock import ManualClock
from ._fault_plan import FaultPlan
from ._faults import (
    DropConnection,
    Fault,
    Latency,
    LostResponse,
    MalformedBody,
    ServerFailure,
    Throttle,
    TruncatedBody,
)
from ._lifecycle import Executions
from ._seed import make_jobs
from ._seed_resources import make_triggers, make_workflows, seed_history
from ._server import RunningEmulator, run_emulator, serve_forever

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_SECRET_KEY",
    "JOBS_PATH",
    "JOB_STATUSES",
    "ApiVersion",
    "DropConnection",
    "EmulatorApp",
    "Executions",
    "Fault",
    "FaultPlan",
    "JobList",
    "Latency",
    "LostResponse",
    "MalformedBody",
    "ManualClock",
    "RequestRecord",
    "RunningEmulator",
    "ServerFailure",
    "Throttle",
    "TruncatedBody",
    "make_jobs",
    "make_triggers",
    "make_workflows",
    "run_emulator",
    "seed_history",
    "serve_forever",
]
