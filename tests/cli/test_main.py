"""The command line's conventions: one usage-error style, case, help, version, short
flags, the console script and ``python -m``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from dataflow_async import __version__
from dataflow_async import _cli as cli

from .conftest import SCRIPT, assert_usage_error, environment, run


@pytest.mark.parametrize(
    ("argv", "command", "words"),
    [
        (["jobs", "list", "--status", "bogus"], "jobs list", ["--status", "'bogus'", "RUNNING"]),
        (["jobs", "list", "--format", "yaml"], "jobs list", ["--format", "'yaml'", "jsonl"]),
        (["jobs", "list", "-o", "xml"], "jobs list", ["-o/--format", "'xml'"]),
        (["jobs", "list", "--color", "sometimes"], "jobs list", ["--color", "never"]),
        (["jobs", "list", "--statu", "RUNNING"], "jobs list", ["'--statu'", "--status?"]),
        (["jobs", "list", "--form=json"], "jobs list", ["'--form'", "--format?"]),
        (["jobs", "list", "--max-item", "3"], "jobs list", ["'--max-item'", "--max-items?"]),
        (["jobs", "list", "stray"], "jobs list", ["'stray'"]),
        (["jobs", "list", "--page-size"], "jobs list", ["--page-size", "expected one"]),
        (["jobs", "lists"], "jobs ACTION ...", ["'lists'", "list"]),
        (["job"], "COMMAND ...", ["'job'", "jobs"]),
        (["--bogus"], "COMMAND ...", ["'--bogus'"]),
        (["emulator", "--port", "70000"], "emulator", ["--port", "70000"]),
        (["emulator", "--count-mode", "all"], "emulator", ["--count-mode", "total"]),
        (["emulator", "--jobs", "-1"], "emulator", ["--jobs"]),
        (["emulator", "--secret-key", " spaced "], "emulator", ["--secret-key"]),
        (["emulator", "--access-key", "\x1b[2J"], "emulator", ["--access-key"]),
        (["demo", "--status", "asleep"], "demo", ["--status"]),
        (["demo", "--page-size", "0"], "demo", ["--page-size"]),
    ],
)
def test_every_bad_input_is_told_the_same_way(
    capsys: pytest.CaptureFixture[str], argv: list[str], command: str, words: list[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert_usage_error(err, command, *words)


@pytest.mark.parametrize(
    ("argv", "start"),
    [([], "usage: dataflow-async [-h] [-V] COMMAND"), (["jobs"], "usage: dataflow-async jobs")],
)
def test_a_command_without_its_action_prints_its_help_on_stderr(
    capsys: pytest.CaptureFixture[str], argv: list[str], start: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith(start)
    assert "examples:" in err or "example:" in err
    assert "error:" not in err


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    code, out, _ = run(capsys, flag)
    assert code == 0
    assert out == f"dataflow-async {__version__}\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["jobs", "--help"],
        ["jobs", "list", "--help"],
        ["emulator", "--help"],
        ["demo", "-h"],
    ],
)
def test_help_has_examples_on_stdout(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    assert "example" in out


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """``parser`` and all its subcommands' parsers."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from parsers(sub)


def test_options_with_a_value_have_an_example_and_flags_have_none() -> None:
    checked = 0
    for parser in parsers(cli.build_parser()):
        assert not parser.allow_abbrev, parser.prog
        for action in parser._actions:
            if not action.option_strings or action.dest == "help":
                continue
            assert action.help, (parser.prog, action.dest)
            takes_value = action.nargs != 0
            assert ("e.g." in action.help) is takes_value, (parser.prog, action.dest)
            checked += 1
    assert checked >= 25


@pytest.mark.parametrize("columns", [40, 60, 80, 120])
def test_every_help_line_fits_the_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    for parser in parsers(cli.build_parser()):
        text = parser.format_help()
        too_long = [line for line in text.splitlines() if len(line) > columns]
        # argparse cannot break a single word (an option with its metavar) in usage.
        too_long = [line for line in too_long if " " in line.strip()]
        assert not too_long, (parser.prog, columns, too_long)


def test_prose_paragraphs_are_refilled_not_cut_at_random(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    text = cli.build_parser().format_help()
    assert "from ~/.ncloud/configure" in text  # the sentence flows on, not "from\n~/"


def test_top_level_help_mentions_terminal_output_and_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run(capsys, "--help")
    flat = " ".join(out.split())
    for words in ("NO_COLOR", "progress", "3 credentials", "130 interrupted", "exits with 2"):
        assert words in flat


def test_list_help_says_what_json_does_when_the_walk_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run(capsys, "jobs", "list", "--help")
    flat = " ".join(out.split())
    assert "one valid JSON array" in flat
    assert "exit status is not 0" in flat
    for flag in ("-o", "-s STATUS", "-n NAME", "--no-headers", "--no-color", "--color"):
        assert flag in out


# --------------------------------------------------------------------------- subprocess


def test_console_script_version() -> None:
    result = subprocess.run(
        [str(SCRIPT), "-V"], capture_output=True, text=True, check=False, env=environment()
    )
    assert (result.returncode, result.stdout) == (0, f"dataflow-async {__version__}\n")


def test_python_dash_m_reports_usage_errors_the_same_way() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dataflow_async", "jobs", "list", "--status", "x"],
        capture_output=True,
        text=True,
        check=False,
        env=environment(),
    )
    assert result.returncode == 2
    assert_usage_error(result.stderr, "jobs list", "--status")


def test_bare_console_script_prints_help_on_stderr() -> None:
    result = subprocess.run(
        [str(SCRIPT)], capture_output=True, text=True, check=False, env=environment()
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("usage: dataflow-async")
    assert "jobs" in result.stderr


def test_json_lines_of_a_served_walk(served: Any) -> None:
    env = environment(
        NCLOUD_ACCESS_KEY_ID=served.credentials.access_key,
        NCLOUD_SECRET_ACCESS_KEY=served.credentials.secret_key,
        PYTHONIOENCODING="latin-1",
    )
    result = subprocess.run(
        [str(SCRIPT), "jobs", "list", "--endpoint", served.url, "-o", "JSONL"],
        capture_output=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode("utf-8").splitlines()
    assert len([json.loads(line) for line in lines]) == 45
