"""End to end through the installed command (issue 4): `python -m balctl` in a subprocess,
against the loopback simulator, for OKX, XT and CoinSwitch.

The expected values are built here from the simulator's sample accounts
(`balctl.simulator.accounts`) and the field table of docs/exchanges.md, From answers to
rows, written out again below, never from balctl's own mapping: a test that borrowed the
code's table could not catch it.
Every test also reads the simulator's request log, so none passes because the server
accepted anything: each balance request must have arrived with a valid signature.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest

from balctl.simulator import Fault
from balctl.simulator.coinswitch import public_key_hex
from tests.helpers import ACCOUNT, AMOUNTS, DEFAULT_PATHS, EXCHANGES, HEADER, HEADINGS, Number, OKX_BALANCE, OKX_RISK, ROW_KEYS, SUMMARY_KEYS, XT_BALANCE, assert_fresh, assert_verified, balance_requests, csv_cells, expected, load, ok, run_balctl

# --- the three formats, per exchange ---------------------------------------------------------

@pytest.mark.parametrize("exchange", EXCHANGES)
def test_json_has_every_sample_value_digit_for_digit(simulator, sim_config, exchange):
    stdout = ok(run_balctl(exchange, "-o", "json", config=sim_config))
    document = load(stdout)
    assert list(document) == ["profile", "exchange", "account", "fetched_at", "summary", "balances", "breakdown",
                              "warnings", "alerts"]
    assert_fresh(document.pop("fetched_at"))
    assert list(document["summary"]) == SUMMARY_KEYS
    assert all(list(r) == ROW_KEYS for r in document["balances"] + document["breakdown"])
    assert document == expected(exchange)
    assert stdout.startswith('{\n  "profile": ') and stdout.endswith("\n}\n")  # indent 2, one object
    assert_verified(simulator, DEFAULT_PATHS[exchange])
    if exchange == "coinswitch":  # margins released by orders are negative, and stay so
        (wallet,), (doge, btc) = document["balances"], document["breakdown"]
        assert wallet["order_margin"] == "-6.778327"
        assert wallet["native"]["balances"]["total_open_order_margin"] == "-6.778327"
        assert (doge["order_margin"], btc["order_margin"]) == ("0.00008854", "-6.77841554")


def test_okx_margin_account_has_its_risk_figures_and_loans(simulator, sim_config):
    """The simulator's second OKX account (its own key): every risk figure with OKX's digits."""
    stdout = ok(run_balctl("okx", "-p", "okx-margin", "-o", "json", config=sim_config))
    document = load(stdout)
    assert_fresh(document.pop("fetched_at"))
    assert list(document["summary"]) == SUMMARY_KEYS
    assert document == expected("okx", profile="okx-margin")
    summary = document["summary"]
    assert [summary[name] for name in OKX_RISK] == [
        "5436.56365691809", "2.718281828459045", "3000", "2000", "-312.75", "14650.5"]
    assert [(r["asset"], r["loan"], r["interest"]) for r in document["balances"] if r["loan"] != "0"] == [
        ("USDT", "8000", "4.315068493150685"), ("ETH", "2", "0.000493150684931507")]
    [entry] = balance_requests(simulator)
    assert (entry.api_key, entry.verified, entry.status) == (simulator.credentials["okx-margin"]["api_key"], True, 200)


def test_okx_spot_account_has_null_where_spot_mode_sends_empty_strings(simulator, sim_config):
    """The Spot-mode account: availEq, liab, interest and the risk figures are "" on the wire,
    null in the output (never 0); available + frozen is the cash balance there."""
    stdout = ok(run_balctl("okx", "-p", "okx-spot", "-o", "json", config=sim_config))
    document = load(stdout)
    assert_fresh(document.pop("fetched_at"))
    assert document == expected("okx", profile="okx-spot")
    assert [summary_value for name, summary_value in document["summary"].items() if name in OKX_RISK] == [None] * 6
    assert [(r["asset"], r["total"], r["available"], r["frozen"], r["loan"], r["interest"])
            for r in document["balances"]] == [
        ("USDT", "1250.5", "1230.5", "20", None, None), ("BTC", "0.0105", "0.0105", "0", None, None)]
    assert document["summary"]["equity"] == "2256.49995"
    [entry] = balance_requests(simulator)
    assert (entry.api_key, entry.verified, entry.status) == (simulator.credentials["okx-spot"]["api_key"], True, 200)


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_csv_is_the_header_then_one_exact_line_per_row(simulator, sim_config, exchange):
    stdout = ok(run_balctl(exchange, "-o", "csv", config=sim_config))
    assert "\r" not in stdout and stdout.endswith("\n")
    header, *lines = stdout[:-1].split("\n")
    assert header == HEADER
    rows = list(csv.reader(lines))
    stamps = {r[0] for r in rows}
    assert len(stamps) == 1  # one snapshot, one moment
    assert_fresh(stamps.pop())
    assert [r[1:] for r in rows] == csv_cells(expected(exchange))
    assert_verified(simulator, DEFAULT_PATHS[exchange])


def table_rows(stdout: str) -> list[list[str]]:
    """The cells of every line of a Rich table (header and body), stripped."""
    return [[cell.strip() for cell in line.strip("│┃").split(line[0])]
            for line in stdout.splitlines() if line[:1] in ("│", "┃")]


def grouped(text: str | None) -> str:
    """An exact amount as `--digits all` shows it: every digit, thousands grouped."""
    return "–" if text is None else format(Decimal(text), ",f")


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_table_shows_every_amount_and_the_summary(simulator, sim_config, exchange):
    """With --digits all the table shows the exchange's digits (grouped); rows in USD value
    order where the exchange gives one (OKX), else in the exchange's order."""
    stdout = ok(run_balctl(exchange, "--digits", "all", config=sim_config))
    document = expected(exchange)
    assert "\x1b" not in stdout  # a pipe gets no colour
    # the breakdown (CoinSwitch's per-symbol margins) is a table of its own, after the summary
    stdout, _, parts = stdout.partition(f"\n{exchange} · {exchange} · by market\n")
    lines = stdout.splitlines()
    assert lines[0] == f"{exchange} · {exchange} · {ACCOUNT[exchange]}"
    balances = document["balances"]
    if exchange == "okx":
        balances = sorted(balances, key=lambda r: -Decimal(r["usd_value"]))
    for text, rows in ((stdout, balances), (parts, document["breakdown"])):
        if not rows:
            assert text == ""
            continue
        columns = ["market"] if any(r["market"] for r in rows) else []
        columns += ["asset"] + [name for name in AMOUNTS if any(r[name] is not None for r in rows)]
        heading, *body = table_rows(text)
        assert heading == [HEADINGS[name] for name in columns]  # an all-null column is left out
        assert body == [[r[name] if name in ("market", "asset") else grouped(r[name]) for name in columns]
                        for r in rows]
    summary = document["summary"]
    equity = f"  equity {grouped(summary['equity'])} {summary['unit']}   "
    summary_line = next(line for line in lines if line.startswith("  equity "))
    if summary["loan"]:
        assert summary_line == f"{equity}loan {grouped(summary['loan'])} {summary['unit']}"
    elif exchange == "okx":  # no account loan total: the rows' loans are listed
        eth = next(r for r in balances if r["asset"] == "ETH")
        assert summary_line.startswith(f"{equity}loans: ETH {eth['loan']} (+{eth['interest']} interest)")
    else:
        assert summary_line == f"{equity}loan –"
    assert "rounded" not in stdout
    assert_verified(simulator, DEFAULT_PATHS[exchange])


