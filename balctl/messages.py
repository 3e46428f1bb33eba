"""What balctl says to a person on stderr: error lines, hints and the `-v` request log.

Every line passes through the secret redactor. The CLI's top-level handler, the run
pipeline and the watch loop all speak through here, so the format is defined once.
"""

from __future__ import annotations

import errno
import io
import os
import sys

from balctl.errors import BalctlError, InternalError, UsageError, redact
from balctl.sanitize import LINE_LIMIT, terminal_text


def report_error(exc: BalctlError) -> None:
    """`balctl: <exchange> (<profile>): <what happened> [<code>]`, then `hint: ...`.

    A bug (InternalError) with BALCTL_DEBUG=1 shows its traceback instead, through the
    redactor: an exception's text may quote a secret, and secrets stay out of tracebacks too.
    """
    if isinstance(exc, InternalError) and exc.__cause__ is not None and os.environ.get("BALCTL_DEBUG") == "1":
        import traceback

        _write_stderr(redact("".join(traceback.format_exception(exc.__cause__))))
        return
    stderr_line(f"balctl: {exc.line()}")
    if exc.hint:
        stderr_line(f"hint: {exc.hint}")


def report_warning(exchange: str, profile: str, text: str) -> None:
    """`balctl: warning: <exchange> (<profile>): <what was left out>`: the run still succeeds."""
    stderr_line(f"balctl: warning: {exchange} ({profile}): {text}")


def stderr_line(line: str) -> None:
    """One line, redacted, then made safe for a terminal: the line may quote an exchange
    message, a header, a profile name or a path (balctl.sanitize)."""
    _write_stderr(terminal_text(redact(line), LINE_LIMIT) + "\n")


def next_step(line: str, color: str = "auto") -> None:
    """A suggestion for a person at a terminal (`next: ...`), dim when colour is on. Nothing
    when stderr is not a terminal: scripts and tests reading stderr see what they always did."""
    if not _stderr_is_terminal():
        return
    from balctl.render.table import wants_color

    text = terminal_text(redact(line), LINE_LIMIT)
    _write_stderr(f"\x1b[2m{text}\x1b[0m\n" if wants_color(sys.stderr, color) else text + "\n")


def _stderr_is_terminal() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):  # replaced by something without isatty, or closed
        return False


def log_time(seconds: float) -> str:
    """`2026-01-02T03:04:05.678Z`: when a `-v` line was logged, in UTC, so cron logs from
    machines in different time zones read alike."""
    from datetime import datetime, timezone

    from balctl.model import iso_millis

    return iso_millis(datetime.fromtimestamp(seconds, timezone.utc))


def enable_request_log() -> None:
    """`-v`: the HTTP layer's log lines on stderr, each after its UTC time, passed through
    the secret redactor."""
    import logging

    class StderrRedacting(logging.Handler):
        """Writes to whatever `sys.stderr` is now (not when -v was parsed), redacted."""

        def emit(self, record: logging.LogRecord) -> None:
            line = terminal_text(redact(f"balctl: {record.getMessage()}"), LINE_LIMIT)
            _write_stderr(f"{log_time(record.created)} {line}\n")

    handler = StderrRedacting()
    logger = logging.getLogger("balctl")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _write_stderr(text: str) -> None:
    """stderr closed (`2>&-`) or full (`2>/dev/full`): nothing can be said, and saying so
    must not turn the run into a crash; the exit code still tells."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        silence(2)


def write_output(out: object, text: str) -> None:
    """Write (and flush) data to stdout; a closed or full stdout is exit 2 with one line.
    A closed pipe (`| head`) stays BrokenPipeError: the CLI makes that a quiet exit 0."""
    try:
        out.write(text)  # type: ignore[attr-defined]
        out.flush()  # type: ignore[attr-defined]
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:
        silence(1)  # the unwritten buffer must not fail again when Python exits (status 120)
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise UsageError(f"cannot write the output to stdout: {reason}") from None


def guard_streams() -> None:
    """`balctl >&-` and `balctl 2>&-` start Python with sys.stdout or sys.stderr None:
    stdout then refuses writes with a clear error (exit 2); stderr goes nowhere."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115  lives as long as the process
    if sys.stdout is None:
        sys.stdout = ClosedStdout()


class ClosedStdout(io.TextIOBase):
    """Stands in for a stdout that was closed before balctl started."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "it was closed before balctl started")

    def isatty(self) -> bool:
        return False


def silence(fd: int) -> None:
    """Point a standard descriptor at /dev/null, so that Python's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass
