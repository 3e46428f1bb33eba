"""Writing the profile file: one profile's block added, replaced or removed as text.

The user's file is theirs: its other profiles, comments, blank lines, quoting and order are
kept byte for byte. Only the lines of the one profile change, located through PyYAML's node
positions (`yaml.compose`), never by re-dumping the document.

Every write goes to a temporary file in the same directory (mode 0600), is checked by the
loader's own rules (`balctl.profiles.load_profiles`) and only then renamed over the file, so
a crash or a refused profile never leaves half a file. A new directory is made 0700.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from balctl.errors import ProfileError, UsageError
from balctl.profiles import REFERENCE  # a literal escapes it as `$${...}`

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
SYMBOL_TEXT = re.compile(r"[A-Z0-9_]+")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
"""Written bare: YAML reads it back as this very string (numbers and booleans are quoted)."""
NEW_FILE_HEADER = (
    "# balctl profile file, written by 'balctl profiles add' / 'balctl init'.\n"
    "# Edit freely: balctl keeps your comments and order when it adds a profile.\n"
    "# 'balctl profiles example' prints an annotated example of every key.\n"
    "profiles:\n"
)
FILE_MODE = 0o600
DIR_MODE = 0o700


class Verbatim(str):
    """A value written into the file as it is, its `${VAR}` / `${keyring:NAME}` references
    staying references. Any other string is a literal and reads back as exactly itself: a
    secret typed as `${HOME}` must not become the home directory."""


@dataclass
class Written:
    """What a write did, for the command to tell the user."""

    path: Path
    replaced: bool
    unset_variables: list[str] = field(default_factory=list)
    """Variables the new profile refers to that are not set in this shell (a warning)."""


def check_name(name: str) -> str:
    """Profile names become YAML keys and keyring entry names: letters, digits, `_.-`."""
    if not NAME.fullmatch(name):
        raise UsageError(f"profile name {name!r} is not allowed: use up to 64 letters, digits, '_', '.' or '-', "
                         "starting with a letter or digit")
    return name


def add_profile(path: Path, name: str, entry: Mapping[str, Any], *, force: bool = False,
                environ: Mapping[str, str] = os.environ, dry_run: bool = False) -> Written:
    """Add profile `name` (or replace it with `force`) and write the file atomically.

    `entry` holds the profile's keys in the order to write them: strings (literals, or
    `Verbatim` text whose references stay references), booleans, lists.
    With `dry_run` everything is checked and nothing is written (the directory aside).
    """
    check_name(name)
    target = _real(path)
    with _locked(target.parent):
        old = _read(target)
        layout = Layout.of(old, target)
        exists = name in layout.blocks
        if exists and not force:
            raise _taken(target, name)
        if exists:
            _refuse_if_anchor_used(target, old or "", layout, name, "replace")
        text = layout.with_block(name, entry) if exists else layout.with_new(name, entry)
        unset = _write_checked(target, old, text, name, environ, dry_run=dry_run)
    return Written(target, exists, unset)


def refuse_if_taken(path: Path, name: str) -> None:
    """Refuse a name the file already has, before `profiles add` reads any secret: the user
    must not type two secrets only to hear the name is taken. `add_profile` checks again
    under its lock (another command may add the name in between)."""
    target = _real(path)
    if name in Layout.of(_read(target), target).blocks:
        raise _taken(target, name)


def _taken(target: Path, name: str) -> UsageError:
    return UsageError(f"{target}: a profile named '{name}' exists already",
                      hint="choose another name, or replace it with --force")


def remove_profile(path: Path, name: str, *, environ: Mapping[str, str] = os.environ) -> Path:
    """Remove profile `name`'s block (ProfileError when there is none) and write atomically."""
    target = _real(path)
    with _locked(target.parent):
        old = _read(target)
        if old is None:
            raise ProfileError(f"{target}: profile file not found")
        layout = Layout.of(old, target)
        if name not in layout.blocks:
            raise ProfileError(f"{target}: no profile named '{name}' (have: {', '.join(layout.blocks)})")
        if len(layout.blocks) == 1:
            raise UsageError(f"{target}: '{name}' is the only profile; a profile file needs one",
                             hint=f"delete the file instead: rm {target}")
        _refuse_if_anchor_used(target, old, layout, name, "remove")
        _write_checked(target, old, layout.without(name), None, environ)
    return target