# --- selecting and filtering -------------------------------------------------------------------

def test_okx_ccy_is_upper_cased_on_the_wire(simulator, sim_config):
    stdout = ok(run_balctl("okx", "--ccy", "btc,eth", "-o", "csv", config=sim_config))
    rows = list(csv.reader(stdout.splitlines()[1:]))
    assert [r[1:] for r in rows] == csv_cells(expected("okx", ccy=("BTC", "ETH")))
    assert_verified(simulator, [OKX_BALANCE + "?ccy=BTC,ETH"])  # a bare comma, signed as sent


def test_xt_symbol_option_and_json_numbers_with_every_digit(simulator, sim_config):
    """`--symbol` replaces the profile's two pairs; XT sends usdtNetAmount as the JSON number
    26855.999812345678901234, which must reach equity and native without a float on the way."""
    stdout = ok(run_balctl("xt", "--symbol", "btc_usdt", "-o", "json", config=sim_config))
    assert re.search(r'\n {8}"usdtNetAmount": 26855\.999812345678901234\n', stdout)
    document = load(stdout)
    document.pop("fetched_at")
    assert document == expected("xt", symbols=("BTC_USDT",))
    summary = document["summary"]
    assert (summary["equity"], summary["loan"]) == ("26855.999812345678901234", "6002.5002")
    assert summary["native"]["BTC_USDT"]["usdtNetAmount"] == Number("26855.999812345678901234")
    assert summary["native"]["BTC_USDT"]["btcNetAmount"] == Number("0.447599993333333333333")
    assert_verified(simulator, [XT_BALANCE + "?symbol=BTC_USDT"])  # upper-cased on the wire


