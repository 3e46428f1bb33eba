"""balctl.plainyaml reads plain profile files exactly as PyYAML does, or declines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from balctl import plainyaml
from balctl.completion import USED_KEYS
from balctl.profiles import _strict_loader


def quick_entries(text: str):
    """What completion gets from the plain reader: `{name: {used key: value}}`, or None."""
    document = plainyaml.read(text, exact=USED_KEYS)
    if document is None:
        return None
    return {name: {key: used(value) for key, value in (entry or {}).items() if key in USED_KEYS}
            for name, entry in (document["profiles"] or {}).items()}


def used(value: object) -> object:
    """A value as completion uses it: text, a list of texts; anything else None."""
    if isinstance(value, list):
        return [item if isinstance(item, str) else None for item in value]
    return value if isinstance(value, str) else None


def strict(text: str):
    """The document as the profile loader reads it through PyYAML."""
    return yaml.load(text, Loader=_strict_loader(yaml))

EXAMPLE = Path(__file__).resolve().parent.parent / "balctl" / "setup" / "config.example.yaml"

ACCEPTED = {
    "plain": """\
        profiles:
          okx:
            exchange: okx
            api_key: ${OKX_KEY}
            api_secret: ${OKX_SECRET}
            passphrase: "pass phrase # not a comment"
            demo: false
          xt-alt:   # a comment
            exchange: 'xt'
            symbols: [BTC_USDT, "eth_usdt", 'SOL_USDT']
            base_url: https://sapi.xt.com:443/x
          cs:
            exchange: coinswitch
            api_key: 0c7f4a52-3b1e-4d8a-9f61-5e2b7c9d1a30
        record: true
        """,
    "comma string and empty list": """\
        profiles:
            a:
                exchange: xt
                symbols: DOGE_USDT, TRX_USDT
            b:
                exchange: xt
                symbols: []
            c:
        """,
    "keys and symbols starting with a digit": """\
        profiles:
          okx-0:
            exchange: okx
            api_key: 0c7f4a52-3b1e-4d8a-9f61-5e2b7c9d1a30
            api_secret: 6B1D9E4F2A8C7035E1F4B9D2C6A80317
            passphrase: 019
          xt:
            exchange: xt
            api_key: 07501781db570c912300a1fbb1c602f8
            symbols: [1INCH_USDT, 1000SATS_USDT]
        """,
    "words YAML reads as booleans": """\
        profiles:
          x:
            exchange: yes
            symbols: [on, BTC_USDT, Null]
        """,
}

DECLINED = {
    "anchor and merge": "x-common: &c\n  exchange: okx\nprofiles:\n  a:\n    <<: *c\n",
    "block list": "profiles:\n  a:\n    exchange: xt\n    symbols:\n      - BTC_USDT\n",
    "tab": "profiles:\n\ta:\n\t\texchange: okx\n",
    "escape": 'profiles:\n  a:\n    exchange: "ok\\x"\n',
    "duplicate profile": "profiles:\n  a:\n    exchange: okx\n  a:\n    exchange: xt\n",
    "duplicate key": "profiles:\n  a:\n    exchange: okx\n    exchange: xt\n",
    "boolean key": "profiles:\n  on:\n    exchange: okx\n",
    "number key": "profiles:\n  12:\n    exchange: okx\n",
    "flow mapping": "profiles:\n  a: {exchange: okx}\n",
    "document marker": "---\nprofiles:\n  a:\n    exchange: okx\n",
    "uneven fields": "profiles:\n  a:\n    exchange: okx\n      api_key: k\n",
    "number in a list": "profiles:\n  a:\n    exchange: xt\n    symbols: [1INCH_USDT, 12]\n",
    "date": "profiles:\n  a:\n    exchange: 2026-01-01\n",
    "colon in a plain value": "profiles:\n  a:\n    exchange: okx: xt\n",
    "no profiles": "other: 1\n",
    "nested top-level mapping": "profiles:\n  a:\n    exchange: okx\nx-extra:\n  b: 1\n",
    "quoted item with a comma": 'profiles:\n  a:\n    symbols: ["A,B"]\n',
    "broken": "profiles: [\n",
}


def yaml_entries(text: str) -> dict[str, dict[str, object]]:
    """What completion reads through PyYAML, limited to the keys it uses; non-text as None."""
    section = yaml.safe_load(text)["profiles"] or {}  # `profiles:` alone: no profiles either way

    return {str(name): {key: used(value) for key, value in (entry or {}).items() if key in USED_KEYS}
            for name, entry in section.items()}


@pytest.mark.parametrize("name", ACCEPTED)
def test_a_plain_file_reads_as_pyyaml_reads_it(name):
    text = textwrap.dedent(ACCEPTED[name])
    quick = quick_entries(text)
    assert quick is not None
    assert quick == yaml_entries(text)
    assert list(quick) == list(yaml_entries(text))  # file order
    assert plainyaml.read(text) in (None, strict(text))


def test_the_example_file_is_read_without_pyyaml():
    text = EXAMPLE.read_text(encoding="utf-8")
    assert quick_entries(text) == yaml_entries(text)
    assert quick_entries(text)["xt"] == {"exchange": "xt", "symbols": ["BTC_USDT", "ETH_USDT"]}
    assert plainyaml.read(text) == strict(text)  # the loader reads it without PyYAML too


def test_the_simulator_file_is_read_without_pyyaml(simulator):
    text = simulator.profiles_yaml()
    assert quick_entries(text) == yaml_entries(text)
    assert plainyaml.read(text) == strict(text)
    assert list(quick_entries(text)) == list(yaml_entries(text))


@pytest.mark.parametrize("name", DECLINED)
def test_anything_else_is_left_to_pyyaml(name):
    assert quick_entries(DECLINED[name]) is None
    assert plainyaml.read(DECLINED[name]) is None


KEYS = ["okx", "xt-1", "a.b", "x_y", "exchange", "symbols", "exchange", "symbols"]
ODD_KEYS = ["on", "Yes", "12", "<<", "-a", "k y", "exchange "]
VALUES = ["okx", "xt", "coinswitch", "yes", "No", "null", "12", "1INCH_USDT", "0x1f", "2026-01-01", "1.5",
          "${OKX_KEY}", "http://127.0.0.1:80/x", "'q # x'", '"q: y"', "[A, B]", "[]", "[1, x]",
          "[yes, BTC_USDT]", "[2026-01-01, 'x']", "a  b", "é", ""]
ODD_VALUES = ["~", "a: b", "a:", "a #b", "a#b", "'it''s'", '"e\\x"', "[A, 'B,C']", "{a: b}", "&anchor",
              "*alias", "!tag x", "|", ">", "- x", "@x", "`x`", "%x", "a\tb", ".inf", "-1", "+x"]
COMMENTS = ["", "  # c", " #c", "#c"]


def random_file(rng) -> str:
    """Mostly plain lines, now and then an odd key, value or line (which PyYAML must get)."""
    def key() -> str:
        return rng.choice(ODD_KEYS) if rng.random() < 0.05 else rng.choice(KEYS)

    def value() -> str:
        return rng.choice(ODD_VALUES) if rng.random() < 0.05 else rng.choice(VALUES)

    lines = ["profiles:" + rng.choice(COMMENTS[:2])]
    if rng.random() < 0.1:
        lines.insert(0, f"{key()}: {value()}")
    for _ in range(rng.randint(0, 3)):
        indent = rng.choice([2, 2, 2, 4, 3])
        lines.append(" " * indent + key() + ":" + rng.choice(COMMENTS))
        for _ in range(rng.randint(0, 3)):
            deeper = indent + (rng.choice([4, 1, 0]) if rng.random() < 0.05 else 2)
            lines.append(" " * deeper + key() + ": " + value() + rng.choice(COMMENTS))
        if rng.random() < 0.05:
            lines.append(rng.choice(["", "# note", "---", "\t", " " * indent + "- x"]))
    return "\n".join(lines) + "\n"


def test_random_files_are_read_as_pyyaml_reads_them_or_left_to_it():
    import random

    rng = random.Random(16)
    accepted = exact = 0
    for _ in range(1500):
        text = random_file(rng)
        quick = quick_entries(text)
        if quick is not None:
            accepted += 1
            assert quick == yaml_entries(text), text  # and PyYAML reads it without an error
            assert list(quick) == list(yaml_entries(text)), text
        document = plainyaml.read(text)
        if document is not None:
            exact += 1
            assert document == strict(text), text
            assert repr(document) == repr(strict(text)), text  # order, and True is not 1
    assert accepted > 300 and exact > 200  # the generator does exercise both readers


def test_what_pyyaml_refuses_to_read_is_left_to_it():
    assert plainyaml.read("profiles:\n  a:\n    exchange: ok\x07x\n") is None
    assert plainyaml.read("\ufeffprofiles:\n  a:\n    exchange: okx\n") is None
    assert plainyaml.read("profiles:\n  a:\n    exchange: ok\ufffex\n") is None
    assert plainyaml.read("profiles:\n  a:\n    exchange: okx-é\n") == {"profiles": {"a": {"exchange": "okx-é"}}}


DIGIT_LED = "0123456789" * 3 + "_.:-+eExXbBoaf TtZ"


@pytest.mark.parametrize("text, expected", [
    ("0c7f4a52-3b1e-4d8a-9f61-5e2b7c9d1a30", "0c7f4a52-3b1e-4d8a-9f61-5e2b7c9d1a30"),
    ("1INCH_USDT", "1INCH_USDT"), ("019", "019"), ("08", "08"), ("1e5", "1e5"), ("1:60", "1:60"),
    ("2026-1-1", "2026-1-1"), ("0o17", "0o17"), ("0x", "0x"), ("1.5.5", "1.5.5"),
])
def test_digit_led_text_is_read_without_pyyaml(text, expected):
    document = f"profiles:\n  a:\n    api_key: {text}\n"
    assert yaml.safe_load(document)["profiles"]["a"]["api_key"] == expected  # PyYAML agrees it is text
    assert plainyaml.read(document) == {"profiles": {"a": {"api_key": expected}}}


@pytest.mark.parametrize("text", ["0", "00", "017", "0_", "0b1_0", "0x1f", "1_000", "1__", "1:20", "1_:20",
                                  "190:20:30", "1.", "1.e+5", "1:2:3.5", "2026-01-01",
                                  "2026-01-01T10:00:00Z", "2026-01-01 10:00:00", "2026-1-1 1:00:00 +5:30"])
def test_digit_led_numbers_and_dates_are_left_to_pyyaml(text):
    document = f"profiles:\n  a:\n    api_key: {text}\n"
    assert not isinstance(yaml.safe_load(document)["profiles"]["a"]["api_key"], str)
    assert plainyaml.read(document) is None
    assert quick_entries(document) == {"a": {}}  # completion does not need the value


def test_random_digit_led_values_read_as_pyyaml_reads_them():
    import random

    rng = random.Random(61)
    texts = read = 0
    for _ in range(4000):
        token = rng.choice("0123456789") + "".join(rng.choice(DIGIT_LED) for _ in range(rng.randint(0, 9)))
        document = f"profiles:\n  a:\n    v: {token}\n    l: [{token}]\n"
        try:
            expected = strict(document)
        except yaml.YAMLError:
            assert plainyaml.read(document) is None, token
            continue
        texts += isinstance(expected["profiles"]["a"]["v"], str)
        document_read = plainyaml.read(document)
        if document_read is not None:
            read += 1
            assert repr(document_read) == repr(expected), token
    assert texts > 1000 and read > 1000  # most such tokens are text, and read without PyYAML
