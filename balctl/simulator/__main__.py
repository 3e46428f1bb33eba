"""``python -m balctl.simulator [--port N] [--okx-assets N] [--skew SECONDS]``: serve in the foreground.

Prints the base URL and a ready profile file to stderr, then one line per
request, until interrupted.
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m balctl.simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--okx-assets", type=int, default=None, help="number of OKX details entries")
    parser.add_argument("--skew", type=Decimal, default=Decimal(0), help="server clock skew in seconds")
    args = parser.parse_args(argv)

    sim = Simulator(okx_assets=args.okx_assets, port=args.port)
    sim.clock_skew = args.skew
    sim.on_request = _print_entry
    with sim:
        print(f"balctl simulator listening on {sim.base_url} (Ctrl-C to stop)", file=sys.stderr)
        print("Profile file (save it with chmod 600):\n", file=sys.stderr)
        print(sim.profiles_yaml(), file=sys.stderr, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
