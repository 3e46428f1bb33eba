"""balctl.setup.writer: one profile's block edited as text, atomically, 0600 in a 0700 dir."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest

from balctl.errors import ProfileError, UsageError
from balctl.profiles import load_profiles
from balctl.setup import writer

OKX_ENTRY = {"exchange": "okx", "api_key": writer.Verbatim("${NEW_KEY}"),
             "api_secret": writer.Verbatim("${NEW_SECRET}"), "passphrase": writer.Verbatim("${NEW_PASS}")}
ENV = {"NEW_KEY": "new-key-0001", "NEW_SECRET": "new-secret-0002", "NEW_PASS": "new-pass-0003",
       "A_KEY": "a-key-0001", "A_SECRET": "a-secret-0002"}

USER_FILE = textwrap.dedent("""\
    # my balctl profiles -- hand written
    profiles:
        # the main account
        main:    # keep this comment
            exchange: xt
            api_key: ${A_KEY}
            api_secret: '${A_SECRET}'
            symbols: [BTC_USDT,
                      ETH_USDT]

        # sub account, below
        sub:
            exchange: xt
            api_key: ${A_KEY}
            api_secret: ${A_SECRET}
            symbols: |-
              BTC_USDT

    # end of file
""")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_in_a_new_directory_is_0600_in_0700(tmp_path):
    path = tmp_path / "cfg" / "balctl" / "config.yaml"
    written = writer.add_profile(path, "okx", OKX_ENTRY, environ=ENV)
    assert written.replaced is False and written.unset_variables == []
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert path.read_text() == writer.NEW_FILE_HEADER + (
        "  okx:\n"
        "    exchange: okx\n"
        "    api_key: ${NEW_KEY}\n"
        "    api_secret: ${NEW_SECRET}\n"
        "    passphrase: ${NEW_PASS}\n")
    assert load_profiles(path, ENV)["okx"].api_secret == "new-secret-0002"
    assert os.listdir(path.parent) == ["config.yaml"]  # no temporary file left behind


def test_adding_keeps_every_byte_of_the_users_file_and_follows_its_indentation(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(USER_FILE)
    path.chmod(0o644)
    writer.add_profile(path, "okx", OKX_ENTRY, environ=ENV)
    assert path.read_text() == USER_FILE.replace("          BTC_USDT\n\n", (
        "          BTC_USDT\n"
        "\n"
        "    okx:\n"
        "        exchange: okx\n"
        "        api_key: ${NEW_KEY}\n"
        "        api_secret: ${NEW_SECRET}\n"
        "        passphrase: ${NEW_PASS}\n"
        "\n"))
    assert mode(path) == 0o600
    assert list(load_profiles(path, ENV)) == ["main", "sub", "okx"]


def test_existing_name_is_refused_without_force_and_nothing_changes(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(USER_FILE)
    with pytest.raises(UsageError) as refused:
        writer.add_profile(path, "main", OKX_ENTRY, environ=ENV)
    assert refused.value.exit_code == 2
    assert refused.value.message == f"{path}: a profile named 'main' exists already"
    assert refused.value.hint == "choose another name, or replace it with --force"
    assert path.read_text() == USER_FILE


def test_force_replaces_only_that_block_in_place(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(USER_FILE)
    written = writer.add_profile(path, "main", OKX_ENTRY, force=True, environ=ENV)
    assert written.replaced is True
    before, _, after = USER_FILE.partition("    main:")
    tail = after[after.index("\n    # sub account"):]
    assert path.read_text() == before + (
        "    main:\n"
        "        exchange: okx\n"
        "        api_key: ${NEW_KEY}\n"
        "        api_secret: ${NEW_SECRET}\n"
        "        passphrase: ${NEW_PASS}\n") + tail.lstrip("\n").join(["\n", ""])
    assert list(load_profiles(path, ENV)) == ["main", "sub"]
    assert load_profiles(path, ENV)["main"].exchange == "okx"


def test_replacing_the_last_block_keeps_the_trailing_comment(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(USER_FILE)
    writer.add_profile(path, "sub", OKX_ENTRY, force=True, environ=ENV)
    text = path.read_text()
    assert text.startswith(USER_FILE[: USER_FILE.index("    sub:")])
    assert text.endswith("        passphrase: ${NEW_PASS}\n\n# end of file\n")


def test_remove_takes_the_block_and_one_blank_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(USER_FILE)
    writer.remove_profile(path, "main", environ=ENV)
    start = USER_FILE.index("    main:")
    end = USER_FILE.index("    # sub account")
    assert path.read_text() == USER_FILE[:start] + USER_FILE[end:]
    assert list(load_profiles(path, ENV)) == ["sub"]


def test_removing_the_only_profile_or_an_unknown_one_is_refused(tmp_path):
    path = tmp_path / "config.yaml"
    writer.add_profile(path, "okx", OKX_ENTRY, environ=ENV)
    with pytest.raises(UsageError, match="'okx' is the only profile"):
        writer.remove_profile(path, "okx", environ=ENV)
    with pytest.raises(ProfileError, match=r"no profile named 'nope' \(have: okx\)"):
        writer.remove_profile(path, "nope", environ=ENV)


def test_a_profile_breaking_the_loader_rules_is_never_written(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(USER_FILE)
    bad = {**OKX_ENTRY, "base_url": "http://example.com"}
    with pytest.raises(ProfileError) as refused:
        writer.add_profile(path, "okx", bad, environ=ENV)
    assert refused.value.message == (
        f"{path}: profile 'okx': key 'base_url': plain http is only allowed to a loopback host (not example.com); use https://")
    assert path.read_text() == USER_FILE
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]


@pytest.mark.parametrize("key, value, reason", [
    ("base_url", "http://example.com",
     "key 'base_url': plain http is only allowed to a loopback host (not example.com); use https://"),
    ("base_url", "http://0.0.0.0:1\\@127.0.0.1", "key 'base_url' holds a backslash (parsers disagree on where its host is)"),
    ("base_url", "https://x.com/\n  api_secret: x", "key 'base_url' holds whitespace, control or non-ASCII characters"),
    ("api_key", "K\x1b[2J", "key 'api_key' must be printable ASCII"),
])
def test_a_broken_profile_is_refused_even_while_its_variables_are_unset(tmp_path, key, value, reason):
    """Unset variables are allowed (exported later), but they must not hide the entry's other faults."""
    path = tmp_path / "config.yaml"
    path.write_text(USER_FILE)
    with pytest.raises(ProfileError) as refused:
        writer.add_profile(path, "okx", {**OKX_ENTRY, key: value}, environ={})
    assert refused.value.message == f"{path}: profile 'okx': {reason}"
    assert path.read_text() == USER_FILE
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]


