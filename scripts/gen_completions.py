#!/usr/bin/env python3
"""Regenerate completions/balctl.{bash,zsh,fish} from the app (Typer's completion scripts).

    python scripts/gen_completions.py           # write the files
    python scripts/gen_completions.py --check   # exit 1 if a committed file is stale

tests/test_completion.py fails when the committed files differ from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "completions"
SHELLS = ("bash", "zsh", "fish")


def completion_scripts() -> dict[str, str]:
    """`{file name: text}` of completions/balctl.{bash,zsh,fish}, from Typer's own templates.

    The same text `balctl --show-completion SHELL` prints: the script only calls back into
    `balctl` with `_BALCTL_COMPLETE=complete_<shell>`, so it changes only with Typer.
    """
    from typer.completion import get_completion_script

    from balctl.cli import app

    prog_name = app.info.name or "balctl"
    complete_var = "_{}_COMPLETE".format(prog_name.replace("-", "_").upper())
    return {
        f"{prog_name}.{shell}": get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell)
        + "\n"
        for shell in SHELLS
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, text in completion_scripts().items():
        path = OUT / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not check:
            OUT.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    if check and stale:
        names = ", ".join(str(path.relative_to(ROOT)) for path in stale)
        print(f"stale: {names}; run: python scripts/gen_completions.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # works from a checkout without `pip install -e .`
    sys.exit(main(sys.argv[1:]))
