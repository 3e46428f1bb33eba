"""What balctl says to a person on stderr: error lines, hints and the `-v` request log.

Every line passes through the secret redactor. The CLI's top-level handler, the run
pipeline and the watch loop all speak through here, so the format is defined once.
"""

from __future__ import annotations

import os
import sys

from balctl.errors import BalctlError, InternalError, redact
from balctl.sanitize import LINE_LIMIT, terminal_text


def report_error(exc: BalctlError) -> None:
    """`balctl: <exchange> (<profile>): <what happened> [<code>]`, then `hint: ...`.

    A bug (InternalError) with BALCTL_DEBUG=1 shows its traceback instead, through the
    redactor: an exception's text may quote a secret, and secrets stay out of tracebacks too.
    """
    if isinstance(exc, InternalError) and exc.__cause__ is not None and os.environ.get("BALCTL_DEBUG") == "1":
        import traceback

        sys.stderr.write(redact("".join(traceback.format_exception(exc.__cause__))))
        sys.stderr.flush()
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
    sys.stderr.write(terminal_text(redact(line), LINE_LIMIT) + "\n")
    sys.stderr.flush()


def enable_request_log() -> None:
    """`-v`: the HTTP layer's log lines on stderr, passed through the secret redactor."""
    import logging

    class StderrRedacting(logging.Handler):
        """Writes to whatever `sys.stderr` is now (not when -v was parsed), redacted."""

        def emit(self, record: logging.LogRecord) -> None:
            sys.stderr.write(terminal_text(redact(f"balctl: {record.getMessage()}"), LINE_LIMIT) + "\n")

    handler = StderrRedacting()
    logger = logging.getLogger("balctl")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