def test_unset_variables_are_written_and_reported_all_at_once(tmp_path):
    path = tmp_path / "config.yaml"
    written = writer.add_profile(path, "okx", OKX_ENTRY, environ={})
    assert written.unset_variables == ["NEW_KEY", "NEW_SECRET", "NEW_PASS"]
    assert "okx" in load_profiles(path, {})


def test_literal_values_are_quoted_so_they_read_back_exactly(tmp_path):
    path = tmp_path / "config.yaml"
    entry = {"exchange": "okx", "api_key": "0x61b1", "api_secret": "1234e5",
             "passphrase": 'p"a#ss: word', "demo": True}
    writer.add_profile(path, "yes", entry, environ={})
    profile = load_profiles(path, {})["yes"]
    assert (profile.api_key, profile.api_secret, profile.passphrase, profile.demo) == (
        "0x61b1", "1234e5", 'p"a#ss: word', True)
    assert '  "yes":\n' in path.read_text()  # a bare yes would be the boolean true


def test_a_symlinked_file_stays_a_symlink(tmp_path):
    real = tmp_path / "dotfiles" / "balctl.yaml"
    real.parent.mkdir()
    real.write_text(USER_FILE)
    link = tmp_path / "config.yaml"
    link.symlink_to(real)
    writer.add_profile(link, "okx", OKX_ENTRY, environ=ENV)
    assert link.is_symlink()
    assert "okx" in load_profiles(real, ENV)


def test_a_failed_rename_leaves_the_old_file_whole_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "config.yaml"
    path.write_text(USER_FILE)

    def crash(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.os, "replace", crash)
    with pytest.raises(ProfileError) as failure:
        writer.add_profile(path, "okx", OKX_ENTRY, environ=ENV)
    assert failure.value.message == f"{path}: cannot write the profile file: No space left on device"
    assert path.read_text() == USER_FILE
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]


