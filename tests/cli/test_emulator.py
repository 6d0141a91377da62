"""``dataflow-async emulator`` and ``dataflow-async demo``, and the commands they print."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataflow_async._cli import _emulator
from dataflow_async._cli._program import invocation

from .conftest import SCRIPT, assert_error, environment, run


def test_emulator_on_a_taken_port_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(capsys, "emulator", "--port", str(port), "--jobs", "1")
    assert code == 1
    assert out == ""
    assert_error(err, f"127.0.0.1:{port}")


@pytest.mark.parametrize("command", ["emulator", "demo"])
def test_without_uvicorn_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setattr(_emulator, "has_uvicorn", lambda: False)
    code, _, err = run(capsys, command, "--jobs", "1")
    assert code == 1
    assert_error(err, "pip install 'dataflow-async[emulator]'")


# --------------------------------------------------------------------------- invocation


def test_the_name_on_path_when_it_is_the_running_script(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "dataflow-async"
    script.parent.mkdir()
    script.touch()
    assert invocation(str(script), which=lambda name: str(script)) == "dataflow-async"


def test_the_absolute_path_when_the_name_on_path_is_another(tmp_path: Path) -> None:
    ours = tmp_path / "my venv" / "bin" / "dataflow-async"
    ours.parent.mkdir(parents=True)
    ours.touch()
    other = tmp_path / "other"
    other.touch()
    relative = os.path.relpath(ours)
    assert invocation(relative, which=lambda name: str(other)) == shlex.quote(str(ours))
    assert invocation(relative, which=lambda name: None) == shlex.quote(str(ours))


def test_the_interpreter_for_python_dash_m() -> None:
    main = str(Path(_emulator.__file__).parent.parent / "__main__.py")
    assert invocation(main, executable="/opt/py 3/python") == "'/opt/py 3/python' -m dataflow_async"


def run_printed(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as a user would type it into a shell whose PATH lacks the venv."""
    env = {**env, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        ["/bin/sh", "-c", command], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX shell and signals")
def test_emulator_serves_until_ctrl_c_and_its_printout_works_as_typed() -> None:
    process = subprocess.Popen(
        [
            str(SCRIPT),
            *("emulator", "--port", "0", "--jobs", "30", "--count-mode", "TOTAL"),
            *("--access-key", "LOCALKEY", "--secret-key", "LOCALSECRET"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(PATH="/usr/bin:/bin"),  # the venv's bin is not on PATH
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        shown = []
        for line in process.stdout:
            shown.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        text = "".join(shown)
        assert re.search(r"listening on http://127\.0\.0\.1:\d+", text), text
        assert "not a real secret" in text
        block = text.split("In a shell:\n\n", 1)[1].split("\n\n", 1)[0]
        assert f"  {shlex.quote(str(SCRIPT))} jobs list" in block.splitlines()
        # Follow the printed instructions exactly as they are.
        typed = "; ".join(line.strip() for line in block.splitlines()) + " -o jsonl"
        result = run_printed(typed, environment())
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == 30
    finally:
        process.send_signal(signal.SIGINT)
        rest, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert stderr == ""
    assert rest.endswith("Emulator stopped.\n")


# --------------------------------------------------------------------------- demo


def test_demo_reports_what_the_emulator_holds(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataflow_async.emulator as emulator_module

    started: list[Any] = []
    real = emulator_module.run_emulator

    @contextlib.contextmanager
    def recording(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with real(*args, **kwargs) as running:
            started.append(running)
            yield running

    monkeypatch.setattr(emulator_module, "run_emulator", recording)
    code, out, err = run(capsys, "demo", "--jobs", "1200", "--page-size", "250", "-s", "running")
    assert (code, err) == (0, "")
    (emulator,) = started
    held = Counter(job["status"] for job in emulator.app.jobs)
    counts = {name: int(n.replace(",", "")) for name, n in section(out, "Jobs per status:")}
    assert counts.pop("total") == 1200
    assert counts == dict(held)
    assert "fetched       1,200 jobs in 5 pages of up to 250" in out
    running = held["RUNNING"]
    assert f"filtered      {running:,} jobs with status RUNNING" in out
    assert f"… and {running - 15:,} more" in out
    assert emulator.url in out
    assert "refused, as it must be: HTTP 401" in out
    verified = sum(1 for request in emulator.app.requests if request.status == 200)
    assert f"signatures    {verified:,} signed requests verified" in out
    assert verified >= 5 + 1
    assert_job_life(out, emulator)
    # Run in process (not as the console script): the interpreter is what works as typed.
    assert out.endswith(f"\n  {shlex.quote(sys.executable)} -m dataflow_async emulator\n")


def section(out: str, title: str) -> list[tuple[str, str]]:
    lines = out.splitlines()
    start = lines.index(title) + 2  # the title, then a blank line
    rows = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        name, count = line.split()
        rows.append((name, count))
    return rows


def assert_job_life(out: str, emulator: Any) -> None:
    """The demo created a job, ran it twice to the end, listed both runs, deleted it."""
    life = out[out.index("A job's life, through the API:") :]
    created = [
        r for r in emulator.app.requests if r.method == "POST" and r.target == "/api/v1/jobs"
    ]
    assert len(created) == 1
    job_id = life.split("create        job ", 1)[1].split()[0]
    assert job_id not in {job["jobId"] for job in emulator.app.jobs}  # deleted again
    runs = emulator.app.executions.list(job_id)
    assert [execution["status"] for execution in runs] == ["COMPLETED", "COMPLETED"]
    assert "  wait          READY → RUNNING → COMPLETED in " in life
    assert "  executions    2 of the job:" in life
    for execution in runs:
        assert f"    {execution['jobExecutionId']}  {job_id}  COMPLETED" in life
    assert f"  delete        job {job_id}  DELETE /api/v1/jobs/{{jobId}}" in life
    assert "-m dataflow_async executions start JOB_ID --wait --timeout 3600" in life


def test_demo_life_report_without_executions_says_none() -> None:
    from datetime import UTC, datetime

    from dataflow_async import JobExecution
    from dataflow_async._cli._demo_run import JobLife, render_life

    started = JobExecution(
        execution_id="e1", job_id="j1", status="READY", created_date=datetime.now(UTC)
    )
    life = JobLife("j1", "n\x1b]0;t\x07", started, ("READY",), 0, 0.0, (), True)
    lines = render_life(life, 80, "dataflow-async")
    assert "    (none)" in lines
    assert all("\x1b" not in line for line in lines)
