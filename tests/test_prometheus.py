"""Prometheus metrics (issue 13): `-o prometheus`, `balctl serve`, and the shipped rules.

Output is read back with prometheus_client's own parser, so a test fails on anything
Prometheus would not accept, not only on a changed string.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from balctl.errors import AuthError, ExitCode, RateLimited, UsageError
from balctl.model import Balance, Failure, Report, Snapshot, Summary
from balctl.render import prometheus
from balctl.serve import CachedFetch, make_server, parse_listen, retry_after
from balctl.simulator import Fault, credentials
from tests.helpers import invoke

EXAMPLES = Path(__file__).parent.parent / "examples" / "prometheus"
T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
T1 = datetime(2026, 1, 2, 3, 4, 6, 178000, tzinfo=timezone.utc)  # 0.5 s later


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """{(metric name, labels): value}, parsed by the client library's own parser."""
    result = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in result, f"duplicate series {key}"
            result[key] = sample.value
    return result


def lab(**labels: str) -> frozenset:
    return frozenset(labels.items())


def small_report() -> Report:
    risk = SimpleNamespace(equity=Decimal("1000.123456789012345678"), loan=None, unit="USD",
                           native=None, margin_ratio=Decimal("35.0972"),
                           adjusted_equity=Decimal("990.5"), unrealized_pnl=None)
    rows = [Balance(asset="BTC", total=Decimal("0.5"), available=Decimal("0.49"), loan=Decimal("0")),
            Balance(asset="BTC", total=Decimal("9"))]  # the same series twice: the first one wins
    snapshot = Snapshot("main", "okx", "trading", T1, risk, rows)  # type: ignore[arg-type]
    refused = AuthError("API key does not exist", code="50111").for_account("coinswitch", "cs")
    return Report(T0, [snapshot], [Failure.from_error(refused)])


def test_report_metrics_exactly():
    text = prometheus.report(small_report())
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    ok = 'account="trading",exchange="okx",profile="main"'
    assert lines == [
        'balctl_up{account="trading",code="0",exchange="okx",profile="main"} 1.0',
        'balctl_up{account="futures",code="3",exchange="coinswitch",profile="cs"} 0.0',
        f'balctl_equity{{{ok},unit="USD"}} 1000.1234567890124',
        f'balctl_margin_ratio{{{ok}}} 35.0972',
        f'balctl_adjusted_equity{{{ok},unit="USD"}} 990.5',
        f'balctl_balance{{account="trading",asset="BTC",exchange="okx",field="total",market="",profile="main"}} 0.5',
        f'balctl_balance{{account="trading",asset="BTC",exchange="okx",field="available",market="",profile="main"}} 0.49',
        f'balctl_balance{{account="trading",asset="BTC",exchange="okx",field="loan",market="",profile="main"}} 0.0',
        f'balctl_fetch_duration_seconds{{{ok}}} 0.5',
        f'balctl_last_success_timestamp_seconds{{{ok}}} 1.767323046178e+09',  # Go's float notation
    ]
    assert "# TYPE balctl_up gauge" in text
    assert "# HELP balctl_loan" in text  # every family is described, even when it has no sample


def test_a_summary_without_risk_fields_exports_none_of_them():
    snapshot = Snapshot("x", "xt", "lever", T0, Summary(Decimal("1"), Decimal("2"), "USDT"), [])
    names = {name for name, _ in samples(prometheus.report(Report(T0, [snapshot], [])))}
    assert names == {"balctl_up", "balctl_equity", "balctl_loan", "balctl_fetch_duration_seconds",
                     "balctl_last_success_timestamp_seconds"}


def test_label_values_from_outside_are_escaped():
    name = 'evil"}\nbalctl_up{profile="x"} 1\\'
    snapshot = Snapshot(name, "okx", "trading", T0, Summary(Decimal("1"), None, "USD"),
                        [Balance(asset="B\u00e9\u202eTC", total=Decimal("1"))])
    text = prometheus.report(Report(T0, [snapshot], []))
    assert 'profile="evil\\"}\\nbalctl_up{profile=\\"x\\"} 1\\\\"' in text
    parsed = samples(text)
    assert parsed[("balctl_up", lab(profile=name, exchange="okx", account="trading", code="0"))] == 1.0
    assert [labels for (metric, labels) in parsed if metric == "balctl_balance"] == [
        lab(profile=name, exchange="okx", account="trading", market="", asset="B\u00e9\u202eTC", field="total")]