def test_hide_zero_drops_the_okb_row(simulator, sim_config):
    """OKX answers a zero currency only when asked for (`--ccy`); --hide-zero then drops it."""
    asked = ok(run_balctl("okx", "-o", "csv", "--ccy", "SOL,OKB", config=sim_config))
    assert [r[5] for r in csv.reader(asked.splitlines()[1:])] == ["SOL", "OKB"]
    shown = ok(run_balctl("okx", "-o", "csv", "--ccy", "SOL,OKB", "--hide-zero", config=sim_config))
    assets = [r[5] for r in csv.reader(shown.splitlines()[1:])]
    assert assets == ["SOL"]  # OKB, every amount zero, is gone
    assert_verified(simulator, [OKX_BALANCE + "?ccy=SOL,OKB"] * 2)


def test_append_writes_the_header_once_across_runs(simulator, sim_config, tmp_path):
    """Three runs into one file (which exists, empty): one header, then every run's rows,
    whatever the stdout format."""
    snapshots = tmp_path / "balances.csv"
    snapshots.write_text("")
    stdouts = [ok(run_balctl(exchange, "-o", fmt, "--append", str(snapshots), config=sim_config))
               for exchange, fmt in zip(EXCHANGES, ("csv", "table", "json"))]
    assert stdouts[1].startswith("xt · xt · lever\n") and stdouts[2].startswith("{\n")
    text = snapshots.read_text()
    assert text.startswith(HEADER + "\n" + stdouts[0].split("\n", 1)[1])  # okx: exactly what it printed
    lines = text.split("\n")
    assert lines[-1] == "" and lines.count(HEADER) == 1
    rows = list(csv.reader(lines[1:-1]))
    assert [r[1:] for r in rows] == [cells for exchange in EXCHANGES for cells in csv_cells(expected(exchange))]
    assert_verified(simulator, [p for exchange in EXCHANGES for p in DEFAULT_PATHS[exchange]])


# --- credentials the exchange refuses ----------------------------------------------------------

def profiles_with(simulator, path: Path, old: str, new: str) -> Path:
    """The simulator's profile file with one credential replaced."""
    text = simulator.profiles_yaml()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    path.chmod(0o600)
    return path


def wrong(secret: str) -> str:
    """The same secret with its last character changed: same length, same alphabet."""
    return secret[:-1] + ("1" if secret[-1] != "1" else "2")


@pytest.mark.parametrize(
    "exchange, lines",
    [
        ("okx", ["balctl: okx (okx): Invalid Sign. [50113]",
                 "hint: check api_secret and passphrase in the profile: both must belong to this api_key"]),
        ("xt", ["balctl: xt (xt): signature rejected [AUTH_103]",
                "hint: check api_secret in the profile: it must belong to this api_key"]),
    ],
)
def test_a_wrong_secret_exits_3_with_the_exchange_code(simulator, tmp_path, exchange, lines):
    secret = simulator.credentials[exchange]["api_secret"]
    config = profiles_with(simulator, tmp_path / "wrong.yaml", secret, wrong(secret))
    done = run_balctl(exchange, "-o", "json", config=config)
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr.splitlines() == lines
    assert secret not in done.stderr and wrong(secret) not in done.stderr
    entries = balance_requests(simulator)
    assert entries and all(not entry.verified and entry.status in (200, 401) for entry in entries)
    assert {entry.code for entry in entries} == {lines[0].rsplit("[", 1)[1].rstrip("]")}


