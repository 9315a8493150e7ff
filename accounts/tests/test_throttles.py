"""Login, register, forgot and token endpoints are limited per client IP, per account and IP, and
per account from anywhere by failures, which never refuses an address that signed in before."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from conftest import PASSWORD

LOGIN = "/api/v1/auth/login"
TOKEN = "/api/v1/auth/token"
FORGOT = "/api/v1/auth/password/forgot"


@pytest.fixture(autouse=True)
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "auth_ip": "4/min",
            "auth_account": "2/min",
            "auth_account_failures": "3/hour",
        },
    }


def attempt(client, email: str, ip: str = "10.0.0.1", url: str = TOKEN, **extra):
    return client.post(url, {"email": email, "password": "guess"}, REMOTE_ADDR=ip, **extra)


def sign_in(client, ip: str, url: str = TOKEN):
    return client.post(url, {"email": "alice@example.org", "password": PASSWORD}, REMOTE_ADDR=ip)


def test_it_answers_429_with_retry_after_once_an_address_had_its_tries_at_an_account(script, alice):
    for _try in range(2):
        assert attempt(script, "alice@example.org", "10.0.0.1").status_code == 401
    response = attempt(script, "alice@example.org", "10.0.0.1")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["detail"]


def test_it_counts_an_account_in_any_case_and_across_endpoints(script, browser, alice):
    attempt(script, "alice@example.org", "127.0.0.1")
    browser.post_with_csrf(LOGIN, {"email": "ALICE@example.org", "password": "guess"})
    response = attempt(script, "Alice@Example.org", "127.0.0.1")
    assert response.status_code == 429


def test_guessing_from_one_address_does_not_lock_the_owner_out(script, alice):
    attempt(script, "alice@example.org", "10.0.0.66")
    attempt(script, "alice@example.org", "10.0.0.66")
    assert attempt(script, "alice@example.org", "10.0.0.66").status_code == 429
    assert sign_in(script, "10.0.0.1").status_code == 200


def test_failures_from_many_addresses_slow_down_only_addresses_new_to_the_account(script, alice):
    assert sign_in(script, "10.0.0.1").status_code == 200
    for number in range(3):
        assert attempt(script, "alice@example.org", f"10.0.1.{number}").status_code == 401
    # A fourth address is refused even with the right password: it has never signed in here.
    refused = sign_in(script, "10.0.1.99")
    assert refused.status_code == 429
    assert 60 < int(refused["Retry-After"]) <= 3600
    # The owner's address, where the password worked before, still gets in.
    assert sign_in(script, "10.0.0.1", LOGIN).status_code == 200


def test_successful_sign_ins_do_not_count_as_failures(script, alice):
    for number in range(4):
        assert sign_in(script, f"10.0.2.{number}").status_code == 200
    assert sign_in(script, "10.0.2.99").status_code == 200


def test_reset_mail_requests_count_against_the_account_from_anywhere(script, alice, mailoutbox):
    for number in range(3):
        script.post(FORGOT, {"email": "alice@example.org"}, REMOTE_ADDR=f"10.0.3.{number}")
    response = script.post(FORGOT, {"email": "alice@example.org"}, REMOTE_ADDR="10.0.3.99")
    assert response.status_code == 429
    assert len(mailoutbox) == 3


def test_it_answers_429_once_an_ip_had_its_tries_whatever_the_accounts(script, db):
    for number in range(4):
        assert attempt(script, f"user{number}@example.org").status_code == 401
    assert attempt(script, "user9@example.org").status_code == 429
    assert attempt(script, "user9@example.org", "10.0.0.2").status_code == 401


def test_a_forged_forwarded_for_header_does_not_give_a_new_ip(script, db):
    for number in range(4):
        attempt(script, f"user{number}@example.org", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    response = attempt(script, "user9@example.org", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_behind_one_proxy_it_limits_the_address_the_proxy_saw(script, db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for number in range(4):
        attempt(script, f"user{number}@example.org", HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert attempt(script, "user9@example.org", HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 429
    assert attempt(script, "user9@example.org", HTTP_X_FORWARDED_FOR="192.0.2.8").status_code == 401


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/api/v1/auth/register", {"email": "x@example.org", "username": "x", "password": "p"}),
        ("/api/v1/auth/login", {"email": "x@example.org", "password": "p"}),
        ("/api/v1/auth/password/forgot", {"email": "x@example.org"}),
        ("/api/v1/auth/token", {"email": "x@example.org", "password": "p"}),
    ],
)
def test_it_limits_every_endpoint_that_checks_passwords_or_sends_mail(browser, url, data):
    statuses = [browser.post_with_csrf(url, data).status_code for _ in range(3)]
    assert 429 not in statuses[:2]
    assert statuses[2] == 429


def test_it_keeps_the_count_in_the_shared_cache_not_in_the_process(script, alice):
    attempt(script, "alice@example.org")
    attempt(script, "alice@example.org")
    assert attempt(script, "alice@example.org").status_code == 429
    cache.clear()
    assert attempt(script, "alice@example.org").status_code == 401


def test_it_lets_requests_through_when_redis_is_unreachable(script, alice, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "writers.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/1",
        }
    }
    statuses = {attempt(script, "alice@example.org").status_code for _ in range(3)}
    assert statuses == {401}