def test_an_edit_that_breaks_another_profile_is_refused(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent("""\
        profiles:
          base: &base
            exchange: xt
            api_key: ${A_KEY}
            api_secret: ${A_SECRET}
          other: *base
    """))
    with pytest.raises(ProfileError):
        writer.remove_profile(path, "base", environ=ENV)
    assert list(load_profiles(path, ENV)) == ["base", "other"]


@pytest.mark.parametrize(("text", "message"), [
    ("profiles: {a: {exchange: xt}}\n", "is not written as an indented block"),
    ("- a\n- b\n", "not a balctl profile file"),
    ("profiles:\n  a: [\n", "invalid YAML"),
])
def test_files_balctl_cannot_edit_safely_are_left_alone(tmp_path, text, message):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=message):
        writer.add_profile(path, "okx", OKX_ENTRY, environ=ENV)
    assert path.read_text() == text


def test_an_empty_profiles_section_gets_its_first_profile(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("# mine\nprofiles:\n# later\n")
    writer.add_profile(path, "okx", OKX_ENTRY, environ=ENV)
    assert path.read_text().startswith("# mine\nprofiles:\n  okx:\n    exchange: okx\n")
    assert path.read_text().endswith("    passphrase: ${NEW_PASS}\n# later\n")


@pytest.mark.parametrize("name", ["", "-x", "a b", "x" * 65, "é", "a\x1b"])
def test_profile_names_are_plain(name):
    with pytest.raises(UsageError, match="is not allowed"):
        writer.check_name(name)


# --- literal values that read like references -------------------------------------------------

LITERAL_SECRETS = ["${HOME}", "${OKX_SECRET}", "$", "a${b}c", "'", '"', "#x", " lead space", ": ",
                   "${keyring:main.api_secret}", "$${HOME}", "$$", "${", "x}${y", "\\${HOME}", "${1X}",
                   "${keyring:a b}"]
"""With HOME, OKX_SECRET and b set, any of these read as a reference would change."""
REFERENCE_ENV = {"HOME": "/home/someone", "OKX_SECRET": "from-the-environment", "b": "BEE", "y": "WHY"}


def long_random_secret() -> str:
    import random

    rng = random.Random(20240607)
    alphabet = "".join(chr(code) for code in range(0x21, 0x7f))
    return "".join(rng.choice(alphabet) for _ in range(300)) + "${HOME}" + "".join(
        rng.choice(alphabet) for _ in range(100))


@pytest.mark.parametrize("secret", [*LITERAL_SECRETS, long_random_secret()])
def test_a_literal_secret_reads_back_as_exactly_its_text(tmp_path, secret, memory_keyring):
    path = tmp_path / "config.yaml"
    entry = {"exchange": "okx", "api_key": "okx-key-0001", "api_secret": secret, "passphrase": secret + "p"}
    written = writer.add_profile(path, "main", entry, environ=REFERENCE_ENV)
    assert written.unset_variables == []
    profile = load_profiles(path, REFERENCE_ENV)["main"]
    assert (profile.api_secret, profile.passphrase) == (secret.strip(), (secret + "p").strip())
    assert profile.sources == {"api_key": "file", "api_secret": "file", "passphrase": "file"}
    assert memory_keyring.entries == {}


@pytest.mark.parametrize(("secret", "line"), [
    ("${HOME}", '"$${HOME}"'),
    ("a${b}c", '"a$${b}c"'),
    ("${keyring:x.y}", '"$${keyring:x.y}"'),
    ("$${HOME}", '"$$${HOME}"'),
    ("$x$", '"$x$"'),
    ("${1X}", '"${1X}"'),  # not a reference: nothing to escape
])
def test_a_literal_is_escaped_only_where_it_reads_like_a_reference(tmp_path, secret, line):
    path = tmp_path / "config.yaml"
    writer.add_profile(path, "main", {"exchange": "xt", "api_key": "xt-key-0001", "api_secret": secret},
                       environ=REFERENCE_ENV)
    assert path.read_text().endswith(f"    api_secret: {line}\n")


def test_verbatim_values_stay_references(tmp_path):
    path = tmp_path / "config.yaml"
    entry = {"exchange": "xt", "api_key": writer.Verbatim("${A_KEY}"), "api_secret": writer.Verbatim("${A_SECRET}"),
             "base_url": writer.Verbatim("https://u:${A_SECRET}@proxy.example")}
    writer.add_profile(path, "main", entry, environ=ENV)
    assert path.read_text().endswith("    api_key: ${A_KEY}\n    api_secret: ${A_SECRET}\n"
                                     '    base_url: "https://u:${A_SECRET}@proxy.example"\n')
    assert load_profiles(path, ENV)["main"].api_secret == "a-secret-0002"


def test_escape_and_the_loader_agree_on_any_text():
    """Random text over the characters that make references: escaped, it always reads back."""
    import random

    from balctl.profiles import literal_text

    rng = random.Random(7)
    pieces = ["$", "$", "{", "}", "keyring:", "A", "b_1", " ", "x", "${", "}$"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        assert literal_text(writer.escape(text)) == text, text


# --- line endings --------------------------------------------------------------------------

def test_a_crlf_file_keeps_crlf_for_added_replaced_and_removed_profiles(tmp_path):
    path = tmp_path / "config.yaml"
    crlf = USER_FILE.replace("\n", "\r\n").encode()
    path.write_bytes(crlf)
    writer.add_profile(path, "okx", OKX_ENTRY, environ=ENV)
    block = ("    okx:\r\n        exchange: okx\r\n        api_key: ${NEW_KEY}\r\n"
             "        api_secret: ${NEW_SECRET}\r\n        passphrase: ${NEW_PASS}\r\n\r\n").encode()
    added = crlf.replace(b"          BTC_USDT\r\n\r\n", b"          BTC_USDT\r\n\r\n" + block)
    assert path.read_bytes() == added
    writer.add_profile(path, "okx", {**OKX_ENTRY, "demo": True}, force=True, environ=ENV)
    assert path.read_bytes() == added.replace(b"${NEW_PASS}\r\n", b"${NEW_PASS}\r\n        demo: true\r\n")
    writer.remove_profile(path, "okx", environ=ENV)
    assert path.read_bytes() == crlf
    assert list(load_profiles(path, ENV)) == ["main", "sub"]


def test_a_crlf_file_without_a_last_newline_gets_a_crlf_one(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"profiles:\r\n  a:\r\n    exchange: xt\r\n    api_key: ${A_KEY}\r\n    api_secret: ${A_SECRET}")
    writer.add_profile(path, "b", {"exchange": "xt", "api_key": writer.Verbatim("${A_KEY}"),
                                   "api_secret": writer.Verbatim("${A_SECRET}")}, environ=ENV)
    assert path.read_bytes() == (b"profiles:\r\n  a:\r\n    exchange: xt\r\n    api_key: ${A_KEY}\r\n"
                                 b"    api_secret: ${A_SECRET}\r\n\r\n  b:\r\n    exchange: xt\r\n"
                                 b"    api_key: ${A_KEY}\r\n    api_secret: ${A_SECRET}\r\n")


# --- symlinks to nothing ---------------------------------------------------------------------

def test_a_dangling_symlink_is_refused_and_nothing_is_created(tmp_path):
    target = tmp_path / "dotfiles" / "balctl.yaml"
    link = tmp_path / "config.yaml"
    link.symlink_to(target)
    for attempt in (lambda: writer.add_profile(link, "okx", OKX_ENTRY, environ=ENV),
                    lambda: writer.remove_profile(link, "okx", environ=ENV)):
        with pytest.raises(ProfileError) as refused:
            attempt()
        assert refused.value.exit_code == 2
        assert refused.value.message == f"{link}: is a symlink to {target}, which does not exist"
        assert refused.value.hint == "create the target first, or remove the link"
    assert link.is_symlink()
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]


def test_a_dangling_symlinked_directory_is_refused_too(tmp_path):
    link = tmp_path / "balctl"
    link.symlink_to(tmp_path / "moved" / "balctl")
    with pytest.raises(ProfileError) as refused:
        writer.add_profile(link / "config.yaml", "okx", OKX_ENTRY, environ=ENV)
    assert refused.value.message == f"{link}: is a symlink to {tmp_path / 'moved' / 'balctl'}, which does not exist"
    assert sorted(os.listdir(tmp_path)) == ["balctl"]


def test_a_symlink_loop_is_refused(tmp_path):
    link = tmp_path / "config.yaml"
    link.symlink_to(tmp_path / "config.yaml")
    with pytest.raises(ProfileError) as refused:
        writer.add_profile(link, "okx", OKX_ENTRY, environ=ENV)
    assert refused.value.message == f"{link}: cannot follow the symlink: Too many levels of symbolic links"
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]