def test_a_wrong_okx_passphrase_exits_3_naming_the_passphrase(simulator, tmp_path):
    passphrase = simulator.credentials["okx"]["passphrase"]
    config = profiles_with(simulator, tmp_path / "wrong.yaml", passphrase, wrong(passphrase))
    done = run_balctl("okx", config=config)
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr.splitlines() == [
        "balctl: okx (okx): Request header OK-ACCESS-PASSPHRASE incorrect. [50105]",
        "hint: check passphrase in the profile: it is the one set when this API key was created",
    ]


def test_coinswitch_key_unknown_to_the_exchange_exits_3_with_401_and_its_message(simulator, tmp_path):
    """A consistent Ed25519 pair the exchange never registered: 401 "Invalid API key"."""
    seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"  # RFC 8032 test 1
    creds = simulator.credentials["coinswitch"]
    config = profiles_with(simulator, tmp_path / "a.yaml", creds["api_secret"], seed)
    config.write_text(config.read_text().replace(creds["api_key"], public_key_hex(seed)))
    done = run_balctl("coinswitch", config=config)
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr.splitlines() == [
        "balctl: coinswitch (coinswitch): Invalid API key [401]",
        "hint: check api_key and api_secret in the profile, and the system clock "
        "(CoinSwitch refuses an epoch more than 60 s off)",
    ]
    assert seed not in done.stderr
    # CoinSwitch's 401 may mean a skewed clock: balctl read the server time, found it fine,
    # and did not sign again
    assert [(e.endpoint, e.status) for e in simulator.log] == [("balance", 401), ("time", 200)]


def test_coinswitch_secret_not_matching_the_key_is_caught_before_any_request(simulator, tmp_path):
    """CoinSwitch's api_key is the public key of api_secret, so a wrong secret is provably
    wrong locally: a profile error (exit 2) rather than CoinSwitch's ambiguous 401."""
    secret = simulator.credentials["coinswitch"]["api_secret"]
    config = profiles_with(simulator, tmp_path / "wrong.yaml", secret, wrong(secret))
    done = run_balctl("coinswitch", config=config)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[0] == (
        f"balctl: {config}: profile 'coinswitch': key 'api_key' does not match api_secret "
        "(it must be the hex Ed25519 public key of that seed)")
    assert secret not in done.stderr and wrong(secret) not in done.stderr
    assert simulator.log == []


def test_xt_tiny_json_numbers_keep_plain_notation_in_native_and_raw(simulator, sim_config):
    """XT may send an accrued interest of 0.00000001 as a JSON *number*; Python's Decimal
    would print it as 1E-8, which is not the exchange's digits (docs/contract.md, The model)."""
    body = ('{"rc":0,"mc":"SUCCESS","ma":[],"result":{"symbol":"btc_usdt","usdtNetAmount":0.00000012,'
            '"usdtLoanAmount":0,"base":{"currency":"btc","totalAmount":0.00000012,"availableAmount":"0",'
            '"frozenAmount":0,"loanAmount":0.00000001,"interestAmount":0.00000001},'
            '"quote":{"currency":"usdt","totalAmount":"1","interestAmount":0.0000000}}}')
    # a `bad_shape` fault with a body serves that body verbatim: here a well-formed answer
    simulator.add_fault(Fault("bad_shape", body=body), exchange="xt")
    stdout = ok(run_balctl("xt", "--symbol", "BTC_USDT", "-o", "json", "--raw", config=sim_config))
    assert "E-" not in stdout and "e-" not in stdout
    document = load(stdout)
    base, quote = document["balances"]
    assert (base["total"], base["loan"], base["interest"]) == ("0.00000012", "0.00000001", "0.00000001")
    assert base["native"]["interestAmount"] == Number("0.00000001")
    assert quote["native"]["interestAmount"] == Number("0.0000000")
    assert document["summary"]["native"]["BTC_USDT"]["usdtNetAmount"] == Number("0.00000012")
    [raw] = document["raw"]
    assert raw["result"]["base"]["totalAmount"] == Number("0.00000012")
    assert_verified(simulator, [XT_BALANCE + "?symbol=BTC_USDT"])
