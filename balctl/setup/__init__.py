"""Setting balctl up without hand-written YAML (README: Getting started; docs/design.md).

    writer        the profile file edited as text: one profile's block added, replaced or
                  removed, everything else kept byte for byte; atomic, 0600 in a 0700 dir
    keyring_store secrets kept in the OS keyring (optional extra `balctl[keyring]`)
    secrets       where `profiles add` and `init` read secrets from: never an option value
    check         `profiles check`: one real request, the clock offset, the key's permissions
    wizard        `balctl init`: the questions, on a terminal only

Nothing here is imported at start-up; each command imports what it uses.
"""

from importlib import resources


def example_text() -> str:
    """The annotated example profile file, shipped inside the package (a wheel has no repo)."""
    return resources.files(__package__).joinpath("config.example.yaml").read_text(encoding="utf-8")
