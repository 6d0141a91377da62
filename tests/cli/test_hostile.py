"""Servers written to attack the terminal: escape sequences in error messages and job
names, in every output format; and a server that accepts and never answers."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..conftest import job_json, page_json
from .conftest import Answer, HostileServer, assert_error, json_answer, run

TITLE = "\x1b]0;owned\x07"  # set the terminal's title
CLEAR = "\x1b[2J\x1b[H"  # clear the screen, cursor home
C1_CSI = "\x9b31m"  # CSI as one C1 control
BIDI = "\u202egnp.exe"  # right-to-left override: shows "exe.png"
ISOLATE = "\u2066x\u2069"
NEL = "\x85"
LINE_SEP = "\u2028"
HOSTILE = f"{TITLE}{CLEAR}fake{C1_CSI}{BIDI}{ISOLATE}{NEL}{LINE_SEP}\x7fend"
ATTACKS = ("\x1b", "\x9b", "\x85", "\u202e", "\u2066", "\u2069", "\u2028", "\x07", "\x7f")

Start = Callable[[Answer], HostileServer]


def assert_clean(text: str) -> None:
    """No character of an attack reached ``text``."""
    for char in ATTACKS:
        assert char not in text, (char, text[:300])


def hostile_jobs() -> list[dict[str, Any]]:
    return [
        job_json(1, name=HOSTILE, status=f"RUN{CLEAR}", type=f"{TITLE}X"),
        job_json(2, name='=HYPERLINK("http://evil")', lastExecutionStatus=BIDI),
        job_json(3, name="+1", jobId=f"job{C1_CSI}3"),
        job_json(4, name="-2", resourceId="@SUM(A1)"),
    ]


def serve_jobs(path: str) -> tuple[int, dict[str, str], bytes]:
    return json_answer(200, page_json(hostile_jobs()))


@pytest.fixture
def jobs_server(hostile: Start) -> Iterator[HostileServer]:
    return hostile(serve_jobs)


def list_from(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "jobs", "list", "--endpoint", url, "--max-retries", "0", *argv)


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"errorCode": TITLE, "message": f"{CLEAR}fake error{NEL}", "details": HOSTILE}},
        {"errorType": "BAD", "message": HOSTILE, "details": f"{BIDI}\n{TITLE}"},
    ],
)
def test_an_error_body_cannot_reach_the_terminal(
    capsys: pytest.CaptureFixture[str], hostile: Start, body: dict[str, Any]
) -> None:
    server = hostile(lambda path: json_answer(500, body))
    code, out, err = list_from(capsys, server.url)
    assert (code, out) == (1, "")
    assert_error(err, "500", "fake", hint=False)  # one line, shown
    assert_clean(err)
    assert "?]0;owned?" in err  # shown as text, not obeyed


def test_an_error_body_that_is_not_json_cannot_reach_the_terminal(
    capsys: pytest.CaptureFixture[str], hostile: Start
) -> None:
    server = hostile(lambda path: (502, {"Content-Type": "text/html"}, HOSTILE.encode()))
    code, _, err = list_from(capsys, server.url)
    assert code == 1
    assert_error(err, "502")
    assert_clean(err)


def test_table_shows_hostile_cells_as_text(
    capsys: pytest.CaptureFixture[str], jobs_server: HostileServer
) -> None:
    code, out, err = list_from(capsys, jobs_server.url)
    assert (code, err) == (0, "")
    assert_clean(out)
    assert "?]0;owned?" in out
    assert len(out.splitlines()) == 1 + 4 + 1


def test_table_on_a_narrow_terminal_stays_clean(
    capsys: pytest.CaptureFixture[str], jobs_server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    monkeypatch.setenv("COLUMNS", "50")
    monkeypatch.setenv("TERM", "xterm")
    code, _, _ = list_from(capsys, jobs_server.url, "--color", "always")
    assert code == 0
    painted = screen.getvalue()
    assert "\x1b[34mRUNNABLE\x1b[0m" in painted  # coloured: our own codes, and only them
    assert_clean(re.sub(r"\x1b\[[0-9]+m", "", painted))
    assert all(len(line) <= 50 for line in re.sub(r"\x1b\[[0-9]+m", "", painted).splitlines())


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_escapes_hostile_characters_and_keeps_the_values(
    capsys: pytest.CaptureFixture[str], jobs_server: HostileServer, fmt: str
) -> None:
    code, out, err = list_from(capsys, jobs_server.url, "-o", fmt)
    assert (code, err) == (0, "")
    assert_clean(out)
    records = json.loads(out) if fmt == "json" else [json.loads(x) for x in out.splitlines()]
    assert records[0]["name"] == HOSTILE  # escaped, not altered
    assert records[0]["status"] == f"RUN{CLEAR}"
    assert records[2]["job_id"] == f"job{C1_CSI}3"
    assert "\\u202e" in out and "\\u009b" in out and "\\u001b" in out


def test_csv_cells_are_clean_and_never_formulas(
    capsys: pytest.CaptureFixture[str], jobs_server: HostileServer
) -> None:
    code, out, err = list_from(capsys, jobs_server.url, "-o", "csv")
    assert (code, err) == (0, "")
    assert_clean(out)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["name"].startswith("?]0;owned??[2J?[Hfake")
    assert rows[1]["name"] == '\'=HYPERLINK("http://evil")'
    assert rows[1]["last_execution_status"] == "?gnp.exe"
    assert rows[2]["name"] == "'+1"
    assert rows[3]["name"] == "'-2"
    assert rows[3]["resource_id"] == "'@SUM(A1)"
    assert rows[0]["created_date"] == "2025-03-19T15:03:42+09:00"  # data cells untouched


def test_a_server_that_accepts_and_never_answers_timed_out_after_connecting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", "SILENTACCESSKEY")
    monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", "SILENTSECRETKEY")
    # The kernel completes the handshake for a listening socket; nothing ever reads.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        code, out, err = list_from(capsys, url, "--timeout", "0.2")
    assert (code, out) == (4, "")
    assert_error(err, f"{url} timed out after connecting", "--timeout", hint=True)
    assert "cannot reach" not in err


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x1b"], ids=["VT", "FF", "ESC"])
def test_a_key_with_a_control_character_is_a_credentials_error_sending_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, served: Any, char: str
) -> None:
    key = f"AKIDSECRETPART{char}TAIL"
    monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", key)
    served.app.reset()
    code, out, err = list_from(capsys, served.url)
    assert (code, out) == (3, "")
    assert_error(err, "unusable key pair", "control character", "'AKID***'", hint=True)
    assert "SECRETPART" not in err and "TAIL" not in err  # the key shows masked only
    assert "reach" not in err and "connection" not in err
    assert served.app.requests == []
