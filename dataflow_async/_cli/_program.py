"""The program's name, and how to run this very program again as typed."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Callable

__all__ = ["PROG", "invocation"]

PROG = "dataflow-async"


def invocation(
    argv0: str | None = None,
    *,
    which: Callable[[str], str | None] = shutil.which,
    executable: str | None = None,
) -> str:
    """The command to print in instructions, so that it works when typed in a shell.

    ``dataflow-async`` when that name on ``PATH`` is the script running now; else the
    running script's absolute path (as after ``make demo``, whose script sits in
    ``.venv/bin``); else, for ``python -m dataflow_async`` or an embedding, the
    interpreter's absolute path followed by ``-m dataflow_async``.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    python = shlex.quote(executable or sys.executable or "python3")
    name = os.path.basename(argv0)
    if name.removesuffix(".exe") != PROG:
        return f"{python} -m dataflow_async"
    on_path = which(PROG)
    if on_path is not None and os.path.realpath(on_path) == os.path.realpath(argv0):
        return PROG
    return shlex.quote(os.path.abspath(argv0))