def render_block(name: str, entry: Mapping[str, Any], indent: int = 2, step: int = 2,
                 newline: str = "\n") -> str:
    """One profile as YAML lines: `  name:` then `    key: value`, values quoted safely."""
    lines = [" " * indent + _key(name) + ":"]
    lines += [" " * (indent + step) + f"{key}: {_scalar(value)}" for key, value in entry.items()]
    return newline.join(lines) + newline


@dataclass
class Layout:
    """Where each profile's lines are in the file's text (0-based, end exclusive)."""

    lines: list[str]
    blocks: dict[str, tuple[int, int]]
    insert_at: int
    """The line after the last profile's last line: where a new profile goes."""
    indent: int = 2
    step: int = 2
    newline: str = "\n"
    """The file's own line ending (its first line's): a CRLF file gets CRLF lines."""

    @classmethod
    def of(cls, text: str | None, path: Path) -> Layout:
        if text is None or not text.strip():
            return cls(NEW_FILE_HEADER.splitlines(keepends=True), {}, 4)
        import yaml

        lines = text.splitlines(keepends=True)
        newline = _line_ending(lines[0])
        if not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            raise ProfileError(f"{path}: invalid YAML: fix it (or move it away) before adding a profile",
                               hint=f"balctl profiles -c {path} shows where") from None
        section = _profiles_node(root)
        if section is None:
            raise ProfileError(f"{path}: not a balctl profile file (no top-level 'profiles:' mapping)")
        key_node, value_node = section
        if isinstance(value_node, yaml.ScalarNode) and value_node.value in ("", "~", "null"):
            return cls(lines, {}, key_node.start_mark.line + 1, newline=newline)
        if not isinstance(value_node, yaml.MappingNode) or value_node.flow_style:
            raise ProfileError(f"{path}: 'profiles' is not written as an indented block; "
                               "balctl edits only block-style files, edit this one by hand")
        blocks: dict[str, tuple[int, int]] = {}
        for name_node, body in value_node.value:
            start = name_node.start_mark.line
            blocks[str(name_node.value)] = (start, _last_line(body, lines, start) + 1)
        first_name, first_body = value_node.value[0]
        indent = first_name.start_mark.column
        step = 2
        if isinstance(first_body, yaml.MappingNode) and first_body.value and not first_body.flow_style:
            step = max(1, first_body.value[0][0].start_mark.column - indent)
        return cls(lines, blocks, max(end for _, end in blocks.values()), indent, step, newline)

    def with_new(self, name: str, entry: Mapping[str, Any]) -> str:
        block = render_block(name, entry, self.indent, self.step, self.newline)
        before, after = self.lines[: self.insert_at], self.lines[self.insert_at:]
        spacer = self.newline if self.blocks and before and before[-1].strip() else ""
        return "".join(before) + spacer + block + "".join(after)

    def with_block(self, name: str, entry: Mapping[str, Any]) -> str:
        start, end = self.blocks[name]
        column = len(self.lines[start]) - len(self.lines[start].lstrip(" "))
        block = render_block(name, entry, column, self.step, self.newline)
        return "".join(self.lines[:start]) + block + "".join(self.lines[end:])

    def without(self, name: str) -> str:
        start, end = self.blocks[name]
        # with it goes one blank line that separated it from the next profile, not more
        if end < len(self.lines) and not self.lines[end].strip():
            end += 1
        return "".join(self.lines[:start]) + "".join(self.lines[end:])


