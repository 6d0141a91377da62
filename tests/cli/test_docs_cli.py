"""Every command shown in docs/cli.md parses as written; the ones shown failing fail with
the usage error shown."""

from __future__ import annotations

import argparse
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


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every leaf command's parser, by its words (``"jobs list"``, ``"emulator"``)."""
    found = {}
    for group, parser in _subparsers(cli.build_parser()).items():
        actions = _subparsers(parser)
        found.update(
            {f"{group} {a}": p for a, p in actions.items()} if actions else {group: parser}
        )
    return found


def documented_defaults() -> list[tuple[list[str], str, str]]:
    """``(commands, option, default)`` for each option a command's section gives a default
    (an option in backquotes followed on the same line by ``(default X``); the
    Conventions section speaks for every command. Defaults read from the environment
    (``$DATAFLOW_ASYNC_ENDPOINT``) are left out."""
    commands = _commands()
    found = []
    for section in re.split(r"^## ", DOC.read_text(), flags=re.MULTILINE)[1:]:
        title = section.splitlines()[0]
        heading = re.match(r"`dataflow-async (\w+) ?([\w|]*)`", title)
        if heading:
            group, actions = heading.group(1), heading.group(2)
            names = [f"{group} {a}" for a in actions.split("|")] if actions else [group]
        elif title.strip() == "Conventions":
            names = list(commands)
        else:
            continue
        flat = re.sub(r"\s*\n\s*", " ", section)
        pattern = r"`(--[\w-]+)[^`]*`[^`(|]*?(?:\|[^|(]*?)?\(default `?([^`),;]+)`?[),;]"
        for option, default in re.findall(pattern, flat):
            if not default.startswith("$"):
                found.append(([n for n in names if n in commands], option, default.strip()))
    return found


def _same(value: object, shown: str) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) == float(shown)
    return str(value) == shown


DEFAULTS = documented_defaults()


def test_the_page_gives_defaults_for_the_options_that_have_them() -> None:
    options = {option for _, option, _ in DEFAULTS}
    for option in ("--page-size", "--poll-interval", "--poll-max", "--color", "--port"):
        assert option in options, (option, DEFAULTS)


@pytest.mark.parametrize(("commands", "option", "default"), DEFAULTS, ids=[d[1] for d in DEFAULTS])
def test_documented_defaults_are_the_parsers(
    commands: list[str], option: str, default: str
) -> None:
    parsers = _commands()
    having = [
        action
        for name in commands
        for action in parsers[name]._actions
        if option in action.option_strings
    ]
    assert having, f"no command of {commands} takes {option}"
    for action in having:
        assert _same(action.default, default), (option, action.default, default)


def test_the_lists_that_walk_pages_default_to_pages_of_100() -> None:
    # docs/cli.md: "The four that walk pages (all but the `stats` ones) also take
    # `--max-items K`, `--page-size N` (default 100)".
    assert "`--page-size N`\n(default 100)" in DOC.read_text()
    parsers = _commands()
    for name in ("executions list", "workflows list", "workflows executions", "triggers list"):
        (action,) = [a for a in parsers[name]._actions if "--page-size" in a.option_strings]
        assert action.default == 100, name
