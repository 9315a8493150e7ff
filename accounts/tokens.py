"""All JWT code: issuing, reading and revoking access and refresh tokens."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User

VERSION_CLAIM = "ver"


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
    return _user_for_claims(token.payload)


def _user_for_claims(payload: dict[str, Any]) -> User | None:
    user = User.objects.filter(pk=payload.get("user_id"), is_active=True).first()
    if user is None or payload.get(VERSION_CLAIM) != user.token_version:
        return None
    return user