def _refuse_if_anchor_used(path: Path, text: str, layout: Layout, name: str, action: str) -> None:
    """Profile `name`'s lines are going away: refuse (before writing) when an `&anchor`
    defined in them is merged or aliased elsewhere, naming who uses it; YAML itself would
    only say "found undefined alias" about the file as it would be."""
    anchors, profiles, lines = _anchor_users(text, layout, name)
    if not anchors:
        return
    users = []
    if profiles:
        users.append(("profile " if len(profiles) == 1 else "profiles ") + ", ".join(f"'{p}'" for p in profiles))
    if lines:
        users.append(("line " if len(lines) == 1 else "lines ") + ", ".join(str(line) for line in lines))
    verb = "uses" if len(profiles) + len(lines) == 1 else "use"
    shown = ("its anchor " if len(anchors) == 1 else "its anchors ") + ", ".join(f"&{a}" for a in anchors)
    raise ProfileError(f"{path}: cannot {action} profile '{name}': {' and '.join(users)} {verb} {shown}",
                       hint=f"move the shared keys under a top-level 'x-' key (x-common: &{anchors[0]}) "
                            f"or write them out where they are used, then {action} '{name}'")


def _anchor_users(text: str, layout: Layout, name: str) -> tuple[list[str], list[str], list[int]]:
    """The anchors defined in profile `name`'s lines and aliased outside them, the profiles
    holding those aliases, and the (1-based) lines of aliases outside any profile."""
    import yaml

    start, end = layout.blocks[name]
    inside: dict[str, bool] = {}  # anchor -> defined in the block
    anchors: dict[str, None] = {}
    profiles: dict[str, None] = {}
    lines: dict[int, None] = {}
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        line = token.start_mark.line
        if isinstance(token, yaml.AnchorToken):
            inside[token.value] = start <= line < end
        elif isinstance(token, yaml.AliasToken) and inside.get(token.value) and not start <= line < end:
            anchors[token.value] = None
            owner = next((other for other, (first, last) in layout.blocks.items() if first <= line < last), None)
            if owner is None:
                lines[line + 1] = None
            else:
                profiles[owner] = None
    return list(anchors), list(profiles), list(lines)


def _line_ending(line: str) -> str:
    """CRLF, CR or LF: how `line` ends (LF when it does not)."""
    return "\r\n" if line.endswith("\r\n") else "\r" if line.endswith("\r") else "\n"


def _profiles_node(root: Any) -> tuple[Any, Any] | None:
    import yaml

    if not isinstance(root, yaml.MappingNode):
        return None
    for key_node, value_node in root.value:
        if key_node.value == "profiles":
            return key_node, value_node
    return None


def _last_line(node: Any, lines: list[str], floor: int) -> int:
    """The last line holding any of the node's content (a block scalar's end mark points
    past its trailing blank lines, so those are trimmed)."""
    last = floor
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current.value, list) and not current.flow_style:
            # a block collection's end mark is where the next key starts: use its content's
            for item in current.value:
                stack.extend(item if isinstance(item, tuple) else (item,))
            continue
        mark = current.end_mark
        last = max(last, mark.line if mark.column > 0 else mark.line - 1)
    while last > floor and not lines[min(last, len(lines) - 1)].strip():
        last -= 1
    return min(last, len(lines) - 1)


def _key(name: str) -> str:
    return name if PLAIN.fullmatch(name) and name.lower() not in _YAML_WORDS else json.dumps(name)


def escape(text: str) -> str:
    """A literal as the loader reads it back unchanged: `${...}` written `$${...}`."""
    return REFERENCE.sub(lambda match: "$" + match.group(0), text)


