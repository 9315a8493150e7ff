"""Every way a token can be wrong ends in 401, never in a 500 or a signed-in request."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import aware_utcnow

from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens

ME = "/api/v1/auth/me"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def valid_claims(user) -> dict:
    return AccessToken(issue_tokens(user)[0]).payload


def forged_tokens(user) -> dict[str, str]:
    claims = valid_claims(user)
    expired = AccessToken.for_user(user)
    expired["ver"] = user.token_version
    expired.set_exp(from_time=aware_utcnow() - timedelta(hours=2))
    bad_user = dict(claims, user_id="not-a-uuid")
    return {
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
        "expired": str(expired),
        "refresh as access": str(RefreshToken.for_user(user)),
        "bad signature": jwt.encode(claims, "not the secret key" * 4, algorithm="HS256"),
        "other algorithm": jwt.encode(claims, settings.SECRET_KEY, algorithm="HS512"),
        "bad user id": jwt.encode(bad_user, settings.SECRET_KEY, algorithm="HS256"),
        "no version": jwt.encode(
            {k: v for k, v in claims.items() if k != "ver"}, settings.SECRET_KEY, "HS256"
        ),
        "garbage": "not.a.token",
        "empty segments": "..",
        "non ascii": "ééé",
    }


@pytest.mark.parametrize(
    "kind",
    [
        "alg none",
        "expired",
        "refresh as access",
        "bad signature",
        "other algorithm",
        "bad user id",
        "no version",
        "garbage",
        "empty segments",
        "non ascii",
    ],
)
def test_it_answers_401_to_a_forged_token(script, browser, alice, kind):
    token = forged_tokens(alice)[kind]
    assert script.get(ME, **bearer(token)).status_code == 401
    browser.cookies["access_token"] = token
    assert browser.get(ME).status_code == 401


def test_a_genuine_token_passes_the_same_checks(script, alice):
    assert script.get(ME, **bearer(issue_tokens(alice)[0])).status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Basic YWxpY2U6cHc=", "Bearer a b", "Token abc"])
def test_it_answers_401_to_a_malformed_authorization_header(script, alice, header):
    assert script.get(ME, HTTP_AUTHORIZATION=header).status_code == 401


def test_it_refuses_a_deactivated_user_at_once(script, browser, alice):
    access, _refresh = issue_tokens(alice)
    browser.login_as(alice)
    alice.is_active = False
    alice.save()
    assert script.get(ME, **bearer(access)).status_code == 401
    assert browser.get(ME).status_code == 401


def test_it_refuses_a_deleted_user_at_once(script, alice):
    access, _refresh = issue_tokens(alice)
    alice.delete()
    assert script.get(ME, **bearer(access)).status_code == 401


def test_it_refuses_tokens_from_before_a_token_version_bump(script, alice):
    access, _refresh = issue_tokens(alice)
    alice.token_version += 1
    alice.save()
    assert script.get(ME, **bearer(access)).status_code == 401


def test_cookie_requests_need_csrf_only_when_unsafe(browser, alice):
    browser.login_as(alice)
    assert browser.get(ME).status_code == 200
    assert browser.patch(ME, {"full_name": "X"}, format="json").status_code == 403
    assert browser.patch_with_csrf(ME, {"full_name": "X"}).status_code == 200


def test_a_bearer_header_wins_over_the_cookie_and_skips_csrf(browser, alice, bob):
    browser.login_as(alice)
    bob_access, _refresh = issue_tokens(bob)
    response = browser.patch(ME, {"full_name": "Bob B"}, format="json", **bearer(bob_access))
    assert response.status_code == 200
    assert response.json()["username"] == "bob"


def test_it_still_authenticates_when_redis_is_unreachable(script, alice, settings):
    # Uploads must keep working through a Redis outage, and a logout then holds all the same:
    # it ends the session in the database.
    access, _refresh = issue_tokens(alice)
    settings.CACHES = {
        "default": {
            "BACKEND": "writers.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/1",
        }
    }
    assert script.get(ME, **bearer(access)).status_code == 200
    assert script.post("/api/v1/auth/logout", **bearer(access)).status_code == 204
    assert script.get(ME, **bearer(access)).status_code == 401
