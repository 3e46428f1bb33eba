"""errors.py: an error is never changed once raised; copies carry what they must."""

from __future__ import annotations

from balctl.errors import BadResponse, InternalError, NetworkError, ProfileError, TimestampRejected


def test_for_account_returns_a_copy_and_leaves_the_raised_error_alone():
    raised = NetworkError("no answer within 10 s", retry_after=2.0)
    named = raised.for_account("okx", "main")
    assert (raised.exchange, raised.profile) == (None, None)
    assert (named.exchange, named.profile, named.retry_after) == ("okx", "main", 2.0)
    assert type(named) is NetworkError and named.line() == "okx (main): no answer within 10 s"


def test_for_account_keeps_a_name_the_error_already_has():
    error = ProfileError("bad key", profile="sub").for_account("okx", "main")
    assert (error.exchange, error.profile) == ("okx", "sub")


def test_evolve_keeps_subclass_fields_and_the_message_in_args():
    clock = TimestampRejected("timestamp expired", certain=False, code="401").evolve(message="HTTP 401: expired")
    assert (clock.certain, clock.code, clock.args) == (False, "401", ("HTTP 401: expired",))
    assert str(BadResponse("x").evolve(message="HTTP 200: x")) == "HTTP 200: x"


def test_an_internal_error_keeps_its_cause_through_copies():
    cause = ZeroDivisionError("boom")
    error = InternalError.from_exception(cause).for_account("xt", "xt")
    assert error.__cause__ is cause
    assert error.line() == "xt (xt): internal error: ZeroDivisionError: boom (BALCTL_DEBUG=1 shows the traceback)"


def test_a_profile_problem_carries_its_facts_as_fields(write_config):
    from balctl.profiles import load_profiles

    path = write_config("""\
        profiles:
          main: {exchange: okx, api_key: k, api_secret: s, passphrase: p, demo: maybe}
    """)
    problem = load_profiles(path).problems["main"]
    assert (problem.path, problem.profile, problem.key) == (path, "main", "demo")
    assert problem.reason == "key 'demo' must be true or false"
    assert problem.line() == f"{path}: profile 'main': key 'demo' must be true or false"
