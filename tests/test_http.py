"""The HTTP layer: backoff schedule, Retry-After, clock correction, network failures.

No real sleeping: the Transport takes a fake sleep and a fake clock.
"""

from __future__ import annotations

import pytest
import requests
import responses

from balctl.errors import AuthError, BadResponse, NetworkError, RateLimited, TimestampRejected, Unavailable
from balctl.exchanges import okx
from balctl.http import Transport, backoff_delay, parse_retry_after
from balctl.profiles import Profile

URL = "https://www.okx.com/api/v5/account/balance"
TIME_URL = "https://www.okx.com/api/v5/public/time"
OK_BODY = {"code": "0", "msg": "", "data": [{"totalEq": "1", "details": []}]}
PROFILE = Profile(name="okx", exchange="okx", api_key="k", api_secret="secret-1234",
                  passphrase="pass-1234", base_url="https://www.okx.com")


class FakeClock:
    """Milliseconds that only move when the transport sleeps."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self.now_ms = start_ms
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_ms += int(seconds * 1000)

    def __call__(self) -> int:
        return self.now_ms


def transport(clock: FakeClock, rand: float = 0.0) -> Transport:
    return Transport(timeout=3, sleep=clock.sleep, clock_ms=clock, rand=lambda: rand)


# --- the schedule -------------------------------------------------------------------------

@pytest.mark.parametrize("attempt, rand, expected", [(1, 0.0, 0.5), (2, 0.0, 1.0), (3, 0.0, 2.0),
                                                     (1, 1.0, 0.75), (2, 0.5, 1.25)])
def test_backoff_is_exponential_from_half_a_second_with_jitter(attempt, rand, expected):
    assert backoff_delay(attempt, None, lambda: rand) == expected


@pytest.mark.parametrize("retry_after, expected", [(3, 3), (0, 0), (60, 10), (-5, 0)])
def test_retry_after_wins_and_is_capped_at_ten_seconds(retry_after, expected):
    assert backoff_delay(1, retry_after, lambda: 0.9) == expected


@pytest.mark.parametrize("header, expected", [("7", 7), (" 2 ", 2), ("", None), (None, None), ("soon", None)])
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header) == expected


def test_retry_after_as_an_http_date_is_understood():
    from email.utils import formatdate
    import time

    seconds = parse_retry_after(formatdate(time.time() + 30, usegmt=True))
    assert 25 < seconds <= 31


# --- retries ------------------------------------------------------------------------------

@responses.activate
def test_429_with_retry_after_then_success():
    clock = FakeClock()
    responses.get(URL, status=429, headers={"Retry-After": "3"}, json={"code": "50011", "msg": "Too Many"})
    responses.get(URL, status=429, body="")
    responses.get(URL, json=OK_BODY)
    status, body = transport(clock).get_json(okx, PROFILE, "/api/v5/account/balance")
    assert (status, body["code"]) == (200, "0")
    assert clock.sleeps == [3, 1.0]  # the server's wish, then the exponential schedule


@responses.activate
def test_gives_up_after_three_attempts_with_the_last_error():
    clock = FakeClock()
    responses.get(URL, status=503, body="<html>down</html>")
    with pytest.raises(Unavailable, match="HTTP 503: exchange unavailable"):
        transport(clock, rand=1.0).get_json(okx, PROFILE, "/api/v5/account/balance")
    assert len(responses.calls) == 3
    assert clock.sleeps == [0.75, 1.5]


@responses.activate
def test_connection_errors_and_timeouts_are_retried():
    clock = FakeClock()
    responses.get(URL, body=requests.ConnectionError("Connection refused"))
    responses.get(URL, body=requests.ReadTimeout("read timed out"))
    responses.get(URL, json=OK_BODY)
    assert transport(clock).get_json(okx, PROFILE, "/api/v5/account/balance")[0] == 200
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize("timeout, message", [
    (requests.ReadTimeout("read timed out"), "no answer within 3 s"),
    # the connect timeout is 5 s, or the whole request's timeout when that is shorter
    (requests.ConnectTimeout("connect timed out"), "cannot connect to www.okx.com: no answer within 3 s"),
])
@responses.activate
def test_timeout_messages_name_the_limit_that_ran_out(timeout, message):
    responses.get(URL, body=timeout)
    with pytest.raises(NetworkError) as caught:
        transport(FakeClock()).get_json(okx, PROFILE, "/api/v5/account/balance")
    assert caught.value.message == message


@responses.activate
def test_rate_limit_envelope_keeps_retry_after():
    clock = FakeClock()
    responses.get(URL, status=200, headers={"Retry-After": "4"}, json={"code": "50011", "msg": "Too Many"})
    with pytest.raises(RateLimited) as caught:
        transport(clock).get_json(okx, PROFILE, "/api/v5/account/balance")
    assert caught.value.retry_after == 4
    assert clock.sleeps == [4, 4]


@responses.activate
def test_a_4xx_that_is_not_transient_is_not_retried():
    responses.get(URL, status=404, body="not found")
    with pytest.raises(BadResponse, match="HTTP 404: not JSON"):
        transport(FakeClock()).get_json(okx, PROFILE, "/api/v5/account/balance")
    assert len(responses.calls) == 1


@pytest.mark.parametrize("body, description", [
    (b"", "empty body instead of JSON"),
    (b'{"code": "0", "da', "truncated or malformed JSON"),
    (b"<!DOCTYPE html><html></html>", "HTML page instead of JSON"),
    (b"\xff\xfe garbage", "not JSON"),
    (b'{"code": NaN}', "truncated or malformed JSON"),
])
@responses.activate
def test_bodies_that_are_not_json(body, description):
    responses.get(URL, body=body)
    with pytest.raises(BadResponse) as caught:
        transport(FakeClock()).get_json(okx, PROFILE, "/api/v5/account/balance")
    assert caught.value.message == f"HTTP 200: {description}"


# --- clock skew ---------------------------------------------------------------------------

@responses.activate
def test_timestamp_refusal_measures_the_offset_and_signs_again():
    clock = FakeClock(start_ms=1_700_000_000_000)
    server_ms = clock.now_ms + 120_000  # our clock is two minutes slow
    responses.get(URL, status=401, json={"code": "50102", "msg": "Timestamp request expired"})
    responses.get(TIME_URL, json={"code": "0", "data": [{"ts": str(server_ms)}]})
    responses.get(URL, json=OK_BODY)
    t = transport(clock)
    assert t.get_json(okx, PROFILE, "/api/v5/account/balance")[0] == 200
    first, _, second = (call.request.headers.get("OK-ACCESS-TIMESTAMP") for call in responses.calls)
    assert first == okx.timestamp(clock.now_ms)
    assert second == okx.timestamp(clock.now_ms + 120_000)
    assert clock.sleeps == []  # a clock fix is not a backoff


@responses.activate
def test_a_second_timestamp_refusal_is_final():
    responses.get(URL, status=401, json={"code": "50102", "msg": "Timestamp request expired"})
    responses.get(TIME_URL, json={"code": "0", "data": [{"ts": "1700000005000"}]})
    with pytest.raises(TimestampRejected):
        transport(FakeClock()).get_json(okx, PROFILE, "/api/v5/account/balance")
    assert len(responses.calls) == 3


class UncertainExchange:
    """An exchange like CoinSwitch, whose 401 may be a bad key or a bad clock."""

    NAME = "fake"
    TIME_PATH = "/time"

    @staticmethod
    def sign(profile, path, timestamp_ms):
        return {"X-EPOCH": str(timestamp_ms)}

    @staticmethod
    def check(status, body):
        if status == 401:
            raise TimestampRejected(body["message"], certain=False, code="401")

    @staticmethod
    def parse_server_time(body):
        return body["serverTime"]


@responses.activate
def test_uncertain_refusal_with_a_good_clock_is_an_auth_error_without_retry():
    clock = FakeClock()
    responses.get("https://www.okx.com/wallet", status=401, json={"message": "Invalid signature"})
    responses.get("https://www.okx.com/time", json={"serverTime": clock.now_ms + 200})
    with pytest.raises(AuthError) as caught:
        transport(clock).get_json(UncertainExchange, PROFILE, "/wallet")
    assert type(caught.value) is AuthError
    assert (caught.value.message, caught.value.code) == ("Invalid signature", "401")
    assert len(responses.calls) == 2  # balance, time; no pointless second try


@responses.activate
def test_uncertain_refusal_with_a_skewed_clock_is_corrected():
    clock = FakeClock()
    responses.get("https://www.okx.com/wallet", status=401, json={"message": "epoch expired"})
    responses.get("https://www.okx.com/time", json={"serverTime": clock.now_ms - 90_000})
    responses.get("https://www.okx.com/wallet", json={"ok": True})
    assert transport(clock).get_json(UncertainExchange, PROFILE, "/wallet") == (200, {"ok": True})
    assert responses.calls[2].request.headers["X-EPOCH"] == str(clock.now_ms - 90_000)


# --- what the review found --------------------------------------------------------------

@responses.activate
def test_redirects_are_not_followed_so_signed_headers_stay_home():
    responses.get(URL, status=302, headers={"Location": "http://evil.example/steal"})
    responses.get("http://evil.example/steal", json=OK_BODY)
    with pytest.raises(BadResponse) as caught:
        transport(FakeClock()).get_json(okx, PROFILE, "/api/v5/account/balance")
    assert caught.value.message == "HTTP 302: redirected to evil.example; not followed (check base_url)"
    assert [call.request.url for call in responses.calls] == [URL]


@responses.activate
def test_retry_after_is_honoured_on_a_503_too():
    clock = FakeClock()
    responses.get(URL, status=503, headers={"Retry-After": "7"}, body="busy")
    responses.get(URL, status=503, headers={"Retry-After": "2"}, json={"code": "50001", "msg": "busy"})
    responses.get(URL, json=OK_BODY)
    assert transport(clock).get_json(okx, PROFILE, "/api/v5/account/balance")[0] == 200
    assert clock.sleeps == [7, 2]


@responses.activate
def test_absurdly_nested_json_is_a_bad_response_not_a_crash():
    responses.get(URL, body=b"[" * 100_000)
    with pytest.raises(BadResponse, match="HTTP 200: truncated or malformed JSON"):
        transport(FakeClock()).get_json(okx, PROFILE, "/api/v5/account/balance")


@pytest.mark.parametrize("value, message", [
    (float("nan"), "--timeout nan: not a number of seconds"),
    (float("inf"), "--timeout inf: not a number of seconds"),
    (0.05, "--timeout 0.05: the timeout must be at least 0.1 seconds"),
    (601, "--timeout 601: the timeout must be at most 600 seconds"),
    (None, "--timeout None: not a number of seconds"),
    (True, "--timeout True: not a number of seconds"),
    ("\u0663", "--timeout '\\u0663': not a number of seconds"),
])
def test_a_library_callers_timeout_keeps_the_command_lines_rule(value, message):
    from balctl.errors import UsageError
    from balctl.http import check_timeout

    with pytest.raises(UsageError) as caught:
        Transport(timeout=value)
    assert caught.value.line() == message
    assert (check_timeout(0.1), check_timeout(600), check_timeout(" 2.5 ")) == (0.1, 600.0, 2.5)