def test_a_symlink_into_a_directory_that_exists_gets_a_new_file_through_it(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "balctl"
    link.symlink_to(real)
    writer.add_profile(link / "config.yaml", "okx", OKX_ENTRY, environ=ENV)
    assert list(load_profiles(real / "config.yaml", ENV)) == ["okx"]


def test_a_link_then_dot_dot_writes_the_file_the_loader_reads(tmp_path, monkeypatch):
    """`link/../config.yaml` is beside the link's target, as the kernel and the loader see it,
    not beside the link (which is what folding `..` as text would give)."""
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "cwd").mkdir()
    (tmp_path / "cwd" / "link").symlink_to(tmp_path / "real" / "sub")
    (tmp_path / "real" / "config.yaml").write_text(USER_FILE)
    (tmp_path / "real" / "config.yaml").chmod(0o600)
    monkeypatch.chdir(tmp_path / "cwd")
    writer.add_profile(Path("link/../config.yaml"), "okx", OKX_ENTRY, environ=ENV)
    assert "okx" in load_profiles(tmp_path / "real" / "config.yaml", ENV)
    assert not (tmp_path / "cwd" / "config.yaml").exists()


# --- anchors ---------------------------------------------------------------------------------

ANCHORED = textwrap.dedent("""\
    x-common: &common
      exchange: xt
    profiles:
      base: &b
        exchange: xt
        api_key: ${A_KEY}
        api_secret: ${A_SECRET}
      other:
        <<: *b
      third:
        <<: *b
        api_key: &k ${A_KEY}
      fourth:
        <<: *common
        api_key: *k
        api_secret: ${A_SECRET}
""")


