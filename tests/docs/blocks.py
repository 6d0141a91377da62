"""The fenced code blocks of the documentation, and what kind of Python each one is.

A fenced ``python`` block on a page is one of:

- a **program**: complete as written (imports, ``asyncio.run``), run by the test suite;
- a **fragment**: its first line is ``# fragment: <what it needs>`` (say what it assumes,
  e.g. "inside an async function, with a client"); it must compile (top-level ``await`` and
  ``async with`` allowed), and one that says it is an excerpt of ``docs/examples/<file>.py``
  must be a run of lines of that file;
- a **test file** of the testing guide: its first line names it (``# conftest.py``,
  ``# test_....py``), and the guide's test runs the files together under pytest;
- an **include**: ``--8<-- "docs/examples/<file>.py"`` alone, the whole file, which
  ``tests/test_examples.py`` runs.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "py3"})
FRAGMENT = re.compile(r"#\s*fragment\s*:(?P<needs>.*)", re.I)
TEST_FILE = re.compile(r"#\s*(?P<name>conftest\.py|test_\w+\.py)\s*")
INCLUDE = re.compile(r'--8<--\s+"(?P<path>[^"]+)"\s*')
EXCERPT_OF = re.compile(r"docs/examples/\w+\.py")
_OPENING = re.compile(r"(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its code (dedented to its fence)."""

    page: str  # relative to the repository, e.g. "docs/paging.md"
    line: int  # 1-based line of the opening fence
    language: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def kind(self) -> str:
        """``program``, ``fragment``, ``test-file`` or ``include``."""
        first = self.code.split("\n", 1)[0]
        if FRAGMENT.fullmatch(first):
            return "fragment"
        if TEST_FILE.fullmatch(first):
            return "test-file"
        if INCLUDE.fullmatch(self.code.strip()):
            return "include"
        return "program"

    @property
    def needs(self) -> str:
        """What a fragment says it needs (its marker's text)."""
        match = FRAGMENT.fullmatch(self.code.split("\n", 1)[0])
        return match["needs"].strip() if match else ""


def fenced_blocks(text: str, page: str) -> list[Block]:
    """Every fenced block of a Markdown text, in order; ``ValueError`` on an unclosed fence.

    A fence may be indented (in a list or an admonition); the block's lines lose that indent.
    It closes on a line of the same character, at least as long, and nothing else.
    """
    blocks: list[Block] = []
    lines = text.split("\n")
    number = 0
    while number < len(lines):
        opening = _OPENING.fullmatch(lines[number])
        number += 1
        if not opening:
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        closing = re.compile(rf" *{re.escape(fence[0])}{{{len(fence)},}}\s*")
        start = number
        while number < len(lines) and not closing.fullmatch(lines[number]):
            number += 1
        if number == len(lines):
            raise ValueError(f"{page}:{start}: the fence opened here is never closed")
        body = [line[indent:] if line[:indent].isspace() else line for line in lines[start:number]]
        info = opening["info"].strip()
        language = info.split()[0].lstrip(".{").lower() if info else ""
        blocks.append(Block(page, start, language, textwrap.dedent("\n".join(body) + "\n")))
        number += 1
    return blocks


def documentation_pages() -> list[Path]:
    """README.md and every page under docs/ (not the examples, which are Python files)."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_blocks(pages: list[Path] | None = None) -> list[Block]:
    """Every fenced Python block of the given pages (by default, all of them)."""
    found = []
    for path in pages if pages is not None else documentation_pages():
        page = path.relative_to(ROOT).as_posix()
        found += [
            b for b in fenced_blocks(path.read_text(), page) if b.language in PYTHON_LANGUAGES
        ]
    return found


def compile_fragment(block: Block) -> None:
    """Compile a fragment as the body of an async function would be (``SyntaxError`` if not)."""
    compile(block.code, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def is_excerpt(code: str, source: str) -> bool:
    """Whether ``code`` is a run of whole lines of ``source``, maybe dedented."""
    want = code.rstrip("\n")
    size = want.count("\n") + 1
    lines = source.split("\n")
    return any(
        textwrap.dedent("\n".join(lines[i : i + size])) == want
        for i in range(len(lines) - size + 1)
    )


# What a clean exit must not print: a leaked client, an unawaited coroutine, a lost task.
LEAK_SIGNS = ("Exception ignored", "ResourceWarning", "was never awaited", "Task was destroyed")


def program_problems(block: Block, returncode: int, stdout: str, stderr: str) -> list[str]:
    """What is wrong with how a program ran (nothing, when it exited 0, cleanly, and printed
    something if it calls ``print``)."""
    problems = []
    if returncode != 0:
        problems.append(f"exited with {returncode}")
    problems += [f"printed {sign!r} on stderr" for sign in LEAK_SIGNS if sign in stderr]
    if returncode == 0 and prints(block.code) and not stdout.strip():
        problems.append("calls print() but printed nothing")
    return problems


def prints(code: str) -> bool:
    """Whether a program means to print something (a call of ``print``)."""
    tree = ast.parse(code)
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
        for node in ast.walk(tree)
    )