def test_without_the_extra_prometheus_output_is_a_usage_error(sim_config, monkeypatch, simulator):
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # import fails, as if not installed
    for args in (["okx", "-o", "prometheus"], ["serve"]):
        result = invoke(*args, "-c", str(sim_config))
        assert result.exit_code == ExitCode.USAGE, result.output
        assert result.stderr == ("balctl: Prometheus output needs the prometheus-client package\n"
                                 "hint: pip install 'balctl[prometheus]'\n")
        assert result.stdout == ""
    assert simulator.log == []  # nothing fetched


def test_dash_o_prometheus_of_all_parses_and_matches_the_accounts(sim_config, simulator):
    simulator.add_fault(Fault("refuse"), exchange="coinswitch")
    result = invoke("all", "-o", "prometheus", "-c", str(sim_config))
    assert result.exit_code == ExitCode.PARTIAL, result.stderr
    parsed = samples(result.stdout)
    okx = dict(profile="okx", exchange="okx", account="trading")
    assert parsed[("balctl_up", lab(**okx, code="0"))] == 1.0
    assert parsed[("balctl_up", lab(profile="xt", exchange="xt", account="lever", code="0"))] == 1.0
    assert parsed[("balctl_up", lab(profile="coinswitch", exchange="coinswitch", account="futures",
                                    code="3"))] == 0.0
    # float64 of the sample accounts' digits (balctl.simulator.accounts)
    assert parsed[("balctl_balance", lab(**okx, market="", asset="ETH", field="total"))] == float(
        Decimal("2.039815068493150685"))
    assert parsed[("balctl_balance", lab(**okx, market="", asset="ETH", field="loan"))] == 1.5
    assert parsed[("balctl_balance", lab(profile="xt", exchange="xt", account="lever", market="ETH_USDT",
                                         asset="USDT", field="interest"))] == 0.2739726
    assert ("balctl_balance", lab(**okx, market="", asset="ETH", field="position_margin")) not in parsed
    assert parsed[("balctl_equity", lab(**okx, unit="USD"))] == float(Decimal("44981.079513297611"))
    assert parsed[("balctl_margin_ratio", lab(**okx))] == 35.0972  # OKX mgnRatio
    assert parsed[("balctl_adjusted_equity", lab(**okx, unit="USD"))] == 43867.142  # adjEq
    assert parsed[("balctl_unrealized_pnl", lab(**okx, unit="USD"))] == -7.545600000000006  # upl
    assert ("balctl_margin_ratio", lab(profile="xt", exchange="xt", account="lever")) not in parsed  # null
    assert 0 <= parsed[("balctl_fetch_duration_seconds", lab(**okx))] < 30
    assert abs(parsed[("balctl_last_success_timestamp_seconds", lab(**okx))] - time.time()) < 60
    assert not [key for key in parsed if dict(key[1]).get("profile") == "coinswitch"
                and key[0] != "balctl_up"]  # a failed account has only its balctl_up
    assert result.stderr.startswith("balctl: coinswitch (coinswitch): ")


def test_dash_o_prometheus_of_a_failed_exchange_command_still_says_down(sim_config, simulator):
    simulator.add_fault(Fault("refuse"), exchange="okx")
    result = invoke("okx", "-o", "prometheus", "-c", str(sim_config))
    assert result.exit_code == ExitCode.AUTH
    assert samples(result.stdout) == {
        ("balctl_up", lab(profile="okx", exchange="okx", account="trading", code="3")): 0.0}


def test_profiles_refuses_prometheus_output(sim_config):
    result = invoke("profiles", "-o", "prometheus", "-c", str(sim_config))
    assert result.exit_code == ExitCode.USAGE
    assert "table or JSON" in result.stderr


# -- balctl serve -------------------------------------------------------------------------