@pytest.mark.parametrize(("name", "action", "message"), [
    ("base", "remove", "cannot remove profile 'base': profiles 'other', 'third' use its anchor &b"),
    ("third", "remove", "cannot remove profile 'third': profile 'fourth' uses its anchor &k"),
    ("base", "replace", "cannot replace profile 'base': profiles 'other', 'third' use its anchor &b"),
])
def test_removing_or_replacing_a_profile_whose_anchor_others_use_is_refused(tmp_path, name, action, message):
    path = tmp_path / "config.yaml"
    path.write_text(ANCHORED)
    with pytest.raises(ProfileError) as refused:
        if action == "remove":
            writer.remove_profile(path, name, environ=ENV)
        else:
            writer.add_profile(path, name, OKX_ENTRY, force=True, environ=ENV)
    assert refused.value.exit_code == 2
    assert refused.value.message == f"{path}: {message}"
    anchor = message.rpartition("&")[2]
    assert refused.value.hint == (f"move the shared keys under a top-level 'x-' key (x-common: &{anchor}) "
                                  f"or write them out where they are used, then {action} '{name}'")
    assert path.read_text() == ANCHORED
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]


def test_several_anchors_and_users_outside_the_profiles_are_all_named(tmp_path):
    path = tmp_path / "config.yaml"
    text = textwrap.dedent("""\
        profiles:
          base:
            exchange: &e xt
            api_key: &k ${A_KEY}
            api_secret: ${A_SECRET}
          other:
            exchange: *e
            api_key: *k
            api_secret: ${A_SECRET}
        x-later: *k
    """)
    path.write_text(text)
    with pytest.raises(ProfileError) as refused:
        writer.remove_profile(path, "base", environ=ENV)
    assert refused.value.message == f"{path}: cannot remove profile 'base': profile 'other' and line 10 use its anchors &e, &k"
    assert path.read_text() == text


def test_profiles_using_an_anchor_and_anchors_no_one_else_uses_can_go(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(ANCHORED)
    writer.remove_profile(path, "fourth", environ=ENV)  # uses x-common's and third's anchors
    writer.remove_profile(path, "other", environ=ENV)  # uses base's
    assert list(load_profiles(path, ENV)) == ["base", "third"]
    path.write_text(ANCHORED.replace("    <<: *b\n    api_key: &k", "    <<: *b\n    api_key:").replace(
        "    api_key: *k\n", "    api_key: ${A_KEY}\n"))
    writer.remove_profile(path, "third", environ=ENV)  # its anchor &k is gone with its only user
    assert list(load_profiles(path, ENV)) == ["base", "other", "fourth"]
