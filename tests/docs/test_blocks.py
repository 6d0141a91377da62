"""How the documentation's blocks are found and told apart (tests/docs/blocks.py)."""

from __future__ import annotations

import pytest

from tests.docs.blocks import (
    Block,
    compile_fragment,
    fenced_blocks,
    is_excerpt,
    prints,
    program_problems,
    python_blocks,
)


def one(text: str) -> Block:
    (block,) = fenced_blocks(text, "page.md")
    return block


def test_an_unclosed_fence_is_an_error_naming_its_line() -> None:
    with pytest.raises(ValueError, match=r"page\.md:3: the fence opened here is never closed"):
        fenced_blocks("text\n\n```python\nprint(1)\n", "page.md")


def test_a_shorter_or_other_fence_does_not_close_a_block() -> None:
    text = "````markdown\n```python\nx = 1\n```\n~~~\n````\n"
    block = one(text)
    assert block.language == "markdown"
    assert block.code == "```python\nx = 1\n```\n~~~\n"


def test_a_fence_with_trailing_text_does_not_close_a_block() -> None:
    block = one("```python\ns = '''\n``` not a fence\n'''\n```\n")
    assert block.code == "s = '''\n``` not a fence\n'''\n"


def test_an_indented_block_loses_its_fence_indent_only() -> None:
    text = "- item\n\n    ```python\n    if x:\n        y()\n\n    z()\n    ```\n"
    block = one(text)
    assert block.code == "if x:\n    y()\n\nz()\n"
    assert (block.line, block.language) == (3, "python")


def test_language_is_the_first_word_of_the_info_string() -> None:
    blocks = fenced_blocks('```Python title="a.py"\na\n```\n```\nb\n```\n~~~ py\nc\n~~~\n', "p")
    assert [b.language for b in blocks] == ["python", "", "py"]
    assert [b.line for b in blocks] == [1, 4, 7]


def test_the_pages_holding_python_are_all_read() -> None:
    pages = {b.page for b in python_blocks()}
    assert {"README.md", "docs/index.md", "docs/getting-started.md", "docs/testing.md"} <= pages


@pytest.mark.parametrize(
    ("first_line", "kind"),
    [
        ("# fragment: inside an async function, with a client", "fragment"),
        ("#Fragment:needs a client", "fragment"),
        ("# conftest.py", "test-file"),
        ("# test_my_scheduler.py", "test-file"),
        ("# fragments are not marked like this", "program"),
        ("# my_module.py", "program"),
        ("import asyncio", "program"),
        ('--8<-- "docs/examples/fan_out.py"', "include"),
    ],
)
def test_kind_comes_from_the_first_line(first_line: str, kind: str) -> None:
    assert Block("p.md", 1, "python", first_line + "\n").kind == kind


def test_a_marker_later_in_the_block_does_not_make_a_fragment() -> None:
    assert Block("p.md", 1, "python", "x = 1\n# fragment: no\n").kind == "program"


def test_a_fragment_says_what_it_needs() -> None:
    assert Block("p", 1, "python", "# fragment:   with a client  \n").needs == "with a client"
    assert Block("p", 1, "python", "# fragment:\n").needs == ""


def test_fragments_may_await_but_must_be_python() -> None:
    compile_fragment(Block("p", 1, "python", "# fragment: x\nasync with c:\n    await f()\n"))
    with pytest.raises(SyntaxError):
        compile_fragment(Block("p", 1, "python", "# fragment: x\nasync with c\n"))


def test_an_excerpt_is_a_run_of_whole_lines_maybe_dedented() -> None:
    source = "def f():\n    a = 1\n    b = 2\n    return a + b\n"
    assert is_excerpt("a = 1\nb = 2\n", source)
    assert is_excerpt("return a + b", source)
    assert not is_excerpt("a = 1\nreturn a + b\n", source)  # lines skipped
    assert not is_excerpt("b = 2\na = 1\n", source)  # out of order
    assert not is_excerpt("a = 10\n", source)  # part of a line changed
    assert not is_excerpt("return a + b\nmore\n", source)  # runs past the end
    assert is_excerpt("b", "a\nb")  # the last line of a file without a final newline


def test_prints_looks_for_a_call_of_print() -> None:
    assert prints("for x in y:\n    print(x)\n")
    assert not prints("logging.info('print(x)')\n")
    assert not prints("printer(x)\n")


PRINTS = Block("p.md", 1, "python", "print('hello')\n")
QUIET = Block("p.md", 1, "python", "x = 1\n")


@pytest.mark.parametrize(
    ("block", "returncode", "stdout", "stderr", "problems"),
    [
        (QUIET, 1, "", "SyntaxError: 'await' outside function", ["exited with 1"]),
        (PRINTS, 0, " \n", "", ["calls print() but printed nothing"]),
        (
            QUIET,
            0,
            "",
            "Task was destroyed but it is pending!\nsys:1: RuntimeWarning: coroutine 'f' was "
            "never awaited",
            ["printed 'was never awaited' on stderr", "printed 'Task was destroyed' on stderr"],
        ),
        (QUIET, 0, "", "Exception ignored in: <function _Client.__del__>\nResourceWarning: x", 2),
        (PRINTS, 0, "hello\n", "INFO:dataflow_async:a log line\n", []),
        (QUIET, 0, "", "", []),
    ],
)
def test_program_problems(
    block: Block, returncode: int, stdout: str, stderr: str, problems: list[str] | int
) -> None:
    found = program_problems(block, returncode, stdout, stderr)
    if isinstance(problems, int):
        assert len(found) == problems, found
    else:
        assert found == problems
