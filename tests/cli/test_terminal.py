"""The terminal helpers: colour and progress choices, the terminal's width, the
progress line, and the clean line left after Ctrl-C."""

from __future__ import annotations

import io
import os
import signal

import pytest

from dataflow_async._cli import _terminal


class FakeTerminal(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("choice", "environ", "terminal", "expected"),
    [
        ("auto", {}, False, False),
        ("auto", {}, True, True),
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"NO_COLOR": "0"}, True, False),  # any non-empty value
        ("auto", {"NO_COLOR": ""}, True, True),
        ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ("auto", {"FORCE_COLOR": "1"}, False, True),
        ("auto", {"FORCE_COLOR": ""}, False, False),
        ("auto", {"TERM": "dumb"}, True, False),
        ("auto", {"TERM": "dumb", "FORCE_COLOR": "1"}, False, True),
        ("always", {"NO_COLOR": "1"}, False, True),
        ("never", {"FORCE_COLOR": "1"}, True, False),
    ],
)
def test_wants_color(choice: str, environ: dict[str, str], terminal: bool, expected: bool) -> None:
    stream = FakeTerminal() if terminal else io.StringIO()
    assert _terminal.wants_color(choice, stream, environ) is expected


def test_a_stream_without_isatty_or_closed_is_no_terminal() -> None:
    closed = io.StringIO()
    closed.close()  # isatty() raises ValueError
    assert not _terminal.wants_progress(closed, {})
    assert not _terminal.wants_progress(object(), {})  # type: ignore[arg-type]
    assert _terminal.wants_progress(FakeTerminal(), {"TERM": "xterm"})
    assert not _terminal.wants_progress(FakeTerminal(), {"TERM": "dumb"})


# --------------------------------------------------------------------------- progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_disabled_progress_writes_nothing() -> None:
    stream = FakeTerminal()
    progress = _terminal.Progress(stream, enabled=False, clock=FakeClock())
    progress.update(1000, 1)
    progress.clear()
    assert stream.getvalue() == ""


def test_clear_without_a_line_writes_nothing() -> None:
    stream = io.StringIO()
    _terminal.Progress(stream, enabled=True, clock=FakeClock()).clear()
    assert stream.getvalue() == ""


def test_progress_draws_at_once_then_at_most_every_interval() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = _terminal.Progress(stream, enabled=True, clock=clock, interval=0.1)
    progress.update(1000, 1)
    assert stream.getvalue() == "\r… 1,000 jobs, 1 page"
    for _ in range(5):  # too soon: dropped
        clock.now += 0.019
        progress.update(2000, 2)
    assert stream.getvalue() == "\r… 1,000 jobs, 1 page"
    clock.now += 0.005  # 0.1 s after the first draw
    progress.update(12000, 12)
    assert stream.getvalue() == "\r… 1,000 jobs, 1 page\r… 12,000 jobs, 12 pages"
    clock.now += 1.0
    progress.update(12000, 12)  # unchanged: not redrawn
    assert stream.getvalue().count("\r") == 2
    progress.clear()
    assert stream.getvalue().endswith("\r" + " " * 23 + "\r")
    assert len("… 12,000 jobs, 12 pages") == 23


def test_progress_pads_over_a_longer_previous_line() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = _terminal.Progress(stream, enabled=True, clock=clock)
    progress.update(12000, 12)
    clock.now += 1
    progress.update(0, 1)  # never happens in a walk, but must not leave debris
    longer, shorter = "… 12,000 jobs, 12 pages", "… 0 jobs, 1 page"
    assert stream.getvalue() == f"\r{longer}\r{shorter}" + " " * (len(longer) - len(shorter))


def test_progress_starts_afresh_after_clear() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = _terminal.Progress(stream, enabled=True, clock=clock)
    progress.update(5, 1)
    progress.clear()
    progress.update(5, 1)  # same text, same instant: drawn again, the line was erased
    assert stream.getvalue() == "\r… 5 jobs, 1 page" + erase("… 5 jobs, 1 page") + (
        "\r… 5 jobs, 1 page"
    )


def erase(text: str) -> str:
    """What ``Progress.clear`` writes after showing ``text``."""
    return "\r" + " " * len(text) + "\r"


@pytest.mark.parametrize(
    ("environ", "terminal", "expected"),
    [
        ({}, False, None),  # a pipe or file: the whole table
        ({"COLUMNS": "60"}, False, None),
        ({"COLUMNS": "60"}, True, 60),
        ({"COLUMNS": "0"}, True, None),  # and no real terminal size to ask for
        ({"COLUMNS": "wide"}, True, None),
        ({}, True, None),  # a StringIO has no size
    ],
)
def test_terminal_width(environ: dict[str, str], terminal: bool, expected: int | None) -> None:
    stream = FakeTerminal() if terminal else io.StringIO()
    assert _terminal.terminal_width(stream, environ) == expected


def test_terminal_width_asks_a_real_terminal() -> None:
    import os
    import pty

    master, slave = pty.openpty()
    try:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 77, 0, 0))
        with os.fdopen(os.dup(slave), "w") as stream:
            assert _terminal.terminal_width(stream, {}) == 77
            assert _terminal.terminal_width(stream, {"COLUMNS": "100"}) == 100
    finally:
        os.close(master)
        os.close(slave)


def test_clean_line_erases_the_echoed_ctrl_c_only_on_a_terminal() -> None:
    screen, pipe = FakeTerminal(), io.StringIO()
    _terminal.clean_line(screen, {"TERM": "xterm"})
    _terminal.clean_line(pipe, {"TERM": "xterm"})
    assert (screen.getvalue(), pipe.getvalue()) == ("\r\x1b[2K", "")
    dumb = FakeTerminal()
    _terminal.clean_line(dumb, {"TERM": "dumb"})
    assert dumb.getvalue() == ""


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
@pytest.mark.parametrize("hold", [True, False])
def test_ctrl_c_waits_for_a_held_write_to_end(hold: bool) -> None:
    written = []
    with pytest.raises(KeyboardInterrupt), _terminal.interrupts_held(hold):
        os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends
        for _ in range(1000):  # bounded: Python checks for signals between bytecodes
            written.append(1)
    assert (len(written) == 1000) is hold
