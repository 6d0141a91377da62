"""``jobs list`` on a terminal: the progress line on stderr and the coloured table.

Most tests run ``main`` in process with streams that say they are terminals; the last one
runs the console script under a real pseudo-terminal.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dataflow_async import _cli as cli
from dataflow_async._cli import _jobs, _output, _table
from dataflow_async._converter import structure_jobs
from dataflow_async.emulator import FaultPlan, Latency, ServerFailure, make_jobs, run_emulator

from ..conftest import job_json
from .conftest import SCRIPT, environment

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def three_jobs() -> list[dict[str, Any]]:
    """Three jobs, served in this order: a failed run, a wide (Korean) name, no run."""
    never_ran = job_json(3, status="EDITING")
    del never_ran["lastExecutionStatus"], never_ran["lastExecutionDate"]
    return [
        job_json(1, status="RUNNING", lastExecutionStatus="FAILED"),
        job_json(2, name="매출 집계", status="STOPPED"),
        never_ran,
    ]


PLAIN = (
    "JOB ID        NAME       TYPE      STATUS   LAST RUN   LAST RUN AT             UPDATED\n"
    "job000000001  job-1      DATAFLOW  RUNNING  FAILED     "
    "2025-03-20 13:06+09:00  2025-03-20 13:07+09:00\n"
    "job000000002  매출 집계  DATAFLOW  STOPPED  COMPLETED  "
    "2025-03-20 13:06+09:00  2025-03-20 13:07+09:00\n"
    "job000000003  job-3      DATAFLOW  EDITING  -          "
    "-                       2025-03-20 13:07+09:00\n"
    "3 jobs\n"
)

COLOURED = (
    "\x1b[1mJOB ID        NAME       TYPE      STATUS   LAST RUN   LAST RUN AT"
    "             UPDATED\x1b[0m\n"
    "job000000001  job-1      DATAFLOW  \x1b[32mRUNNING\x1b[0m  \x1b[31mFAILED\x1b[0m     "
    "2025-03-20 13:06+09:00  2025-03-20 13:07+09:00\n"
    "job000000002  매출 집계  DATAFLOW  \x1b[33mSTOPPED\x1b[0m  \x1b[32mCOMPLETED\x1b[0m  "
    "2025-03-20 13:06+09:00  2025-03-20 13:07+09:00\n"
    "job000000003  job-3      DATAFLOW  EDITING  -          "
    "-                       2025-03-20 13:07+09:00\n"
    "3 jobs\n"
)


def erase(text: str) -> str:
    """What ``Progress.clear`` writes after showing ``text``."""
    return "\r" + " " * _table.display_width(text) + "\r"


class FakeTerminal(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Terminal:
    """Installs ``FakeTerminal`` streams as stdout and/or stderr."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.out: io.StringIO | None = None
        self.err: io.StringIO | None = None

    def stdout(self) -> Terminal:
        self.out = FakeTerminal()
        self.monkeypatch.setattr(sys, "stdout", self.out)
        return self

    def stderr(self) -> Terminal:
        self.err = FakeTerminal()
        self.monkeypatch.setattr(sys, "stderr", self.err)
        return self


@pytest.fixture(autouse=True)
def ordinary_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """An ordinary terminal type (the package's fixture cleared credentials, colour
    preferences and COLUMNS)."""
    monkeypatch.setenv("TERM", "xterm-256color")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with run_emulator(jobs=three_jobs()) as emulator:
        monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", emulator.credentials.access_key)
        monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", emulator.credentials.secret_key)
        yield emulator


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Terminal:
    return Terminal(monkeypatch)


def list_jobs(
    capsys: pytest.CaptureFixture[str], terminal: Terminal, url: str, *argv: str
) -> tuple[int, str, str]:
    """Run ``jobs list``; what went to stdout and stderr, terminal or captured."""
    code = cli.main(["jobs", "list", "--endpoint", url, *argv])
    out, err = capsys.readouterr()
    if terminal.out is not None:
        out = terminal.out.getvalue()
    if terminal.err is not None:
        err = terminal.err.getvalue()
    return code, out, err


# --------------------------------------------------------------------------- unhappy paths