def balance_requests(simulator) -> dict[str, int]:
    """Balance requests per api key, as the exchange saw them."""
    counts: dict[str, int] = {}
    for entry in simulator.log:
        if entry.endpoint == "balance":
            counts[entry.api_key] = counts.get(entry.api_key, 0) + 1
    return counts


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_serve_over_http_against_the_simulator(sim_config, simulator):
    """The real command in a subprocess: values, balctl_up 0 for a refused key, two scrapes
    inside the interval are one fetch per account, SIGTERM stops it with exit 0."""
    simulator.add_fault(Fault("refuse"), exchange="coinswitch")
    process = subprocess.Popen(
        [sys.executable, "-m", "balctl", "serve", "--listen", "127.0.0.1:0", "-c", str(sim_config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        banner = process.stderr.readline()
        match = re.fullmatch(r"balctl: serving (http://127\.0\.0\.1:\d+/metrics) \(Ctrl-C stops\)\n", banner)
        assert match, banner
        status, content_type, first = get(match[1])
        assert (status, content_type) == (200, "text/plain; version=0.0.4; charset=utf-8")
        once = balance_requests(simulator)
        # one fetch per profile of the file; XT's is one request per symbol (BTC_USDT, ETH_USDT)
        assert once == {creds["api_key"]: 2 if name == "xt" else 1
                        for name, creds in simulator.credentials.items()}
        _, _, second = get(match[1])
        assert balance_requests(simulator) == once  # inside --min-interval: no new request
        assert second == first
        parsed = samples(first)
        assert parsed[("balctl_up", lab(profile="coinswitch", exchange="coinswitch", account="futures",
                                        code="3"))] == 0.0
        assert parsed[("balctl_up", lab(profile="okx-demo", exchange="okx", account="trading",
                                        code="0"))] == 1.0
        assert parsed[("balctl_balance", lab(profile="xt", exchange="xt", account="lever",
                                             market="BTC_USDT", asset="BTC", field="loan"))] == 0.1
        assert ("balctl_fetch_duration_seconds",
                lab(profile="coinswitch", exchange="coinswitch", account="futures")) in parsed
        assert get(match[1].replace("/metrics", "/nothing"))[0] == 404
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stderr.read() == "balctl: stopped\n"
        assert process.stdout.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def exporter(sim_config):
    """An in-process exporter over the simulator's profiles: (url, cache); stopped after."""
    from balctl.http import Transport
    from balctl.profiles import load_profiles, select_profiles
    from balctl.serve import timed_fetch

    started = []

    def start(min_interval: float, names: list[str]):
        profiles = select_profiles(load_profiles(sim_config), names)
        transport = Transport(timeout=5)
        cache = CachedFetch(lambda: timed_fetch(profiles, transport), min_interval)
        server = make_server(("127.0.0.1", 0), cache)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        started.append((server, transport))
        return f"http://127.0.0.1:{server.server_address[1]}/metrics", cache

    yield start
    for server, transport in started:
        server.shutdown()
        server.server_close()
        transport.close()


def test_concurrent_scrapes_share_one_fetch(exporter, simulator):
    simulator.add_fault(Fault("latency", seconds=0.3), exchange="okx")  # scrapes arrive mid-fetch
    url, cache = exporter(30, ["okx"])
    bodies: list[str] = []
    threads = [threading.Thread(target=lambda: bodies.append(get(url)[2])) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(bodies) == 5 and len(set(bodies)) == 1
    assert cache.fetches == 1
    assert balance_requests(simulator) == {credentials.OKX_LIVE.api_key: 1}


def test_prometheus_servers_asking_for_openmetrics_get_it(exporter, simulator):
    """Prometheus asks for OpenMetrics first; the answer must parse as that, gzipped if asked."""
    import gzip

    from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics

    url, _ = exporter(30, ["okx"])
    request = urllib.request.Request(url, headers={
        "Accept": "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        "Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
        assert response.headers["Content-Encoding"] == "gzip"
        text = gzip.decompress(response.read()).decode()
    assert text.endswith("# EOF\n")
    up = [sample for family in openmetrics(text) if family.name == "balctl_up" for sample in family.samples]
    assert [(sample.labels, sample.value) for sample in up] == [
        ({"profile": "okx", "exchange": "okx", "account": "trading", "code": "0"}, 1.0)]


def test_a_scrape_after_the_interval_fetches_again_and_remembers_the_last_success(exporter, simulator):
    url, cache = exporter(0.2, ["okx"])
    first = samples(get(url)[2])
    okx = dict(profile="okx", exchange="okx", account="trading")
    succeeded = first[("balctl_last_success_timestamp_seconds", lab(**okx))]
    simulator.add_fault(Fault("refuse"), exchange="okx")
    time.sleep(0.25)
    second = samples(get(url)[2])
    assert cache.fetches == 2
    assert second[("balctl_up", lab(**okx, code="3"))] == 0.0
    assert second[("balctl_last_success_timestamp_seconds", lab(**okx))] == succeeded
    assert ("balctl_equity", lab(**okx, unit="USD")) not in second


def test_a_bug_while_fetching_is_a_500_and_one_line_on_stderr(capfd):
    def broken():
        raise ValueError("no such thing")

    server = make_server(("127.0.0.1", 0), CachedFetch(broken, 30))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        status, _, body = get(f"http://127.0.0.1:{server.server_address[1]}/metrics")
    finally:
        server.shutdown()
        server.server_close()
    assert (status, body) == (500, "balctl: internal error while fetching (see its stderr)\n")
    assert capfd.readouterr().err == "balctl: internal error while fetching: ValueError: no such thing\n"


def test_retry_after_stretches_the_interval():
    now = [100.0]
    limited = RateLimited("HTTP 429: rate limited", retry_after=120).for_account("okx", "okx")
    reports = [Report(T0, [], [Failure.from_error(limited)]), Report(T0, [], [])]
    cache = CachedFetch(lambda: (reports.pop(0), {}), 30, clock=lambda: now[0])
    cache.get()
    now[0] += 60  # past --min-interval, but inside the server's Retry-After
    cache.get()
    assert cache.fetches == 1
    now[0] += 61
    cache.get()
    assert cache.fetches == 2
    assert retry_after(Report(T0, [], [Failure.from_error(
        RateLimited("x", retry_after=10**9).for_account("okx", "okx"))])) == 900.0


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:9877", ("127.0.0.1", 9877)),
    ("0.0.0.0:80", ("0.0.0.0", 80)),
    ("[::1]:9877", ("::1", 9877)),
    ("localhost:0", ("localhost", 0)),
])
def test_listen_addresses(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", [":9877", "9877", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000",
                                  "127.0.0.1:\u0663\u0663\u0663\u0663", "127.0.0.1:\u00b9", "127.0.0.1:" + "1" * 5000])
def test_listen_needs_a_host_and_a_port(text, sim_config):
    result = invoke("serve", "--listen", text, "-c", str(sim_config))
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == f"balctl: --listen {ascii(text[:40])}: expected HOST:PORT such as 127.0.0.1:9877\n"


def test_a_taken_port_is_one_line_and_exit_2(sim_config):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke("serve", "--listen", f"127.0.0.1:{port}", "-c", str(sim_config))
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == f"balctl: cannot listen on 127.0.0.1:{port}: Address already in use\n"


# -- examples/prometheus ------------------------------------------------------------------

def test_every_rule_names_only_metrics_balctl_exports():
    rules = [rule for group in yaml.safe_load((EXAMPLES / "balctl-rules.yml").read_text())["groups"]
             for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} >= {"BalctlMarginRatioLow", "BalctlAccountDown", "BalctlEquityDrop"}
    for rule in rules:
        named = set(re.findall(r"\bbalctl_[a-z_]+\b", rule["expr"]))
        assert named, rule["expr"]
        assert named <= set(prometheus.METRIC_NAMES), rule["expr"]
    config = yaml.safe_load((EXAMPLES / "prometheus.yml").read_text())
    assert config["rule_files"] == ["balctl-rules.yml"]
    assert config["scrape_configs"][0]["static_configs"][0]["targets"] == ["127.0.0.1:9877"]


def test_metric_names_are_what_the_exporter_writes():
    report = small_report()
    report.accounts[0].summary.unrealized_pnl = Decimal("-1")
    report.accounts[0].summary.loan = Decimal("2")
    assert {name for name, _ in samples(prometheus.report(report))} == set(prometheus.METRIC_NAMES)


def test_silent_connections_hold_a_bounded_number_of_threads():
    """A client that opens connections and says nothing held one thread each, without limit."""
    import socket

    from balctl.serve import MAX_CONNECTIONS

    server = make_server(("127.0.0.1", 0), CachedFetch(lambda: (Report([], []), {}), 30))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    baseline = threading.active_count()
    clients = []
    try:
        for _ in range(MAX_CONNECTIONS + 40):
            clients.append(socket.create_connection(server.server_address[:2], timeout=5))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and threading.active_count() < baseline + MAX_CONNECTIONS:
            time.sleep(0.05)
        time.sleep(0.2)  # any thread beyond the limit would have started by now
        assert threading.active_count() - baseline == MAX_CONNECTIONS
        for client in clients:
            client.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and threading.active_count() > baseline:
            time.sleep(0.05)
        status, _, body = get(f"http://127.0.0.1:{server.server_address[1]}/")
        assert (status, body) == (200, "balctl exporter: metrics at /metrics\n")
    finally:
        for client in clients:
            client.close()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("value, message", [
    (float("nan"), "--min-interval nan: not a number of seconds"),  # would never fetch again
    (float("inf"), "--min-interval inf: not a number of seconds"),
    (-1.0, "--min-interval -1: the interval must be at least 0 seconds"),
    (86401, "--min-interval 86401: the interval must be at most 86400 seconds"),
])
def test_min_interval_of_a_library_caller_keeps_the_command_lines_rule(value, message):
    from balctl.serve import min_interval_seconds

    with pytest.raises(UsageError) as caught:
        min_interval_seconds(value)
    assert caught.value.line() == message
    assert (min_interval_seconds(0), min_interval_seconds(86400.0)) == (0.0, 86400.0)
