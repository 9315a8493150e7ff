from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import tokens


def test_rotation_hands_out_one_new_pair_when_two_requests_race(alice, monkeypatch):
    _access, refresh = tokens.issue_tokens(alice)
    # Both requests read the token as not yet blacklisted before either writes the blacklist.
    monkeypatch.setattr(RefreshToken, "check_blacklist", lambda self: None)
    tokens.rotate_refresh_token(refresh)
    with pytest.raises(TokenError):
        tokens.rotate_refresh_token(refresh)


def test_the_deny_list_entry_lives_exactly_as_long_as_the_access_token(alice):
    access, _refresh = tokens.issue_tokens(alice)
    tokens.revoke_tokens(access, None)
    jti = AccessToken(access)["jti"]
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    ttl = client.ttl(cache.make_key(tokens.DENY_PREFIX + jti))
    lifetime = settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    assert lifetime - 5 <= ttl <= lifetime + 1


def test_revoking_garbage_is_a_no_op(db):
    tokens.revoke_tokens("garbage", "more garbage")


def test_a_reset_token_is_one_url_safe_path_segment(alice):
    token = tokens.make_reset_token(alice)
    assert token.replace("-", "").isalnum()
    assert tokens.user_for_reset_token(token) == alice


def test_a_reset_token_stops_working_for_a_deactivated_user(alice):
    token = tokens.make_reset_token(alice)
    alice.is_active = False
    alice.save()
    assert tokens.user_for_reset_token(token) is None
