from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import tokens
from accounts.models import AuthSession


def test_rotation_hands_out_one_new_pair_when_two_requests_race(alice, monkeypatch):
    _access, refresh = tokens.issue_tokens(alice)
    # Both requests read the token as not yet blacklisted before either writes the blacklist.
    monkeypatch.setattr(RefreshToken, "check_blacklist", lambda self: None)
    tokens.rotate_refresh_token(refresh)
    with pytest.raises(TokenError):
        tokens.rotate_refresh_token(refresh)


def test_logging_out_ends_that_sign_in_only(alice):
    access, refresh = tokens.issue_tokens(alice)
    other_access, _other_refresh = tokens.issue_tokens(alice)
    tokens.revoke_tokens(access, None)
    session = AuthSession.objects.get(pk=AccessToken(access)[tokens.SESSION_CLAIM])
    assert session.revoked_at is not None
    # Every token of the sign-in: the access token before it expires, and its refresh token.
    assert tokens.user_for_access_token(access) is None
    with pytest.raises(TokenError):
        tokens.rotate_refresh_token(refresh)
    assert tokens.user_for_access_token(other_access) == alice


def test_logging_out_with_the_refresh_token_alone_ends_the_sign_in(alice):
    access, refresh = tokens.issue_tokens(alice)
    tokens.revoke_tokens(None, refresh)
    assert tokens.user_for_access_token(access) is None


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


def test_a_token_without_a_session_is_refused(alice):
    # Tokens from before sessions existed, or made outside issue_tokens, name no family to revoke.
    refresh = RefreshToken.for_user(alice)
    refresh[tokens.VERSION_CLAIM] = alice.token_version
    assert tokens.user_for_access_token(str(refresh.access_token)) is None
    with pytest.raises(TokenError):
        tokens.rotate_refresh_token(str(refresh))


def test_old_sessions_are_forgotten_when_the_user_signs_in_again(alice, settings):
    tokens.issue_tokens(alice)
    expired = timezone.now() - timedelta(days=settings.SESSION_MAX_DAYS)
    AuthSession.objects.update(created_at=expired)
    tokens.issue_tokens(alice)
    assert AuthSession.objects.filter(user=alice).count() == 1


def test_every_request_checks_its_token_in_one_query_without_sorting(alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    access = tokens.issue_tokens(alice)[0]
    with CaptureQueriesContext(connection) as queries:
        assert tokens.user_for_access_token(access) == alice
    # The session by its id (unique) with its user: nothing to order.
    assert len(queries) == 1 and "ORDER BY" not in queries[0]["sql"]


def test_the_session_check_agrees_with_the_orm_in_every_case(alice, bob):
    """Every request's check is one statement (prepared per connection on PostgreSQL): it
    finds exactly the session this ORM query finds, and refuses it for an older token version."""

    def payload_of(user, **claims):
        access = AccessToken(tokens.issue_tokens(user)[0])
        return {**access.payload, **claims}

    def orm_session(payload):
        try:
            return AuthSession.objects.select_related("user").get(
                pk=payload.get(tokens.SESSION_CLAIM),
                user_id=payload.get("user_id"),
                user__is_active=True,
                revoked_at__isnull=True,
                created_at__gt=timezone.now() - timedelta(days=settings.SESSION_MAX_DAYS),
            )
        except (AuthSession.DoesNotExist, ValidationError):
            return None

    live = payload_of(alice)
    revoked = payload_of(alice)
    AuthSession.objects.filter(pk=revoked[tokens.SESSION_CLAIM]).update(revoked_at=timezone.now())
    expired = payload_of(alice)
    AuthSession.objects.filter(pk=expired[tokens.SESSION_CLAIM]).update(
        created_at=timezone.now() - timedelta(days=settings.SESSION_MAX_DAYS, seconds=1)
    )
    inactive = payload_of(bob)
    type(bob).objects.filter(pk=bob.pk).update(is_active=False)
    cases = {
        "live": live,
        "revoked": revoked,
        "expired": expired,
        "inactive user": inactive,
        "someone else's session": {**live, "user_id": str(bob.pk)},
        "malformed session id": {**live, tokens.SESSION_CLAIM: "not-a-uuid"},
        "no session id": {k: v for k, v in live.items() if k != tokens.SESSION_CLAIM},
        "a number for the user": {**live, "user_id": 7},
        "an older token version": {**live, tokens.VERSION_CLAIM: alice.token_version - 1},
    }
    for name, payload in cases.items():
        expected = orm_session(payload)
        if expected and payload.get(tokens.VERSION_CLAIM) != expected.user.token_version:
            expected = None
        found = tokens._live_session(payload)
        assert (found and found.pk) == (expected and expected.pk), name
        assert (found is not None) == (name == "live"), name
    session = tokens._live_session(live)
    expected = AuthSession.objects.select_related("user").get(pk=session.pk)
    for field in AuthSession._meta.concrete_fields:
        assert getattr(session, field.attname) == getattr(expected, field.attname), field
    for field in type(alice)._meta.concrete_fields:
        assert getattr(session.user, field.attname) == getattr(expected.user, field.attname), field
    assert session.user.get_deferred_fields() == set()
