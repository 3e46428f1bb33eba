"""``python -m balctl.simulator [--port N] [--okx-assets N] [--skew SECONDS] [--profiles-out FILE]``:
serve in the foreground.

Prints the base URL and a ready profile file to stderr, then one line per
request, until interrupted. ``--profiles-out FILE`` also writes that profile
file to FILE (mode 0600, a new file only), since stderr mixes it with the
request log.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from decimal import Decimal

from .server import LogEntry, Simulator


def _print_entry(entry: LogEntry) -> None:
    verified = "verified" if entry.verified else "unverified"
    print(
        f"{entry.exchange or '-'} {entry.method} {entry.path} -> {entry.status} "
        f"code={entry.code} {verified}" + (f" fault={entry.fault}" if entry.fault else ""),
        file=sys.stderr,
        flush=True,
    )


def _refuse_existing(path: str) -> str | None:
    """Checked before the server starts, so a refusal is one line: the file may be the
    user's real profile file (a symlink to nowhere counts as existing, too)."""
    return _exists(path) if os.path.lexists(path) else None


def _exists(path: str) -> str:
    return f"{path}: exists already; remove it or choose another file"


def _write_profiles(path: str, text: str) -> str | None:
    """Create `path` (0600, a new file only) holding `text`; the one-line reason it could
    not, or None. O_EXCL: a file that appeared since `_refuse_existing` is not overwritten."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _exists(path)
    except OSError as exc:
        return f"{path}: cannot create it: {exc.strerror or type(exc).__name__}"
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            os.fchmod(stream.fileno(), 0o600)  # exactly 0600 whatever the umask
            stream.write(text)
    except OSError as exc:
        return f"{path}: cannot write it: {exc.strerror or type(exc).__name__}"
    return None


def _fail(problem: str) -> int:
    print(f"balctl simulator: {problem}", file=sys.stderr, flush=True)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m balctl.simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--okx-assets", type=int, default=None, help="number of OKX details entries")
    parser.add_argument("--skew", type=Decimal, default=Decimal(0), help="server clock skew in seconds")
    parser.add_argument("--profiles-out", metavar="FILE", default=None,
                        help="also write the profile file to FILE (mode 0600; FILE must not exist)")
    args = parser.parse_args(argv)
    if args.profiles_out is not None and (problem := _refuse_existing(args.profiles_out)):
        return _fail(problem)

    sim = Simulator(okx_assets=args.okx_assets, port=args.port)
    sim.clock_skew = args.skew
    sim.on_request = _print_entry
    with sim:
        print(f"balctl simulator listening on {sim.base_url} (Ctrl-C to stop)", file=sys.stderr)
        print("Profile file (save it with chmod 600):\n", file=sys.stderr)
        print(sim.profiles_yaml(), file=sys.stderr, flush=True)
        if args.profiles_out is not None:
            problem = _write_profiles(args.profiles_out, sim.profiles_yaml())
            if problem is not None:
                return _fail(problem)
            print(f"Profile file written to {args.profiles_out}", file=sys.stderr, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
