"""The one sanitiser for text printed to people, and JSON's escaping of the same characters."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest
import responses

from balctl.sanitize import UNSAFE, json_escape, terminal_text
from tests.helpers import OKX_PROFILE, invoke

URL = "https://www.okx.com/api/v5/account/balance"
RAW_UNSAFE = ("\x1b", "\x9b", "\x07", "\x08", "\r", "\x7f", "\u202e", "\u2066", "\u200b", "\ufeff", "\x00")


def assert_terminal_safe(text: str) -> None:
    """Nothing a terminal could act on; only our own line ends."""
    assert UNSAFE.search(text.replace("\n", "")) is None, repr(text)


@pytest.mark.parametrize("text, shown", [
    ("plain text", "plain text"),
    ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),                       # clear screen
    ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),                   # window title
    ("\x1b]8;;http://0.0.0.0/\x1b\\click\x1b]8;;\x1b\\", "\\x1b]8;;http://0.0.0.0/\\x1b\\click\\x1b]8;;\\x1b\\"),
    ("ok\rbalctl: all good", "ok\\x0dbalctl: all good"),          # overwrite the line
    ("abc\x08\x08\x08", "abc\\x08\\x08\\x08"),
    ("\x9b31m", "\\x9b31m"),                                      # C1 CSI
    ("\x7f", "\\x7f"),
    ("usd\u202etxt.exe", "usd\\u202etxt.exe"),                    # bidi override
    ("a\u200bb\u2066c\u2069", "a\\u200bb\\u2066c\\u2069"),        # zero-width, isolates
    ("tag\U000e0041", "tag\\U000e0041"),
    ("line\u2028sep", "line\\u2028sep"),
    ("C:\\Users\\x", "C:\\Users\\x"),                             # a backslash stays
    ("日本 ü", "日本 ü"),
])
def test_unsafe_characters_are_escaped_visibly(text, shown):
    assert terminal_text(text) == shown


@pytest.mark.parametrize("text, limit, shown", [
    ("a" * 10, 10, "a" * 10),
    ("a" * 11, 10, "a" * 9 + "…"),
    ("a" * 10_000_000, 20, "a" * 19 + "…"),
    ("aaaaaa\x1b", 10, "aaaaaa\\x1b"),
    ("aaaaaaa\x1b", 10, "aaaaaaa…"),                # never half an escape
    ("\x1b" * 100, 10, "\\x1b\\x1b…"),
])
def test_length_is_capped_without_cutting_an_escape(text, limit, shown):
    assert terminal_text(text, limit) == shown
    assert len(terminal_text(text, limit)) <= limit


def test_unsafe_covers_every_control_format_and_separator_character():
    missing = [hex(point) for point in range(sys.maxunicode + 1)
               if unicodedata.category(chr(point)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
               and not UNSAFE.match(chr(point))]
    assert missing == []


@pytest.mark.parametrize("text", ["\x1b[31m", "a\x7fb\x85c", "\u202e\u200b\ufeff", "tag\U000e0041", "ok ü 日本"])
def test_json_escape_keeps_the_document_and_escapes_as_u_sequences(text):
    dumped = json_escape(json.dumps({"k" + text: text}, ensure_ascii=False))
    assert json.loads(dumped) == {"k" + text: text}
    assert UNSAFE.search(dumped) is None


# --- end to end: exchange text, names, JSON ----------------------------------------------

@responses.activate
@pytest.mark.parametrize("msg", [
    "\x1b[2J\x1b[HInvalid key",
    "\x1b]0;pwned\x07Invalid key",
    "\x1b]8;;https://0.0.0.0/\x1b\\Invalid key\x1b]8;;\x1b\\",
    "Invalid\rbalctl: ok",
    "Invalid \u202eyek\u202c key\u200b",
    "\x9b2JInvalid key" + "x" * 5000,
])
@pytest.mark.parametrize("output", ["table", "json"])
def test_an_exchange_message_never_drives_the_terminal(write_config, msg, output):
    responses.get(URL, json={"code": "50111", "msg": msg, "data": []}, status=401)
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", output)
    assert result.exit_code == 3
    line, hint = result.stderr.splitlines()
    assert line.startswith("balctl: okx (okx): ") and line.endswith(" [50111]")
    assert len(line) < 300
    assert_terminal_safe(result.stderr)
    assert hint.startswith("hint: ")


def test_a_profile_name_with_control_characters_is_refused_and_shown_escaped(write_config):
    path = write_config(OKX_PROFILE.replace("  okx:", '  "ok\\e]0;x\\ax":'))
    result = invoke("all", "-c", str(path), "-o", "json")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"balctl: {path}: profile 'ok\\x1b]0;x\\x07x': the name must be printable")
    assert_terminal_safe(result.stderr)
    assert '"profile": "ok\\u001b]0;x\\u0007x"' in result.stdout
    assert_terminal_safe(result.stdout)
    listed = invoke("profiles", "-c", str(path))
    assert listed.exit_code == 2
    assert "ok\\x1b]0;x\\x07x" in listed.stdout
    assert_terminal_safe(listed.stdout + listed.stderr)


@responses.activate
def test_json_output_escapes_format_characters_in_raw_and_native(write_config):
    body = {"code": "0", "msg": "", "data": [{"totalEq": "1", "note\u202e": "a\x7f\u200bb", "details": []}]}
    responses.get(URL, body=json.dumps(body, ensure_ascii=False))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", "json", "--raw")
    assert result.exit_code == 0, result.output
    assert '"note\\u202e": "a\\u007f\\u200bb"' in result.stdout
    assert_terminal_safe(result.stdout)
    assert json.loads(result.stdout)["raw"][0]["data"][0]["note\u202e"] == "a\x7f\u200bb"


def test_json_escape_leaves_the_indentation_of_a_document_alone():
    document = {"a": ["x\u202e", "\n"], "b": {"c": "\x1b"}}
    dumped = json_escape(json.dumps(document, indent=2, ensure_ascii=False))
    assert json.loads(dumped) == document
    assert dumped == '{\n  "a": [\n    "x\\u202e",\n    "\\n"\n  ],\n  "b": {\n    "c": "\\u001b"\n  }\n}'
