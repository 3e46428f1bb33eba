"""Entry point of the `balctl` console script and of `python -m balctl`.

`balctl --version` (`-V`) is answered here, before Typer is imported: it is what scripts and
package managers call to probe the tool, and importing the CLI framework would triple its
cost. Everything else goes to the Typer app in `balctl.cli`.
"""

import sys

from balctl import __version__


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        sys.stdout.write(f"balctl {__version__}\n")
        return
    from balctl.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