def _scalar(value: Any) -> str:
    """A YAML value that reads back as exactly `value`: references bare (as users write
    them), other strings double-quoted (JSON escapes are YAML escapes), lists in flow style."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(item if SYMBOL_TEXT.fullmatch(item) else json.dumps(item) for item in value) + "]"
    text = str(value) if isinstance(value, Verbatim) else escape(str(value))
    if REFERENCE.fullmatch(text) or (WORD.fullmatch(text) and text.lower() not in _YAML_WORDS):
        return text
    return json.dumps(text, ensure_ascii=True)


_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _real(path: Path) -> Path:
    """The file a symlink points to (a dotfiles repository's link stays a link).

    A link to something missing is refused: writing through it would create the target (and
    its directories) wherever the link happens to point, a place the user may have moved
    away from or never meant to write to."""
    given = Path(os.path.expanduser(str(path)))
    # Not abspath(): it folds `link/..` as text before the link is followed, and the file
    # written would then not be the one the loader (and the kernel) reads.
    given = given if given.is_absolute() else Path.cwd() / given
    for link in (*reversed(given.parents), given):
        try:
            if not os.path.islink(link):
                continue
            os.stat(link)
        except FileNotFoundError:
            raise ProfileError(f"{link}: is a symlink to {os.path.realpath(link)}, which does not exist",
                               hint="create the target first, or remove the link") from None
        except OSError as exc:  # a loop of links, a directory we may not search
            raise ProfileError(f"{link}: cannot follow the symlink: {exc.strerror or type(exc).__name__}") from None
    return Path(os.path.realpath(given))


def _read(path: Path) -> str | None:
    """The file's text as it is on disk: line endings untranslated, so that they are kept."""
    try:
        with open(path, encoding="utf-8", newline="") as stream:
            return stream.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the profile file: {getattr(exc, 'strerror', None) or type(exc).__name__}") from None


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Create the directory (0700) if needed, and hold an exclusive lock on it while
    reading, editing and renaming: two `profiles add` at once must not lose one profile."""
    if not directory.exists():
        try:
            directory.mkdir(parents=True, mode=DIR_MODE)
            directory.chmod(DIR_MODE)  # mkdir's mode is reduced by the umask
        except OSError as exc:
            raise ProfileError(f"{directory}: cannot create the directory: {exc.strerror or type(exc).__name__}") from None
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, the rename is still atomic
        yield
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _write_checked(path: Path, old: str | None, text: str, name: str | None,
                   environ: Mapping[str, str], *, dry_run: bool = False) -> list[str]:
    """Write `text` to a temporary file beside `path`, check it like the loader would, then
    rename it over `path`. Returns the unset variables of profile `name` (allowed: they may
    be exported later). Refused: a file the loader rejects, a new profile breaking any rule
    but unset variables, a profile that worked before and no longer does."""
    from balctl.profiles import UnsetVariables, load_profiles

    before = _working_profiles(path, old, environ)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ProfileError(f"{path.parent}: cannot write there: {exc.strerror or type(exc).__name__}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            if hasattr(os, "fchmod"):  # POSIX; Windows has no modes to set
                os.fchmod(stream.fileno(), FILE_MODE)
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        try:
            candidate = load_profiles(Path(temporary), environ)
        except ProfileError as problem:  # the file's own problems
            raise ProfileError(_rename(problem.message, temporary, path), hint=problem.hint) from None
        unset: list[str] = []
        if name is not None:
            outcome = candidate.outcome(name)
            if isinstance(outcome, UnsetVariables):
                unset = outcome.names
                # the loader stops at the unset variables: check the rest of the entry as it
                # will be once they are exported (a placeholder each), so they hide no fault
                placeholders = {**environ, **{variable: "placeholder" for variable in unset}}
                outcome = load_profiles(Path(temporary), placeholders).outcome(name)
            if isinstance(outcome, ProfileError) and not isinstance(outcome, UnsetVariables):
                raise ProfileError(_rename(outcome.message, temporary, path), hint=outcome.hint)
        for other in before:
            outcome = candidate.outcome(other) if other in candidate else None
            if other != name and isinstance(outcome, ProfileError):
                raise ProfileError(f"{path}: the change would break profile '{other}': "
                                   f"{_rename(outcome.message, temporary, path)}")
        if dry_run:
            os.unlink(temporary)
            return unset
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):  # a full disk, a read-only directory: exit 2, not a bug
            raise ProfileError(f"{path}: cannot write the profile file: "
                               f"{exc.strerror or type(exc).__name__}") from None
        raise
    _sync_directory(path.parent)
    return unset


def _working_profiles(path: Path, old: str | None, environ: Mapping[str, str]) -> list[str]:
    """The profiles of the current file that load today (to notice an edit breaking one)."""
    if old is None:
        return []
    from balctl.profiles import load_profiles

    try:
        loaded = load_profiles(path, environ)
    except ProfileError:
        return []
    return [name for name in loaded if not isinstance(loaded.outcome(name), ProfileError)]


def _rename(message: str, temporary: str, path: Path) -> str:
    """Loader messages name the file they read: name the user's file, not our temporary one."""
    return message.replace(temporary, str(path))


def _sync_directory(directory: Path) -> None:
    """The rename itself reaches the disk only with the directory's own fsync."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
