"""All token code: issuing, reading and revoking JWTs, and the password reset links.

Revocation has three layers, each for one situation:

- A refresh token is blacklisted (simplejwt's `token_blacklist` tables) when it is rotated or its
  session logs out, so presenting it again is refused.
- The access token of a session that logs out goes on a deny list in the Redis cache, keyed by its
  `jti`, until the moment it would have expired anyway. We chose the deny list over bumping
  `User.token_version` on logout because the version bump would log the user out on every device.
  If Redis is unreachable the deny list is skipped (logged): the browser has dropped the cookie
  already and the token expires within ACCESS_TOKEN_EXPIRE_MINUTES, while failing closed would
  log every user out during a Redis outage.
- `User.token_version` is bumped to revoke every token of a user at once (password change or
  reset); each token carries the version it was issued under.

Every token is checked against the live user row, so a deactivated or deleted user is refused on
the next request.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from redis.exceptions import RedisError
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import User

logger = logging.getLogger(__name__)

VERSION_CLAIM = "ver"
DENY_PREFIX = "jwt:deny:"


def issue_tokens(user: User) -> tuple[str, str]:
    """A fresh (access, refresh) pair carrying the user's current token version."""
    refresh = RefreshToken.for_user(user)
    refresh[VERSION_CLAIM] = user.token_version
    access = refresh.access_token
    access[VERSION_CLAIM] = user.token_version
    return str(access), str(refresh)


def user_for_access_token(raw: str) -> User | None:
    """The active user an access token belongs to, or None for any invalid token."""
    try:
        token = AccessToken(raw)
    except TokenError:
        return None
    if _is_denied(token):
        return None
    return _user_for_claims(token.payload)


def rotate_refresh_token(raw: str) -> tuple[User, str, str]:
    """Spend a refresh token: blacklist it and return its user with a fresh (access, refresh).

    Raises TokenError when the token is invalid, expired, already spent (reuse), or its user is
    gone, inactive or revoked. Two requests racing with the same token get one new pair between
    them: the blacklist row is unique, and the loser sees it as reuse.
    """
    token = RefreshToken(raw)
    user = _user_for_claims(token.payload)
    if user is None:
        raise TokenError("Token user is not valid.")
    if not _blacklist(token):
        raise TokenError("Token is blacklisted")
    access, refresh = issue_tokens(user)
    return user, access, refresh


def revoke_tokens(access: str | None, refresh: str | None) -> None:
    """Logout: blacklist the refresh token and deny the access token until it expires.

    Invalid or already revoked tokens are ignored: there is nothing left to revoke.
    """
    if refresh:
        with contextlib.suppress(TokenError):
            _blacklist(RefreshToken(refresh))
    if access:
        with contextlib.suppress(TokenError):
            _deny(AccessToken(access))


def make_reset_token(user: User) -> str:
    """One URL-safe path segment: the user id (hex) and Django's single-use reset token.

    Django's token hashes the password and last login, so it stops working once the password
    changes (single use) or after PASSWORD_RESET_TIMEOUT seconds.
    """
    return f"{user.pk.hex}-{default_token_generator.make_token(user)}"


def user_for_reset_token(token: str) -> User | None:
    """The active user a reset token was made for, or None if it is malformed, used or old."""
    user_hex, _, django_token = token.partition("-")
    try:
        user = User.objects.filter(pk=user_hex, is_active=True).first()
    except ValidationError:
        return None
    if user is None or not default_token_generator.check_token(user, django_token):
        return None
    return user


def _user_for_claims(payload: dict[str, Any]) -> User | None:
    try:
        user = User.objects.filter(pk=payload.get("user_id"), is_active=True).first()
    except ValidationError:
        # Only a token signed with our key can get here, but a malformed id must still be a
        # plain refusal rather than a 500.
        return None
    if user is None or payload.get(VERSION_CLAIM) != user.token_version:
        return None
    return user


def _blacklist(token: RefreshToken) -> bool:
    """True if this call blacklisted the token, False if it already was."""
    jti = token["jti"]
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={
            "user": User.objects.filter(pk=token.get("user_id")).first(),
            "token": str(token),
            "created_at": token.current_time,
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        return False
    return True


def _deny(token: AccessToken) -> None:
    remaining = int(token["exp"] - time.time()) + 1
    if remaining <= 0:
        return
    try:
        cache.set(DENY_PREFIX + token["jti"], 1, timeout=remaining)
    except RedisError:
        logger.exception("Could not deny-list access token %s: Redis is unreachable", token["jti"])


def _is_denied(token: AccessToken) -> bool:
    try:
        return cache.get(DENY_PREFIX + str(token.get("jti"))) is not None
    except RedisError:
        logger.warning("Access token deny list skipped: Redis is unreachable")
        return False
