"""Every command shown in docs/cli.md parses as written; the ones shown failing fail with
the usage error shown."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from dataflow_async import _cli as cli

from .conftest import free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def shown_commands() -> list[tuple[str, bool]]:
    """``(command, shown failing)`` for each ``$ dataflow-async ...`` line of a console block."""
    found: list[tuple[str, bool]] = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(), flags=re.DOTALL):
        lines = block.splitlines()
        for index, line in enumerate(lines):
            if line.startswith("$ dataflow-async "):
                after = lines[index + 1] if index + 1 < len(lines) else ""
                found.append((line[2:], after.startswith("usage:")))
    return found


COMMANDS = shown_commands()


def test_the_page_shows_every_command_group() -> None:
    shown = {" ".join(command.split()[1:3]) for command, _ in COMMANDS}
    for group, actions in {
        "jobs": ("list", "get", "create", "delete"),
        "executions": ("start", "list", "get", "cancel"),
        "workflows": ("list", "get", "execute", "executions"),
        "triggers": ("list", "get", "create", "delete"),
        "stats": ("result", "interval", "times"),
    }.items():
        for action in actions:
            assert f"{group} {action}" in shown, (group, action)


@pytest.mark.parametrize(("command", "fails"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_shown_command_parses(
    command: str, fails: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    words = shlex.split(re.split(r" \| | > | >> | \|\| ", command)[0])[1:]
    if fails:  # shown failing: the usage error, before anything is sent (nothing listens)
        monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", "DOCSACCESSKEY")
        monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", "DOCSSECRETKEY")
        url = f"http://127.0.0.1:{free_port()}"
        assert cli.main([*words, "--endpoint", url]) == 2
        assert capsys.readouterr().err.startswith("usage: ")
        return
    args, extras = cli.build_parser().parse_known_args(words)
    assert extras == []
    assert getattr(args, "handler", None) is not None
