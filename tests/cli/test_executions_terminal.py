"""Ctrl-C during ``executions start --wait`` on a real pseudo-terminal: the run is
cancelled with ``--cancel-on-interrupt`` and goes on without it; either way exit 130
with one clear message and a clean line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from dataflow_async.emulator import make_jobs, run_emulator

from .conftest import SCRIPT, environment
from .test_jobs_terminal import read_terminal, screen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("cancel", [True, False])
def test_ctrl_c_while_waiting(cancel: bool) -> None:
    with run_emulator(jobs=make_jobs(2, seed=5)) as emulator:
        emulator.app.executions.plan(None, ready=0.0, running=600)
        job = emulator.app.jobs[0]["jobId"]
        env = environment(
            NCLOUD_ACCESS_KEY_ID=emulator.credentials.access_key,
            NCLOUD_SECRET_ACCESS_KEY=emulator.credentials.secret_key,
            TERM="xterm-256color",
        )
        argv = [str(SCRIPT), "executions", "start", job, "--wait", "--endpoint", emulator.url]
        argv += ["--poll-interval", "0.05", "--poll-max", "0.1"]
        if cancel:
            argv.append("--cancel-on-interrupt")
        master, slave = os.openpty()
        sent: list[bool] = []

        def interrupt(raw: bytes) -> None:
            if b"RUNNING" in raw and not sent:
                sent.append(True)
                process.send_signal(signal.SIGINT)  # what Ctrl-C sends

        try:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env
            )
            os.close(slave)
            slave = -1
            raw = read_terminal(master, process, timeout=20, on_data=interrupt).decode()
            code = process.wait(timeout=10)
        finally:
            os.close(master)
            if slave != -1:
                os.close(slave)
        (execution,) = emulator.app.executions.list(job)
    assert sent
    assert code == 130, raw[-300:]
    assert "Traceback" not in raw
    shown = screen(raw)
    run_id = execution["jobExecutionId"]
    if cancel:
        assert execution["status"] == "CANCELED"
        assert shown == [
            f"error: interrupted: asked the service to cancel execution {run_id} of job {job}"
        ]
    else:
        assert execution["status"] == "RUNNING"
        assert shown == [
            f"error: interrupted: execution {run_id} of job {job} goes on on the server",
            f"hint: 'dataflow-async executions cancel {job} {run_id}' cancels it",
        ]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_ctrl_c_while_a_workflow_runs_leaves_it_going() -> None:
    from dataflow_async.emulator import make_triggers, make_workflows

    jobs = make_jobs(2, seed=5)
    triggers = make_triggers(1)
    workflows = make_workflows(jobs, triggers, 1)
    with run_emulator(jobs=jobs, triggers=triggers, workflows=workflows) as emulator:
        emulator.app.executions.plan(None, ready=0.0, running=600)
        workflow = next(iter(emulator.app.workflows))
        env = environment(
            NCLOUD_ACCESS_KEY_ID=emulator.credentials.access_key,
            NCLOUD_SECRET_ACCESS_KEY=emulator.credentials.secret_key,
            TERM="xterm-256color",
        )
        argv = [str(SCRIPT), "workflows", "execute", workflow, "--wait"]
        argv += ["--endpoint", emulator.url, "--poll-interval", "0.05", "--poll-max", "0.1"]
        master, slave = os.openpty()
        sent: list[bool] = []

        def interrupt(raw: bytes) -> None:
            if emulator.app.executions.list() and b"RUNNING" in raw and not sent:
                sent.append(True)
                process.send_signal(signal.SIGINT)

        try:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env
            )
            os.close(slave)
            slave = -1
            raw = read_terminal(master, process, timeout=20, on_data=interrupt).decode()
            code = process.wait(timeout=10)
        finally:
            os.close(master)
            if slave != -1:
                os.close(slave)
        statuses = [e["status"] for e in emulator.app.executions.list()]
    assert sent
    assert code == 130, raw[-300:]
    assert statuses and set(statuses) == {"RUNNING"}
    assert screen(raw) == [
        f"error: interrupted: the run of workflow {workflow} goes on on the server",
        f"hint: 'dataflow-async workflows executions {workflow}' shows its executions",
    ]