def test_captured_output_has_no_progress_and_no_colour(
    capsys: pytest.CaptureFixture[str], terminal: Terminal, served: Any
) -> None:
    assert list_jobs(capsys, terminal, served.url) == (0, PLAIN, "")


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_machine_formats_have_no_progress_nor_colour_even_on_a_terminal(
    capsys: pytest.CaptureFixture[str],
    terminal: Terminal,
    served: Any,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    terminal.stdout().stderr()
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, err = list_jobs(capsys, terminal, served.url, "--format", fmt, "--color", "always")
    assert (code, err) == (0, "")
    assert "\x1b" not in out
    assert "job000000003" in out


def test_no_progress_when_stderr_is_a_pipe(
    capsys: pytest.CaptureFixture[str], terminal: Terminal, served: Any
) -> None:
    terminal.stdout()  # stdout on a terminal, stderr captured
    assert list_jobs(capsys, terminal, served.url) == (0, COLOURED, "")


def test_term_dumb_has_no_progress_nor_colour(
    capsys: pytest.CaptureFixture[str],
    terminal: Terminal,
    served: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal.stdout().stderr()
    monkeypatch.setenv("TERM", "dumb")
    assert list_jobs(capsys, terminal, served.url) == (0, PLAIN, "")


def test_no_color_wins_over_a_terminal_and_force_color(
    capsys: pytest.CaptureFixture[str],
    terminal: Terminal,
    served: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal.stdout()
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert list_jobs(capsys, terminal, served.url) == (0, PLAIN, "")


def test_an_empty_no_color_does_not_count(
    capsys: pytest.CaptureFixture[str],
    terminal: Terminal,
    served: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal.stdout()
    monkeypatch.setenv("NO_COLOR", "")
    assert list_jobs(capsys, terminal, served.url) == (0, COLOURED, "")


def test_color_never_on_a_terminal(
    capsys: pytest.CaptureFixture[str], terminal: Terminal, served: Any
) -> None:
    terminal.stdout()
    assert list_jobs(capsys, terminal, served.url, "--color", "never") == (0, PLAIN, "")


def test_no_progress_option(
    capsys: pytest.CaptureFixture[str], terminal: Terminal, served: Any
) -> None:
    terminal.stderr()
    assert list_jobs(capsys, terminal, served.url, "--no-progress") == (0, PLAIN, "")


def test_progress_is_erased_before_the_error_line(
    capsys: pytest.CaptureFixture[str], terminal: Terminal, served: Any
) -> None:
    terminal.stderr()
    served.app.faults = FaultPlan.script(None, ServerFailure(500))
    code, out, err = list_jobs(
        capsys, terminal, served.url, "--page-size", "2", "--max-retries", "0"
    )
    assert (code, out) == (1, "")
    shown = "… 2 jobs, 1 page"
    assert err.startswith(f"\r{shown}{erase(shown)}error: ")
    assert err.count("\n") == 1
    assert "500" in err


def test_progress_is_erased_on_ctrl_c(
    capsys: pytest.CaptureFixture[str],
    terminal: Terminal,
    served: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Interrupted(_output.TableWriter[Any]):
        def write(self, item: Any) -> None:
            raise KeyboardInterrupt

    monkeypatch.setitem(_output.WRITERS, "table", Interrupted)
    terminal.stderr()
    code, out, err = list_jobs(capsys, terminal, served.url)
    shown = "… 3 jobs, 1 page"
    # The progress line is erased, then the whole line (with the echoed ^C).
    assert (code, out, err) == (130, "", f"\r{shown}{erase(shown)}\r\x1b[2K")


# --------------------------------------------------------------------------- colour


def test_color_always_colours_a_pipe(
    capsys: pytest.CaptureFixture[str], terminal: Terminal, served: Any
) -> None:
    assert list_jobs(capsys, terminal, served.url, "--color", "always") == (0, COLOURED, "")


def test_force_color_colours_a_pipe(
    capsys: pytest.CaptureFixture[str],
    terminal: Terminal,
    served: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert list_jobs(capsys, terminal, served.url) == (0, COLOURED, "")


def test_coloured_table_lines_up_like_the_plain_one() -> None:
    records = make_jobs(300, seed=3)
    records[5]["name"] = "로그 수집 작업 " + "x" * 80  # wide and cut
    records[6]["name"] = "결제"
    jobs = structure_jobs(records)
    plain = _table.render_table(jobs, _jobs.JOB_COLUMNS)
    coloured = _table.render_table(jobs, _jobs.JOB_COLUMNS, color=True)
    assert ANSI.sub("", coloured) == plain
    painted = coloured.splitlines()
    assert painted[0].startswith("\x1b[1mJOB ID")
    statuses = {str(job.status) for job in jobs}
    assert {"RUNNING", "STOPPED"} <= statuses
    assert sum("\x1b[32mRUNNING\x1b[0m" in line for line in painted) == sum(
        job.status == "RUNNING" for job in jobs
    )


def test_progress_then_a_clean_table(
    capsys: pytest.CaptureFixture[str], terminal: Terminal, served: Any
) -> None:
    terminal.stdout().stderr()
    shown = "… 3 jobs, 1 page"
    assert (0, COLOURED, f"\r{shown}{erase(shown)}") == list_jobs(capsys, terminal, served.url)


def test_help_explains_the_terminal_behaviour(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["jobs", "list", "--help"]) == 0
    text = capsys.readouterr().out
    for words in ("--color WHEN", "--no-color", "--no-progress", "NO_COLOR", "FORCE_COLOR"):
        assert words in text
    assert "TERM is not 'dumb'" in " ".join(text.split())


# --------------------------------------------------------------------------- real terminal


def screen(raw: str) -> list[str]:
    """The lines a terminal shows after ``raw``: carriage returns overwrite, colour codes
    take no room, ``ESC[2K`` erases the line; trailing blanks dropped."""
    lines: list[list[str]] = [[]]
    column = 0
    for token in re.findall(r"\x1b\[[0-9;]*[A-Za-z]|.", raw, flags=re.DOTALL):
        line = lines[-1]
        if token == "\n":
            lines.append([])
            column = 0
        elif token == "\r":
            column = 0
        elif token == "\x1b[2K":
            line.clear()
        elif token.startswith("\x1b"):
            continue
        else:
            line.extend(" " * (column + 1 - len(line)))
            line[column] = token
            column += 1
    shown = ["".join(line).rstrip() for line in lines]
    while shown and not shown[-1]:
        shown.pop()
    return shown


def read_terminal(
    master: int,
    process: subprocess.Popen[bytes],
    timeout: float,
    on_data: Callable[[bytes], None] | None = None,
) -> bytes:
    """All that ``process`` writes to the pseudo-terminal, until it closes it;
    ``on_data`` sees what came so far after each read."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            process.kill()
            pytest.fail(f"no end of output after {timeout} s: {b''.join(chunks)[-500:]!r}")
        ready, _, _ = select.select([master], [], [], left)
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError as exc:  # Linux: EIO once every copy of the slave side is closed
            if exc.errno == errno.EIO:
                break
            raise
        if not data:
            break
        chunks.append(data)
        if on_data is not None:
            on_data(b"".join(chunks))
    return b"".join(chunks)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_console_script_on_a_real_terminal() -> None:
    slow = FaultPlan.random(seed=1, rate=1.0, faults=[Latency(0.01)])
    with run_emulator(jobs=3000, faults=slow) as emulator:
        env = environment(
            NCLOUD_ACCESS_KEY_ID=emulator.credentials.access_key,
            NCLOUD_SECRET_ACCESS_KEY=emulator.credentials.secret_key,
            TERM="xterm-256color",
        )
        argv = [str(SCRIPT), "jobs", "list", "--endpoint", emulator.url]
        master, slave = os.openpty()
        try:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env
            )
            os.close(slave)
            slave = -1
            raw = read_terminal(master, process, timeout=20).decode("utf-8")
            code = process.wait(timeout=10)
        finally:
            os.close(master)
            if slave != -1:
                os.close(slave)
        piped = subprocess.run(argv, capture_output=True, env=env, timeout=20, check=False)
    assert code == 0, raw[-500:]
    # The terminal got colour, and the progress line first (the first page's counts).
    assert "\x1b[32mRUNNING\x1b[0m" in raw
    progress = "\r… 1,000 jobs, 1 page"
    assert progress in raw
    assert raw.index(progress) < raw.index("JOB ID")
    # Once drawn, the screen is exactly the table a pipe gets, which has neither.
    assert (piped.returncode, piped.stderr) == (0, b"")
    plain = piped.stdout.decode("utf-8")
    assert "\x1b" not in plain
    shown = screen(raw)
    assert shown == plain.splitlines()
    assert shown[-1] == "3,000 jobs"
    assert shown[0].startswith("JOB ID")


# --------------------------------------------------------------------------- width


def test_table_on_a_terminal_fits_its_width(
    capsys: pytest.CaptureFixture[str],
    terminal: Terminal,
    served: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal.stdout()
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = list_jobs(capsys, terminal, served.url, "--no-color")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["JOB", "ID", "NAME", "TYPE", "STATUS", "LAST", "RUN"]
    assert all(_table.display_width(line) <= 60 for line in lines)
    assert "매출 집계" in out  # wide names still line up (see the column test)
    assert lines[-1] == "3 jobs"


def test_table_into_a_pipe_is_whole_whatever_columns_says(
    capsys: pytest.CaptureFixture[str],
    terminal: Terminal,
    served: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert list_jobs(capsys, terminal, served.url) == (0, PLAIN, "")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_ctrl_c_on_a_real_terminal_leaves_a_clean_line(fmt: str) -> None:
    slow = FaultPlan.random(seed=1, rate=1.0, faults=[Latency(0.05)])
    with run_emulator(jobs=5000, faults=slow) as emulator:
        env = environment(
            NCLOUD_ACCESS_KEY_ID=emulator.credentials.access_key,
            NCLOUD_SECRET_ACCESS_KEY=emulator.credentials.secret_key,
            TERM="xterm-256color",
        )
        argv = [str(SCRIPT), "jobs", "list", "--endpoint", emulator.url, "-o", fmt]
        argv += ["--page-size", "100"]
        master, slave = os.openpty()
        sent: list[bool] = []

        def interrupt(raw: bytes) -> None:
            started = b"\xe2\x80\xa6 " in raw if fmt == "table" else raw.count(b"job_id") > 150
            if started and not sent:
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
    assert sent
    assert code == 130, raw[-300:]
    assert "Traceback" not in raw
    assert raw.endswith("\r\x1b[2K")  # the line the ^C was echoed on is erased
    shown = screen(raw)
    if fmt == "table":
        assert shown == []  # the progress line is gone, nothing else was printed
    else:
        text = "".join(line + "\n" for line in shown)
        assert 150 <= len(json.loads(text)) < 5000  # a valid array of the jobs so far
