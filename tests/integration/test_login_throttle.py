"""Failed logins are throttled per account and per address; successful ones never are."""

from __future__ import annotations

import pytest

from tests.integration.conftest import PASSWORD, assert_error
from tracker.throttle import LoginThrottle

PER_ACCOUNT, PER_ADDRESS = 3, 5
LIMITS = {
    "LOGIN_FAILURES_PER_ACCOUNT": f"{PER_ACCOUNT} per 15 minutes",
    "LOGIN_FAILURES_PER_ADDRESS": f"{PER_ADDRESS} per 15 minutes",
}


@pytest.fixture
def app(make_app, database_url):
    return make_app(database_url, **LIMITS)


def token(client, username, password=PASSWORD, address="10.0.0.1", **headers):
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def assert_throttled(response):
    assert_error(response, 429, "too_many_attempts")
    wait_s = int(response.headers["Retry-After"])
    assert 0 < wait_s <= 15 * 60
    assert 0 < response.json["retry_after_s"] <= 15 * 60


def test_an_account_is_locked_after_its_failures_even_for_the_right_password(client, make_user):
    make_user("ann")
    for _ in range(PER_ACCOUNT):
        assert_error(token(client, "ann", "wrong"), 401, "invalid_credentials")
    assert_throttled(token(client, "ann", "wrong"))
    assert_throttled(token(client, "ann"))  # the password is not even checked
    assert_throttled(token(client, "ann", address="10.9.9.9"))  # from anywhere


def test_other_accounts_are_not_slowed(client, make_user):
    make_user("ann")
    make_user("bob")
    for _ in range(PER_ACCOUNT):
        token(client, "ann", "wrong")
    assert token(client, "bob").status_code == 200


def test_spellings_of_one_username_share_its_count(client, make_user):
    make_user("ann")
    for name in ("ANN", "ａｎｎ", "Ann"):
        assert_error(token(client, name, "wrong"), 401, "invalid_credentials")
    assert_throttled(token(client, "ann"))


def test_successful_logins_from_one_address_never_count(client, make_user):
    """An office behind one NAT address logs in all morning."""
    for name in ("ann", "bob", "carl"):
        make_user(name)
    for _ in range(3 * PER_ADDRESS):
        for name in ("ann", "bob", "carl"):
            assert token(client, name).status_code == 200
    for _ in range(PER_ACCOUNT):
        assert_error(token(client, "ann", "wrong"), 401, "invalid_credentials")
    assert_throttled(token(client, "ann"))


def test_an_address_guessing_across_accounts_is_stopped(client, make_user):
    make_user("ann")
    for n in range(PER_ADDRESS):  # one failure each for many (partly unknown) accounts
        assert_error(token(client, f"user{n}", "wrong"), 401, "invalid_credentials")
    assert_throttled(token(client, "ann"))
    assert token(client, "ann", address="10.0.0.2").status_code == 200


@pytest.mark.parametrize(("proxies", "separate"), [(0, False), (1, True)])
def test_the_address_is_the_proxys_client_only_when_the_proxy_is_trusted(
    make_app, database_url, proxies, separate
):
    app = make_app(database_url, TRUSTED_PROXIES=proxies, **LIMITS)
    with app.app_context():
        from tracker.services.accounts import save_user

        save_user("ann", PASSWORD, "learner")
    client = app.test_client()
    for n in range(PER_ADDRESS):
        forwarded = {"X-Forwarded-For": f"192.0.2.{n}"}
        assert token(client, f"user{n}", "wrong", address="127.0.0.1", **forwarded).status_code
    response = token(client, "ann", address="127.0.0.1", **{"X-Forwarded-For": "192.0.2.99"})
    assert (response.status_code == 200) is separate


@pytest.mark.parametrize(
    ("language", "says"),
    [("zh-CN", "登录失败次数过多"), ("en", "Too many failed logins")],
)
def test_the_login_page_says_why_in_the_users_language(client, make_user, language, says):
    make_user("ann")
    form = {"username": "ann", "password": "wrong"}
    for _ in range(PER_ACCOUNT):
        assert client.post("/login", data=form).status_code == 401
    page = client.post("/login", data=form, headers={"Accept-Language": language})
    assert page.status_code == 429
    assert 0 < int(page.headers["Retry-After"]) <= 15 * 60
    assert says in page.text


def _throttle(storage_uri: str, prefix: str) -> LoginThrottle:
    # As `create_app` makes it. (An app with a Redis URL would bind the shared Socket.IO
    # server to a message queue, which the in-process socket tests cannot use.)
    per_account, per_address = LIMITS.values()
    return LoginThrottle(per_account, per_address, storage_uri, key_prefix=f"{prefix}:throttle")


def test_server_processes_share_the_count_through_redis(redis_url, redis_prefix):
    first, second = _throttle(redis_url, redis_prefix), _throttle(redis_url, redis_prefix)
    for n in range(PER_ACCOUNT):
        (first, second)[n % 2].failed("ann", f"10.0.0.{n}")
    assert 0 < first.wait_s("ann", "10.9.9.9") <= 15 * 60
    assert 0 < second.wait_s("ann", "10.9.9.9") <= 15 * 60
    assert second.wait_s("bob", "10.0.0.1") == 0


def test_without_redis_each_process_still_counts(redis_prefix):
    alone = _throttle("redis://127.0.0.1:1/0", redis_prefix)  # nothing listens there
    for _ in range(PER_ACCOUNT):
        alone.failed("ann", "10.0.0.1")
    assert alone.wait_s("ann", "10.0.0.1") > 0
    assert alone.wait_s("bob", "10.0.0.2") == 0


@pytest.mark.parametrize("limit", ["ten a day", "", "10 per fortnight"])
def test_a_limit_that_does_not_read_as_one_stops_start_up(make_app, database_url, limit):
    with pytest.raises(ValueError, match="per account must read like"):
        make_app(database_url, LOGIN_FAILURES_PER_ACCOUNT=limit)
